"""Accounts and security: login, cookies, sessions, CSRF, rate limit, logout, password reset,
invitations and the audit log."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from fastapi import Form, Request
from fastapi.testclient import TestClient
from sqlalchemy import select
from web_support import DEMO, RIVAL, TEST_SECRET, make_app, message, password, sign_in

from smartspec.store import db
from smartspec.store import web_services as wsvc
from smartspec.store.models import AuditLog
from smartspec.store.models_web import Invitation, LoginAttempt, UserRecord, WebSession
from smartspec.web import security

LOGIN = "/api/v1/auth/login"


def _login(c: TestClient, username: str, pw: str | None = None):
    return c.post(LOGIN, json={"username": username, "password": pw or password(username)})


def _cookie_header(response, name: str) -> str:
    for value in response.headers.get_list("set-cookie"):
        if value.startswith(f"{name}="):
            return value
    raise AssertionError(f"no Set-Cookie for {name}: {response.headers.get_list('set-cookie')}")


# ------------------------------------------------------------------------------------ login


def test_workspaces_need_a_session_and_list_only_the_callers(client, web_app):
    assert client.get("/api/v1/workspaces").status_code == 401
    r = _login(client, "anna")
    assert r.status_code == 200
    body = r.json()
    assert body["user"]["username"] == "anna" and len(body["csrf_token"]) >= 32
    assert [(w["slug"], w["role"]) for w in body["workspaces"]] == [(DEMO, "analyst")]
    listed = client.get("/api/v1/workspaces").json()
    assert [w["slug"] for w in listed] == [DEMO]  # never the rival workspace
    otto = sign_in(web_app, "otto")
    assert [w["slug"] for w in otto.get("/api/v1/workspaces").json()] == [RIVAL]
    ada = sign_in(web_app, "ada")  # an administrator sees workspaces through memberships only
    assert ada.get("/api/v1/workspaces").json() == []


def test_bad_credentials_get_one_message(client):
    wrong = _login(client, "anna", "not-her-password")
    unknown = _login(client, "nobody", "whatever-password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"detail": "invalid user name or password"}
    assert "set-cookie" not in wrong.headers


def test_cookie_flags_over_http_https_and_forced(web_url):
    app = make_app(web_url)
    r = _login(TestClient(app), "anna")
    cookie = _cookie_header(r, security.SESSION_COOKIE)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http, secure_cookies unset
    r = _login(TestClient(app, base_url="https://testserver"), "anna")
    assert "Secure" in _cookie_header(r, security.SESSION_COOKIE)  # behind HTTPS
    forced = make_app(web_url, secure_cookies=True)
    r = _login(TestClient(forced), "anna")
    assert "Secure" in _cookie_header(r, security.SESSION_COOKIE)
    never = make_app(web_url, secure_cookies=False)
    r = _login(TestClient(never, base_url="https://testserver"), "anna")
    assert "Secure" not in _cookie_header(r, security.SESSION_COOKIE)


def test_sessions_are_server_side_and_store_only_a_hash(client, web_url):
    r = _login(client, "sam")
    token = client.cookies.get(security.SESSION_COOKIE)
    assert token and len(token) >= 40
    with db.session_scope(web_url) as s:
        rows = s.scalars(select(WebSession)).all()
        assert len(rows) == 1 and rows[0].user.username == "sam"
        assert rows[0].token_hash == security.hash_token(token) != token
        assert rows[0].csrf_secret == r.json()["csrf_token"]
        stored = s.scalar(select(UserRecord.password_hash).where(UserRecord.username == "sam"))
    assert stored.startswith("$argon2id$") and password("sam") not in stored
    # a forged or expired token is no session
    client.cookies.set(security.SESSION_COOKIE, "forged-token")
    assert client.get("/api/v1/auth/me").status_code == 401
    client.cookies.set(security.SESSION_COOKIE, token)
    assert client.get("/api/v1/auth/me").json()["user"]["username"] == "sam"
    with db.session_scope(web_url) as s:
        for row in s.scalars(select(WebSession)):
            row.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    assert client.get("/api/v1/auth/me").status_code == 401


def _own_session(s, c: TestClient) -> WebSession:
    token = c.cookies.get(security.SESSION_COOKIE)
    return s.scalars(select(WebSession).where(
        WebSession.token_hash == security.hash_token(token))).one()


def _shift_session(url: str, c: TestClient, by: dt.timedelta) -> None:
    """Move the login and the end of ``c``'s session by ``by`` (as if that time had passed)."""
    with db.session_scope(url) as s:
        row = _own_session(s, c)
        row.created_at, row.expires_at = row.created_at - by, row.expires_at - by


