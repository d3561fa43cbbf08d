"""The FastAPI control plane."""

from aiswarm.api.app import create_app

__all__ = ["create_app"]
