"""``smartspec serve`` (a real uvicorn with two workers over loopback) and the demo set-up
:func:`smartspec.web.app.prepare` that ``make run`` uses."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import typer
from fastapi.testclient import TestClient
from typer.testing import CliRunner
from web_support import DEMO, copy_store, make_app

from smartspec.store import db
from smartspec.web.app import DEMO_OWNER, DEMO_STAKEHOLDER, prepare

CLI = ("import typer\nfrom smartspec.web._cli import register\napp = typer.Typer()\n"
       "@app.callback()\ndef main() -> None: pass\nregister(app)\napp()\n")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_runs_uvicorn_workers_and_prints_the_url(web_template, tmp_path):
    url = copy_store(web_template, tmp_path / "served.sqlite3")
    port = _free_port()
    env = {**os.environ, "SMARTSPEC_SECRET_KEY": ""}
    env.pop("SMARTSPEC_SECRET_KEY")
    proc = subprocess.Popen([sys.executable, "-c", CLI, "serve", "--port", str(port),
                             "--db", url, "--workers", "2", "--log-level", "warning"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=env, cwd=tmp_path)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/api/v1/workspaces", timeout=2).status_code == 401:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert time.monotonic() < deadline, "the server did not start within 60 s"
            time.sleep(0.2)
        with httpx.Client(base_url=base) as client:
            r = client.post("/api/v1/auth/login", json={"username": "olga",
                                                         "password": "olga-secret-pw"})
            assert r.status_code == 200
            client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
            # requests land on both workers: the session and its token hold on each
            for _ in range(6):
                assert [w["slug"] for w in client.get("/api/v1/workspaces").json()] == [DEMO]
            assert client.patch("/api/v1/auth/me", json={"language": "de"}).status_code == 200
            assert client.get("/static/vendor/plotly.min.js").status_code == 200
    finally:
        proc.terminate()
        try:
            out, _ = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
    assert f"smartspec is serving on {base}" in out


def _serve(args: list[str]):
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """smartspec"""

    from smartspec.web._cli import register

    register(app)
    return CliRunner().invoke(app, ["serve", *args])


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("SMARTSPEC_SECRET_KEY", "SMARTSPEC_SECURE_COOKIES", db.ENV_VAR):
        monkeypatch.setenv(name, "")  # recorded, so that what the command sets is undone
        monkeypatch.delenv(name)
    return monkeypatch


def test_serve_passes_its_options_to_uvicorn(clean_env, tmp_path):
    from smartspec.web import _cli

    configs = []
    clean_env.setattr(_cli, "_run_workers", configs.append)
    target = tmp_path / "new.sqlite3"
    result = _serve(["--host", "::1", "--port", "8123", "--workers", "3", "--db", str(target),
                     "--secure-cookies"])
    assert result.exit_code == 0, result.output
    assert "smartspec is serving on http://[::1]:8123" in result.output
    assert "use PostgreSQL" in result.output
    config, = configs
    assert config.app == "smartspec.web.app:app_from_env"
    assert config.factory and config.workers == 3 and config.port == 8123
    assert config.host == "::1" and config.proxy_headers is True
    assert os.environ[db.ENV_VAR] == db.database_url(target)
    assert os.environ["SMARTSPEC_SECURE_COOKIES"] == "1"
    assert len(os.environ["SMARTSPEC_SECRET_KEY"]) >= 32
    assert db.current_revision(db.database_url(target)) == db.head_revision()  # migrated


def test_one_worker_runs_uvicorn_directly(clean_env, tmp_path):
    import uvicorn

    calls = []
    clean_env.setattr(uvicorn, "run", lambda *a, **k: calls.append((a, k)))
    result = _serve(["--port", "8124", "--db", str(tmp_path / "one.sqlite3")])
    assert result.exit_code == 0, result.output
    (args, kwargs), = calls
    assert args == ("smartspec.web.app:app_from_env",)
    assert kwargs["workers"] == 1 and kwargs["factory"] and kwargs["port"] == 8124


def test_the_workers_listening_socket_is_a_tcp_one():
    """asyncio sets TCP_NODELAY only on connections of an IPPROTO_TCP socket (no Nagle
    delays): uvicorn's shared socket of the workers has protocol 0 until it is fixed."""
    from smartspec.web._cli import tcp_listener

    raw = socket.socket(socket.AF_INET)
    raw.bind(("127.0.0.1", 0))
    address = raw.getsockname()
    assert raw.proto == 0
    sock = tcp_listener(raw)
    try:
        assert sock.proto == socket.IPPROTO_TCP and sock.getsockname() == address
        assert sock.get_inheritable()
        sock.listen()
        with socket.create_connection(address, timeout=5):
            conn, _ = sock.accept()
            with conn:
                assert conn.proto == socket.IPPROTO_TCP
    finally:
        sock.close()
    assert tcp_listener(sock) is sock  # already TCP (or closed): unchanged


