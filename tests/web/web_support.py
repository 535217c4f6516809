"""Helpers of the web tests (shared by the API and the pages tests): the seeded store, users
and their passwords, signed-in clients. The fixtures live in ``conftest.py``; test modules import
these helpers from here (``from web_support import ...``; ``conftest`` re-exports them)."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

with warnings.catch_warnings():  # Starlette's note that httpx2 exists; httpx works
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

from smartspec.store import db

TEST_SECRET = "test-secret-key-0123456789abcdef"
DEMO = "demo-at31"
RIVAL = "rival"
#: user name -> (workspace, role); ``ada`` is an administrator without membership.
USERS: dict[str, tuple[str | None, str | None]] = {
    "olga": (DEMO, "owner"),
    "anna": (DEMO, "analyst"),
    "sam": (DEMO, "stakeholder"),
    "stella": (DEMO, "stakeholder"),
    "vic": (DEMO, "viewer"),
    "otto": (RIVAL, "owner"),
    "ada": (None, None),
}
#: One user per role in the demo workspace.
ROLE_USERS = {"viewer": "vic", "stakeholder": "sam", "analyst": "anna", "owner": "olga"}


def password(username: str) -> str:
    """The test password of ``username``."""
    return f"{username}-secret-pw"


def message(response) -> str:
    """The error text of an API response (a 422's messages joined)."""
    detail = response.json()["detail"]
    if isinstance(detail, list):
        return "; ".join(str(d.get("msg", d)) for d in detail)
    return str(detail)


def seed_web(url: str) -> dict[str, object]:
    """Build the test store in ``url`` (see the module docstring); returns facts about it."""
    from smartspec.store import planning
    from smartspec.store import web_services as wsvc
    from smartspec.store.demo import seed_demo

    db.upgrade(url)
    seed_demo(url)
    seed_demo(url, slug=RIVAL, name="Rival workspace")
    with db.session_scope(url, user="test-setup", context="web test fixtures") as session:
        users = {}
        for name, (workspace, role) in USERS.items():
            users[name] = wsvc.create_user(session, name, password(name),
                                           display_name=name.title(), is_admin=name == "ada")
            if workspace is not None:
                wsvc.add_member(session, workspace, users[name], role)
        items = list(planning.embedded_candidates("AT31").sort_values("rank").index[:3])
        workshop = wsvc.open_workshop(session, RIVAL, "edw", title="Rival EDW",
                                      by=users["otto"], items=items)
        wsvc.score_item(session, RIVAL, workshop, users["otto"], items[0], capacity=2,
                        opportunity=3, comment="rival's comment")
        wsvc.record_decision(session, RIVAL, workshop, items[0], "rival's decision",
                             by=users["otto"])
        wsvc.create_invitation(session, RIVAL, "analyst", by=users["otto"])
    db.dispose_engines()
    return {"rival_workshop_items": items}


def copy_store(template: Path, target: Path) -> str:
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(template, target)
    return db.database_url(target)


def forget_engine(url: str) -> None:
    engine = db._engines.pop((url, True), None)
    if engine is not None:
        engine.dispose()


def make_app(url: str, **kwargs: object):
    """:func:`create_app` with the test secret and plain-HTTP cookies (unless overridden)."""
    from smartspec.web.app import create_app

    kwargs.setdefault("secret_key", TEST_SECRET)
    kwargs.setdefault("secure_cookies", None)
    return create_app(url, **kwargs)  # type: ignore[arg-type]


def sign_in(app, username: str, *, base_url: str = "http://testserver") -> TestClient:
    """A client signed in as ``username`` that sends the CSRF header with every request."""
    c = TestClient(app, base_url=base_url)
    r = c.post("/api/v1/auth/login", json={"username": username,
                                           "password": password(username)})
    assert r.status_code == 200, r.text
    c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return c
