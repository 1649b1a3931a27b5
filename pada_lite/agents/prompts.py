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

from pada_lite.teacher.schemas import ErrorAnalysis, NewSamples, Pattern, QualityScore, Request, Strategy
from pada_lite.tasks.spec import Task

ANALYST = ("You are an expert in evaluating and improving small language models. A fine-tuned student "
           "model failed on an example of the task below. Explain the failure precisely and briefly.")
GENERATOR = ("You write new training examples for a small language model. Every example must be realistic, "
             "self-contained, correct, and answered in exactly the task's answer format.")
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


def analysis(task: Task, record) -> Request:
    """Sample-level error analysis of one failure: query, response, gold and result in."""
    result = f"incorrect (parsed answer: {record.parsed!r})" if record.parsed else "incorrect (no answer could be parsed)"
    user = (f"{_task_block(task)}\n\nInput:\n{record.input}\n\nModel response: {record.response!r}\n"
            f"Gold answer: {record.gold!r}\nEvaluation result: {result}\n\n"
            "Reply in JSON with `error_scenario` (what kind of input this is and what went wrong) and "
            "`root_cause` (why the model most likely failed). Describe the kind of input, do not quote it.")
    return Request("analyst", "analysis", [{"role": "system", "content": ANALYST}, {"role": "user", "content": user}],
                   ErrorAnalysis, context={"input": record.input, "gold": record.gold, "response": record.response,
                                           "parsed": record.parsed, "tags": list(record.tags)})


def pattern(task: Task, analyses: list[dict]) -> Request:
    """Pattern categorization: one cluster's analyses (sub-sampled) in, a named pattern out."""
    listed = "\n".join(f"{i}. scenario: {a['error_scenario']}\n   cause: {a['root_cause']}" for i, a in enumerate(analyses, 1))
    user = (f"{_task_block(task)}\n\nThese {len(analyses)} error analyses were grouped together because they are "
            f"similar:\n{listed}\n\nWhat failure pattern do they share? Reply in JSON with `name` (at most 8 words) "
            "and `description` (what the failing inputs have in common and why the model fails).")
    return Request("analyst", "patterns", [{"role": "system", "content": ANALYST}, {"role": "user", "content": user}],
                   Pattern, context={"analyses": analyses})


def strategy(task: Task, pat: dict) -> Request:
    """Strategy drafting: a pattern in, a plan for counterfactual training examples out."""
    user = (f"{_task_block(task)}\n\nThe student keeps failing in this pattern:\n{pat['name']}: {pat['description']}\n\n"
            "Draft a data augmentation strategy: which counterfactual training examples would teach the student "
            "to get this right? Say what to vary, what to keep fixed, and pitfalls to avoid (for example examples "
            "that are too easy, or whose answer becomes ambiguous). Reply in JSON with `strategy`, `vary`, `keep`, `pitfalls`.")
    return Request("analyst", "strategies", [{"role": "system", "content": ANALYST}, {"role": "user", "content": user}],
                   Strategy, context={"pattern": pat})


def generation(task: Task, pat: dict, strat: dict, examples: list[dict], n: int, seed: int) -> Request:
    """Pattern-guided generation: pattern + strategy + task + a few training examples."""
    user = (f"{_task_block(task)}\n\nSome training examples (for the format only; do not copy them):\n"
            f"{_examples_block(examples)}\n\nFailure pattern: {pat['name']}: {pat['description']}\n"
            f"Strategy: {strat['strategy']}\nVary: {'; '.join(strat.get('vary', []))}\n"
            f"Keep: {'; '.join(strat.get('keep', []))}\nAvoid: {'; '.join(strat.get('pitfalls', []))}\n\n"
            f"Write {n} new, varied examples that follow the strategy. Reply in JSON: "
            '{"samples": [{"input": ..., "output": ...}, ...]}.')
    return Request("generator", "generation", [{"role": "system", "content": GENERATOR}, {"role": "user", "content": user}],
                   NewSamples, context={"n": n, "pattern": pat, "strategy": strat, "examples": examples},
                   temperature=0.7, max_tokens=200 + 120 * n, seed=seed)


def llm2llm(task: Task, ex: dict, n: int = 1, seed: int = 0) -> Request:
    """LLM2LLM-style: one training example the student got wrong (question and gold only) in."""
    user = (f"{_task_block(task)}\n\nThe student answered this training example wrongly:\n"
            f"input: {ex['input']!r}\noutput: {ex['output']!r}\n\nWrite {n} new example(s) of the same kind and "
            'difficulty, with the same answer format. Reply in JSON: {"samples": [{"input": ..., "output": ...}]}.')
    return Request("generator", "similar", [{"role": "system", "content": GENERATOR}, {"role": "user", "content": user}],
                   NewSamples, context={"n": n, "input": ex["input"], "gold": ex["output"], "examples": []},
                   temperature=0.7, max_tokens=200 + 120 * n, seed=seed)


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
