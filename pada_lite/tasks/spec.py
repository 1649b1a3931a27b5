"""Tasks: how an example becomes chat messages, and how a response becomes an answer.

A `Task` owns four things and nothing else:
- the prompt (system + user message) a student sees for an `Example`,
- the target text the student is trained to produce,
- `parse`: a raw model response -> an answer string (or None when nothing parses),
- the `Fail` criterion: `is_correct(parsed, gold)`; a sample fails when it is False.
It also carries a short `description` a teacher LLM can read.

It deliberately does not load files (see `data.py`) nor touch a tokenizer: the chat
template belongs to the student's tokenizer, so tasks speak in plain role/content dicts.
Hidden phenomenon `tags` travel with each example but never reach a prompt.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from pada_lite.files import quote   # also importable from here, where error messages first needed it


def normalize_text(text) -> str:
    """Case and spacing ignored: the key for comparing answers and for spotting repeated inputs."""
    return " ".join(str(text).lower().split())


@dataclass
class Example:
    id: str
    input: str                      # what the student reads (the user's message)
    output: str                     # the gold answer, as text ("billing", "-12", "positive")
    tags: list[str] = field(default_factory=list)  # hidden phenomena: never shown to the student
    target: str | None = None       # full text to train on (GSM8K: reasoning + "#### 42"); None -> output
    meta: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Example":
        return cls(id=str(d["id"]), input=d["input"], output=str(d["output"]),
                   tags=list(d.get("tags") or []), target=d.get("target"), meta=dict(d.get("meta") or {}))


class Task:
    """Base class. Subclasses set `labels`/parsing; everything else is shared."""

    name: str = "task"
    description: str = ""           # what a teacher LLM reads about the task
    system_prompt: str = "You are a helpful assistant."
    instruction: str = ""           # put before each input in the user message
    max_new_tokens: int = 16
    answer_type: str = "text"       # "label" | "number" | "text"

    def user_message(self, ex: Example) -> str:
        return f"{self.instruction}\n\n{ex.input}".strip() if self.instruction else ex.input

    def messages(self, ex: Example) -> list[dict]:
        """The prompt as chat messages; the student's tokenizer applies its own template."""
        msgs = [{"role": "system", "content": self.system_prompt}] if self.system_prompt else []
        return msgs + [{"role": "user", "content": self.user_message(ex)}]

    def target(self, ex: Example) -> str:
        return ex.target if ex.target is not None else ex.output

    def parse(self, response: str) -> str | None:
        s = (response or "").strip()
        return s or None

    def normalize(self, answer: str) -> str:
        return normalize_text(answer)

    def is_correct(self, parsed: str | None, gold: str) -> bool:
        """The task's Fail criterion: a sample fails when this is False."""
        return parsed is not None and self.normalize(parsed) == self.normalize(gold)

    def validate_gold(self, ex: Example) -> str | None:
        """An error message if this gold answer cannot be right for the task, else None."""
        return None

    def to_config(self) -> dict:
        return {"name": self.name, "answer_type": self.answer_type}


# ---------------------------------------------------------------- numbers (GSM8K)

_NUM = r"[-\u2212]?\$?\s*[-\u2212]?(?:\d[\d,]*(?:\.\d+)?|\.\d+)"  # \u2212: the unicode minus; '.5' is 0.5


def parse_number(text: str) -> str | None:
    """'1,234.50' -> '1234.5'; keeps the sign; tolerates $, commas, a trailing '.'; None if no number."""
    if text is None:
        return None
    s = text.strip().replace("$", "").replace(",", "").replace(" ", "")
    s = s.rstrip(".")
    # subtle: '- 5' and '−5' (unicode minus) both mean -5
    s = s.replace("\u2212", "-")
    m = re.fullmatch(r"(-?)(\d+(?:\.\d+)?|\.\d+)", s)   # '.5': a decimal with no leading zero
    if not m:
        return None
    sign, digits = m.groups()
    whole, _, frac = digits.partition(".")
    whole = whole.lstrip("0") or "0"
    frac = frac.rstrip("0")
    out = f"{whole}.{frac}" if frac else whole
    return ("" if out == "0" else sign) + out


def split_solution(text: str, marker: str = "####") -> tuple[str | None, str]:
    """A GSM8K-style answer ('... worked solution ...\n#### 72') -> (the final number '72', the
    solution to train on, calculator annotations like <<2*3=6>> removed). The number is None when
    nothing after the last marker parses."""
    tail = text.rsplit(marker, 1)[1] if marker in text else ""
    m = re.search(_NUM, tail)
    return (parse_number(m.group(0)) if m else None), re.sub(r"<<[^>]*>>", "", text).strip()


