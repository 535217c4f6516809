"""The smartspec web application: FastAPI app factory, request middleware and demo set-up.

:func:`create_app` builds the application on a store (SQLite file or PostgreSQL), migrating it
first: the JSON REST API under ``/api/v1`` (:mod:`smartspec.web.api`, schema at
``/openapi.json``), the server-rendered pages (:mod:`smartspec.web.pages`), the static assets
under ``/static`` and Plotly's own ``plotly.min.js`` at ``/static/vendor/plotly.min.js`` (from
the installed ``plotly`` package: no CDN, the platform works offline).

:class:`RequestMiddleware` ends each request's database transaction (commit before a
response below 400 starts, otherwise rollback), sets the cookies queued by
:mod:`smartspec.web.security`, limits request bodies (uploads) to ``max_upload_bytes`` (413)
and adds security headers.

:func:`prepare` is what ``make run`` calls before serving: migrate, seed the demo workspace,
ensure the demo accounts.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import html
import json
import logging
import os
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import anyio.from_thread
import anyio.to_thread
from fastapi import Depends, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.datastructures import MutableHeaders
from starlette.staticfiles import StaticFiles

from smartspec.web.config import Settings
from smartspec.web.deps import SAFE_METHODS, verify_csrf
from smartspec.web.security import PAGE_CSP, WRITER_TURN, RequestTooLarge, queued_cookies

__all__ = [
    "DEMO_OWNER",
    "DEMO_STAKEHOLDER",
    "DemoLogin",
    "RequestMiddleware",
    "WriterTurn",
    "app_from_env",
    "create_app",
    "plotly_js_path",
    "prepare",
]

log = logging.getLogger("smartspec.web")

STATIC_DIR = Path(__file__).resolve().parent / "static"
#: Demo accounts created by :func:`prepare` (demo only: never on a public server).
DEMO_OWNER = "demo-owner"
DEMO_STAKEHOLDER = "demo-stakeholder"


def plotly_js_path() -> Path:
    """``plotly.min.js`` shipped inside the installed ``plotly`` Python package."""
    import plotly

    path = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
    if not path.is_file():  # pragma: no cover - broken plotly installation
        raise FileNotFoundError(f"{path} is missing: reinstall plotly")
    return path


# ---------------------------------------------------------------------------------- middleware


_SECURITY_HEADERS = (
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "same-origin"),
    ("content-security-policy", PAGE_CSP),  # a route may set its own (documents)
)


#: Threads that end the requests' transactions (commit, rollback, close), per event loop. They
#: are apart from the handlers' pool: a writer's commit must never wait for a handler thread
#: while the handlers wait for that writer's lock (SQLite, see smartspec.store.db).
_ENDINGS: weakref.WeakKeyDictionary[Any, anyio.CapacityLimiter] = weakref.WeakKeyDictionary()
_ENDING_THREADS = 16


def _per_loop(registry: weakref.WeakKeyDictionary[Any, Any], make: Any) -> Any:
    """The object of the running event loop in ``registry`` (made on first use): asyncio
    primitives belong to one loop, and test clients may run several."""
    loop = asyncio.get_running_loop()
    found = registry.get(loop)
    if found is None:
        found = registry[loop] = make()
    return found


async def _end(step: Any) -> Any:
    limiter = _per_loop(_ENDINGS, lambda: anyio.CapacityLimiter(_ENDING_THREADS))
    return await anyio.to_thread.run_sync(step, limiter=limiter)


class WriterTurn:
    """A changing request's turn in its process's queue of writers (SQLite, see
    :class:`RequestMiddleware`). The request's handler thread may step out of the queue while
    it works without the database (a sign-in checking its password hash: :meth:`leave`) and
    queue again before it writes (:meth:`rejoin`)."""

    def __init__(self, lock: asyncio.Lock) -> None:
        self._lock = lock
        self._held = False

    async def take(self) -> None:
        await self._lock.acquire()
        self._held = True

    def give_back(self) -> None:
        """Release the turn (on the event loop; nothing happens when it is not held)."""
        if self._held:
            self._held = False
            self._lock.release()

    def leave(self) -> None:
        """From the handler's thread: let the next writer in."""
        anyio.from_thread.run_sync(self.give_back)

    def rejoin(self) -> None:
        """From the handler's thread: wait for a turn again."""
        anyio.from_thread.run(self.take)


