"""The report's plots: every axis labelled, whole-number iterations, nothing drawn outside the figure."""
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from pada_lite.teacher.pricing import Usage  # noqa: E402
from pada_lite.loop.report import PLOTS  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt
    plt.close("all")


def summary() -> dict:
    def row(i, acc, patterns=None):
        r = {"iteration": i, "validation": acc, "test": acc, "test_by_tag": {"jargon": acc - 0.1, "typo": acc}}
        return r | ({"patterns": patterns} if patterns else {})
    usage = Usage()
    for stage in ("analysis", "patterns", "generation", "qc"):
        usage.add("analyst", stage, "sim-analyst", "simulated (free)", requests=40, calls=41, ok=40, cost_usd=0.0125)
    return {"methods": {"sft": [row(i, 0.80) for i in range(4)],
                        "pada": [row(0, 0.80)] + [row(i, 0.80 + 0.03 * i, {"k": 3, "sizes": [12, 8, 3], "purity": 0.8,
                                                                          "ari": 0.6}) for i in (1, 2, 3)]},
            "selected": {"sft": 0, "pada": 3}, "teacher": usage.to_dict()}


@pytest.mark.parametrize("name", list(PLOTS))
def test_every_plot_labels_its_axes_and_keeps_its_title_inside(name):
    fig = PLOTS[name](summary())
    ax = fig.axes[0]
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title(), (ax.get_xlabel(), ax.get_ylabel(), ax.get_title())
    fig.canvas.draw()
    box, title = fig.bbox, ax.title.get_window_extent()
    assert box.x0 <= title.x0 and title.x1 <= box.x1 and title.y1 <= box.y1, f"{name}: the title is cut"
    covered = [t.get_text() for t in ax.texts if t.get_window_extent().overlaps(title)]
    assert not covered, f"{name}: {covered} drawn over the title"
    outside = [t.get_text() for t in ax.texts if t.get_window_extent().y1 > ax.get_window_extent().y1]
    assert not outside, f"{name}: {outside} drawn above the plot"


def test_iterations_are_ticked_as_whole_numbers():
    fig = PLOTS["accuracy"](summary())
    fig.canvas.draw()
    ticks = [t for t in fig.axes[0].get_xticks() if 0 <= t <= 3]
    assert ticks and all(float(t).is_integer() for t in ticks), ticks


# ---- the shipped runs: every method visible, nothing drawn over anything else -----------------------------
def shipped() -> dict:
    from pada_lite.course.reference import real_teacher, reference_summary
    return {"06": reference_summary("06"), "07": reference_summary("07"), "real": real_teacher()["summary"]}


def shipped_ablations() -> dict:
    from pada_lite.course.reference import reference_summary
    return reference_summary("06-ablations")


def _texts(fig) -> list:
    """Every piece of text on the figure that a reader reads: tick labels, labels drawn with ax.text, the legend."""
    fig.canvas.draw()
    ax = fig.axes[0]
    lo, hi = ax.get_xlim()
    ticks = [lab for x, lab in zip(ax.get_xticks(), ax.get_xticklabels()) if lo <= x <= hi]
    out = [t for t in ticks + ax.texts if t.get_text().strip()]
    return out + (ax.get_legend().get_texts() if ax.get_legend() else [])


@pytest.mark.parametrize("run", ["06", "07", "real"])
@pytest.mark.parametrize("name", list(PLOTS))
def test_no_text_covers_another_on_the_shipped_runs(run, name):
    fig = PLOTS[name](shipped()[run])
    texts = _texts(fig)
    boxes = [(t.get_text(), t.get_window_extent()) for t in texts]
    clash = [(a, b) for i, (a, ba) in enumerate(boxes) for b, bb in boxes[i + 1:] if ba.overlaps(bb)]
    assert not clash, f"{run} {name}: {clash}"
    box = fig.bbox
    cut = [t for t, b in boxes if b.x0 < box.x0 or b.x1 > box.x1 or b.y0 < box.y0 or b.y1 > box.y1]
    assert not cut, f"{run} {name}: {cut} outside the figure"


@pytest.mark.parametrize("run", ["06", "07", "real"])
def test_every_method_is_named_in_the_accuracy_plot_and_equal_lines_are_drawn_once(run):
    summary = shipped()[run]
    ax = PLOTS["accuracy"](summary).axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    named = [m for lab in labels for m in lab.split(" = ")]
    assert sorted(named) == sorted(summary["methods"]), labels
    ys = [tuple(line.get_ydata()) for line in ax.get_lines()]
    assert len(ys) == len(set(ys)) == len(labels), "two lines drawn on top of each other"
    assert ax.get_ylim()[0] == 0, "the accuracy axis must start at 0"


def test_identical_methods_share_one_line():
    s = summary()
    s["methods"]["llm2llm"] = s["methods"]["sft"]
    ax = PLOTS["accuracy"](s).axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["sft = llm2llm", "pada"]


def test_the_phenomenon_legend_is_off_the_bars():
    fig = PLOTS["phenomena"](shipped_ablations())   # six methods, two pairs of them equal
    fig.canvas.draw()
    ax = fig.axes[0]
    assert not ax.get_legend().get_window_extent().overlaps(ax.get_window_extent())
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0].startswith("before (seed SFT) = ") and "pada (it 3) = pada-val-only (it 3)" in labels, labels
    assert ax.get_ylim()[0] == 0


@pytest.mark.parametrize("price, cost, want, absent", [
    ("simulated (free)", 0.0, "simulated teacher: free", "$"),
    ("replayed (free)", 0.0, "replayed teacher: free", "$"),
    ("price unknown", 0.0, "cost unknown: no price for m", "$"),
    ("0.15/0.6 per 1M", 0.0125, "$0.013", "free"),
])
def test_the_teacher_plot_says_free_or_unknown_instead_of_zero_dollars(price, cost, want, absent):
    usage = Usage()
    for stage in ("analysis", "qc"):
        usage.add("analyst", stage, "m", price, requests=4, calls=4, ok=4, cost_usd=cost)
    ax = PLOTS["teacher"]({"teacher": usage.to_dict()}).axes[0]
    shown = [t.get_text() for t in ax.texts] + [ax.get_legend().get_title().get_text(), ax.get_xlabel()]
    assert any(want in s for s in shown), shown
    assert not any(absent in s for s in shown if s != ax.get_xlabel()) and "$0.000" not in " ".join(shown), shown


def test_a_run_without_clusters_says_so():
    s = summary()
    for r in s["methods"]["pada"]:
        r.pop("patterns", None)
    ax = PLOTS["clusters"](s).axes[0]
    assert "no failure clusters in this run" in [t.get_text() for t in ax.texts]
