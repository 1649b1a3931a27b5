"""What the teacher and its backends share: a backend's reply, the backend protocol, the teacher's
errors, and the two messages both the pre-flight and a run write.

- `Completion`: what a backend returns for one call (text, token counts, why it stopped).
- `Backend`: what the teacher needs of a backend (`openai_backend.OpenAIBackend`, `sim.SimBackend`,
  `replay.ReplayBackend`).
- `TeacherError`, `TeacherUnusable` (found before any work), `TeacherFailed` (mid-run): their text
  is one line that says what to do.
- `context_advice` (the server's context is too small) and `key_rejected` (the endpoint refused the
  key): the pre-flight and a run say these the same way.

It deliberately imports nothing else of the kit but `schemas`, so every teacher-side module can
import it and none of them needs `teacher/core.py`; it holds no logic.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from pada_lite.teacher.schemas import Request


class TeacherError(RuntimeError):
    """A teacher problem the user must fix; its text is one line that says what to do."""


class TeacherUnusable(TeacherError):
    """Found before any work: no key, no price for a budget, or the pre-flight failed."""


class TeacherFailed(TeacherError):
    """Mid-run: a request that cannot succeed, or most of a stage's requests failed."""


@dataclass
class Completion:
    """What a backend returns for one call."""
    text: str                       # raw reply text (JSON expected)
    prompt_tokens: int = 0
    completion_tokens: int = 0      # hidden reasoning tokens included
    finish_reason: str = "stop"     # "length" means truncated
    refusal: str | None = None
    reasoning_tokens: int = 0


class Backend(Protocol):
    name: str                       # "openai" | "sim" | "replay"
    simulated: bool                 # True only for the simulated teacher

    def complete(self, request: Request, model: str) -> Completion: ...

    def describe(self) -> str: ...  # one line, never containing a key
    # optional: adapt(model, error, probing=False) -> str | None, token_cap(request, model), close(),
    # caps_for(model), learn_context(model), sent_chars(request, model), set_level(model, level), base_url;
    # replayed = True and check_roles(roles) for a backend that reads back a recorded run (never billed)


SHOWN = {"generation", "qc"}   # stages whose prompts show training examples (--shots) or ask for samples (--chunk)


def context_advice(context: int | None, slots: int = 1, need: int | None = None, what: str | None = None,
                   fewer: bool = False) -> str:
    """One line: the server's context (None: not known) is too small, and what to do. `need`: the
    tokens the run needs, where known (`what`: which requests); unknown, a context of twice the present
    one, at least 4096. `fewer`: the requests show training examples or ask for several samples (their
    stage is in SHOWN)."""
    want = 1024
    while want < (need or max(2 * (context or 0), 4096)):
        want *= 2
    flag = f"-c {want * slots} ({want} for each of its {slots} slots)" if slots > 1 else f"-c {want}"
    needs = f"; this run needs about {-(-need // 100) * 100:,} ({what})" if need else ""
    has = f"the server's context is {context} tokens" if context else "the server's context is too small"
    # subtle: shots= and chunk= read as --shots and --chunk on the command line (cli.in_flags)
    return (f"{has}{needs}; start llama-server with {flag} (Ollama: num_ctx)"
            + (", or lower shots= or chunk=" if fewer else ""))


def key_rejected(url: str, status, where: str) -> str:
    """The endpoint refused the API key (`where`: "for MODEL" or "during STAGE").
    subtle: the server's message may echo part of the key, so it is never shown."""
    return (f"{url} rejected the API key (HTTP {status}) {where}: set a valid key in PADA_API_KEY or OPENAI_API_KEY "
            "(on Colab the secret OPENAI_API_KEY)")
