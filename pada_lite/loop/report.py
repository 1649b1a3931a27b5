"""What a run found, for people: a comparison table, four plots and `report.md`.

- `comparison_table(summary)`: plain text, one column per method (test accuracy at the iteration
  with the best *validation* accuracy, `selected`), one row per phenomenon, then accuracy per iteration;
- `plot_*` functions draw one figure each from a `summary.json` (the notebooks call them too);
- `write_report(run)`: saves the plots as PNG and writes `runs/<name>/report.md`.

It deliberately computes nothing new: every number comes from `summary.json`.
"""
from __future__ import annotations

from pathlib import Path


def selected(summary: dict) -> dict[str, dict]:
    """Each method's row at its best-validation iteration (ties: the earlier one)."""
    return {m: max(rows, key=lambda r: (r["validation"], -r["iteration"])) for m, rows in summary["methods"].items()}


def comparison_table(summary: dict) -> str:
    methods = summary["methods"]
    names = list(methods)
    final = selected(summary)
    tags = sorted({t for r in final.values() for t in r.get("test_by_tag", {})})
    w = max([len("overall (test)")] + [len(t) for t in tags]) + 2
    head = "".ljust(w) + "".join(n.rjust(16) for n in names)
    lines = ["test accuracy of each method at its best-validation iteration (" +
             ", ".join(f"{m}: {final[m]['iteration']}" for m in names) + ")", "", head, "-" * len(head),
             "overall (test)".ljust(w) + "".join(f"{final[m]['test']:16.3f}" for m in names)]
    lines += [t.ljust(w) + "".join(f"{final[m].get('test_by_tag', {}).get(t, float('nan')):16.3f}" for m in names)
              for t in tags]
    lines += ["", "test accuracy per iteration".ljust(w)]
    for i in range(max(len(r) for r in methods.values())):
        cells = [f"{rows[i]['test']:16.3f}" if i < len(rows) else " " * 16 for rows in methods.values()]
        lines.append(f"iteration {i}".ljust(w) + "".join(cells))
    lines.append("")
    for m, rows in methods.items():
        for r in rows[1:]:
            if "accepted" not in r:
                continue
            pat = r.get("patterns")
            used = f", {pat['used']} patterns used" if pat and "used" in pat else ""
            found = (f"; {pat['k']} clusters{used}, purity {pat['purity']:.2f}, ARI {pat['ari']:.2f}"
                     if pat and pat.get("purity") is not None else f"; {pat['k']} clusters{used}" if pat else "")
            lines.append(f"{m} iteration {r['iteration']}: from the previous model's {r['val_failures']} validation failures "
                         f"and {r['train_errors']} training errors, {r['accepted']} of {r['candidates']} samples accepted{found}")
    if summary.get("stopped"):
        lines.append(f"\nstopped early: {summary['stopped']}")
    for m, why in (summary.get("unsaved") or {}).items():
        lines.append(f"\nnot saved as complete: {m}: {why}")
    return "\n".join(lines)


def teacher_table(summary: dict) -> str:
    """Teacher requests per stage over every session of the run: sent, answered, failed and why."""
    from pada_lite.teacher.pricing import Usage
    rows = Usage.from_dict(summary.get("teacher", {})).rows(by="stage")
    if not rows:
        return "no teacher calls"
    head = f"{'stage':<12}{'sent':>7}{'answered':>10}{'failed':>8}{'cost $':>10}  failed attempts by reason"
    body = [f"{r['stage']:<12}{r['calls']:>7}{r['ok']:>10}{r['failed']:>8}{r['cost_usd']:>10.4f}  " +
            (", ".join(f"{k} {v}" for k, v in sorted(r["reasons"].items(), key=lambda kv: -kv[1])) or "-") for r in rows]
    return "\n".join([head, "-" * len(head), *body])


def _axes(figsize=(6.4, 3.6)):
    import matplotlib
    if matplotlib.get_backend().lower() not in ("agg",) and not _in_notebook():
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt.subplots(figsize=figsize)


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
        return get_ipython() is not None and "IPKernelApp" in get_ipython().config
    except Exception:
        return False


def _integer_ticks(ax):
    """Iterations are whole numbers: no 0.0, 0.2, ... ticks."""
    from matplotlib.ticker import MaxNLocator
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def plot_accuracy(summary: dict, split: str = "test"):
    fig, ax = _axes()
    for m, rows in summary["methods"].items():
        ax.plot([r["iteration"] for r in rows], [r[split] for r in rows], marker="o", label=m)
    ax.set(xlabel="iteration", ylabel=f"{split} accuracy", title=f"{split} accuracy per iteration")
    _integer_ticks(ax)
    ax.legend()
    fig.tight_layout()
    return fig