class RequestMiddleware:
    """Per-request transaction, queued cookies, body-size limit and security headers.

    Parameters
    ----------
    app : the ASGI application.
    max_body : largest request body accepted, in bytes (413 beyond).
    one_writer : serve the changing requests (POST, PUT, PATCH, DELETE) of this process one at
        a time (SQLite): a waiting request holds neither a thread nor a connection, and the
        one in progress never waits for SQLite's write lock held by another request of the
        process. Reading requests are never held back. A changing request's body (an upload,
        say) is received in full before it queues, so a slow client never holds the others
        back while it sends.
    """

    def __init__(self, app: Any, max_body: int, one_writer: bool = False) -> None:
        self.app = app
        self.max_body = int(max_body)
        self.one_writer = bool(one_writer)
        # one lock per event loop: uvicorn runs one loop per process (test clients may run
        # several, whose writers then meet at SQLite's own lock instead)
        self._writers: weakref.WeakKeyDictionary[Any, asyncio.Lock] = \
            weakref.WeakKeyDictionary()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self.one_writer and scope["type"] == "http" and \
                str(scope.get("method", "GET")).upper() not in SAFE_METHODS:
            replay = await self._received(scope, receive, send)
            if replay is None:
                return  # answered (too large) or the client left
            turn = WriterTurn(_per_loop(self._writers, asyncio.Lock))
            await turn.take()
            scope.setdefault("state", {})[WRITER_TURN] = turn
            try:
                await self._handle(scope, replay, send)
            finally:
                turn.give_back()
        else:
            await self._handle(scope, receive, send)

    async def _received(self, scope: Any, receive: Any, send: Any) -> Any:
        """Receive the whole body (at most ``max_body`` bytes), then return a ``receive``
        that hands it on; None when the request was answered here (413) or abandoned."""
        if self._declared_too_large(scope):
            await self._too_large(send)
            return None
        messages: collections.deque[Any] = collections.deque()
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return None  # http.disconnect: nobody is waiting for an answer
            size += len(message.get("body", b""))
            if size > self.max_body:
                await self._too_large(send)
                return None
            messages.append(message)
            if not message.get("more_body", False):
                break

        async def replay() -> Any:
            return messages.popleft() if messages else await receive()

        return replay

    async def _reply(self, send: Any, status: int, detail: str) -> None:
        body = json.dumps({"detail": detail}).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    def _declared_too_large(self, scope: Any) -> bool:
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is None:
            return False
        try:
            return int(length) > self.max_body
        except ValueError:
            return True

    async def _too_large(self, send: Any) -> None:
        await self._reply(send, 413, f"the request body is larger than {self.max_body} bytes")

    async def _handle(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._declared_too_large(scope):
            await self._too_large(send)
            return
        state = scope.setdefault("state", {})
        received = 0
        started = False
        replaced = False

        async def limited_receive() -> Any:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise RequestTooLarge(self.max_body)
            return message

        async def wrapped_send(message: Any) -> None:
            nonlocal started, replaced
            if replaced:
                return
            if message["type"] == "http.response.start":
                started = True
                session = state.get("smartspec_db")
                if session is not None:
                    if message["status"] < 400:
                        try:
                            await _end(session.commit)
                        except Exception:
                            log.exception("commit failed")
                            await _end(session.rollback)
                            replaced = True
                            await self._reply(send, 500, "the change could not be saved")
                            return
                    else:
                        await _end(session.rollback)
                out = MutableHeaders(scope=message)
                for cookie in queued_cookies(scope):
                    out.append("set-cookie", cookie)
                for name, value in _SECURITY_HEADERS:
                    out.setdefault(name, value)
                if scope.get("path", "").startswith("/api/"):
                    out.setdefault("cache-control", "no-store")
            await send(message)

        try:
            await self.app(scope, limited_receive, wrapped_send)
        except RequestTooLarge:
            session = state.get("smartspec_db")
            if session is not None:
                await _end(session.rollback)
            if not started:
                await self._too_large(send)
        except Exception:
            session = state.get("smartspec_db")
            if session is not None:
                await _end(session.rollback)
            raise
        finally:
            session = state.pop("smartspec_db", None)
            if session is not None:
                await _end(session.close)


# ------------------------------------------------------------------------------ error handlers


def _store_status(exc: Exception) -> int:
    from smartspec.store import services as svc
    from smartspec.store import web_services as wsvc

    if isinstance(exc, svc.NotFoundError | svc.CrossWorkspaceError):
        return 404
    if isinstance(exc, svc.ConflictError):
        return 409
    if isinstance(exc, wsvc.PermissionDenied):
        return 403
    if isinstance(exc, wsvc.InvalidCredentials):
        return 401
    if isinstance(exc, wsvc.LoginThrottled):
        return 429
    return 422


def _error_response(request: Request, status: int, detail: str,
                    headers: dict[str, str] | None = None) -> Response:
    """JSON for the API (a 422 in FastAPI's validation shape, so that every 422 has one
    schema), a small escaped HTML page for browsers elsewhere."""
    accepts_html = "text/html" in request.headers.get("accept", "")
    if request.url.path.startswith("/api/") or not accepts_html:
        body: Any = detail
        if status == 422:
            body = [{"loc": [], "msg": detail, "type": "value_error"}]
        return JSONResponse({"detail": body}, status_code=status, headers=headers)
    page = (f"<!doctype html><html><head><meta charset='utf-8'><title>{status}</title></head>"
            f"<body><h1>{status}</h1><p>{html.escape(detail)}</p>"
            "<p><a href='/'>smartspec</a></p></body></html>")
    return HTMLResponse(page, status_code=status, headers=headers)


def _install_error_handlers(app: FastAPI) -> None:
    from smartspec.implementation.tracking import ActionValidationError
    from smartspec.store.services import StoreError
    from smartspec.strategy.actions import InvalidTransition
    from smartspec.strategy.actors import ActorValidationError
    from smartspec.strategy.funding import FundingCatalogueError

    async def domain_error(request: Request, exc: Exception) -> Response:
        status = _store_status(exc)
        if status == 404:  # never say whose object it is
            detail = str(exc) if "another workspace" not in str(exc) else "not found"
        else:
            detail = str(exc)
        headers = None
        retry = getattr(exc, "retry_after", None)
        if retry is not None:
            headers = {"Retry-After": str(retry)}
        return _error_response(request, status, detail, headers)

    for exc_type in (StoreError, ActorValidationError, InvalidTransition, ActionValidationError,
                     FundingCatalogueError):
        app.add_exception_handler(exc_type, domain_error)


# ---------------------------------------------------------------------------------- factory


def create_app(database_url: str | None = None, *, secret_key: str | None = None,
               secure_cookies: bool | None = None, seed_demo: bool = False) -> FastAPI:
    """The web application on the store ``database_url`` (migrated first).

    Parameters
    ----------
    database_url : SQLAlchemy URL or SQLite path; default ``$SMARTSPEC_DATABASE_URL``, then
        ``./smartspec.sqlite3``.
    secret_key : key of the pre-session CSRF tokens; default ``$SMARTSPEC_SECRET_KEY``, else a
        random key (fine for one process; several workers must share one).
    secure_cookies : True / False forces the cookies' ``Secure`` flag; None (default, or
        ``$SMARTSPEC_SECURE_COOKIES``) sets it when the request came over HTTPS.
    seed_demo : also create or complete the demo workspace (:func:`smartspec.store.demo.
        seed_demo`).
    """
    from smartspec import __version__
    from smartspec.store import db
    from smartspec.web.cache import EvidenceCache

    settings = Settings.from_env(database_url, secret_key=secret_key,
                                 secure_cookies=secure_cookies)
    db.upgrade(settings.database_url)
    if seed_demo:
        from smartspec.store.demo import seed_demo as seed

        seed(settings.database_url)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> Any:
        # the request handlers run in anyio's thread pool (SMARTSPEC_THREADS); the ends of
        # the transactions have their own threads (_ENDINGS)
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.threads
        yield

    app = FastAPI(
        lifespan=lifespan,
        title="smartspec",
        version=__version__,
        summary="Smart specialisation (S3) workspace: evidence, discovery, strategy, "
                "implementation and monitoring.",
        description="JSON REST API of the smartspec platform. Sign in with "
                    "`POST /api/v1/auth/login`; the session cookie then authenticates every "
                    "call, and state-changing calls must send the session's CSRF token in the "
                    "`X-CSRF-Token` header (`GET /api/v1/auth/me` returns it).",
        openapi_url="/openapi.json", docs_url=None, redoc_url=None,
        dependencies=[Depends(verify_csrf)],
    )
    app.state.settings = settings
    app.state.cache = EvidenceCache(settings.evidence_cache_size)
    from sqlalchemy.engine import make_url

    app.add_middleware(RequestMiddleware, max_body=settings.max_upload_bytes,
                       one_writer=make_url(settings.database_url).get_backend_name() == "sqlite")
    _install_error_handlers(app)

    plotly_js = plotly_js_path()

    @app.get("/static/vendor/plotly.min.js", include_in_schema=False)
    def plotly_min_js() -> FileResponse:
        return FileResponse(plotly_js, media_type="text/javascript",
                            headers={"Cache-Control": "public, max-age=86400"})

    app.mount("/static", StaticFiles(directory=STATIC_DIR, check_dir=False), name="static")

    from smartspec.web.api import router as api_router

    app.include_router(api_router)
    try:
        from smartspec.web import pages
    except ModuleNotFoundError as exc:  # the pages are optional until they exist
        if exc.name not in ("smartspec.web.pages",):
            raise
        pages = None
    if pages is not None and hasattr(pages, "router"):
        app.include_router(pages.router)
        setup = getattr(pages, "setup_app", None)
        if callable(setup):
            setup(app)
    return app


def app_from_env() -> FastAPI:
    """:func:`create_app` configured by the environment only (the uvicorn factory of
    ``smartspec serve``: ``uvicorn --factory smartspec.web.app:app_from_env``)."""
    return create_app()


# ------------------------------------------------------------------------------------- demo


@dataclass(frozen=True)
class DemoLogin:
    """The demo workspace and its accounts, as created by :func:`prepare` (demo only)."""

    workspace: str
    owner_username: str
    owner_password: str
    stakeholder_username: str
    stakeholder_password: str
    database_url: str

    def lines(self, base_url: str = "http://127.0.0.1:8000") -> list[str]:
        """Lines to print for the person starting the demo."""
        return [f"smartspec is serving on {base_url}",
                f"Demo workspace: {base_url}/w/{self.workspace}",
                f"  owner (and administrator): {self.owner_username} / {self.owner_password}",
                f"  stakeholder:               {self.stakeholder_username} / "
                f"{self.stakeholder_password}",
                "These demo passwords are new at every start and are for a local demo only."]


def prepare(database_url: str | None = None, *, region: str = "AT31",
            owner_password: str | None = None,
            stakeholder_password: str | None = None) -> DemoLogin:
    """Migrate the store, seed the demo workspace and ensure the demo accounts.

    The demo owner (``demo-owner``, also a site administrator) and stakeholder
    (``demo-stakeholder``) are created when missing and given a new random password at every
    call, unless passwords are given (``$SMARTSPEC_DEMO_PASSWORD`` sets both). They are meant
    for a local demonstration only: never run ``prepare`` against a public deployment.

    Returns
    -------
    DemoLogin
        The user names and passwords to print.
    """
    from smartspec.store import db
    from smartspec.store import web_services as wsvc
    from smartspec.store.demo import seed_demo

    url = db.database_url(database_url)
    db.upgrade(url)
    demo = seed_demo(url, region=region)
    fixed = os.environ.get("SMARTSPEC_DEMO_PASSWORD")
    passwords = {DEMO_OWNER: owner_password or fixed or wsvc.generate_password(),
                 DEMO_STAKEHOLDER: stakeholder_password or fixed or wsvc.generate_password()}
    roles = {DEMO_OWNER: "owner", DEMO_STAKEHOLDER: "stakeholder"}
    with db.session_scope(url, user="demo-seed", context="demo accounts") as session:
        users: dict[str, tuple[Any, bool]] = {}
        for name in (DEMO_OWNER, DEMO_STAKEHOLDER):
            try:
                users[name] = (wsvc.get_user(session, name), False)
            except wsvc.NotFoundError:
                users[name] = (wsvc.create_user(
                    session, name, passwords[name], is_admin=name == DEMO_OWNER,
                    display_name="Demo owner" if name == DEMO_OWNER else "Demo stakeholder"),
                    True)
        owner = users[DEMO_OWNER][0]
        if not (owner.is_admin and owner.active):
            wsvc.update_user(session, owner, is_admin=True, active=True)
        for name, (user, created) in users.items():
            if not user.active:
                wsvc.update_user(session, user, active=True)
            if not created:
                wsvc.reset_password(session, user, by=owner, new_password=passwords[name])
            membership = wsvc.get_membership(session, demo.slug, user)
            if membership is None:
                wsvc.add_member(session, demo.slug, user, roles[name])
            elif membership.role != roles[name] and name == DEMO_OWNER:
                wsvc.set_role(session, demo.slug, user, roles[name])
    return DemoLogin(workspace=demo.slug, owner_username=DEMO_OWNER,
                     owner_password=passwords[DEMO_OWNER], stakeholder_username=DEMO_STAKEHOLDER,
                     stakeholder_password=passwords[DEMO_STAKEHOLDER], database_url=url)

