"""Security of the web platform: password hashing, sessions, CSRF tokens and the login limit.

Passwords
    Argon2id (RFC 9106) through ``argon2-cffi`` with its default, OWASP-recommended cost
    (``time_cost=3``, ``memory_cost=64 MiB``, ``parallelism=4``); hashes are PHC strings that
    carry their parameters, and a hash made with older parameters is upgraded at the next
    successful login (:func:`needs_rehash`).
Sessions
    Server-side (table ``web_sessions``). The browser holds a random 256-bit token in an
    ``HttpOnly``, ``SameSite=Lax`` cookie, ``Secure`` when the request came over HTTPS (or
    always / never with ``secure_cookies``); the database holds only its SHA-256. A login
    always starts a new session (no fixation); logout deletes it; a password reset deletes
    every session of the user. A session ends ``session_lifetime`` after the login (12 h), or
    earlier after ``session_idle`` without a request (60 min; the session's end slides forward
    as it is used).
CSRF
    Synchroniser tokens. A session has its own CSRF secret: every state-changing request
    (``POST``, ``PUT``, ``PATCH``, ``DELETE``) that carries the session cookie must send it back,
    in the form field ``csrf_token`` or the header ``X-CSRF-Token``. Forms shown before login
    (the login form, the invitation form) use a pre-session token: a random value in the
    ``smartspec_csrf`` cookie, and in the form its HMAC-SHA256 under the application's secret
    key. Anonymous JSON requests (``Content-Type: application/json``, e.g. the API's login) need
    no token: browsers cannot send them across sites without a CORS preflight, which the app
    never grants. See :func:`smartspec.web.deps.verify_csrf`.
Content Security Policy
    Every response carries :data:`PAGE_CSP` unless it sets its own: scripts, style sheets,
    images, fonts and requests only from the app itself (``'self'``; the pages have no inline
    scripts and no inline event handlers, and the only inline ``<script>`` blocks are JSON
    data, which browsers never execute); inline styles are allowed because Plotly draws with
    them; no plug-ins, no framing, forms post only to the app. The self-contained documents
    (strategy document, monitoring report) inline their Plotly and their data, so they are
    served with :data:`DOCUMENT_CSP` instead: inline scripts may run, but nothing at all may be
    fetched, framed or posted.
Login rate limit
    Per user name: at most ``login_max_attempts`` failures (default 5) within
    ``login_window`` seconds (default 900) since its last successful login; per client
    address: at most ``login_ip_max_attempts`` failures (default 50) in the same window. The
    attempts are rows of ``login_attempts``, so the limit holds across server processes.
    See :func:`smartspec.store.web_services.authenticate`.

The functions taking a ``request`` are used by the API and by the pages' form handlers:
:func:`login` and :func:`logout`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from starlette.exceptions import HTTPException

if TYPE_CHECKING:  # pragma: no cover
    from starlette.requests import Request

    from smartspec.store.models_web import UserRecord

__all__ = [
    "ANON_CSRF_COOKIE",
    "RequestTooLarge",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "DOCUMENT_CSP",
    "PAGE_CSP",
    "SESSION_COOKIE",
    "anonymous_csrf_token",
    "hash_password",
    "hash_token",
    "login",
    "logout",
    "needs_rehash",
    "new_token",
    "queue_cookie",
    "start_session",
    "verify_password",
]

#: Cookie holding the session token.
SESSION_COOKIE = "smartspec_session"
#: Cookie holding the pre-session CSRF value (forms shown before login).
ANON_CSRF_COOKIE = "smartspec_csrf"
#: Form field and header carrying the CSRF token.
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
#: Content-Security-Policy of the application's pages and API answers (see the module doc).
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
#: Content-Security-Policy of the self-contained HTML documents (inline scripts, no fetching).
DOCUMENT_CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                "img-src data: blob:; font-src data:; base-uri 'none'; form-action 'none'; "
                "frame-ancestors 'none'")
#: Key of the request-state :class:`smartspec.web.app.WriterTurn` of a changing request
#: (SQLite: its place in the process's queue of writers).
WRITER_TURN = "smartspec_writer_turn"
#: Key of the request-state list of ``Set-Cookie`` values applied by the middleware.
_COOKIE_QUEUE = "smartspec_cookies"


class RequestTooLarge(HTTPException):
    """The request body exceeds ``max_upload_bytes``: 413 (an HTTP error, so that FastAPI's
    body parsing passes it on instead of answering 400)."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413,
                         detail=f"the request body is larger than {int(limit)} bytes")


# ---------------------------------------------------------------------------------- passwords


@lru_cache(maxsize=1)
def _hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher()  # Argon2id, RFC 9106 low-memory profile defaults


def hash_password(password: str) -> str:
    """The Argon2id hash (PHC string) of ``password``."""
    if not isinstance(password, str):
        raise TypeError("a password is text")
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash`` (constant time; False on a bad hash)."""
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return bool(_hasher().verify(password_hash, password))
    except (VerificationError, InvalidHashError, ValueError, TypeError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with other parameters than today's (upgrade it at login)."""
    try:
        return bool(_hasher().check_needs_rehash(password_hash))
    except Exception:
        return True


@lru_cache(maxsize=1)
def dummy_hash() -> str:
    """A hash to verify against when the user name is unknown (same timing as a real check)."""
    return hash_password(secrets.token_urlsafe(16))


