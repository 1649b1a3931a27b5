"""Concept figures for the notebooks: pictures that teach what prose only lists.

    pada_loop()     # one PaDA-Agent iteration: validation failures and training errors, both to QC, then retrain
    lora_4bit()     # LoRA on a 4-bit base: frozen nf4 W, unpacked for each multiply, plus a trainable B·A

Each function draws with matplotlib and returns a `Figure` that is not registered with pyplot, so
a notebook shows it by leaving it as a cell's last value (pyplot imported or not: it knows how to
show itself as a PNG), and a test can build it with no display.
The colours are the course's: blue the student, orange the teacher, grey plain code.

It deliberately reads no run and no model: the figures are diagrams of the method, the same on
every profile, drawn from code (no image files to ship or download).
"""
from __future__ import annotations

import io

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, Rectangle

COLOUR = {"student": "#cfe2ff", "teacher": "#ffe5c2", "code": "#e6e6e6", "data": "#ffffff"}
TRAINABLE, FROZEN = "#f4a259", "#8aa9d6"


class Picture(Figure):
    """A Figure that a notebook shows as a PNG when it is a cell's last value, even before pyplot is imported."""

    def _repr_png_(self) -> bytes:
        buf = io.BytesIO()
        self.savefig(buf, format="png")
        return buf.getvalue()


def _box(ax, xy, text, who, **kw):
    return ax.text(*xy, text, ha="center", va="center", fontsize=kw.pop("fontsize", 9.5), zorder=3,
                   bbox=dict(boxstyle="round,pad=0.45", fc=COLOUR[who], ec="grey", lw=1.5 if who == "data" else 1), **kw)


def _arrow(ax, a, b, style="arc3", **kw):
    """An arrow from a to b: points, or boxes (texts) whose outlines clip it."""
    ends = [t.get_position() if hasattr(t, "get_bbox_patch") else t for t in (a, b)]
    # subtle: drawn above the boxes, so that each box has placed its outline before the arrow is clipped by it
    ax.add_patch(FancyArrowPatch(*ends, arrowstyle="-|>", mutation_scale=14, lw=1.4, color="grey", connectionstyle=style,
                                 patchA=a.get_bbox_patch() if hasattr(a, "get_bbox_patch") else None,
                                 patchB=b.get_bbox_patch() if hasattr(b, "get_bbox_patch") else None,
                                 shrinkA=kw.pop("shrinkA", 2), shrinkB=kw.pop("shrinkB", 2), zorder=4, **kw))


def pada_loop() -> Figure:
    """One PaDA-Agent iteration, both of its branches: what it learns from, who does each step."""
    fig = Picture(figsize=(11, 5.8))
    ax = fig.subplots()
    # where each box sits: the top row is PaDA's own branch, the middle row LLM2LLM's, the bottom the retraining
    at = {"eval": (0.9, 3.4), "val": (2.9, 4.9), "analyse": (4.85, 4.9), "cluster": (6.75, 4.9),
          "name": (8.65, 4.9), "strategy": (10.6, 4.9), "gen_p": (10.6, 3.4), "train": (2.9, 1.9),
          "gen_e": (6.75, 1.9), "qc": (10.6, 1.9), "retrain": (6.75, 0.3)}
    boxes = {"eval": ("evaluate the student\non validation and\non the seed set", "student"),
             "val": ("validation\nfailures", "data"), "analyse": ("analyse each\nfailure", "teacher"),
             "cluster": ("cluster the\nanalyses", "code"), "name": ("name the\npatterns", "teacher"),
             "strategy": ("draft a strategy\nper pattern", "teacher"),
             "gen_p": ("generate samples\nper pattern", "teacher"),
             "train": ("training errors\n(seed examples\nanswered wrong)", "data"),
             "gen_e": ("generate samples\nlike each error", "teacher"), "qc": ("quality control", "teacher"),
             "retrain": ("retrain from the base model on seed + accepted data", "student")}
    box = {key: _box(ax, at[key], text, who) for key, (text, who) in boxes.items()}
    # the two branches, then both into quality control, then back round to the student
    for a, b in [("eval", "val"), ("val", "analyse"), ("analyse", "cluster"), ("cluster", "name"), ("name", "strategy"),
                 ("strategy", "gen_p"), ("gen_p", "qc"), ("eval", "train"), ("train", "gen_e"), ("gen_e", "qc")]:
        _arrow(ax, box[a], box[b])
    _arrow(ax, box["qc"], box["retrain"], style="angle,angleA=-90,angleB=0,rad=0")
    _arrow(ax, box["retrain"], box["eval"], style="angle,angleA=180,angleB=-90,rad=0")
    # what each branch is, and the rules that keep the method honest
    ax.text(6.75, 5.75, "PaDA's own signal: patterns in the validation failures (Pattern Analysis Agent)",
            ha="center", fontsize=9.5, style="italic")
    ax.text(4.85, 2.55, "LLM2LLM's signal, which PaDA keeps: training errors", ha="center", fontsize=9.5,
            style="italic")
    ax.text(8.1, 3.4, "no validation text\nin any generator prompt", ha="center", va="center", fontsize=8.5, color="#a33")
    ax.text(10.4, 1.05, "a different model checks each sample;\nrejects are written again", ha="right", va="center",
            fontsize=8.5, color="dimgrey")
    for who, name in [("student", "student"), ("teacher", "teacher LLM"), ("code", "plain code"), ("data", "records")]:
        ax.scatter([], [], marker="s", s=110, color=COLOUR[who], edgecolor="grey", label=name)
    ax.legend(loc="upper left", frameon=False, fontsize=9)
    ax.set_xlim(-0.2, 11.8); ax.set_ylim(-0.6, 6.1); ax.axis("off")
    ax.set_title("one PaDA-Agent iteration: two branches of new data, one quality control, one retraining")
    fig.tight_layout()
    return fig


