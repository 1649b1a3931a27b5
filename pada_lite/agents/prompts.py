"""Every prompt the agents send a teacher, one builder per stage, each returning a `Request`.

The words are the method: read them to see what each agent knows. The analyst sees one
validation failure at a time; the pattern and strategy stages see only the analyst's words;
the generator sees a pattern, its strategy, the task description and a few *training*
examples, never a validation or test example; the checker sees one sample at a time.
`context` repeats what the prompt says in structured form for the simulated teacher (plus,
for the analyst, the failure's hidden tags); it never reaches an endpoint.

It deliberately holds no control flow: the agents decide what to ask and when.
"""
from __future__ import annotations

from pada_lite.teacher.schemas import (CHECKLIST, BlindAnswer, EvidenceAnalysis, NewSamples, Pattern, QualityScore,
                                      Request, Strategy)
from pada_lite.tasks.spec import Task

ANALYST = ("You are an expert in evaluating and improving small language models. A fine-tuned student "
           "model failed on an example of the task below. Explain the failure precisely and briefly.")
GENERATOR = ("You write new training examples for a small language model. Every example must be realistic, "
             "self-contained, correct, and answered in exactly the task's answer format.")
BLIND = "You answer one example of a task carefully and exactly in the task's answer format."
CHECKER = ("You are a strict quality checker of synthetic training data. Judge one generated example "
           "against the task and the strategy it was written for.")


def answer_format(task: Task) -> str:
    if getattr(task, "labels", None):
        return f"exactly one of: {', '.join(task.labels)}"
    if task.answer_type == "number":
        return "a short step-by-step solution that ends with '#### <number>'"
    return "a short free-text answer"


def _task_block(task: Task) -> str:
    return f"Task: {task.name}\n{task.description or task.system_prompt}\nAnswer format: {answer_format(task)}."


def _examples_block(examples: list[dict]) -> str:
    return "\n".join(f"- input: {e['input']!r}\n  output: {e['output']!r}" for e in examples)


# A worked example from a task unlike any the kit ships: it shows the form, not what to find.
_EVIDENCE_EXAMPLE = ('Example from another task (the sentiment of a product review; gold "positive", answered '
                     '"negative"): input "I was sure I would hate it after the reviews, but it has worked perfectly '
                     'for a month." -> {"misleading": "I would hate it", "missed": "it has worked perfectly", '
                     '"error_scenario": "A review that first recalls a negative expectation and then reports a '
                     'positive experience was read as negative.", "root_cause": "The model weighs the early negative '
                     'words and misses that the later experience decides.", "capability": "temporal"}')


def analysis(task: Task, record) -> Request:
    """Sample-level error analysis of one failure, with evidence: query, response, gold and result
    in; quoted words (checked in `analysis.py` to occur in the input) and a CheckList capability out."""
    result = f"incorrect (parsed answer: {record.parsed!r})" if record.parsed else "incorrect (no answer could be parsed)"
    capabilities = "; ".join(f"{k} ({v.split(': ', 1)[-1]})" if ": " in v else k for k, v in CHECKLIST.items())
    user = (f"{_task_block(task)}\n\nInput:\n{record.input}\n\nModel response: {record.response!r}\n"
            f"Gold answer: {record.gold!r}\nEvaluation result: {result}\n\n"
            "Find the evidence, copying words exactly from the input:\n"
            "- `misleading`: the 1-6 words of the input that most likely led the model to its wrong answer (\"\" if none);\n"
            "- `missed`: the 1-6 words of the input that show the gold answer is right (\"\" if none).\n"
            "Then `error_scenario` (what kind of input this is and what went wrong, one sentence), `root_cause` (why "
            "the model most likely failed, one sentence) and `capability`: what the model failed to handle, one of "
            f"CheckList's capabilities (Ribeiro et al., 2020): {capabilities}; or \"other: <a few words>\".\n"
            "Reply in JSON with `misleading`, `missed`, `error_scenario`, `root_cause` and `capability`.\n\n"
            f"{_EVIDENCE_EXAMPLE} Its words are not evidence for this input: quote the input above.")
    return Request("analyst", "analysis", [{"role": "system", "content": ANALYST}, {"role": "user", "content": user}],
                   EvidenceAnalysis, context={"input": record.input, "gold": record.gold, "response": record.response,
                                              "parsed": record.parsed, "tags": list(record.tags)}, max_tokens=300)


