"""Answer every refused request with one body: a line to read, and the fields to blame.

Bad input is the client's to fix, so it must never surface as a 500: FastAPI's own answer to a
validation error echoes the input, and an input JSON cannot hold (``{"reason": 1e999999}``
parses as infinity) made that answer itself fail. Here the input is shown only as a short
``repr``, and every 4xx, from validation, a route or Starlette (unknown path, wrong method),
has the shape of ``ErrorBody``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

__all__ = ["ErrorBody", "FieldRefused", "answers", "install_error_handlers"]

_SHOWN_CHARS = 60

_MEANING = {
    400: "The body could not be read as JSON (not UTF-8 text, say).",
    401: "Missing or unknown API key.",
    403: "The key's principal lacks the scope this route needs.",
    404: "The thing asked for is not here.",
    409: "The move is not allowed now; nothing changed.",
    422: "A field was refused; `errors` names each.",
    429: "The principal is over its rate limit; retry after Retry-After seconds.",
    503: "A service the request needs (Alertmanager, Redis) did not answer; nothing changed.",
}


class FieldProblem(BaseModel):
    """One refused field."""

    model_config = ConfigDict(frozen=True)
    location: str = Field(description="Where the field was sent: query, path, body or header.")
    field: str = Field(description="The field's name (dotted for nested body fields).")
    reason: str = Field(description="What was wrong with it, and the value sent where short.")


class ErrorBody(BaseModel):
    """What every 4xx answer holds."""

    model_config = ConfigDict(frozen=True)
    detail: str = Field(description="One line: what was wrong and what to do.")
    errors: list[FieldProblem] = Field(
        default_factory=list,
        description="The fields to blame, one entry each; empty when no field is (a wrong key, "
        "a move the session or kill switch does not allow now).",
    )


class FieldRefused(HTTPException):
    """A route's refusal of one field that passed validation (an unknown feed id, say)."""

    def __init__(self, status_code: int, location: str, field: str, reason: str) -> None:
        super().__init__(status_code=status_code, detail=f"{_where(location, field)}: {reason}")
        self.problem = FieldProblem(location=location, field=field, reason=reason)


def answers(*status_codes: int) -> dict[int | str, dict[str, Any]]:
    """Return the OpenAPI ``responses`` entry documenting ``status_codes`` as ``ErrorBody``."""
    return {code: {"model": ErrorBody, "description": _MEANING[code]} for code in status_codes}


def install_error_handlers(app: FastAPI) -> None:
    """Make ``app`` answer validation errors and HTTP errors with ``ErrorBody``."""
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(StarletteHTTPException, _refused)


async def _invalid(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [_problem(error) for error in exc.errors()]
    detail = "; ".join(f"{_where(p.location, p.field)}: {p.reason}" for p in problems)
    return _answer(422, ErrorBody(detail=detail or "the request was refused", errors=problems))


async def _refused(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    problems = [exc.problem] if isinstance(exc, FieldRefused) else []
    body = ErrorBody(detail=str(exc.detail), errors=problems)
    return _answer(exc.status_code, body, exc.headers)


def _answer(
    status_code: int, body: ErrorBody, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(body.model_dump(mode="json"), status_code=status_code, headers=headers)


def _problem(error: Mapping[str, Any]) -> FieldProblem:
    """Turn one pydantic error into a ``FieldProblem``, never echoing more than a short repr."""
    location, *path = [str(part) for part in error.get("loc", ())] or ["request"]
    reason = str(error.get("msg", "invalid"))
    if error.get("type") == "json_invalid":
        # loc holds the character offset, not a field; ctx says what the parser expected.
        reason = f"{reason} at character {'.'.join(path)}: {error.get('ctx', {}).get('error')}"
        path = []
    elif error.get("type") != "missing":
        reason += _shown(error.get("input"))
    return FieldProblem(location=location, field=".".join(path) or location, reason=reason)


def _where(location: str, field: str) -> str:
    """Return ``"query after_seq"``, or just ``"body"`` when the whole body is to blame."""
    return location if field == location else f"{location} {field}"


def _shown(value: object) -> str:
    """Return ``"; got <value>"`` for a scalar input, cut short; nothing for a whole object."""
    if isinstance(value, Mapping | Sequence) and not isinstance(value, str | bytes):
        return ""
    text = repr(value)
    if len(text) > _SHOWN_CHARS:
        text = f"{text[:_SHOWN_CHARS]}… ({len(text)} characters)"
    return f"; got {text}"
