"""What is learned: a task's spec (labels, numbers or text, and how a reply is scored), its
splits, your own data files, and the bundled world with its oracle.
Names below import on first use, so importing the folder is instant."""
from pada_lite._names import exports

__all__, __getattr__, __dir__ = exports(
    __name__,
    spec="normalize_text Example Task parse_number split_solution number_problem NumberTask LabelTask TextTask",
    data="load_task",
    splits="Splits")