def requote(req: Request, reply: str, bad: dict[str, str]) -> Request:
    """Ask an analysis again, after the reply whose quotes `bad` ({field: quote}) are not in the input."""
    named = " and ".join(f"`{f}` ({q!r})" for f, q in bad.items())
    follow = (f"Your {named} {'is' if len(bad) == 1 else 'are'} not words of the input. Copy the words exactly as "
              "they appear in the input, or leave the field empty. Reply in JSON again with all five fields.")
    messages = [*req.messages, {"role": "assistant", "content": reply}, {"role": "user", "content": follow}]
    return Request(req.role, req.stage, messages, req.schema, context=req.context, temperature=req.temperature,
                   max_tokens=req.max_tokens, seed=req.seed)


def _evidence(a: dict) -> str:
    quoted = [f"{label}: {a[k]!r}" for k, label in (("misleading", "misled by"), ("missed", "missed"))
              if a.get(k)]
    extra = "; ".join(filter(None, [f"capability: {a['capability']}" if a.get("capability") else "", *quoted]))
    return f"\n   {extra}" if extra else ""


def pattern(task: Task, analyses: list[dict]) -> Request:
    """Pattern categorization: one cluster's analyses (sub-sampled) in, a named pattern out."""
    listed = "\n".join(f"{i}. scenario: {a['error_scenario']}\n   cause: {a['root_cause']}{_evidence(a)}"
                       for i, a in enumerate(analyses, 1))
    user = (f"{_task_block(task)}\n\nThese {len(analyses)} error analyses were grouped together because they are "
            f"similar:\n{listed}\n\nWhat failure pattern do they share? Reply in JSON with `name` (at most 8 words), "
            "`description` (what the failing inputs have in common and why the model fails) and `cue` (the kind of "
            "words or structure in such inputs that the model misses or is misled by, in general terms: describe it, "
            "do not quote the inputs).")
    return Request("analyst", "patterns", [{"role": "system", "content": ANALYST}, {"role": "user", "content": user}],
                   Pattern, context={"analyses": analyses})


def _about(pat: dict) -> str:
    """A pattern as the strategy and generation prompts see it: the teacher's own words, no quotes."""
    extra = "".join(f"\n{label}: {pat[k]}" for k, label in (("cue", "Cue"), ("capability", "Capability (CheckList)"))
                    if pat.get(k))
    return f"{pat['name']}: {pat['description']}{extra}"


def strategy(task: Task, pat: dict) -> Request:
    """Strategy drafting: a pattern in, a plan for counterfactual training examples out."""
    user = (f"{_task_block(task)}\n\nThe student keeps failing in this pattern:\n{_about(pat)}\n\n"
            "Draft a data augmentation strategy: which counterfactual training examples would teach the student "
            "to get this right? Every example must carry the cue above. Say what to vary, what to keep fixed, and "
            "pitfalls to avoid (for example examples that are too easy, or whose answer becomes ambiguous). Reply in "
            "JSON with `strategy`, `vary`, `keep`, `pitfalls`.")
    return Request("analyst", "strategies", [{"role": "system", "content": ANALYST}, {"role": "user", "content": user}],
                   Strategy, context={"pattern": pat})


def generation(task: Task, pat: dict, strat: dict, examples: list[dict], n: int, seed: int,
               answer: str | None = None) -> Request:
    """Pattern-guided generation: pattern + strategy + task + a few training examples; `answer`: the
    answer every example must have (a label the pattern's failures should have got)."""
    fixed = f" Every example's answer is exactly: {answer}." if answer else ""
    user = (f"{_task_block(task)}\n\nSome training examples (for the format only; do not copy them):\n"
            f"{_examples_block(examples)}\n\nFailure pattern: {_about(pat)}\n"
            f"Strategy: {strat['strategy']}\nVary: {'; '.join(strat.get('vary', []))}\n"
            f"Keep: {'; '.join(strat.get('keep', []))}\nAvoid: {'; '.join(strat.get('pitfalls', []))}\n\n"
            f"Write {n} new, varied examples that follow the strategy; each must show the pattern's cue and have "
            f"exactly one right answer.{fixed} Reply in JSON: "
            '{"samples": [{"input": ..., "output": ...}, ...]}.')
    return Request("generator", "generation", [{"role": "system", "content": GENERATOR}, {"role": "user", "content": user}],
                   NewSamples, context={"n": n, "pattern": pat, "strategy": strat, "examples": examples,
                                        "answer": answer}, temperature=0.7, max_tokens=200 + 120 * n, seed=seed)


