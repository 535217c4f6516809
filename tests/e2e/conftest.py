"""Fixtures of the end-to-end browser tests: a real uvicorn server of the platform on a
throwaway SQLite store, and headless Chromium driven by Playwright.

The store is prepared like ``make run`` does (:func:`smartspec.web.app.prepare`: migrations,
the demo workspace ``demo-at31``, the demo owner and stakeholder) and completed with a second
stakeholder, an analyst and a viewer. The server is a separate process
(``uvicorn --factory smartspec.web.app:app_from_env``) on a free loopback port, started once
per session and stopped afterwards.

Chromium is Debian's ``chromium`` package (``/usr/bin/chromium``, or ``$SMARTSPEC_CHROMIUM``);
Playwright for Python drives it (``playwright install`` is never needed). When either is
missing the tests **fail** with the reason under CI (``CI=true``) and are skipped locally, with
the reason repeated in a banner at the end of the run.

Fixtures
--------
``e2e_server``   :class:`Server`: base URL, workspace slug, accounts and passwords
``browser``      the Chromium browser (module scope)
``open_as``      ``open_as("demo-owner")``: a new browser context signed in through the login
                 form; returns its page. Page errors, server errors (5xx) and any request that
                 leaves 127.0.0.1 make the test fail at teardown.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_DEFAULT = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"]
#: Default timeout of every Playwright wait, milliseconds (a loaded 2-core machine is slow).
WAIT_MS = 20_000
SECRET = "e2e-secret-key-0123456789abcdef"
WORKSPACE = "demo-at31"

#: Accounts of the store: user name -> (role in the demo workspace, password).
ACCOUNTS: dict[str, tuple[str, str]] = {
    "demo-owner": ("owner", "owner-pw-e2e-0001"),
    "demo-stakeholder": ("stakeholder", "stake-pw-e2e-0001"),
    "e2e-stakeholder2": ("stakeholder", "stake2-pw-e2e-0001"),
    "e2e-analyst": ("analyst", "analyst-pw-e2e-0001"),
    "e2e-viewer": ("viewer", "viewer-pw-e2e-0001"),
}

_NOT_RUN: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: end-to-end tests in headless Chromium "
                                       "(Playwright) against a real uvicorn server")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _NOT_RUN:
        terminalreporter.section("END-TO-END TESTS NOT RUN", sep="!", red=True, bold=True)
        for reason in dict.fromkeys(_NOT_RUN):
            terminalreporter.write_line(f"  {reason}", red=True, bold=True)
        terminalreporter.write_line("  (under CI=true these tests fail instead)", red=True)


def in_ci() -> bool:
    """True when ``$CI`` says so (GitHub Actions, GitLab CI … set ``CI=true``)."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes", "on")


def unavailable(reason: str) -> None:
    """Fail (CI) or skip loudly (locally) because the browser stack is missing."""
    if in_ci():
        pytest.fail(f"end-to-end tests cannot run: {reason}", pytrace=False)
    _NOT_RUN.append(reason)
    pytest.skip(f"END-TO-END TESTS NOT RUN: {reason}")


def chromium_path() -> str | None:
    """The Chromium executable: ``$SMARTSPEC_CHROMIUM``, /usr/bin/chromium or on PATH."""
    wanted = os.environ.get("SMARTSPEC_CHROMIUM", CHROMIUM_DEFAULT)
    if os.path.isfile(wanted) and os.access(wanted, os.X_OK):
        return wanted
    return shutil.which("chromium") or shutil.which("chromium-browser")


# ------------------------------------------------------------------------------------ server


@dataclass
class Server:
    """The running platform."""

    url: str
    workspace: str
    database_url: str
    log: Path
    accounts: dict[str, tuple[str, str]] = field(default_factory=lambda: dict(ACCOUNTS))

    def password(self, username: str) -> str:
        return self.accounts[username][1]

    @property
    def base(self) -> str:
        """Path of the demo workspace's pages."""
        return f"/w/{self.workspace}"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _prepare_store(path: Path) -> str:
    """Migrate and seed the store like ``make run`` and add the extra accounts."""
    from smartspec.store import db
    from smartspec.store import web_services as wsvc
    from smartspec.web.app import prepare

    url = db.database_url(path)
    demo = prepare(url, owner_password=ACCOUNTS["demo-owner"][1],
                   stakeholder_password=ACCOUNTS["demo-stakeholder"][1])
    assert demo.workspace == WORKSPACE, demo
    with db.session_scope(url, user="e2e-setup", context="e2e accounts") as session:
        for name, (role, secret) in ACCOUNTS.items():
            if name.startswith("demo-"):
                continue
            user = wsvc.create_user(session, name, secret, display_name=name.title())
            wsvc.add_member(session, WORKSPACE, user, role)
    db.dispose_engines()
    return url


def _tail(path: Path, n: int = 3000) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[-n:]
    except OSError:
        return ""


