"""Describe the machine a benchmark ran on, so every report names it."""

from __future__ import annotations

import os
import platform
import sys

__all__ = ["machine_info"]


def machine_info() -> dict[str, object]:
    """Return CPU count, platform and Python version."""
    return {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
    }
