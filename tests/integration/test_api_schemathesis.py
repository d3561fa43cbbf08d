"""Schemathesis over the API's own OpenAPI document: no input, with or without a key, gets a 5xx.

Schemathesis sends generated requests to every operation, valid and invalid (numbers past
int64, wrong types, odd strings, missing fields, bodies that are not JSON), against a paper
host served over loopback HTTP, and checks every answer against the document too: status
codes, content type, the body's schema, that invalid data is refused and valid data accepted,
that the key is enforced. Its own command line does the run (its pytest loader does not work
with this pytest). Bounded and repeatable: deterministic generation, one worker, a few examples
per operation beyond the boundary values of the coverage phase; settings in
``schemathesis.toml`` beside this file.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from kit.api_server import serving
from kit.host import paper_config

pytestmark = pytest.mark.integration

KEY = "operator-api-key-of-at-least-32-bytes!"
CONFIG = Path(__file__).with_name("schemathesis.toml")
RUN_TIMEOUT_S = 600  # a hung run fails instead of stalling the suite


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    config = paper_config(tmp_path_factory.mktemp("api"))
    with serving(config, KEY, steps=240) as url:  # four hours of bars: orders and positions
        yield url


def _schemathesis(base_url: str, cwd: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """Run ``st run`` over the served document with every check; return what it printed."""
    command = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(CONFIG), "run"]
    command += [f"{base_url}/openapi.json", "--checks", "all", "--no-color", *options]
    return subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, check=False
    )


def test_api_with_key_when_generated_input_then_no_server_error_and_answers_as_documented(
    base_url: str, tmp_path: Path
) -> None:
    run = _schemathesis(
        base_url, tmp_path, "--header", f"Authorization: Bearer {KEY}", "--max-examples", "5"
    )

    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-2000:]
    assert _tested(run.stdout) == _operations(base_url), run.stdout[-8000:]


def test_api_without_key_when_generated_input_then_401_never_server_error(
    base_url: str, tmp_path: Path
) -> None:
    # Every answer is the guard's 401, so boundary values (the coverage phase) add nothing.
    run = _schemathesis(base_url, tmp_path, "--max-examples", "3", "--phases", "examples,fuzzing")

    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-2000:]
    assert _tested(run.stdout) == _operations(base_url), run.stdout[-8000:]


def _operations(base_url: str) -> int:
    paths = httpx.get(f"{base_url}/openapi.json").json()["paths"]
    return sum(len(methods) for methods in paths.values())


def _tested(report: str) -> int:
    """Return how many operations the run tested, from its summary ("Tested: 14")."""
    found = re.search(r"^\s*Tested: (\d+)$", report, re.MULTILINE)
    return 0 if found is None else int(found.group(1))
