"""Who is calling, and may they: bearer API keys, principals with scopes, per-principal limits.

Every route but ``/health`` (and ``/metrics`` when ``api.metrics_public`` is set) takes its
principal from ``require_scope(scope)``: a missing or unknown key answers 401, a key whose
scope is too small 403, a principal over ``api.rate_limit`` 429. Scopes nest: ``admin``
includes ``trade``, which includes ``read`` (``runtime.access_keys.Scope``). The key is looked
up through the service facade, which re-reads the key records first, so a key revoked by
``aiswarm keys revoke`` is refused from the next request on.

``create_app`` refuses to build an app in which a route other than the public ones has no
``require_scope`` dependency (``check_guarded``): a forgotten guard fails at start, not in use.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.dependencies.models import Dependant
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials as Credentials
from fastapi.security import HTTPBearer
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Send
from starlette.types import Scope as AsgiScope

from aiswarm.errors import ConfigError, StoreError
from aiswarm.runtime.access_keys import Principal, Scope
from aiswarm.runtime.service import TradingService

__all__ = ["Gatekeeper", "KeyGate", "check_guarded", "mark_scopes", "require_scope"]

_SCHEME = HTTPBearer(
    scheme_name="OperatorKey",
    description=(
        "An API key made with `aiswarm keys new --name NAME --scope read|trade|admin` (in paper "
        "mode the first run writes an admin key to state/api_key)."
    ),
    auto_error=False,
)
_SCOPE_MARK = "__aiswarm_scope__"
_UNKNOWN = (
    "missing or unknown API key; send 'Authorization: Bearer <key>' with a key from "
    "`aiswarm keys new`"
)
_CHALLENGE = {"WWW-Authenticate": "Bearer"}

Guard = Callable[[Request, Credentials | None], Awaitable[Principal]]


class Gatekeeper:
    """Authenticate a request's key through the service and count it against its principal."""

    def __init__(self, service: TradingService, rate_limit: str) -> None:
        try:
            self._rate = parse(rate_limit)
        except ValueError:
            raise ConfigError(
                f"api.rate_limit was {rate_limit!r}; write it as COUNT/PERIOD, e.g. 600/minute"
            ) from None
        self._service = service
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    async def identify(self, presented: str | None) -> Principal | None:
        """Return the principal of a presented key (the text after ``Bearer``), or None."""
        if not presented:
            return None
        return await self._service.authenticate(presented)

    def admit(self, principal: Principal | None, scope: Scope) -> Principal:
        """Return ``principal`` if it holds ``scope`` and is under its rate limit; else raise."""
        if principal is None:
            raise HTTPException(status_code=401, detail=_UNKNOWN, headers=_CHALLENGE)
        if not principal.scope.grants(scope):
            raise HTTPException(
                status_code=403,
                detail=f"principal {principal.name!r} has scope {principal.scope}; this route "
                f"needs {scope}: use a key with that scope",
            )
        if not self._limiter.hit(self._rate, principal.name):
            raise HTTPException(
                status_code=429,
                detail=f"principal {principal.name!r} is over its rate limit ({self._rate}); "
                "wait and retry",
                headers={"Retry-After": str(self._rate.get_expiry())},
            )
        return principal


class KeyGate:
    """ASGI middleware: a request off the public paths needs a live key before the app sees it.

    So nothing (no body parsing, no route lookup) answers a caller without a credential: an
    unknown path, a body that is not JSON, all answer 401. The route's ``require_scope`` then
    checks the scope and the rate limit for the principal found here. Keys are read from the
    event store; when it cannot be read the gate answers 503 (fail closed, never a 500).
    """

    def __init__(
        self,
        app: ASGIApp,
        gatekeeper: Gatekeeper,
        public: Collection[str],
        public_prefixes: tuple[str, ...],
    ) -> None:
        self._app = app
        self._gatekeeper = gatekeeper
        self._public = frozenset(public)
        self._prefixes = public_prefixes

    async def __call__(self, scope: AsgiScope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or path in self._public or path.startswith(self._prefixes):
            await self._app(scope, receive, send)
            return
        try:
            principal = await self._gatekeeper.identify(_bearer(Headers(scope=scope)))
        except StoreError as exc:  # keys live in the log: unreadable means unchecked, so refuse
            body = {"detail": f"the key cannot be checked: {exc}", "errors": []}
            await JSONResponse(body, status_code=503)(scope, receive, send)
            return
        if principal is None:
            body = {"detail": _UNKNOWN, "errors": []}
            await JSONResponse(body, status_code=401, headers=_CHALLENGE)(scope, receive, send)
            return
        scope.setdefault("state", {})["principal"] = principal
        await self._app(scope, receive, send)


def _bearer(headers: Headers) -> str | None:
    scheme, _, presented = headers.get("authorization", "").partition(" ")
    return presented.strip() if scheme.lower() == "bearer" else None


_GUARDS: dict[Scope, Guard] = {}


def require_scope(scope: Scope | str) -> Guard:
    """Return the dependency that admits a caller holding ``scope`` and yields its principal.

    Use it on every route: ``principal: Annotated[Principal, Depends(require_scope("trade"))]``,
    or ``dependencies=[Depends(require_scope("read"))]``. The app's ``Gatekeeper`` is
    ``app.state.gatekeeper`` (set by ``create_app``).
    """
    needed = Scope(scope)
    guard = _GUARDS.get(needed)
    if guard is None:

        async def guard(
            request: Request, credentials: Annotated[Credentials | None, Depends(_SCHEME)]
        ) -> Principal:
            gatekeeper: Gatekeeper = request.app.state.gatekeeper
            # The key gate (below) identified the caller before the request reached the app.
            principal: Principal | None = getattr(request.state, "principal", None)
            if principal is None and credentials is not None:
                principal = await gatekeeper.identify(credentials.credentials)
            return gatekeeper.admit(principal, needed)

        setattr(guard, _SCOPE_MARK, needed)
        _GUARDS[needed] = guard
    return guard


def mark_scopes(router: APIRouter) -> APIRouter:
    """Write each route's needed scope into its OpenAPI operation (``x-required-scope``).

    Call before the router is included (FastAPI takes the operation's extras then).
    """
    for route in router.routes:
        if isinstance(route, APIRoute):
            scopes = list(_scopes(route.dependant))
            if scopes:
                needed = max(scopes, key=list(Scope).index)
                route.openapi_extra = {**(route.openapi_extra or {}), "x-required-scope": needed}
    return router


def check_guarded(app: FastAPI, public: Collection[str]) -> None:
    """Raise ConfigError naming any route outside ``public`` that has no ``require_scope``."""
    open_routes = [
        f"{sorted(route.methods or ())} {route.path}"
        for route in app.routes
        if isinstance(route, APIRoute)
        and route.path not in public
        and not any(_scopes(route.dependant))
    ]
    if open_routes:
        raise ConfigError(
            f"API routes without a credential check: {', '.join(open_routes)}; add "
            "Depends(require_scope(...)) to each (api/auth.py)"
        )


def _scopes(dependant: Dependant) -> Iterator[Scope]:
    for sub in dependant.dependencies:
        scope = getattr(sub.call, _SCOPE_MARK, None)
        if isinstance(scope, Scope):
            yield scope
        yield from _scopes(sub)