def plot_phenomena(summary: dict, split: str = "test"):
    """Per-tag accuracy before (iteration 0) and after (each method at its best-validation iteration)."""
    import numpy as np
    methods = summary["methods"]
    first = next(iter(methods.values()))[0]
    tags = sorted(first.get(f"{split}_by_tag", {}))
    series = {"before (seed SFT)": first} | {m: r for m, r in selected(summary).items() if m != "sft" and len(methods[m]) > 1}
    fig, ax = _axes((max(6.4, 1.1 * len(tags) + 2), 3.8))
    x, width = np.arange(len(tags)), 0.8 / max(len(series), 1)
    for j, (name, row) in enumerate(series.items()):
        ax.bar(x + j * width, [row.get(f"{split}_by_tag", {}).get(t, 0) for t in tags], width, label=name)
    ax.set_xticks(x + width * (len(series) - 1) / 2, tags, rotation=20)
    ax.set(xlabel="hidden phenomenon (or tag)", ylabel=f"{split} accuracy", ylim=(0, 1.05),
           title="per phenomenon, before and after")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_clusters(summary: dict):
    rows = [(m, r) for m, rs in summary["methods"].items() for r in rs if r.get("patterns")]
    fig, ax = _axes()
    for j, (m, r) in enumerate(rows):
        p, bottom = r["patterns"], 0
        for size in p["sizes"]:
            ax.bar(j, size, bottom=bottom, edgecolor="white")
            if size >= 2:   # each segment is one cluster: its size, inside it
                ax.text(j, bottom + size / 2, str(size), ha="center", va="center", fontsize=7, color="white")
            bottom += size
        if p.get("purity") is not None:
            ax.text(j, bottom, f"purity {p['purity']:.2f}\nARI {p['ari']:.2f}", ha="center", va="bottom", fontsize=7)
    ax.set_xticks(range(len(rows)), [f"{m}\nit {r['iteration']}" for m, r in rows], fontsize=8)
    ax.set(xlabel="method and iteration", ylabel="failures analysed (one segment per cluster)",
           title="failure clusters: sizes, purity and ARI")
    ax.margins(y=0.25)
    fig.tight_layout()
    return fig


def plot_teacher(summary: dict):
    """Per stage: calls sent (retries included), requests answered, requests failed; cost on top."""
    import numpy as np
    from pada_lite.teacher.pricing import Usage
    rows = Usage.from_dict(summary["teacher"]).rows(by="stage")
    fig, ax = _axes((max(6.4, 1.2 * len(rows) + 2), 3.8))
    x, names = np.arange(len(rows)), [r["stage"] for r in rows]
    for j, (key, label) in enumerate((("calls", "sent (calls)"), ("ok", "answered"), ("failed", "failed"))):
        ax.bar(x + (j - 1) * 0.27, [r[key] for r in rows], 0.27, label=label)
    for k, r in enumerate(rows):
        ax.text(k, r["calls"], f"${r['cost_usd']:.3f}", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x, names)
    ax.set(xlabel="stage (cost in USD above the bars)", ylabel="teacher requests", title="teacher requests per stage")
    ax.margins(y=0.2)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


PLOTS = {"accuracy": plot_accuracy, "phenomena": plot_phenomena, "clusters": plot_clusters, "teacher": plot_teacher}


def write_report(run) -> Path:
    """Save the plots next to `summary.json` and write `report.md`; returns its path."""
    import matplotlib.pyplot as plt
    summary = run.read_json("summary.json")
    images = []
    for name, fn in PLOTS.items():
        fig = fn(summary)
        fig.savefig(run.path(f"{name}.png"), dpi=110)
        plt.close(fig)
        images.append(f"![{name}]({name}.png)")
    text = [f"# Run {run.name}", "", f"Task `{summary['task']}`, profile `{summary['profile']}`, seed {summary['seed']}; "
            f"teacher: {summary.get('teacher_name', '?')}. Accuracy is on the test split, which no method saw.", "",
            "```", comparison_table(summary), "```", "", "## Teacher requests", "",
            "Every session of the run; a call is one request sent (retries included); cost in USD.", "",
            "```", teacher_table(summary), "```", "", *images, ""]
    p = run.path("report.md")
    p.write_text("\n".join(text), encoding="utf-8")
    return p
