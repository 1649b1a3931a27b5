"""What the notebooks use beyond the method: setup and hand-over between notebooks (notebook),
the review and pattern widgets, the shipped reference runs a class can read instead of running,
and the concept figures (figures)."""