class NumberTask(Task):
    """Math word problems answered with reasoning, then '#### <number>' (GSM8K's convention)."""

    answer_type = "number"
    marker = "####"

    def __init__(self, name="gsm8k", description=None, max_new_tokens=256, instruction=None):
        self.name = name
        self.description = description or (
            "Grade-school math word problems. The answer is a single number; the model reasons "
            "step by step and ends with a line '#### <number>'.")
        self.system_prompt = "Solve the math problem. Reason step by step, then give the final answer on its own line as '#### <number>'."
        self.instruction = instruction or ""
        self.max_new_tokens = max_new_tokens

    def target(self, ex: Example) -> str:
        if ex.target is not None:
            return ex.target
        return f"{self.marker} {ex.output}"

    def parse(self, response: str) -> str | None:
        if not response:
            return None
        # the answer is the first number after the last marker; no marker, no answer
        return split_solution(response, self.marker)[0] if self.marker in response else None

    @staticmethod
    def last_number(response: str) -> str | None:
        """Another reading, for comparison only: the last number anywhere in the reply. A zero-shot
        model that never writes '####' scores 0 under `parse`, however close its reasoning was."""
        found = re.findall(_NUM, response or "")
        return parse_number(found[-1]) if found else None

    def normalize(self, answer: str) -> str:
        n = parse_number(str(answer))
        return n if n is not None else str(answer).strip()

    def validate_gold(self, ex: Example) -> str | None:
        if parse_number(ex.output) is None:
            return (f"gold answer {quote(ex.output)} is not a number (give the final number, or end a worked "
                    f"solution with '{self.marker} <number>', GSM8K's format)")
        return None


# ---------------------------------------------------------------- labels

def _canon(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", s.lower()).strip()


class LabelTask(Task):
    """Classification answered by generating one label from a fixed set."""

    answer_type = "label"

    def __init__(self, name: str, labels: list[str], description: str = "", instruction: str | None = None,
                 system_prompt: str | None = None, max_new_tokens: int = 8):
        if not labels:
            raise ValueError(f"task {name!r}: the label set is empty; give at least two labels")
        self.name = name
        self.labels = list(labels)
        self._canon = {_canon(l): l for l in self.labels}
        self.description = description or f"Classify each text into one of: {', '.join(self.labels)}."
        self.system_prompt = system_prompt if system_prompt is not None else (
            "Answer with exactly one label from: " + ", ".join(self.labels) + ".")
        self.instruction = instruction or ""
        self.max_new_tokens = max_new_tokens

    def parse(self, response: str) -> str | None:
        """Tolerant of case, punctuation and extra words: 'Label: Billing.' -> 'billing'."""
        if not response:
            return None
        c = _canon(response)
        if c in self._canon:
            return self._canon[c]
        # the first label that appears as whole words wins; longest labels first so
        # 'not billing' style prefixes don't steal a longer label
        words = f" {c} "
        best = None
        for key in sorted(self._canon, key=len, reverse=True):
            i = words.find(f" {key} ")
            if i >= 0 and (best is None or i < best[0]):
                best = (i, self._canon[key])
        return best[1] if best else None

    def normalize(self, answer: str) -> str:
        return _canon(answer)

    def validate_gold(self, ex: Example) -> str | None:
        if _canon(ex.output) not in self._canon:
            return f"label {quote(ex.output)} is not one of the task's labels {self.labels}"
        return None

    def to_config(self) -> dict:
        return {**super().to_config(), "labels": self.labels}


class TextTask(Task):
    """Free short answers compared after normalising case and whitespace (bring-your-own data)."""

    def __init__(self, name: str, description: str = "", instruction: str | None = None,
                 system_prompt: str | None = None, max_new_tokens: int = 32):
        self.name = name
        self.description = description or "Answer each input with a short text."
        self.system_prompt = system_prompt if system_prompt is not None else "Answer briefly."
        self.instruction = instruction or ""
        self.max_new_tokens = max_new_tokens

    def parse(self, response: str) -> str | None:
        s = (response or "").strip()
        return s or None

    def is_correct(self, parsed: str | None, gold: str) -> bool:
        """The reply's first lines, as many as the gold answer has, equal the gold (case and spacing
        ignored): a one-line gold ignores what a model adds below it, a multi-line gold can match."""
        if parsed is None:
            return False
        n = max(1, sum(1 for line in str(gold).splitlines() if line.strip()))
        lines = [line for line in parsed.splitlines() if line.strip()]
        return self.normalize(" ".join(lines[:n])) == self.normalize(gold)