def _start(url: str, log: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SMARTSPEC_DATABASE_URL": url, "SMARTSPEC_SECRET_KEY": SECRET,
           "SMARTSPEC_SECURE_COOKIES": "0", "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "smartspec.web.app:app_from_env",
           "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
           "--log-level", "warning", "--no-server-header", "--no-access-log"]
    with log.open("ab") as out:
        return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)


def _wait_ready(proc: subprocess.Popen[bytes], base: str, timeout: float) -> bool:
    """Poll ``/login`` until it answers 200; False when the process exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(f"{base}/login", timeout=2) as r:
                if r.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)  # server start-up: not a test wait
    raise TimeoutError(f"the server at {base} did not answer within {timeout:.0f} s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="session")
def e2e_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The platform served by uvicorn (a subprocess) on a free loopback port."""
    root = tmp_path_factory.mktemp("e2e")
    url = _prepare_store(root / "e2e.sqlite3")
    log = root / "server.log"
    for _attempt in range(3):  # another process may grab the free port first
        port = _free_port()
        proc = _start(url, log, port)
        base = f"http://127.0.0.1:{port}"
        try:
            ready = _wait_ready(proc, base, timeout=90)
        except TimeoutError as exc:
            _stop(proc)
            pytest.fail(f"{exc}; server log:\n{_tail(log)}", pytrace=False)
        if ready:
            break
    else:
        pytest.fail(f"uvicorn exited at start-up; server log:\n{_tail(log)}", pytrace=False)
    try:
        yield Server(url=base, workspace=WORKSPACE, database_url=url, log=log)
    finally:
        _stop(proc)


# ----------------------------------------------------------------------------------- browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium (Debian's package) driven by Playwright. Module scope: Playwright's
    sync API allows one running instance per thread, and other test modules (e.g.
    ``tests/web/test_pages_browser.py``) start their own."""
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        unavailable(f"Playwright for Python is not installed ({exc}); "
                    "pip install playwright (no 'playwright install' needed)")
    executable = chromium_path()
    if executable is None:
        unavailable(f"no Chromium at {os.environ.get('SMARTSPEC_CHROMIUM', CHROMIUM_DEFAULT)} "
                    "or on PATH; apt-get install chromium (Debian) or set SMARTSPEC_CHROMIUM")
    with sync_playwright() as p:
        try:
            chromium = p.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        except PlaywrightError as exc:
            unavailable(f"Chromium at {executable} does not start: {str(exc)[:500]}")
        yield chromium
        chromium.close()


class Watch:
    """Problems seen by the pages of one test: page errors, 5xx answers, outside requests,
    refusals by the Content-Security-Policy."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.problems: list[str] = []

    def attach(self, page: Any, who: str) -> None:
        page.on("pageerror", lambda exc: self.problems.append(f"{who}: page error: {exc}"))
        page.on("console", lambda msg: self._console(who, msg))
        page.on("request", lambda r: self._request(who, r.url))
        page.on("response", lambda r: self.problems.append(
            f"{who}: {r.status} from {r.url}") if r.status >= 500 else None)
        page.on("dialog", lambda d: d.accept())

    def _console(self, who: str, msg: Any) -> None:
        # the Content-Security-Policy refusals are reported on the console only
        if msg.type == "error" and "Content Security Policy" in msg.text:
            self.problems.append(f"{who}: {msg.text}")

    def _request(self, who: str, url: str) -> None:
        if not url.startswith((self.base + "/", "data:", "blob:", "about:")):
            self.problems.append(f"{who}: request leaving the machine: {url}")


def sign_in(page: Any, server: Server, username: str) -> None:
    """Sign in through the login form and wait for the landing page."""
    page.goto(f"{server.url}/login")
    page.fill("#username", username)
    page.fill("#password", server.password(username))
    with page.expect_navigation():
        page.click("form[action='/login'] button[type=submit]")
    assert "/login" not in page.url, f"{username} could not sign in: {page.inner_text('main')}"


@pytest.fixture
def open_as(browser: Any, e2e_server: Server) -> Iterator[Callable[..., Any]]:
    """``open_as(username)``: a page of a fresh browser context, signed in as ``username``
    (``signed_in=False`` for an anonymous page)."""
    watch = Watch(e2e_server.url)
    contexts: list[Any] = []

    def factory(username: str | None = None, *, signed_in: bool = True) -> Any:
        context = browser.new_context(base_url=e2e_server.url, accept_downloads=True,
                                      viewport={"width": 1400, "height": 1000},
                                      locale="en-GB")
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        page = context.new_page()
        watch.attach(page, username or "anonymous")
        if signed_in and username is not None:
            sign_in(page, e2e_server, username)
        return page

    yield factory
    for context in contexts:
        context.close()
    if watch.problems:
        pytest.fail("problems seen in the browser:\n  " + "\n  ".join(watch.problems)
                    + f"\nserver log:\n{_tail(e2e_server.log)}", pytrace=False)
