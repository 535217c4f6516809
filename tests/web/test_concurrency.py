"""Concurrent writers on the embedded SQLite store: sign-ins and workshop scores at once.

SQLite lets one writer in at a time. A transaction that first reads and then writes would be
refused ("database is locked") when another writer committed in between; the request
transactions of changing requests therefore take the write lock when they begin (``BEGIN
IMMEDIATE``), and a sign-in checks its password hash outside any transaction. These tests run
real threads through the application against a SQLite file and accept no 5xx answer.
"""

from __future__ import annotations

import threading

from web_support import DEMO, password, sign_in

W = f"/api/v1/workspaces/{DEMO}"
N_USERS = 10
ROUNDS = 3


def _stakeholders(url: str, n: int) -> tuple[list[str], int, list[str]]:
    from smartspec.store import db, planning
    from smartspec.store import web_services as wsvc

    names = [f"crowd-{i:02d}" for i in range(n)]
    with db.session_scope(url, user="test-setup") as session:
        for name in names:
            user = wsvc.create_user(session, name, password(name), display_name=name)
            wsvc.add_member(session, DEMO, user, "stakeholder")
        items = [str(c) for c in
                 planning.embedded_candidates("AT31").sort_values("rank").index[:4]]
        owner = wsvc.get_user(session, "olga")
        workshop = wsvc.open_workshop(session, DEMO, "edw", title="Crowd EDW", by=owner,
                                      items=items)
        workshop_id = int(workshop.id)
    return names, workshop_id, items


def _run_all(targets: list) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(len(targets))

    def wrap(target) -> None:
        try:
            start.wait(timeout=60)
            target()
        except BaseException as exc:  # collected: the assertion names them all
            errors.append(exc)

    threads = [threading.Thread(target=wrap, args=(t,)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a request thread did not finish"
    return errors


def test_simultaneous_sign_ins_and_scores_never_fail(web_app, web_url):
    names, workshop_id, items = _stakeholders(web_url, N_USERS)
    answers: list[tuple[str, int, str]] = []
    lock = threading.Lock()

    def user(name: str) -> None:
        client = sign_in(web_app, name)  # asserts the 200 itself
        for r in range(ROUNDS):
            for item in items:
                resp = client.post(f"{W}/workshops/{workshop_id}/scores",
                                   json={"item": item, "capacity": 1 + (r + len(name)) % 5,
                                         "opportunity": 1 + r % 5, "comment": f"{name} {r}"})
                with lock:
                    answers.append((name, resp.status_code, resp.text[:200]))

    errors = _run_all([lambda n=n: user(n) for n in names])
    assert not errors, errors
    bad = [a for a in answers if a[1] != 200]
    assert not bad, bad
    assert len(answers) == N_USERS * ROUNDS * len(items)
    # every participant's last round is what the workshop holds
    owner = sign_in(web_app, "olga")
    scores = owner.get(f"{W}/workshops/{workshop_id}/scores").json()
    assert len(scores) == N_USERS * len(items)
    assert {(s["username"], s["comment"]) for s in scores} == \
        {(n, f"{n} {ROUNDS - 1}") for n in names for _ in items}


def test_simultaneous_form_sign_ins_on_sqlite(web_app, web_url):
    """The login form (pages) too: every browser ends on its redirect, none on a 500."""
    import re

    from fastapi.testclient import TestClient

    names, _, _ = _stakeholders(web_url, N_USERS)
    statuses: list[int] = []

    def browser(name: str) -> None:
        c = TestClient(web_app, base_url="http://testserver")
        page = c.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]*)"', page.text).group(1)
        r = c.post("/login", data={"username": name, "password": password(name),
                                   "csrf_token": token}, follow_redirects=False)
        statuses.append(r.status_code)

    errors = _run_all([lambda n=n: browser(n) for n in names])
    assert not errors, errors
    assert statuses == [303] * N_USERS, statuses