# ------------------------------------------------------------------------------------- tokens


def new_token() -> str:
    """A random URL-safe token with 256 bits of entropy."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """SHA-256 (hex) of a session or invitation token, as stored in the database."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def anonymous_csrf_token(secret_key: str, value: str) -> str:
    """The pre-session CSRF token of the cookie value ``value`` (HMAC-SHA256, hex)."""
    return hmac.new(secret_key.encode("utf-8"), value.encode("utf-8"),
                    hashlib.sha256).hexdigest()


def tokens_equal(a: str | None, b: str | None) -> bool:
    """Constant-time comparison of two tokens (False when either is missing)."""
    if not a or not b:
        return False
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


# ------------------------------------------------------------------------------------ cookies


def _secure(request: Request) -> bool:
    settings = request.app.state.settings
    if settings.secure_cookies is not None:
        return bool(settings.secure_cookies)
    return request.url.scheme == "https"


def queue_cookie(request: Request, name: str, value: str | None, *,
                 max_age: int | None = None, httponly: bool = True) -> None:
    """Have the response set (or, with ``value=None``, delete) a cookie.

    The cookie is ``Path=/``, ``SameSite=Lax``, ``HttpOnly`` (unless ``httponly=False``) and
    ``Secure`` when the request came over HTTPS or ``secure_cookies`` is set. The
    :class:`~smartspec.web.app.RequestMiddleware` adds it to whatever response the handler
    returns (a page, a redirect, JSON).
    """
    from http.cookies import SimpleCookie

    cookie: SimpleCookie = SimpleCookie()
    cookie[name] = "" if value is None else value
    morsel = cookie[name]
    morsel["path"] = "/"
    morsel["samesite"] = "Lax"
    if httponly:
        morsel["httponly"] = True
    if _secure(request):
        morsel["secure"] = True
    if value is None:
        morsel["max-age"] = 0
        morsel["expires"] = "Thu, 01 Jan 1970 00:00:00 GMT"
    elif max_age is not None:
        morsel["max-age"] = int(max_age)
    queue = request.scope.setdefault("state", {}).setdefault(_COOKIE_QUEUE, [])
    queue[:] = [c for c in queue if not c.startswith(f"{name}=")]
    queue.append(morsel.OutputString())


def queued_cookies(scope: dict[str, Any]) -> list[str]:
    """The ``Set-Cookie`` values queued for the response of ``scope``."""
    return list(scope.get("state", {}).get(_COOKIE_QUEUE, ()))


# -------------------------------------------------------------------------------- login/logout


def client_ip(request: Request) -> str | None:
    """The client's address (as seen by uvicorn, which honours ``--forwarded-allow-ips``)."""
    client = request.client
    return client.host[:45] if client and client.host else None


def login(request: Request, username: str, password: str) -> UserRecord:
    """Check the credentials and start a new session for the user.

    The attempt is recorded (and committed at once, so that failures count even though the
    request ends in an error); on success the session cookie is set on the response, the old
    session (if any) ends, and the pre-session CSRF cookie is dropped.

    Raises
    ------
    smartspec.store.web_services.InvalidCredentials
        Unknown user, wrong password or inactive account (one message for all three).
    smartspec.store.web_services.LoginThrottled
        Too many failures; ``retry_after`` says for how many seconds.
    """
    from smartspec.store import web_services as wsvc
    from smartspec.web.deps import get_db

    settings = request.app.state.settings
    db = get_db(request)
    turn = request.scope.get("state", {}).get(WRITER_TURN)

    def before_hashing() -> None:  # nothing is held while the hash is checked
        db.commit()
        if turn is not None:
            turn.leave()

    try:
        user = wsvc.authenticate(db, username, password, ip=client_ip(request),
                                 max_attempts=settings.login_max_attempts,
                                 ip_max_attempts=settings.login_ip_max_attempts,
                                 window=settings.login_window, before_hashing=before_hashing,
                                 after_hashing=turn.rejoin if turn is not None else None)
    except wsvc.InvalidCredentials:
        db.commit()  # the failure must count although the response is an error
        raise
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        wsvc.end_web_session(db, old)
    start_session(request, user)
    if request.cookies.get(ANON_CSRF_COOKIE):
        queue_cookie(request, ANON_CSRF_COOKIE, None)
    return user


def start_session(request: Request, user: UserRecord) -> None:
    """Sign ``user`` in on this request: a new server-side session (with the configured
    lifetime and idle timeout), its cookie queued, and the request's user set."""
    from smartspec.store import web_services as wsvc
    from smartspec.web.deps import get_db

    settings = request.app.state.settings
    db = get_db(request)
    token, record = wsvc.create_web_session(db, user, lifetime=settings.session_lifetime,
                                            idle=settings.session_idle, ip=client_ip(request))
    db.info["user"] = user.username
    queue_cookie(request, SESSION_COOKIE, token,
                 max_age=int(settings.session_lifetime.total_seconds()))
    request.state.user = user
    request.state.web_session = record


def logout(request: Request) -> None:
    """End the request's session (if any) and delete the session cookie."""
    from smartspec.store import web_services as wsvc
    from smartspec.web.deps import get_db

    token = request.cookies.get(SESSION_COOKIE)
    if token:
        wsvc.end_web_session(get_db(request), token)
    queue_cookie(request, SESSION_COOKIE, None)
    request.state.user = None
    request.state.web_session = None
