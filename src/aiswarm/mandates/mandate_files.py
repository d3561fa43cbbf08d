"""Read and validate the mandate files: one YAML file per mandate, named for its id.

A file holds one mapping with the ``Mandate`` fields (docs/mandates.md has an example). Every
mistake stops start-up with one line naming the file, the field and the reason, as a
``ConfigError``: a malformed or unreadable file, an unknown or missing field, a value the
mandate refuses, an id that differs from the file name, or a directory with no mandate at all.
Reading the files is the only I/O here; nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from aiswarm.errors import ConfigError
from aiswarm.types import Mandate, MandateId

__all__ = ["MandateFile", "load_mandate_files", "parse_mandate"]

_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class MandateFile:
    """A validated mandate and the file it came from."""

    mandate: Mandate
    path: Path


def parse_mandate(data: Any, path: Path) -> Mandate:
    """Return the mandate in ``data`` (one file's YAML), or raise a one-line ``ConfigError``."""
    if not isinstance(data, dict):
        raise ConfigError(
            f"mandate file {path}: expected a mapping of mandate fields, got "
            f"{type(data).__name__}; see docs/mandates.md"
        )
    try:
        mandate = Mandate.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"mandate file {path}: {_problems(exc)}; fix the file") from None
    if mandate.mandate_id != path.stem:
        raise ConfigError(
            f"mandate file {path}: mandate_id was {mandate.mandate_id!r}, not the file's name "
            f"{path.stem!r}; rename the file to {mandate.mandate_id}.yaml or fix mandate_id"
        )
    return mandate


def load_mandate_files(directory: Path) -> dict[MandateId, MandateFile]:
    """Read and validate every ``*.yaml`` mandate file in ``directory``, by mandate id."""
    if not directory.is_dir():
        raise ConfigError(
            f"mandates directory {directory} does not exist; create it with one YAML file per "
            "mandate or fix trading.mandates_dir"
        )
    found: dict[MandateId, MandateFile] = {}
    for path in sorted(directory.iterdir()):
        if path.suffix not in _SUFFIXES or not path.is_file():
            continue
        mandate = parse_mandate(_read(path), path)
        if mandate.mandate_id in found:
            raise ConfigError(
                f"mandate file {path}: mandate_id {mandate.mandate_id!r} is also in "
                f"{found[mandate.mandate_id].path}; keep one file per mandate"
            )
        found[mandate.mandate_id] = MandateFile(mandate, path)
    if not found:
        raise ConfigError(
            f"mandates directory {directory} holds no mandate file (*.yaml); nothing may trade "
            "without one: add one (docs/mandates.md)"
        )
    return found


def _read(path: Path) -> Any:
    """Return the YAML in ``path``, or raise ``ConfigError`` naming the file and the fault."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"mandate file {path} cannot be read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = "" if where is None else f" at line {where.line + 1}"
        raise ConfigError(f"mandate file {path} is not valid YAML{line}; fix the file") from None


def _problems(exc: ValidationError) -> str:
    """Return every validation problem as ``field: reason``, joined on one line."""
    problems: list[str] = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or "mandate"
        message = str(error["msg"]).removeprefix("Value error, ").replace("\n", " ")
        if error["type"] == "extra_forbidden":
            message = "is not a mandate field (see docs/mandates.md)"
        elif error["type"] == "missing":
            message = "is required"
        elif "input" in error and error["type"] != "value_error":
            message = f"was {error['input']!r}: {message}"
        problems.append(
            f"{field} {message}" if message.startswith(("is ", "was ")) else f"{field}: {message}"
        )
    return "; ".join(problems)
