"""The course's concept figures build without a display and say what they teach."""
import pytest

matplotlib = pytest.importorskip("matplotlib")
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from pada_lite.course import figures  # noqa: E402


def texts(fig) -> str:
    return "\n".join(t.get_text() for t in fig.findobj(Text))


@pytest.mark.parametrize("draw, labels", [
    (figures.pada_loop, ["validation\nfailures", "analyse each\nfailure", "cluster the\nanalyses", "name the\npatterns",
                         "draft a strategy\nper pattern", "generate samples\nper pattern", "training errors",
                         "generate samples\nlike each error", "quality control", "retrain from the base model",
                         "evaluate the student", "no validation text"]),
    (figures.lora_4bit, ["W, frozen, stored in nf4", "dequantise", "W in the compute dtype", "A  (r=2 x d_in), trains",
                         "B  (d_out x r=2), trains", "zeros at step 0", "h = W·x + (alpha / r)·B·A·x", "bf16, fp16 (T4) or fp32"]),
])
def test_each_figure_builds_and_carries_its_labels(draw, labels):
    fig = draw()
    assert isinstance(fig, Figure) and fig.axes
    missing = [x for x in labels if x not in texts(fig)]
    assert not missing, missing
    png = fig._repr_png_()   # what a notebook shows, rendered off screen (no pyplot, no window)
    assert png.startswith(b"\x89PNG") and len(png) > 10_000


def test_the_loop_sends_both_branches_through_quality_control():
    """Both generators feed the one QC box, and the legend names who does what."""
    fig = figures.pada_loop()
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["student", "teacher LLM", "plain code", "records"]
    boxes = {t.get_text(): t for t in ax.texts if t.get_bbox_patch() is not None}
    qc = boxes["quality control"].get_bbox_patch()
    into_qc = [a for a in ax.patches if getattr(a, "patchB", None) is qc]
    assert len(into_qc) == 2, "quality control takes the pattern samples and the training-error samples"


def test_the_lora_figure_shows_the_rank_it_is_given():
    assert "A  (r=4 x d_in), trains" in texts(figures.lora_4bit(r=4))
