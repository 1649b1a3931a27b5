"""PaDA's iterations and what they leave: the runner (one iteration in the paper's order, and the
methods compared), run folders (runs) and the comparison report.
Names below import on first use, so importing the folder is instant."""
from pada_lite._names import exports

_NAMES = {
    "METHODS": "runner",
    "BudgetSpent": "runner",
    "LoopConfig": "runner",
    "largest_requests": "runner",
    "model_dir": "runner",
    "Step": "runner",
    "Plan": "runner",
    "Loop": "runner",
}
__all__ = list(_NAMES)
__getattr__, __dir__ = exports(__name__, _NAMES)