def _matrix(ax, x, y, w, h, cells, cmap, label, note, **kw):
    """A matrix as a small picture of its values, with a name above and a note below."""
    ax.imshow(cells, cmap=cmap, extent=(x, x + w, y, y + h), vmin=kw.pop("vmin", None), vmax=kw.pop("vmax", None),
              interpolation="nearest", zorder=2)
    ax.add_patch(Rectangle((x, y), w, h, fill=False, ec=kw.pop("ec", "grey"), lw=kw.pop("lw", 1), zorder=3))
    if label:
        ax.text(x + w / 2, y + h + 0.15, label, ha="center", va="bottom", fontsize=10, weight="bold")
    if note:
        ax.text(x + w / 2, y - 0.15, note, ha="center", va="top", fontsize=8.5)


def lora_4bit(r: int = 2) -> Figure:
    """QLoRA's forward pass through one projection: h = W·x + (alpha / r)·B·A·x, with W stored in 4 bits."""
    rng = np.random.default_rng(0)
    n = 8                                              # a d_out x d_in = 8 x 8 weight, to draw
    levels = np.sort(rng.normal(size=16))              # nf4's 16 levels sit at the quantiles of a normal
    codes = np.abs(rng.normal(size=(n, n))[..., None] - levels).argmin(-1)   # each weight: its nearest level's index
    fig = Picture(figsize=(11, 5.2))
    ax = fig.subplots()
    x_in = _box(ax, (0.4, 3.4), "x\n(input, in the\ncompute dtype)", "code", fontsize=9)
    # the frozen path: 4-bit codes in memory, unpacked to real numbers for each multiply
    _matrix(ax, 2.0, 3.6, 2.4, 2.4, np.zeros((n, n)), "Greys", "W, frozen, stored in nf4",
            "4 bits per weight (one of 16 levels),\nplus a scale per block of 64", vmin=0, vmax=1,
            ec=FROZEN, lw=2)
    step = 2.4 / n
    for (i, j), c in np.ndenumerate(codes):       # the stored codes, one hex digit each
        ax.text(2.0 + (j + 0.5) * step, 6.0 - (i + 0.5) * step, f"{c:X}", ha="center", va="center", fontsize=7,
                family="monospace", zorder=4)
    _arrow(ax, (4.5, 4.8), (6.0, 4.8))
    ax.text(5.25, 5.0, "dequantise\n(every multiply)", ha="center", va="bottom", fontsize=8.5)
    _matrix(ax, 6.1, 3.6, 2.4, 2.4, levels[codes], "Blues", "W in the compute dtype",
            "bf16, fp16 (T4) or fp32 (CPU):\nmade for W·x, then freed", ec=FROZEN, lw=2)
    # the trainable path: A (r x d_in), then B (d_out x r), B starting at zero
    _matrix(ax, 2.0, 1.0, 2.4, 2.4 * r / n, rng.normal(size=(r, n)), "Oranges", f"A  (r={r} x d_in), trains",
            "random at step 0", ec=TRAINABLE, lw=2)
    bx = 7.3 - 1.2 * r / n
    _matrix(ax, bx, 0.0, 2.4 * r / n, 2.4, np.zeros((n, r)), "Oranges", "", "", vmin=0, vmax=1, ec=TRAINABLE, lw=2)
    ax.text(bx - 0.15, 2.2, f"B  (d_out x r={r}), trains", ha="right", va="center", fontsize=10, weight="bold")
    ax.text(bx + 2.4 * r / n + 0.2, 1.2, "zeros at step 0:\nB·A = 0, so training\nstarts at the base model",
            ha="left", va="center", fontsize=8.5)
    _arrow(ax, x_in, (1.9, 4.8))
    _arrow(ax, x_in, (1.9, 1.3))
    _arrow(ax, (4.5, 1.3), (bx - 0.1, 1.2))
    # the sum, and what trains
    h = _box(ax, (10.75, 3.3), "h = W·x + (alpha / r)·B·A·x", "student", fontsize=10.5)
    _arrow(ax, (8.6, 4.8), h)
    _arrow(ax, (bx + 2.4 * r / n + 0.1, 2.3), h)
    ax.text(10.9, 2.3, "gradients reach only A and B;\nW never changes", ha="center", va="center", fontsize=8.5)
    ax.set_xlim(-0.4, 12.2); ax.set_ylim(-0.9, 6.6); ax.set_aspect("equal"); ax.axis("off")
    ax.set_title("LoRA on a 4-bit base (QLoRA): a frozen nf4 weight, unpacked per multiply, plus a trainable B·A")
    fig.tight_layout()
    return fig
