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


# one colour and marker per method, the same in every plot; a method not listed here takes the next free one
_ORDER = ("sft", "llm2llm", "pada", "pada-val-only", "pada-train-only", "pada-no-qc", "untargeted")
_MARKERS = "osD^v<>ph*"


def _style(method: str, methods: list[str]) -> tuple[str, str]:
    known = list(_ORDER) + [m for m in methods if m not in _ORDER]
    k = known.index(method) if method in known else len(known)
    return f"C{k % 10}", _MARKERS[k % len(_MARKERS)]


def _in_order(methods) -> list[str]:
    """The methods in the course's order (sft, llm2llm, pada, its ablations, untargeted), others after."""
    return sorted(methods, key=lambda m: (_ORDER.index(m) if m in _ORDER else len(_ORDER), m))


def _merge_equal(series: dict[str, object]) -> list[tuple[list[str], object]]:
    """[(names, values)]: series with equal values drawn once, under all their names (first seen first).

    subtle: methods that learn nothing new (sft, and llm2llm when the seed model makes no training
    error) have the same numbers at every iteration; drawn one by one, the last hides the others."""
    groups: list[tuple[list[str], object]] = []
    for name, values in series.items():
        same = next((names for names, v in groups if v == values), None)
        if same is None:
            groups.append(([name], values))
        else:
            same.append(name)
    return groups


