"""PaDA's agents, each a few teacher calls over plain data: prompts (every message the teacher
reads), analysis (why each failure failed, patterns, strategies), cluster (grouping analyses),
synthesis (new training samples), quality (the checker) and overlap (ROUGE-L and the leak guard)."""
