"""Configuration of the web application, from arguments and environment variables.

=================================  =================================================  =========
Environment variable               Meaning                                             Default
=================================  =================================================  =========
``SMARTSPEC_DATABASE_URL``         SQLAlchemy URL or SQLite path of the store          ``./smartspec.sqlite3``
``SMARTSPEC_SECRET_KEY``           Key of the pre-session CSRF tokens (HMAC); every    random per
                                   worker of a deployment must share it                process
``SMARTSPEC_SECURE_COOKIES``       ``1``: cookies always ``Secure``; ``0``: never;     auto
                                   unset: ``Secure`` when the request came over HTTPS
``SMARTSPEC_SESSION_HOURS``        Lifetime of a session (from the login)              12
``SMARTSPEC_SESSION_IDLE_MINUTES`` A session ends after this long without a request;  60
                                   ``0``: no idle timeout
``SMARTSPEC_LOGIN_MAX_ATTEMPTS``   Failed logins per user name within the window       5
``SMARTSPEC_LOGIN_IP_MAX``         Failed logins per client address within the window  50
``SMARTSPEC_LOGIN_WINDOW_S``       Window of the login rate limit, seconds             900
``SMARTSPEC_MAX_UPLOAD_MB``        Largest request body (uploads), MiB                 10
``SMARTSPEC_EVIDENCE_CACHE``       Entries of the evidence cache per process           1024
``SMARTSPEC_THREADS``              Threads running the request handlers per process    40
=================================  =================================================  =========
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from dataclasses import dataclass, field

__all__ = ["Settings", "env_flag"]


def env_flag(name: str) -> bool | None:
    """A tri-state flag from the environment: True, False or None (unset / ``auto``)."""
    raw = os.environ.get(name, "").strip().lower()
    if raw in ("", "auto"):
        return None
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name}={raw!r}: use 1/0, true/false, yes/no or auto")


def _env_number(name: str, default: float, *, low: float, high: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not a number") from None
    if not low <= value <= high:
        raise ValueError(f"{name}={raw!r} must be between {low:g} and {high:g}")
    return value


@dataclass(frozen=True)
class Settings:
    """Settings of one application instance (see the module docstring for the defaults)."""

    database_url: str
    secret_key: str = field(repr=False)
    secure_cookies: bool | None = None
    session_lifetime: dt.timedelta = dt.timedelta(hours=12)
    #: Idle timeout of a session (None: none).
    session_idle: dt.timedelta | None = dt.timedelta(minutes=60)
    login_max_attempts: int = 5
    login_ip_max_attempts: int = 50
    login_window: dt.timedelta = dt.timedelta(minutes=15)
    max_upload_bytes: int = 10 * 1024 * 1024
    evidence_cache_size: int = 1024  # profiles, candidates per weight set, page tables
    #: Threads serving the request handlers in each process (anyio's thread pool).
    threads: int = 40

    def __post_init__(self) -> None:
        if len(self.secret_key) < 16:
            raise ValueError("the secret key must have at least 16 characters")
        if self.login_max_attempts < 1 or self.login_ip_max_attempts < 1:
            raise ValueError("login attempt limits must be at least 1")

    @classmethod
    def from_env(cls, database_url: str | None = None, *, secret_key: str | None = None,
                 secure_cookies: bool | None = None) -> Settings:
        """Settings from the arguments, then the environment, then the defaults."""
        from smartspec.store import db

        key = secret_key or os.environ.get("SMARTSPEC_SECRET_KEY") or secrets.token_urlsafe(32)
        secure = secure_cookies if secure_cookies is not None else env_flag(
            "SMARTSPEC_SECURE_COOKIES")
        return cls(
            database_url=db.database_url(database_url),
            secret_key=key,
            secure_cookies=secure,
            session_lifetime=dt.timedelta(hours=_env_number("SMARTSPEC_SESSION_HOURS", 12,
                                                            low=0.01, high=24 * 90)),
            session_idle=dt.timedelta(minutes=idle) if (idle := _env_number(
                "SMARTSPEC_SESSION_IDLE_MINUTES", 60, low=0, high=60 * 24 * 90)) else None,
            login_max_attempts=int(_env_number("SMARTSPEC_LOGIN_MAX_ATTEMPTS", 5, low=1,
                                               high=1000)),
            login_ip_max_attempts=int(_env_number("SMARTSPEC_LOGIN_IP_MAX", 50, low=1,
                                                  high=100000)),
            login_window=dt.timedelta(seconds=_env_number("SMARTSPEC_LOGIN_WINDOW_S", 900,
                                                          low=1, high=86400)),
            max_upload_bytes=int(_env_number("SMARTSPEC_MAX_UPLOAD_MB", 10, low=0.01,
                                             high=1024) * 1024 * 1024),
            evidence_cache_size=int(_env_number("SMARTSPEC_EVIDENCE_CACHE", 1024, low=1,
                                                high=100000)),
            threads=int(_env_number("SMARTSPEC_THREADS", 40, low=1, high=256)),
        )