def _session_end(url: str, c: TestClient) -> dt.datetime:
    with db.session_scope(url) as s:
        return wsvc._aware(_own_session(s, c).expires_at)


def test_idle_sessions_end_and_used_ones_slide(api_backend):
    _, url = api_backend
    app = make_app(url)
    assert app.state.settings.session_idle == dt.timedelta(minutes=60)
    c = sign_in(app, "sam")
    start = dt.datetime.now(dt.UTC)
    # a fresh session ends after the idle timeout, not after the 12 h lifetime
    assert abs(_session_end(url, c) - (start + dt.timedelta(minutes=60))) < dt.timedelta(
        seconds=30)
    assert c.get("/api/v1/auth/me").status_code == 200
    # 40 minutes later the session is used: its end moves to one hour after that use, through
    # a reading request (own write transaction) and through a changing one (the request's)
    _shift_session(url, c, dt.timedelta(minutes=40))
    assert _session_end(url, c) < start + dt.timedelta(minutes=21)
    assert c.get(f"/api/v1/workspaces/{DEMO}").status_code == 200
    assert _session_end(url, c) > start + dt.timedelta(minutes=59)
    _shift_session(url, c, dt.timedelta(minutes=40))
    assert c.patch("/api/v1/auth/me", json={"display_name": "Sam"}).status_code == 200
    assert _session_end(url, c) > start + dt.timedelta(minutes=59)
    # a use soon after leaves the row alone (no write on every request)
    before = _session_end(url, c)
    assert c.get("/api/v1/auth/me").status_code == 200
    assert _session_end(url, c) == before
    # an hour without a request ends it; the cookie is worthless from then on
    _shift_session(url, c, dt.timedelta(minutes=61))
    assert c.get("/api/v1/auth/me").status_code == 401
    assert c.get(f"/api/v1/workspaces/{DEMO}").status_code == 401


def test_idle_extension_never_passes_the_lifetime():
    login = dt.datetime(2026, 1, 5, 8, 0, tzinfo=dt.UTC)
    life, idle = dt.timedelta(hours=12), dt.timedelta(minutes=60)
    row = WebSession(created_at=login, expires_at=login + idle)
    ext = wsvc.idle_extension
    assert ext(row, lifetime=life, idle=idle, now=login + dt.timedelta(minutes=4)) is None
    assert ext(row, lifetime=life, idle=idle, now=login + dt.timedelta(minutes=6)) == \
        login + dt.timedelta(minutes=66)
    row.expires_at = login + dt.timedelta(hours=11, minutes=40)
    assert ext(row, lifetime=life, idle=idle, now=login + dt.timedelta(hours=11, minutes=50)) \
        == login + life  # capped by the lifetime
    assert ext(row, lifetime=life, idle=None, now=login + dt.timedelta(hours=11)) is None
    short = WebSession(created_at=login, expires_at=login + dt.timedelta(minutes=30))
    assert ext(short, lifetime=dt.timedelta(minutes=30), idle=idle,
               now=login + dt.timedelta(minutes=20)) is None


def test_idle_timeout_setting(monkeypatch, web_url):
    from smartspec.web.config import Settings

    monkeypatch.setenv("SMARTSPEC_SESSION_IDLE_MINUTES", "15")
    assert Settings.from_env(web_url).session_idle == dt.timedelta(minutes=15)
    monkeypatch.setenv("SMARTSPEC_SESSION_IDLE_MINUTES", "0")
    assert Settings.from_env(web_url).session_idle is None
    monkeypatch.setenv("SMARTSPEC_SESSION_IDLE_MINUTES", "soon")
    with pytest.raises(ValueError, match="SMARTSPEC_SESSION_IDLE_MINUTES"):
        Settings.from_env(web_url)


def test_login_starts_a_new_session_and_logout_ends_it(web_app, web_url):
    c = sign_in(web_app, "anna")
    first = c.cookies.get(security.SESSION_COOKIE)
    r = c.post(LOGIN, json={"username": "anna", "password": password("anna")})
    second = c.cookies.get(security.SESSION_COOKIE)
    assert r.status_code == 200 and second != first  # no session fixation
    with db.session_scope(web_url) as s:
        assert s.scalar(select(WebSession).where(
            WebSession.token_hash == security.hash_token(first))) is None
    c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    out = c.post("/api/v1/auth/logout")
    assert out.status_code == 204
    assert "Max-Age=0" in _cookie_header(out, security.SESSION_COOKIE)
    stale = TestClient(web_app)
    stale.cookies.set(security.SESSION_COOKIE, second)  # the old cookie is worthless now
    assert stale.get("/api/v1/workspaces").status_code == 401
    with db.session_scope(web_url) as s:
        assert s.scalars(select(WebSession)).all() == []


