"""pada-lite: a teaching kit for PaDA-Agent, evaluation-driven data augmentation for small LMs.

The folders are the method's sides, in the order data flows (the README's package table says what
each module owns):
- `files`: under everything (JSONL, atomic writes, the cache folder); `progress`: bars in a terminal,
  one line per step in a notebook;
- `tasks/`: what is learned: spec, splits, data (a task by name), readers, rows and labels (your
  own files), bundled (the bundled world), oracle, sample_export;
- `student/`: the model that learns: profiles, tiny, smollm2, llama_shaped, load, sft, evaluate,
  lengths, workflow;
- `teacher/`: the LLM behind the agents: core, base, budget, retries, booking, pool, preflight,
  replies, cache, pricing, schemas, and `backends/` (openai_api, simulated, replay);
- `agents/`: PaDA's agents: prompts, analysis, cluster, synthesis, quality, overlap;
- `loop/`: iterations and their records: runner, runs, report; `cli` drives it from a shell;
- `course/`: the notebooks' helpers: notebook, widgets, reference, figures.
Import what you need from each; nothing heavy is imported here, so `import pada_lite` is instant.
The flat module names of 0.1 (`pada_lite.sim`, `pada_lite.bundled`, ...) still import (`_names`).
"""
from pada_lite import _names

__version__ = "0.1.0"
_names.install()
