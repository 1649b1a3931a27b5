"""The LLM behind PaDA's agents: one Teacher (core) that asks a backend (an OpenAI-compatible
endpoint, or the offline simulated one) with a budget, retries, a reply cache and a call log.
Names below import on first use, so importing the folder is instant."""
from pada_lite._names import exports

_NAMES = {
    "KINDS": "core",
    "DEFAULT_MODELS": "core",
    "Teacher": "core",
    "make_teacher": "core",
    "paid_usage": "core",
    "Completion": "base",
    "TeacherError": "base",
    "TeacherFailed": "base",
    "TeacherUnusable": "base",
}
__all__ = list(_NAMES)
__getattr__, __dir__ = exports(__name__, _NAMES)