def test_prepare_seeds_the_demo_and_its_accounts(tmp_path, monkeypatch):
    monkeypatch.delenv("SMARTSPEC_DEMO_PASSWORD", raising=False)
    url = db.database_url(tmp_path / "demo.sqlite3")
    login = prepare(url)
    assert login.workspace == DEMO and login.owner_username == DEMO_OWNER
    assert login.stakeholder_username == DEMO_STAKEHOLDER
    assert any("demo" in line.lower() and "only" in line for line in login.lines())
    app = make_app(url)
    c = TestClient(app)
    r = c.post("/api/v1/auth/login", json={"username": DEMO_OWNER,
                                           "password": login.owner_password})
    assert r.status_code == 200
    assert r.json()["user"]["is_admin"] and r.json()["workspaces"][0]["role"] == "owner"
    again = prepare(url)  # idempotent; the demo passwords change at every start
    assert again.workspace == DEMO and again.owner_password != login.owner_password
    c2 = TestClient(app)
    assert c2.post("/api/v1/auth/login", json={"username": DEMO_STAKEHOLDER,
                                               "password": login.stakeholder_password}
                   ).status_code == 401
    r = c2.post("/api/v1/auth/login", json={"username": DEMO_STAKEHOLDER,
                                            "password": again.stakeholder_password})
    assert r.json()["workspaces"] == [{"slug": DEMO, "name": r.json()["workspaces"][0]["name"],
                                       "role": "stakeholder"}]
    monkeypatch.setenv("SMARTSPEC_DEMO_PASSWORD", "fixed-demo-password")
    assert prepare(url).owner_password == "fixed-demo-password"
    # smartspec serve --demo prints the URL and the login
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: None)
    for name in ("SMARTSPEC_SECRET_KEY", db.ENV_VAR):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    cli = typer.Typer()

    @cli.callback()
    def main() -> None:
        """smartspec"""

    from smartspec.web._cli import register

    register(cli)
    out = CliRunner().invoke(cli, ["serve", "--demo", "--db", url]).output
    assert "smartspec is serving on http://127.0.0.1:8000" in out
    assert f"{DEMO_OWNER} / fixed-demo-password" in out and DEMO_STAKEHOLDER in out


def test_create_app_can_seed_the_demo(tmp_path):
    app = make_app(str(tmp_path / "seeded.sqlite3"), seed_demo=True)
    with db.session_scope(db.database_url(tmp_path / "seeded.sqlite3")) as s:
        from smartspec.store import services as svc

        assert [w.slug for w in svc.list_workspaces(s)] == [DEMO]
    assert TestClient(app).get("/api/v1/workspaces").status_code == 401


@pytest.mark.parametrize("bad", ["SMARTSPEC_SESSION_HOURS=abc", "SMARTSPEC_LOGIN_WINDOW_S=0",
                                 "SMARTSPEC_SECURE_COOKIES=maybe"])
def test_bad_settings_are_refused_with_the_variable_named(bad, monkeypatch, web_url):
    name, value = bad.split("=")
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=name):
        make_app(web_url)


def test_session_lifetime_is_configurable(monkeypatch, web_url):
    import datetime as dt

    from sqlalchemy import select

    from smartspec.store.models_web import WebSession

    monkeypatch.setenv("SMARTSPEC_SESSION_HOURS", "0.01")  # 36 s
    app = make_app(web_url)
    r = TestClient(app).post("/api/v1/auth/login", json={"username": "vic",
                                                         "password": "vic-secret-pw"})
    assert "Max-Age=36;" in r.headers["set-cookie"]
    expires = dt.datetime.fromisoformat(r.json()["expires_at"])
    assert dt.timedelta(seconds=30) < expires - dt.datetime.now(dt.UTC) <= dt.timedelta(
        seconds=36)
    with db.session_scope(web_url) as s:
        (row,) = s.scalars(select(WebSession)).all()
        assert abs((row.expires_at - expires).total_seconds()) < 1


def test_web_files_are_packaged():
    import smartspec.web

    root = Path(smartspec.web.__file__).parent
    assert (root / "api" / "schemas.py").is_file()
    assert (Path(db.MIGRATIONS_DIR) / "versions" / "0004_web.py").is_file()
