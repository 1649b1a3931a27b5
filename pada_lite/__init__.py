"""pada-lite: a teaching kit for PaDA-Agent, evaluation-driven data augmentation for small LMs.

Modules, in the order data flows: profiles -> tasks/splits/bundled/data -> student/tiny/smollm2
-> sft -> evaluate -> workflow/runs -> cli; `files` (JSONL, atomic writes, the cache folder) sits
under all of them. Import what you need from each; nothing heavy is imported here, so
`import pada_lite` is instant.
"""
__version__ = "0.1.0"
