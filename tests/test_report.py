"""The report's plots: every axis labelled, whole-number iterations, nothing drawn outside the figure."""
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from pada_lite.teacher.pricing import Usage  # noqa: E402
from pada_lite.loop.report import PLOTS  # noqa: E402


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