# ------------------------------------------------------------------------------------- CSRF


def test_csrf_is_required_for_cookie_authenticated_changes(web_app):
    c = sign_in(web_app, "anna")
    token = c.headers.pop("X-CSRF-Token")
    body = {"name": "CSRF Test GmbH", "actor_type": "firm", "region": "AT31"}
    url = f"/api/v1/workspaces/{DEMO}/actors"
    assert c.post(url, json=body).status_code == 403
    assert c.post(url, json=body, headers={"X-CSRF-Token": "x" * 43}).status_code == 403
    other = sign_in(web_app, "olga")  # another session's token does not fit
    assert c.post(url, json=body,
                  headers={"X-CSRF-Token": other.headers["X-CSRF-Token"]}).status_code == 403
    for method in ("patch", "delete"):
        assert getattr(c, method)(f"/api/v1/workspaces/{DEMO}/actors/1").status_code == 403
    assert c.post("/api/v1/auth/logout").status_code == 403  # logout too
    assert c.get(url).status_code == 200  # reading needs no token
    r = c.post(url, json=body, headers={"X-CSRF-Token": token})
    assert r.status_code == 201, r.text


def test_csrf_of_forms_with_and_without_session(web_url):
    app = make_app(web_url)

    @app.post("/_test/form")
    def form_route(request: Request, note: str = Form("")) -> dict[str, str]:
        return {"note": note}

    @app.get("/_test/token")
    def token_route(request: Request) -> dict[str, str]:
        from smartspec.web.deps import csrf_token

        return {"token": csrf_token(request)}

    anon = TestClient(app)
    assert anon.post("/_test/form", data={"note": "a"}).status_code == 403
    r = anon.get("/_test/token")
    assert security.ANON_CSRF_COOKIE in r.headers.get("set-cookie", "")
    pre = r.json()["token"]
    assert pre == security.anonymous_csrf_token(TEST_SECRET,
                                                anon.cookies.get(security.ANON_CSRF_COOKIE))
    assert anon.post("/_test/form", data={"note": "a", "csrf_token": pre}).json() == {"note": "a"}
    assert anon.post("/_test/form", data={"note": "a", "csrf_token": "0" * 64}
                     ).status_code == 403
    # another visitor's pre-session token does not fit this visitor's cookie
    other = TestClient(app)
    other.get("/_test/token")
    assert other.post("/_test/form", data={"csrf_token": pre}).status_code == 403
    # signed in: the session's token, as form field (multipart too) or header
    c = sign_in(app, "vic")
    session_token = c.headers.pop("X-CSRF-Token")
    assert c.get("/_test/token").json()["token"] == session_token
    assert c.post("/_test/form", data={"note": "b"}).status_code == 403
    assert c.post("/_test/form", data={"note": "b", "csrf_token": pre}).status_code == 403
    assert c.post("/_test/form", data={"note": "b", "csrf_token": session_token}
                  ).json() == {"note": "b"}
    assert c.post("/_test/form", data={"note": "c", "csrf_token": session_token},
                  files={"f": ("a.txt", b"x")}).json() == {"note": "c"}


# -------------------------------------------------------------------------------- rate limit


def test_login_rate_limit_per_user(web_app, web_url):
    c = TestClient(web_app)
    for _ in range(5):
        assert _login(c, "stella", "wrong-password!").status_code == 401
    locked = _login(c, "stella")  # right password, but locked
    assert locked.status_code == 429
    assert 1 <= int(locked.headers["Retry-After"]) <= 900
    assert _login(TestClient(web_app), "sam").status_code == 200  # others are not affected
    with db.session_scope(web_url) as s:
        attempts = s.scalars(select(LoginAttempt).where(LoginAttempt.username == "stella")).all()
        assert [a.success for a in attempts] == [False] * 5  # refused attempts not recorded
        for a in attempts:  # the window passes
            a.at = a.at - dt.timedelta(minutes=16)
    assert _login(c, "stella").status_code == 200


