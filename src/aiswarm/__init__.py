"""aiswarm: a risk-governed, multi-agent crypto trading platform."""

__version__ = "0.1.0"
__all__ = ["__version__"]