def test_a_slow_upload_does_not_hold_back_other_writers():
    """With one writer at a time (SQLite), a changing request queues only once its whole body
    has arrived: a client sending a large upload slowly never delays the others' scores."""
    import asyncio

    from smartspec.web.app import RequestMiddleware

    done: list[str] = []

    async def app(scope, receive, send) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        done.append(f"{scope['path']} {len(body)}")
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    middleware = RequestMiddleware(app, max_body=1000, one_writer=True)

    def scope(path: str, length: int) -> dict:
        return {"type": "http", "method": "POST", "path": path,
                "headers": [(b"content-length", str(length).encode())]}

    def sender(statuses: list[int]):
        async def send(message) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])
        return send

    async def slow_receive():  # 5 chunks of 100 bytes, 50 ms apart
        for i in range(5):
            await asyncio.sleep(0.05)
            yield {"type": "http.request", "body": b"x" * 100, "more_body": i < 4}

    async def run() -> tuple[list[int], list[int], list[int]]:
        chunks = slow_receive()
        slow_status: list[int] = []
        fast_status: list[int] = []
        big_status: list[int] = []

        async def one_chunk():
            return {"type": "http.request", "body": b"score", "more_body": False}

        slow = asyncio.create_task(middleware(scope("/upload", 500), chunks.__anext__,
                                              sender(slow_status)))
        await asyncio.sleep(0.01)  # the upload has started sending
        await middleware(scope("/score", 5), one_chunk, sender(fast_status))
        assert done == ["/score 5"]  # served while the upload was still arriving
        await slow
        # a body beyond the limit is refused before it queues
        await middleware(scope("/big", 5000), one_chunk, sender(big_status))
        return slow_status, fast_status, big_status

    slow_status, fast_status, big_status = asyncio.run(run())
    assert done == ["/score 5", "/upload 500"]
    assert slow_status == [200] and fast_status == [200] and big_status == [413]


def test_a_sign_in_leaves_the_writer_queue_while_it_checks_the_hash():
    """A sign-in steps out of its process's queue of writers while its password hash is
    checked (``WriterTurn.leave``/``rejoin``, from the handler's thread, as
    :func:`smartspec.web.security.login` does): a workshop score goes through meanwhile."""
    import asyncio

    import anyio.to_thread

    from smartspec.web.app import RequestMiddleware
    from smartspec.web.security import WRITER_TURN

    hashing, hashed = threading.Event(), threading.Event()
    done: list[str] = []

    async def app(scope, receive, send) -> None:
        await receive()
        if scope["path"] == "/login":
            turn = scope["state"][WRITER_TURN]

            def check_password() -> None:
                turn.leave()
                hashing.set()
                assert hashed.wait(30), "the score never came through"
                turn.rejoin()
                done.append("/login wrote")

            await anyio.to_thread.run_sync(check_password)
        done.append(scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    middleware = RequestMiddleware(app, max_body=1000, one_writer=True)

    async def request(path: str) -> None:
        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message) -> None:
            pass

        await middleware({"type": "http", "method": "POST", "path": path, "headers": []},
                         receive, send)

    async def run() -> None:
        login = asyncio.create_task(request("/login"))
        assert await asyncio.to_thread(hashing.wait, 30)
        await asyncio.wait_for(request("/score"), 30)  # not queued behind the hash
        hashed.set()
        await login

    asyncio.run(run())
    assert done == ["/score", "/login wrote", "/login"]


def test_sign_ins_step_out_of_the_queue_through_the_app(web_app, monkeypatch):
    from smartspec.web.app import WriterTurn

    calls: list[str] = []
    for name in ("leave", "rejoin"):
        original = getattr(WriterTurn, name)
        monkeypatch.setattr(WriterTurn, name, lambda self, _o=original, _n=name: (
            calls.append(_n), _o(self))[1])
    sign_in(web_app, "sam")  # through the API's login, on SQLite
    assert calls == ["leave", "rejoin"]