def test_rate_limit_rules_in_the_service(web_url):
    now = dt.datetime(2030, 1, 1, 12, tzinfo=dt.UTC)
    window = dt.timedelta(minutes=10)
    with db.session_scope(web_url) as s:
        def attempt(name: str, pw: str, ip: str, at: dt.datetime):
            return wsvc.authenticate(s, name, pw, ip=ip, max_attempts=3, ip_max_attempts=6,
                                     window=window, now=at)

        for i in range(2):
            with pytest.raises(wsvc.InvalidCredentials):
                attempt("sam", "bad-password", "10.0.0.1", now + dt.timedelta(seconds=i))
        attempt("sam", password("sam"), "10.0.0.1", now + dt.timedelta(seconds=5))
        for i in range(3):  # a success resets the per-user count
            with pytest.raises(wsvc.InvalidCredentials):
                attempt("sam", "bad-password", "10.0.0.2", now + dt.timedelta(seconds=10 + i))
        with pytest.raises(wsvc.LoginThrottled) as exc:
            attempt("sam", password("sam"), "10.0.0.3", now + dt.timedelta(seconds=20))
        assert exc.value.retry_after == 590  # the first counted failure ages out at +10 min
        # per address: failures for several names add up
        for i, name in enumerate(["vic", "anna", "olga"]):
            with pytest.raises(wsvc.InvalidCredentials):
                attempt(name, "bad-password", "10.0.0.2", now + dt.timedelta(seconds=30 + i))
        with pytest.raises(wsvc.LoginThrottled):
            attempt("stella", password("stella"), "10.0.0.2", now + dt.timedelta(seconds=40))
        assert attempt("stella", password("stella"), "10.0.0.9",
                       now + dt.timedelta(seconds=41)).username == "stella"
        assert attempt("sam", password("sam"), "10.0.0.9",
                       now + dt.timedelta(minutes=11)).username == "sam"


# --------------------------------------------------------------------- passwords and accounts


def test_admin_resets_a_password_and_ends_the_sessions(web_app):
    sam = sign_in(web_app, "sam")
    ada = sign_in(web_app, "ada")
    users = {u["username"]: u for u in ada.get("/api/v1/users").json()}
    assert sam.get("/api/v1/users").status_code == 403
    assert sam.post(f"/api/v1/users/{users['vic']['id']}/password-reset").status_code == 403
    r = ada.post(f"/api/v1/users/{users['sam']['id']}/password-reset")
    assert r.status_code == 200
    new = r.json()["password"]
    assert len(new) >= 12 and r.json()["username"] == "sam"
    assert sam.get("/api/v1/workspaces").status_code == 401  # sessions ended
    c = TestClient(web_app)
    assert _login(c, "sam").status_code == 401
    assert _login(c, "sam", new).status_code == 200
    assert ada.post("/api/v1/users/99999/password-reset").status_code == 404


def test_users_change_their_own_password(web_app):
    vic = sign_in(web_app, "vic")
    other = sign_in(web_app, "vic")
    bad = vic.post("/api/v1/auth/password", json={"current_password": "wrong-one-xx",
                                                 "new_password": "a-new-password-1"})
    assert bad.status_code == 422
    short = vic.post("/api/v1/auth/password", json={"current_password": password("vic"),
                                                   "new_password": "short"})
    assert short.status_code == 422 and "at least 10" in message(short)
    ok = vic.post("/api/v1/auth/password", json={"current_password": password("vic"),
                                                "new_password": "a-new-password-1"})
    assert ok.status_code == 204
    assert vic.get("/api/v1/auth/me").status_code == 200  # this session stays
    assert other.get("/api/v1/auth/me").status_code == 401  # the other one ends
    assert _login(TestClient(web_app), "vic", "a-new-password-1").status_code == 200


def test_admin_creates_and_deactivates_accounts(web_app):
    ada = sign_in(web_app, "ada")
    r = ada.post("/api/v1/users", json={"username": "newbie", "password": "newbie-password",
                                        "display_name": "New <b>bie</b>"})
    assert r.status_code == 201 and r.json()["display_name"] == "New <b>bie</b>"
    assert ada.post("/api/v1/users", json={"username": "newbie",
                                           "password": "another-password"}).status_code == 409
    assert ada.post("/api/v1/users", json={"username": "Bad Name!",
                                           "password": "another-password"}).status_code == 422
    c = TestClient(web_app)
    assert _login(c, "newbie", "newbie-password").status_code == 200
    user_id = r.json()["id"]
    assert ada.patch(f"/api/v1/users/{user_id}", json={"active": False}).json()["active"] is False
    assert c.get("/api/v1/auth/me").status_code == 401  # deactivation ends the sessions
    assert _login(c, "newbie", "newbie-password").status_code == 401
    ada_id = ada.get("/api/v1/auth/me").json()["user"]["id"]
    last = ada.patch(f"/api/v1/users/{ada_id}", json={"is_admin": False})
    assert last.status_code == 409  # the last administrator stays


