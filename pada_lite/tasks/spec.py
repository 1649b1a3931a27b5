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
from decimal import Decimal

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

_SIGN = "[-+\u2212]"                       # \u2212: the unicode minus
_MONEY = "[$\u20ac\u00a3\u00a5\u20b9]"        # $ € £ ¥ ₹
_LETTERS = r"[^\W\d_]+"                     # letters of any script, no digits
_UNIT = rf"{_LETTERS}(?:['\u2019/-]{_LETTERS})*\.?"   # apples, years, tee-shirts, km/h, sq.
_ONE_NUMBER = re.compile(rf"""
    (?P<s1>{_SIGN})?\s*(?:{_MONEY}\s*)?(?(s1)|(?P<s2>{_SIGN})?\s*)   # one sign, before or after the money sign
    (?P<int>\d{{1,3}}(?P<sep>[,\u00a0\u202f\u2009])\d{{3}}(?:(?P=sep)\d{{3}})*|\d+)?   # 1,234 / 1 234 (no-break)
    (?:\.(?P<frac>\d+))?                          # .5
    (?:[eE](?P<exp>[-+]?\d{{1,2}}))?              # 1e3, 2.5E-4
    (?!(?:st|nd|rd|th)\b)                         # not an ordinal: 6th
    (?:\s*[%\u00b0]|\s*{_MONEY})?                 # 50%, 30°, 5 €
    (?P<units>\s*{_UNIT}(?:\s+{_UNIT})*)?         # 9 apples, 15 years old
    \.?                                           # the end of a sentence""", re.X)
# a number anywhere in a text, for `last_number` and for saying what a text holds
_NUM = rf"(?:{_SIGN}\s*(?:{_MONEY}\s*)?|{_MONEY}\s*(?:{_SIGN}\s*)?)?(?:(?:\d{{1,3}}(?:,\d{{3}})+(?!\d)|\d+)(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d{{1,2}}(?!\d))?"
# words that change the number they follow: '1.5 million' is not 1.5, '3 and a half' not 3
_SCALES = {"hundred", "thousand", "million", "billion", "trillion", "dozen", "half"}
_DIGITS = re.compile(r"(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?|\.\d+")


def _bare(text: str) -> str:
    """The text without the spaces, markdown emphasis and code ticks around it ('**72**' -> '72')."""
    return str(text).strip().strip("*`").strip()


def parse_number(text: str) -> str | None:
    """Exactly one number, as canonical text ('1,234.50' -> '1234.5', '9 apples' -> '9'), else None.

    The grammar, for gold answers (plain, or after '####') and for replies (after their last '####'):
    - an optional sign (+, -, or the unicode minus), an optional money sign ($ € £ ¥ ₹) before or
      after it, spaces allowed between them and the digits: '-5', '$-5.50', '-$5', '- 5';
    - digits, with thousands in groups of three separated by commas or, all the same, by no-break or
      thin spaces: '1234', '1,234', '12,345,678', '1 234' with U+00A0 or U+202F; leading zeros
      are dropped ('007' is 7);
    - an optional decimal part after a point: '3.5', '.5' (0.5), '0.50' (0.5);
    - an optional exponent of one or two digits: '1e3' (1000), '2.5E-4' (0.00025), as programs
      write floats; '1e400' is refused;
    - an optional % or ° sign, or a money sign, after the number ('50%' is 50, not 0.5);
    - optional unit words after it, made of letters (hyphens, apostrophes and '/' inside a word, a
      full stop after one): '9 apples' (9), '15 years old', '12 cm', '62 push-ups', '8 km/hour';
      but not words that change the number: '1.5 million', '3 dozen', '2 and a half' are refused;
    - a full stop at the end ('18.'). Spaces, '**' and backticks around the whole are ignored.
    Not one number (None): a ratio or a time ('9:5', '3:30 p.m.'), a fraction ('3/4', '7/9'), several
    numbers ('7; 8; 9', '40 years old; 15 years old', '12-3'), a decimal comma ('3,5'), digit groups
    split by a plain space ('1 234'), an ordinal ('6th'), words before the number ('Vendor 2'), and no
    number at all. `number_problem` says which.

    It deliberately does not read number words ('twelve'), evaluate fractions or expressions, convert
    units or percentages, or check what the words mean: '3 pm' reads as 3. A comma is always a
    thousands separator, as in English: '1,234' is 1234, never 1.234.
    """
    if text is None:
        return None
    m = _ONE_NUMBER.fullmatch(_bare(text))
    if not m or (m["int"] is None and m["frac"] is None) or _scale_word(m["units"]):
        return None
    digits = (m["int"] or "0").replace(m["sep"] or ",", "") + "." + (m["frac"] or "0")
    value = format(Decimal(digits).scaleb(int(m["exp"] or 0)), "f")
    whole, _, frac = value.partition(".")
    whole, frac = whole.lstrip("0") or "0", frac.rstrip("0")
    out = f"{whole}.{frac}" if frac else whole
    return ("-" if (m["s1"] or m["s2"]) in ("-", "\u2212") and out != "0" else "") + out


