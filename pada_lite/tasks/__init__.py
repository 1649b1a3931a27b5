"""What is learned: a task's spec (labels, numbers or text, and how a reply is scored), its
splits, your own data files, and the bundled world with its oracle.
Names below import on first use, so importing the folder is instant."""
from pada_lite._names import exports

_NAMES = {
    "normalize_text": "spec",
    "Example": "spec",
    "Task": "spec",
    "parse_number": "spec",
    "split_solution": "spec",
    "number_problem": "spec",
    "NumberTask": "spec",
    "LabelTask": "spec",
    "TextTask": "spec",
    "load_task": "data",
    "Splits": "splits",
}
__all__ = list(_NAMES)
__getattr__, __dir__ = exports(__name__, _NAMES)
