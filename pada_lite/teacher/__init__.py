"""The LLM behind PaDA's agents: one Teacher (core) that asks a backend (an OpenAI-compatible
endpoint, or the offline simulated one) with a budget, retries, a reply cache and a call log.
Names below import on first use, so importing the folder is instant."""
from pada_lite._names import exports

__all__, __getattr__, __dir__ = exports(
    __name__,
    core="KINDS DEFAULT_MODELS Teacher make_teacher paid_usage",
    base="Completion TeacherError TeacherFailed TeacherUnusable")
