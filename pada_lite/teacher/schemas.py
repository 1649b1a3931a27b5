"""What the agents ask a teacher, and the typed replies they accept.

- `Request`: one call. `role` picks the teacher's model (analyst, generator, checker),
  `stage` is for accounting, `messages` is all an LLM ever sees, `schema` is the pydantic
  model the reply must validate against. `context` carries, for the *simulated* teacher
  only, structured copies of what the messages already say (plus, for error analysis, the
  hidden phenomenon tags); it is never sent to an endpoint, never part of a cache key.
- The reply models below are the whole vocabulary between agents and teachers.

It deliberately does not talk to any endpoint (see `teacher/core.py`) nor build prompts
(see `prompts.py`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel, Field

ROLES = ("analyst", "generator", "checker")
STAGES = ("preflight", "analysis", "patterns", "strategies", "generation", "similar", "untargeted", "qc")
# preflight: the check that each model answers, before any work (`preflight.py`)
# similar: LLM2LLM-style, one new sample like a training example the student got wrong
# untargeted: the control: new samples like random training examples, no error or pattern behind them


class ErrorAnalysis(BaseModel):
    """Sample-level error analysis of one validation failure."""
    error_scenario: str = Field(description="what kind of input this is and what went wrong, in one or two sentences")
    root_cause: str = Field(description="why the model most likely failed on it, in one sentence")


# CheckList's capabilities, as its authors list them (Ribeiro, Wu, Guestrin and Singh, "Beyond Accuracy:
# Behavioral Testing of NLP Models with CheckList", ACL 2020, section 2.1): a published, task-independent
# list of what a model may fail to handle. Used as published; never edited toward any one task.
CHECKLIST = {
    "vocabulary": "Vocabulary+POS: important words or word types for the task",
    "taxonomy": "Taxonomy: synonyms, antonyms, etc.",
    "robustness": "Robustness: to typos, irrelevant changes, etc.",
    "ner": "NER: appropriately understanding named entities",
    "fairness": "Fairness",
    "temporal": "Temporal: understanding order of events",
    "negation": "Negation",
    "coreference": "Coreference",
    "srl": "Semantic Role Labeling: understanding roles such as agent, object, etc.",
    "logic": "Logic: ability to handle symmetry, consistency, and conjunctions",
}


class EvidenceAnalysis(BaseModel):
    """Error analysis with evidence: words quoted from the failing input (checked in code to occur
    in it) and a cause from CheckList's capabilities. The quotes serve clustering and naming only;
    they never reach a generation prompt (`agents/synthesis.py` redacts them)."""
    misleading: str = Field(description="words copied exactly from the input that most likely led the model "
                                        "to its wrong answer; empty if none")
    missed: str = Field(description="words copied exactly from the input that show the gold answer is right; "
                                    "empty if none")
    error_scenario: str = Field(description="what kind of input this is and what went wrong, in one sentence")
    root_cause: str = Field(description="why the model most likely failed on it, in one sentence")
    capability: str = Field(description="the capability the model lacked: one of " + ", ".join(CHECKLIST)
                                        + ", or 'other: <a few words>'")


class Pattern(BaseModel):
    """A named failure pattern summarising one cluster of analyses."""
    name: str = Field(description="a short name for the failure pattern, at most 8 words")
    description: str = Field(description="what the failing inputs have in common and why the model fails")
    cue: str = Field(default="", description="the kind of words or structure in such inputs that the model misses "
                                             "or is misled by, in general terms, quoting no input")


class Strategy(BaseModel):
    """An augmentation strategy for one pattern: counterfactual examples to write."""
    strategy: str = Field(description="what new training examples to write, in two or three sentences")
    vary: list[str] = Field(default_factory=list, description="what to vary across the new examples")
    keep: list[str] = Field(default_factory=list, description="what to keep fixed")
    pitfalls: list[str] = Field(default_factory=list, description="mistakes to avoid when writing them")


class NewSample(BaseModel):
    input: str = Field(description="the new input, written as a real user would")
    output: str = Field(description="its correct answer, in exactly the task's answer format")


class NewSamples(BaseModel):
    samples: list[NewSample] = Field(description="the new examples, as many as asked for")


class QualityScore(BaseModel):
    """The quality checker's verdict on one generated sample."""
    answer_correct: bool = Field(description="the output is the right answer for the input")
    fits_format: bool = Field(description="the output is in exactly the task's answer format")
    follows_strategy: int = Field(ge=1, le=5, description="1-5: how well the sample does what the strategy asks")
    not_trivial: int = Field(ge=1, le=5, description="1-5: 1 is a trivial or near-copy example, 5 a useful new one")
    reason: str = Field(default="", description="one sentence: the main problem, if any")

    def drop_reason(self, min_score: int = 3) -> str | None:
        """The acceptance rule: None when the sample may join the training data, else why not
        (the first that applies of wrong_answer, off_format, off_strategy, trivial; see quality.py)."""
        if not self.answer_correct:
            return "wrong_answer"
        if not self.fits_format:
            return "off_format"
        if self.follows_strategy < min_score:
            return "off_strategy"
        if self.not_trivial < min_score:
            return "trivial"
        return None

    def accepted(self, min_score: int = 3) -> bool:
        return self.drop_reason(min_score) is None


class BlindAnswer(BaseModel):
    """The checker's own answer to a generated input, given without the answer the writer intended:
    the sample is kept when the two agree (`agents/quality.py`)."""
    answer: str = Field(description="the answer to the input, in exactly the task's answer format")


@dataclass
class Request:
    role: str                       # "analyst" | "generator" | "checker"
    stage: str                      # one of STAGES: teacher calls and cost are reported per stage
    messages: list[dict]            # chat messages: all that an LLM endpoint receives
    schema: type[BaseModel]         # the reply must validate against this
    context: dict = field(default_factory=dict)   # for the simulated teacher only (see module doc)
    temperature: float = 0.0
    max_tokens: int = 1024
    seed: int = 0                   # part of the cache key: a different seed asks again

    def __post_init__(self):
        if self.role not in ROLES:
            raise ValueError(f"unknown teacher role {self.role!r}; use one of {ROLES}")
        if self.stage not in STAGES:
            raise ValueError(f"unknown stage {self.stage!r}; use one of {STAGES}")