def _scale_word(units: str | None) -> str | None:
    """The first word among `units` that scales or adds to the number ('million', 'half'), if any."""
    words = re.findall(_LETTERS, (units or "").lower())
    return next((w for w in words if w in _SCALES or (w.endswith("s") and w[:-1] in _SCALES)), None)


def number_problem(text: str) -> str | None:
    """Why `text` is not one number (`parse_number`), in a few words that start with what was found
    ('a ratio or a time (...)', 'several numbers (7, 8, 9)', 'no number in it'), or None when it is one."""
    if parse_number(text) is not None:
        return None
    s = _bare(text or "")
    if not re.search(r"\d", s):
        return "no number in it"
    if re.search(r"\d\s*:\s*\d", s):
        return "a ratio or a time (digits on both sides of ':')"
    if re.search(r"\d\s*/\s*\d", s):
        return "a fraction (digits on both sides of '/'): write its value as a decimal"
    if re.search(r"\d[eE][-+]?\d{3,}", s):
        return "an exponent of more than two digits"
    if re.search(r"\d,(?!\d{3}(?!\d))\d", s):
        return "a comma that is not a thousands separator (a decimal comma? write 3.5, not 3,5)"
    if re.search(r"\d[ \t]\d{3}(?!\d)", s):
        return "digit groups split by a plain space (write 1234 or 1,234)"
    found = _DIGITS.findall(s)
    if len(found) > 1:
        return f"several numbers ({', '.join(found[:4])}{', ...' if len(found) > 4 else ''})"
    if scale := _scale_word(s[_DIGITS.search(s).end():]):
        return f"a word that changes the number ({scale}): write its value in digits (1.5 million: 1500000)"
    if re.search(r"\d(?:st|nd|rd|th)\b", s):
        return "an ordinal (6th), not a number of things"
    start = re.search(rf"{_SIGN}?\s*{_MONEY}?\s*{_SIGN}?\s*[\d.]", s).start()
    if s[:start].strip():
        return "words before the number"
    rest = s[_DIGITS.search(s).end():].strip()
    return f"{quote(rest, 20)} after the number, which is not unit words" if rest else "not written as one number"


def _after_marker(text: str, marker: str) -> str | None:
    """What follows the last `marker` on its line (a reply may go on below it); None without a marker."""
    if marker not in text:
        return None
    rest = text.rsplit(marker, 1)[1]
    return rest.split("\n", 1)[0].strip()


def split_solution(text: str, marker: str = "####") -> tuple[str | None, str]:
    """A GSM8K-style answer ('... worked solution ...\n#### 72') -> (the final number '72', the
    solution to train on, calculator annotations like <<2*3=6>> removed). The number is what follows
    the last marker on its line, read by `parse_number`: None when that is not exactly one number
    (or there is no marker). Lines below the marker's are kept in the solution but never read."""
    tail = _after_marker(text, marker)
    return (parse_number(tail) if tail is not None else None), re.sub(r"<<[^>]*>>", "", text).strip()


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
        """The rest of the line after the reply's last marker, when it is exactly one number
        (`parse_number`'s grammar, as for gold answers): '#### 72 apples' -> '72'. A reply may go on
        below that line. No marker, or anything else on its line ('#### 7 or 8', '#### 3/4', '#### the
        answer is 7'), is no answer: None."""
        if not response:
            return None
        tail = _after_marker(response, self.marker)
        return parse_number(tail) if tail is not None else None

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
        return self.answer_problem(ex.output)

    def answer_problem(self, answer: str) -> str | None:
        """What is wrong with a gold answer that is not exactly one number (`parse_number`), or None."""
        if (why := number_problem(answer)) is None:
            return None
        if why == "no number in it":
            return (f"gold answer {quote(answer)} is not a number (give the final number, or end a worked "
                    f"solution with '{self.marker} <number>', GSM8K's format)")
        return (f"gold answer {quote(answer)} is not one number: {why}. Give one number (unit words after it "
                "are fine: '9 apples')")


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
