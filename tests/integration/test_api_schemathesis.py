"""Schemathesis over the API's own OpenAPI document, with a key of each scope and with none.

Schemathesis sends generated requests to every operation, valid and invalid (numbers past
int64, wrong types, odd strings, missing fields, bodies that are not JSON), against a paper
host served over loopback HTTP, and checks every answer against the document too: status
codes, content type, the body's schema, that invalid data is refused and valid data accepted,
that the key is enforced. A check of ours (``_schemathesis_scopes.py``) fails any answer other
than 401 (no key) or 403 (too small a scope) from an operation the run's scope does not grant,
so no call succeeds without the scope it needs; no run may see a 5xx. Its own command line
does the run (its pytest loader does not work with this pytest). Bounded and repeatable:
deterministic generation, one worker, a few examples per operation beyond the boundary values
of the coverage phase; settings in ``schemathesis.toml`` beside this file.
"""

from __future__ import annotations

import os
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

CONFIG = Path(__file__).with_name("schemathesis.toml")
RUN_TIMEOUT_S = 600  # a hung run fails instead of stalling the suite


HOOKS = Path(__file__).with_name("_schemathesis_scopes.py")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    config = paper_config(tmp_path_factory.mktemp("api"))
    with serving(config, steps=240) as url_and_keys:  # four hours of bars: orders, positions
        yield url_and_keys


def _schemathesis(
    base_url: str, cwd: Path, scope: str, *options: str, location: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``st run`` over the served document with every check; return what it printed.

    The document is loaded with the ``--header`` options given (it needs a key), or from
    ``location``.
    """
    command = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(CONFIG), "run"]
    command += [location or f"{base_url}/openapi.json", "--checks", "all", "--no-color", *options]
    environment = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": HOOKS.stem,
        "PYTHONPATH": os.pathsep.join([str(HOOKS.parent), os.environ.get("PYTHONPATH", "")]),
        "AISWARM_TEST_SCOPE": scope,
    }
    return subprocess.run(
        command,
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        check=False,
    )


def test_api_with_admin_key_when_generated_input_then_no_server_error_and_as_documented(
    served: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    base_url, keys = served
    bearer = f"Authorization: Bearer {keys['admin']}"
    # Not the revocation: schemathesis reuses the key ids GET /keys answers, so it would revoke
    # the keys the other runs (and this one's own checks) use. Revocation has its own tests
    # (test_api_access.py, test_access_keys.py).
    run = _schemathesis(
        base_url,
        tmp_path,
        "admin",
        "--header",
        bearer,
        "--max-examples",
        "5",
        "--exclude-path",
        "/keys/{key_id}/revoke",
    )

    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-2000:]
    assert _tested(run.stdout) == _operations(base_url, keys["read"]) - 1, run.stdout[-8000:]


@pytest.mark.parametrize("scope", ["read", "trade"])
def test_api_with_smaller_scope_when_generated_input_then_403_where_not_granted(
    served: tuple[str, dict[str, str]], tmp_path: Path, scope: str
) -> None:
    base_url, keys = served
    # A valid request refused for its scope is right here, so "valid data is accepted" is
    # replaced by our check: 403 exactly where the scope does not reach.
    run = _schemathesis(
        base_url,
        tmp_path,
        scope,
        "--header",
        f"Authorization: Bearer {keys[scope]}",
        "--max-examples",
        "3",
        "--exclude-checks",
        "positive_data_acceptance",
    )

    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-2000:]
    assert _tested(run.stdout) == _operations(base_url, keys["read"]), run.stdout[-8000:]


def test_api_without_key_when_generated_input_then_401_never_server_error(
    served: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    base_url, keys = served
    # The document itself needs a key (api.docs_public is off): fetch it with one, then test
    # every operation without. Every answer is the guard's 401, so boundary values (the
    # coverage phase) add nothing.
    document = tmp_path / "openapi.json"
    document.write_bytes(_document(base_url, keys["read"]).content)
    run = _schemathesis(
        base_url,
        tmp_path,
        "",
        "--url",
        base_url,
        "--max-examples",
        "3",
        "--phases",
        "examples,fuzzing",
        location=str(document),
    )

    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-2000:]
    assert _tested(run.stdout) == _operations(base_url, keys["read"]), run.stdout[-8000:]


def _document(base_url: str, key: str) -> httpx.Response:
    answer = httpx.get(f"{base_url}/openapi.json", headers={"Authorization": f"Bearer {key}"})
    answer.raise_for_status()
    return answer


def _operations(base_url: str, key: str) -> int:
    paths = _document(base_url, key).json()["paths"]
    return sum(len(methods) for methods in paths.values())


def test_document_when_no_key_then_401(served: tuple[str, dict[str, str]]) -> None:
    base_url, _ = served

    assert httpx.get(f"{base_url}/openapi.json").status_code == 401


def _tested(report: str) -> int:
    """Return how many operations the run tested, from its summary ("Tested: 14")."""
    found = re.search(r"^\s*Tested: (\d+)$", report, re.MULTILINE)
    return 0 if found is None else int(found.group(1))
