"""What the notebooks use beyond the method: setup and hand-over between notebooks (notebook),
the review and pattern widgets, and the shipped reference runs a class can read instead of running."""
