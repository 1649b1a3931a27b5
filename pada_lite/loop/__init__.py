"""PaDA's iterations and what they leave: the runner (one iteration in the paper's order, and the
methods compared), run folders (runs) and the comparison report.
Names below import on first use, so importing the folder is instant."""
from pada_lite._names import exports

__all__, __getattr__, __dir__ = exports(
    __name__,
    runner="METHODS BudgetSpent LoopConfig largest_requests model_dir Step Plan Loop")
