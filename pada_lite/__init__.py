"""pada-lite: a teaching kit for PaDA-Agent, evaluation-driven data augmentation for small LMs.

The modules, by side of the method, in the order data flows (the README's package table says
what each owns):
- under everything: files (JSONL, atomic writes, the cache folder);
- the task: profiles, tasks, splits, data, lengths, bundled, oracle, sample_export;
- the student: tiny, smollm2, standin, student, sft, evaluate, workflow;
- the teacher: schemas, prompts, teacher, teacher_types, budget, retries, booking, pool,
  preflight, replies, openai_backend, sim, cache, pricing;
- the agents: analysis, cluster, generation, quality, similarity;
- the loop: loop, runs, report, cli;
- the course: notebook, widgets, reference.
Import what you need from each; nothing heavy is imported here, so `import pada_lite` is instant.
"""
__version__ = "0.1.0"
