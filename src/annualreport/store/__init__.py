"""The store: every figure, national and local, with its indicator and source."""
