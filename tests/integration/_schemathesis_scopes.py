"""A schemathesis check (loaded with SCHEMATHESIS_HOOKS): no success without the needed scope.

The run's key has the scope in ``AISWARM_TEST_SCOPE`` (empty: no key at all). Every operation
says the scope it needs (``x-required-scope`` in the OpenAPI document). When the run's scope
does not grant it, the answer must be a refusal: 401 exactly without a key (the key gate answers
before the app parses anything), and a 4xx (403 for the scope; 401, 400 or 422 for the requests
schemathesis sends without the key or with a body that is not JSON) with one. Never a success.
"""

from __future__ import annotations

import os
from typing import Any

import schemathesis

_ORDER = ["read", "trade", "admin"]
_PUBLIC = {"/health"}


@schemathesis.check
def no_success_without_scope(ctx: Any, response: Any, case: Any) -> bool | None:
    held = os.environ.get("AISWARM_TEST_SCOPE", "")
    needed = case.operation.definition.raw.get("x-required-scope")
    if needed is None:
        if case.path in _PUBLIC:
            return None
        raise AssertionError(f"{case.method} {case.path} says no x-required-scope")
    if held and _ORDER.index(held) >= _ORDER.index(needed):
        return None
    # Without a key only the gate answers (401). With one, any refusal: 403 for the scope, 401
    # for the requests schemathesis sends without the key, and the 4xx of a body that is not
    # JSON, which is refused before any route runs.
    status = response.status_code
    refused = status == 401 if not held else 400 <= status < 500
    if not refused:
        raise AssertionError(
            f"{case.method} {case.path} needs scope {needed}; with "
            f"{held or 'no key'} it answered {response.status_code}, expected a refusal"
        )
    return None