def plot_accuracy(summary: dict, split: str = "test"):
    """One line per method; methods with the same accuracy at every iteration are one line ("sft = llm2llm").
    The y-axis starts at 0, so the distance between lines is to scale."""
    fig, ax = _axes()
    methods = _in_order(summary["methods"])
    series = {m: [(r["iteration"], r[split]) for r in summary["methods"][m]] for m in methods}
    for names, points in _merge_equal(series):
        colour, marker = _style(names[0], methods)
        its, accs = zip(*points)
        ax.plot(its, accs, marker=marker, color=colour, label=" = ".join(names))
    ax.set(xlabel="iteration", ylabel=f"{split} accuracy", ylim=(0, 1.02),
           title=f"{split} accuracy per iteration")
    _integer_ticks(ax)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def plot_phenomena(summary: dict, split: str = "test"):
    """Per-tag accuracy before (iteration 0) and after (each method at its best-validation iteration);
    equal bars are drawn once under all their names. The legend sits below the plot, off the bars."""
    import numpy as np
    methods = summary["methods"]
    first = next(iter(methods.values()))[0]
    tags = sorted(first.get(f"{split}_by_tag", {}))
    best = selected(summary)
    after = {f"{m} (it {best[m]['iteration']})": best[m] for m in _in_order(methods) if m != "sft" and len(methods[m]) > 1}
    series = {name: row.get(f"{split}_by_tag", {}) for name, row in ({"before (seed SFT)": first} | after).items()}
    groups = _merge_equal(series)
    fig, ax = _axes((max(6.4, 1.1 * len(tags) + 2), 4.0 + 0.2 * ((len(groups) + 1) // 2)))
    x, width = np.arange(len(tags)), 0.8 / max(len(groups), 1)
    for j, (names, by_tag) in enumerate(groups):
        method = names[0].split(" (")[0]
        colour = "0.55" if names[0].startswith("before") else _style(method, list(methods))[0]
        ax.bar(x + j * width, [by_tag.get(t, 0) for t in tags], width, label=" = ".join(names), color=colour)
    ax.set_xticks(x + width * (len(groups) - 1) / 2, tags, rotation=20)
    ax.set(xlabel="hidden phenomenon (or tag)", ylabel=f"{split} accuracy", ylim=(0, 1.05),
           title="per phenomenon, before and after")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.32), ncol=min(2, len(groups)), frameon=False)
    fig.tight_layout()
    return fig


def plot_clusters(summary: dict):
    """Per method and iteration, the failure clusters PaDA found: one segment per cluster, purity and ARI on top.
    Methods that found the same clusters (pada and pada-val-only share their first iteration's) are one group."""
    import json
    from matplotlib.transforms import blended_transform_factory
    per_method = {m: [r for r in summary["methods"][m] if r.get("patterns")] for m in _in_order(summary["methods"])}
    per_method = {m: rows for m, rows in per_method.items() if rows}
    key = {m: json.dumps([(r["iteration"], r["patterns"]) for r in rows], sort_keys=True) for m, rows in per_method.items()}
    groups = [(names, per_method[names[0]]) for names, _ in _merge_equal(key)]
    n_bars = sum(len(rows) for _, rows in groups)
    fig, ax = _axes((max(6.4, 0.9 * (n_bars + len(groups)) + 1.5), 3.9))
    x, ticks, labels = 0.0, [], []
    below = blended_transform_factory(ax.transData, ax.transAxes)
    for names, rows in groups:
        start = x
        for r in rows:
            p, bottom = r["patterns"], 0
            for j, size in enumerate(p["sizes"]):
                ax.bar(x, size, bottom=bottom, color=f"C{j % 10}", edgecolor="white")
                if size >= 2:   # each segment is one cluster: its size, inside it
                    ax.text(x, bottom + size / 2, str(size), ha="center", va="center", fontsize=7, color="white")
                bottom += size
            if p.get("purity") is not None:
                ax.text(x, bottom, f"purity {p['purity']:.2f}\nARI {p['ari']:.2f}", ha="center", va="bottom", fontsize=7)
            ticks.append(x)
            labels.append(f"it {r['iteration']}")
            x += 1
        # the method's name under its iterations
        ax.text((start + x - 1) / 2, -0.12, "\n= ".join(names), transform=below, ha="center", va="top", fontsize=8)
        x += 0.6    # a gap between methods
    lo, hi = -0.7, max(x - 0.6, 1) - 0.3
    pad = max(0.0, 4 - (hi - lo)) / 2     # subtle: one or two bars alone would stretch to the full width
    ax.set_xlim(lo - pad, hi + pad)
    if not groups:
        ax.text(0.5, 0.5, "no failure clusters in this run", transform=ax.transAxes, ha="center", va="center")
    ax.set_xticks(ticks, labels, fontsize=8)
    ax.set(ylabel="failures analysed\n(one segment per cluster)", title="failure clusters: sizes, purity and ARI")
    ax.set_xlabel("method and iteration", labelpad=14 + 10 * max((len(n) for n, _ in groups), default=1))
    ax.margins(y=0.25)
    fig.tight_layout()
    return fig


def _cost_note(rows: list[dict]) -> tuple[list[str | None], str | None]:
    """A label per stage for above its bars ("$0.012", "free", "price unknown"), or none at all when every
    stage is free or every price is unknown: then one note says so instead of a row of $0.000."""
    from pada_lite.teacher.pricing import UNKNOWN

    def label(r):
        if UNKNOWN in r["price"]:
            return "price unknown"
        if "(free)" in r["price"] and not r["cost_usd"]:
            return "free"
        return f"${r['cost_usd']:.3f}"
    labels = [label(r) for r in rows]
    if labels and all(lab == "free" for lab in labels):
        kinds = {p.split(" (")[0] for r in rows for p in r["price"].split(", ")}
        return [None] * len(rows), f"{' and '.join(sorted(kinds))} teacher: free"
    if labels and all(lab == "price unknown" for lab in labels):
        models = ", ".join(sorted({r["model"] for r in rows}))
        return [None] * len(rows), f"cost unknown: no price for {models}"
    return labels, None


def plot_teacher(summary: dict):
    """Per stage: calls sent (retries included), requests answered, requests failed; the cost above the bars,
    or one note when there is no cost to show (a simulated teacher is free; a model with no known price)."""
    import numpy as np
    from pada_lite.teacher.pricing import Usage
    rows = Usage.from_dict(summary["teacher"]).rows(by="stage")
    fig, ax = _axes((max(6.4, 1.2 * len(rows) + 2), 3.8))
    x, names = np.arange(len(rows)), [r["stage"] for r in rows]
    for j, (key, label) in enumerate((("calls", "sent (calls)"), ("ok", "answered"), ("failed", "failed"))):
        ax.bar(x + (j - 1) * 0.27, [r[key] for r in rows], 0.27, label=label)
    costs, note = _cost_note(rows)
    for k, (r, text) in enumerate(zip(rows, costs)):
        if text:
            ax.text(k, r["calls"], text, ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x, names)
    ax.set(xlabel="stage" + (" (cost in USD above the bars)" if note is None else ""), ylabel="teacher requests",
           title="teacher requests per stage")
    ax.margins(y=0.2)
    ax.legend(fontsize=8, title=note, title_fontsize=9)
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
