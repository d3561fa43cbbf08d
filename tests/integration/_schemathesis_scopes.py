"""A schemathesis check (loaded with SCHEMATHESIS_HOOKS): no success without the needed scope.

The run's key has the scope in ``AISWARM_TEST_SCOPE`` (empty: no key at all). Every operation
says the scope it needs (``x-required-scope`` in the OpenAPI document). When the run's scope
does not grant it, the answer must be 403 (a key, too small a scope) or 401 (no key, or the
request schemathesis sends without one): never a success, and never anything else.
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
    # With a key, 401 too: schemathesis also sends each operation without the key (or with a
    # broken one) to check that authentication is enforced.
    expected = {401, 403} if held else {401}
    if case.method.upper() != case.operation.method.upper():
        expected = expected | {405}  # a method the path does not serve (TRACE, say)
    if response.status_code not in expected:
        raise AssertionError(
            f"{case.method} {case.path} needs scope {needed}; with "
            f"{held or 'no key'} it answered {response.status_code}, expected {sorted(expected)}"
        )
    return None
