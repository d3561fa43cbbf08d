"""Suite-wide settings: warnings are errors (pyproject), hypothesis is deterministic."""

from __future__ import annotations

from hypothesis import settings

settings.register_profile("aiswarm", derandomize=True, deadline=None, max_examples=200)
settings.load_profile("aiswarm")
