"""Mandate files for tests: write one in a directory a test config points at."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

SHIPPED_MANDATE = Path(__file__).resolve().parents[2] / "mandates" / "paper.yaml"


def shipped_mandate() -> dict[str, Any]:
    """Return the shipped paper mandate file's fields, as YAML gives them."""
    data: dict[str, Any] = yaml.safe_load(SHIPPED_MANDATE.read_text(encoding="utf-8"))
    return data


def write_mandate(directory: Path, **fields: Any) -> Path:
    """Write a mandate file in ``directory``: the shipped one with ``fields`` replaced.

    The file is named for the mandate id, as the registry requires; return its path.
    """
    directory.mkdir(parents=True, exist_ok=True)
    data = shipped_mandate() | fields
    path = directory / f"{data['mandate_id']}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path
