"""``smartspec serve``: run the web platform with uvicorn.

The database is migrated once before the workers start (each worker's app checks it again,
which is a no-op); the workers share one secret key (``SMARTSPEC_SECRET_KEY``, generated for
this run when unset). See ``docs/deployment.md`` for a production set-up.
"""

from __future__ import annotations

import inspect
import os
import secrets
import socket
from typing import Annotated, Any

import typer

__all__ = ["register", "server_url", "tcp_listener"]


def tcp_listener(sock: socket.socket) -> socket.socket:
    """The listening socket ``sock`` with its protocol set to TCP (it is closed: use the result).

    uvicorn binds the shared socket of its worker processes with protocol 0, and asyncio sets
    ``TCP_NODELAY`` only on connections accepted from a socket whose protocol is
    ``IPPROTO_TCP``: without it, Nagle's algorithm and delayed ACKs hold back small responses
    by ~40 ms. The same file descriptor is wrapped again with the protocol stated.
    """
    if sock.family not in (socket.AF_INET, socket.AF_INET6) or \
            sock.proto == socket.IPPROTO_TCP:
        return sock
    fixed = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
    fixed.set_inheritable(True)
    return fixed


def _run_workers(config: Any) -> None:
    """uvicorn's multi-process supervisor on a TCP-protocol listening socket."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    sock = tcp_listener(config.bind_socket())
    if "target" in inspect.signature(Multiprocess).parameters:  # uvicorn < 0.36
        supervisor = Multiprocess(config, target=uvicorn.Server(config).run, sockets=[sock])
    else:
        supervisor = Multiprocess(config, sockets=[sock])
    try:
        supervisor.run()
    except KeyboardInterrupt:
        pass


def server_url(host: str, port: int) -> str:
    """The URL to print for ``host:port`` (IPv6 hosts in brackets)."""
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"http://{shown}:{port}"


def register(app: typer.Typer) -> None:
    """Add ``serve`` to the smartspec CLI."""

    @app.command("serve")
    def serve_command(
        host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on "
                                 "(0.0.0.0 for every interface: put HTTPS in front)."),
        port: int = typer.Option(8000, "--port", min=1, max=65535, help="TCP port."),
        workers: int = typer.Option(1, "--workers", min=1, max=64,
                                    help="Worker processes (use PostgreSQL for several)."),
        db: str | None = typer.Option(None, "--db", help="Database URL or SQLite path "
                                      "(default: SMARTSPEC_DATABASE_URL or "
                                      "./smartspec.sqlite3)."),
        secure_cookies: Annotated[bool | None, typer.Option(
            "--secure-cookies/--no-secure-cookies",
            help="Force the cookies' Secure flag on/off (default: on for HTTPS requests).",
            show_default=False)] = None,
        forwarded_allow_ips: str | None = typer.Option(
            None, "--forwarded-allow-ips", help="Proxies whose X-Forwarded-Proto/For headers "
            "are trusted (e.g. 127.0.0.1 behind a local reverse proxy)."),
        demo: bool = typer.Option(False, "--demo", help="Seed the demo workspace and reset "
                                  "the demo accounts (local demo only), printing the login."),
        log_level: str = typer.Option("info", "--log-level", help="uvicorn log level."),
    ) -> None:
        """Serve the web platform (pages and the JSON API under /api/v1) with uvicorn."""
        import uvicorn
        from sqlalchemy.engine import make_url

        from smartspec.store import db as store_db

        url = store_db.database_url(db)
        os.environ[store_db.ENV_VAR] = url
        os.environ.setdefault("SMARTSPEC_SECRET_KEY", secrets.token_urlsafe(32))
        if secure_cookies is not None:
            os.environ["SMARTSPEC_SECURE_COOKIES"] = "1" if secure_cookies else "0"
        if workers > 1 and make_url(url).get_backend_name() == "sqlite":
            typer.echo("note: several workers share one SQLite file; use PostgreSQL "
                       "(SMARTSPEC_DATABASE_URL) for a multi-user deployment", err=True)
        base = server_url(host, port)
        store_db.upgrade(url)
        if demo:
            from smartspec.web.app import prepare

            login = prepare(url)
            for line in login.lines(base):
                typer.echo(line)
        else:
            typer.echo(f"smartspec is serving on {base}")
        safe = make_url(url).render_as_string(hide_password=True)
        typer.echo(f"database: {safe}; {workers} worker(s); press Ctrl+C to stop")
        options: dict[str, Any] = dict(
            factory=True, host=host, port=port, workers=workers, log_level=log_level,
            proxy_headers=True, forwarded_allow_ips=forwarded_allow_ips, server_header=False)
        if workers > 1:
            _run_workers(uvicorn.Config("smartspec.web.app:app_from_env", **options))
        else:  # one process: asyncio binds a TCP socket itself
            uvicorn.run("smartspec.web.app:app_from_env", **options)