def llm2llm(task: Task, ex: dict, n: int = 1, seed: int = 0) -> Request:
    """LLM2LLM-style: one training example the student got wrong (question and gold only) in."""
    user = (f"{_task_block(task)}\n\nThe student answered this training example wrongly:\n"
            f"input: {ex['input']!r}\noutput: {ex['output']!r}\n\nWrite {n} new example(s) of the same kind and "
            'difficulty, with the same answer format. Reply in JSON: {"samples": [{"input": ..., "output": ...}]}.')
    return Request("generator", "similar", [{"role": "system", "content": GENERATOR}, {"role": "user", "content": user}],
                   NewSamples, context={"n": n, "input": ex["input"], "gold": ex["output"], "examples": []},
                   temperature=0.7, max_tokens=200 + 120 * n, seed=seed)


def untargeted(task: Task, examples: list[dict], n: int, seed: int = 0) -> Request:
    """The control for targeting: new examples like a few random training examples, with no error,
    pattern or strategy behind them (plain LLM augmentation, as AugGPT-style augmenters do)."""
    user = (f"{_task_block(task)}\n\nSome training examples (for the format only; do not copy them):\n"
            f"{_examples_block(examples)}\n\nWrite {n} new, varied, realistic examples of this task, each with "
            'exactly one right answer. Reply in JSON: {"samples": [{"input": ..., "output": ...}, ...]}.')
    return Request("generator", "untargeted", [{"role": "system", "content": GENERATOR},
                                               {"role": "user", "content": user}],
                   NewSamples, context={"n": n, "examples": examples}, temperature=0.7, max_tokens=200 + 120 * n,
                   seed=seed)


def quality(task: Task, sample: dict, pat: dict | None, strat: dict | None, examples: list[dict]) -> Request:
    """Quality control of one sample: answer correct, follows the strategy, fits the format, not trivial."""
    aim = (f"It was written for the failure pattern {pat['name']!r} with the strategy: {strat['strategy']}"
           if pat and strat else "It was written to resemble a training example the student got wrong.")
    shown = f"\n\nTraining examples the writer was shown:\n{_examples_block(examples)}" if examples else ""
    user = (f"{_task_block(task)}\n\n{aim}{shown}\n\nGenerated example:\ninput: {sample['input']!r}\n"
            f"output: {sample['output']!r}\n\nReply in JSON with `answer_correct` (bool), `fits_format` (bool), "
            "`follows_strategy` (1-5), `not_trivial` (1-5; 1 for a near-copy of a shown example) and `reason`.")
    return Request("checker", "qc", [{"role": "system", "content": CHECKER}, {"role": "user", "content": user}],
                   QualityScore, context={"sample": sample, "pattern": pat, "strategy": strat, "examples": examples})


def blind_check(task: Task, sample: dict) -> Request:
    """The checker answers a generated input itself, without being shown the intended answer;
    `quality.py` keeps the sample when the two agree. A small model that cannot judge "is this
    answer right?" can often answer the input: this asks the question it can do."""
    fmt = ("the final number only" if task.answer_type == "number" else answer_format(task))
    user = (f"{_task_block(task)}\n\nInput:\n{sample['input']}\n\nWhat is the answer to this input? Reply in JSON "
            f"with `answer`: {fmt}.")
    return Request("checker", "qc", [{"role": "system", "content": BLIND}, {"role": "user", "content": user}],
                   BlindAnswer, context={"sample": sample, "blind": True}, max_tokens=60)