# ---------------------------------------------------------------------------------- invitations


def test_invitation_link_adds_a_stakeholder(web_app, web_url):
    olga = sign_in(web_app, "olga")
    anna = sign_in(web_app, "anna")
    url = f"/api/v1/workspaces/{DEMO}/invitations"
    assert anna.post(url, json={"role": "stakeholder"}).status_code == 403  # owners only
    r = olga.post(url, json={"role": "stakeholder", "days": 2, "note": "EDW June"})
    assert r.status_code == 201
    token, link = r.json()["token"], r.json()["url"]
    assert link.endswith(f"/invite/{token}")
    with db.session_scope(web_url) as s:  # only the hash is stored, in the table and the log
        dumped = json.dumps([(e.before, e.after) for e in s.scalars(select(AuditLog))])
        assert token not in dumped and security.hash_token(token) not in dumped
    anon = TestClient(web_app)
    info = anon.get(f"/api/v1/invitations/{token}")
    assert info.json()["workspace"] == DEMO and info.json()["role"] == "stakeholder"
    assert anon.post(f"/api/v1/invitations/{token}/accept", json={}).status_code == 422
    joined = anon.post(f"/api/v1/invitations/{token}/accept",
                       json={"username": "firm-rep", "password": "firm-rep-password"})
    assert joined.status_code == 200, joined.text
    assert joined.json()["role"] == "stakeholder"
    assert [w["slug"] for w in anon.get("/api/v1/workspaces").json()] == [DEMO]  # signed in
    again = TestClient(web_app).get(f"/api/v1/invitations/{token}")
    assert again.status_code == 404  # used up
    # a signed-in member accepting a stronger role is upgraded; revoked / expired links die
    r = olga.post(url, json={"role": "analyst"})
    sam = sign_in(web_app, "sam")
    assert sam.post(f"/api/v1/invitations/{r.json()['token']}/accept", json={}
                    ).json()["role"] == "analyst"
    r = olga.post(url, json={"role": "viewer"})
    assert olga.delete(f"{url}/{r.json()['id']}").status_code == 204
    assert anon.get(f"/api/v1/invitations/{r.json()['token']}").status_code == 404
    r = olga.post(url, json={"role": "viewer", "days": 1})
    with db.session_scope(web_url) as s:
        inv = s.scalar(select(Invitation).where(Invitation.id == r.json()["id"]))
        inv.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    assert anon.get(f"/api/v1/invitations/{r.json()['token']}").status_code == 404
    statuses = {i["id"]: i["status"] for i in olga.get(url).json()}
    assert sorted(statuses.values()) == ["expired", "revoked", "used", "used"]


# ------------------------------------------------------------------------------------ audit


def test_audit_log_names_the_user_and_never_holds_secrets(web_app, web_url):
    anna = sign_in(web_app, "anna")
    r = anna.post(f"/api/v1/workspaces/{DEMO}/actors",
                  json={"name": "Audit Test AG", "actor_type": "firm", "region": "AT31",
                        "activities": ["C28"]})
    actor_id = r.json()["id"]
    anna.patch(f"/api/v1/workspaces/{DEMO}/actors/{actor_id}", json={"size": 40})
    sign_in(web_app, "ada").post("/api/v1/users", json={"username": "audited",
                                                        "password": "audited-password"})
    entries = anna.get(f"/api/v1/workspaces/{DEMO}/audit?limit=10").json()
    mine = [e for e in entries if e["table_name"] == "actors" and e["object_id"] == str(actor_id)]
    assert [(e["who"], e["action"]) for e in mine] == [("anna", "update"), ("anna", "create")]
    assert mine[0]["before"] == {"size": None} and mine[0]["after"] == {"size": 40}
    assert sign_in(web_app, "sam").get(f"/api/v1/workspaces/{DEMO}/audit").status_code == 403
    with db.session_scope(web_url) as s:
        rows = s.scalars(select(AuditLog)).all()
        created = [r for r in rows if r.table_name == "users" and r.after
                   and r.after.get("username") == "audited"]
        assert created and created[0].who == "ada"
        dumped = json.dumps([(r.before, r.after) for r in rows])
        secrets = [h for (h,) in s.execute(select(UserRecord.password_hash))]
        secrets += [x for row in s.execute(select(WebSession.token_hash, WebSession.csrf_secret))
                    for x in row]
    assert "$argon2" not in dumped
    assert not any(secret in dumped for secret in secrets)
