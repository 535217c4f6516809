"""Load test of the web platform over loopback: 50 simulated users at once.

Run ``python benchmarks/web_load.py [--backend sqlite|postgresql|both] [--users 50]
[--rounds 3] [--think 1.0] [--time-limit 180]``.

For each backend it builds a store like ``make run`` (:func:`smartspec.web.app.prepare`: the demo
workspace ``demo-at31``), adds ``--users`` stakeholder accounts and opens a discovery workshop
(EDW) on the ten best candidates, then serves it in a subprocess on 127.0.0.1 with
``smartspec serve`` (uvicorn running ``smartspec.web.app:app_from_env``, the production path):

* **sqlite**: a temporary SQLite file, 1 worker (``--sqlite-workers``);
* **postgresql**: a throwaway database ``smartspec_load_<random>`` on 127.0.0.1:5432 (user
  ``postgres``, trust authentication; ``--pg-admin-url`` for another server), created here and
  dropped at the end, 4 workers (``--pg-workers``).

Every simulated user (its own ``httpx.AsyncClient``: own cookies and connections) signs in
through the login form, then ``--rounds`` times browses the dashboard, the evidence page, the
discovery page (candidates), a TA page, the live weights (the candidates API the sliders call),
the workshop page, the workshop's live aggregate (what the page polls), and submits its
workshop scores (a form post with the page's CSRF token). Between two requests a user thinks
for a random time, uniform in [0.5, 1.5] x ``--think`` seconds (seeded; 0 for a saturation run);
user ``n`` starts after ``n / users x --ramp`` seconds (default 10 s; 0: all sign in at once).
``--presign`` signs the users in one after the other before the load instead (a work-around
measurement when concurrent sign-ins fail; the sign-in figures are then sequential ones).
Before the load, a warm-up fills every worker's caches (not counted) and each page's **warm
first render** is timed: single requests, one at a time, median of ``--warm-repeat``.

Bounded: ``users x (2 + 8 x rounds)`` requests at most, and the load stops by itself after
``--time-limit`` seconds (unfinished users count as errors). Nothing leaves 127.0.0.1.

Reported per run: requests, errors, p50 / p95 / p99 latency per request type, throughput, and
the warm first renders, the exception lines of the server log (causes of 5xx answers); then
one JSON line. Targets: p95 < 300 ms for every request type but
the sign-in (Argon2id verification is deliberately costly, ~0.1-0.2 s of CPU per sign-in, and 50
simultaneous sign-ins queue; it is reported, not judged), zero errors, warm first render
< 150 ms. Exit status 1 when a target is missed. On a shared or loaded machine the figures are
noisy: the load average at the start and the end of each run is printed with them.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import os
import random
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

SLUG = "demo-at31"
OWNER = "demo-owner"
OWNER_PASSWORD = "load-owner-pw-0001"
USER_PASSWORD = "load-user-pw-0001"
P95_TARGET_MS = 300.0
FIRST_RENDER_TARGET_MS = 150.0
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
#: Request types timed for the warm first render (the pages) and judged by the p95 target.
PAGES = ("dashboard", "evidence", "discovery", "ta", "workshop")
JUDGED = (*PAGES, "weights_api", "aggregate", "score")
WEIGHT_SETS = (  # what the sliders send (a few fixed vectors: deterministic)
    {"feasibility": 1, "value": 0, "advantage": 0, "momentum": 0,
     "transformative_potential": 0, "capability_gap": 0},
    {"feasibility": 0.5, "value": 1, "advantage": 0.25, "momentum": 0,
     "transformative_potential": 0.5, "capability_gap": 0},
    {"feasibility": 0.3, "value": 0.3, "advantage": 0.3, "momentum": 0.3,
     "transformative_potential": 0.3, "capability_gap": 0.3},
)
_CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')


# ---------------------------------------------------------------------------------- the store


@dataclass
class Store:
    url: str
    tas: list[str]
    workshop_id: int
    items: list[str]
    users: list[str]
    drop: Any = None  # callable dropping the PostgreSQL database


def _create_pg_database(admin_url: str) -> tuple[str, Any]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"smartspec_load_{secrets.token_hex(4)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        from smartspec.store import db

        db.dispose_engines()
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


def build_store(url: str, n_users: int) -> Store:
    """Demo workspace, ``n_users`` stakeholders and an open EDW on the ten best candidates."""
    from smartspec.store import db, planning
    from smartspec.store import services as svc
    from smartspec.store import web_services as wsvc
    from smartspec.web.app import prepare

    demo = prepare(url, owner_password=OWNER_PASSWORD, stakeholder_password=USER_PASSWORD)
    users = [f"load-user-{i:03d}" for i in range(n_users)]
    with db.session_scope(url, user="load-setup", context="web load benchmark") as session:
        for name in users:
            user = wsvc.create_user(session, name, USER_PASSWORD, display_name=name)
            wsvc.add_member(session, demo.workspace, user, "stakeholder")
        items = [str(c) for c in
                 planning.embedded_candidates("AT31").sort_values("rank").index[:10]]
        owner = wsvc.get_user(session, OWNER)
        workshop = wsvc.open_workshop(session, demo.workspace, "edw", title="Load-test EDW",
                                      by=owner, items=items)
        tas = [t.activity for t in svc.list_tas(session, demo.workspace, status="selected")]
        workshop_id = int(workshop.id)
    db.dispose_engines()
    return Store(url=url, tas=tas, workshop_id=workshop_id, items=items, users=users)


# --------------------------------------------------------------------------------- the server


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``smartspec serve`` (uvicorn, ``--workers``) on a free loopback port."""

    def __init__(self, url: str, workers: int, log: Path) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        env = {**os.environ, "SMARTSPEC_DATABASE_URL": url,
               "SMARTSPEC_SECRET_KEY": secrets.token_urlsafe(32),
               "SMARTSPEC_SECURE_COOKIES": "0"}
        cmd = [sys.executable, "-m", "smartspec.cli", "serve", "--host", "127.0.0.1",
               "--port", str(self.port), "--workers", str(workers), "--db", url,
               "--log-level", "info", "--no-secure-cookies"]  # info: worker restarts
        self._out = log.open("ab")
        self.proc = subprocess.Popen(cmd, stdout=self._out, stderr=subprocess.STDOUT, env=env)

    def wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"uvicorn exited ({self.proc.returncode}):\n{self.tail()}")
            try:
                with urllib.request.urlopen(f"{self.base}/login", timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"uvicorn did not answer within {timeout:.0f} s:\n{self.tail()}")

    def tail(self, n: int = 3000) -> str:
        if not self._out.closed:
            self._out.flush()
        return self.log.read_text(encoding="utf-8", errors="replace")[-n:]

    def errors(self, limit: int = 8) -> list[str]:
        """Distinct exception lines (the causes of 5xx answers) and worker restarts (uvicorn
        kills a worker that misses its 5 s health check: its connections drop) in the log."""
        log = self.tail(50_000_000)
        found = re.findall(r"^[\w.]+(?:Error|Exception)\b.*$", log, re.M)
        restarts = re.findall(r"Child process \[\d+\] (?:died|was not ready)", log)
        lines = list(dict.fromkeys(line[:300] for line in found))[:limit]
        if restarts:
            lines.append(f"{len(restarts)} worker restart(s) (health check missed)")
        return lines

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._out.close()


# -------------------------------------------------------------------------------- the users


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    samples: list[str] = field(default_factory=list)  # a few error descriptions

    def error(self, kind: str, what: str) -> None:
        self.errors[kind] += 1
        if len(self.samples) < 10:
            self.samples.append(f"{kind}: {what}")


def _csrf(page: str) -> str:
    found = _CSRF.search(page)
    if found is None:
        raise ValueError("no CSRF token in the page")
    return html.unescape(found.group(1))


async def _timed(results: Results, kind: str, client: httpx.AsyncClient, method: str,
                 path: str, expect: int, **kwargs: Any) -> httpx.Response | None:
    start = time.perf_counter()
    try:
        r = await client.request(method, path, **kwargs)
    except httpx.HTTPError as exc:
        results.error(kind, f"{method} {path}: {type(exc).__name__} {exc}")
        return None
    elapsed = time.perf_counter() - start
    if r.status_code != expect:
        results.error(kind, f"{method} {path}: {r.status_code} (expected {expect}) "
                            f"{r.text[:160]!r}")
        return None
    results.latencies[kind].append(elapsed)
    return r


HTML = {"Accept": "text/html,application/xhtml+xml"}


def new_client(base_url: str, timeout: float = 60.0) -> httpx.AsyncClient:
    """A user's client. Idle connections are dropped after 4 s, before uvicorn's 5 s
    keep-alive timeout closes them: otherwise a request sent just as the server closes the
    connection fails ("server disconnected"), where a browser would silently retry it."""
    return httpx.AsyncClient(base_url=base_url, timeout=timeout, follow_redirects=False,
                             limits=httpx.Limits(keepalive_expiry=4.0))


async def sign_in(client: httpx.AsyncClient, username: str, password: str,
                  results: Results) -> bool:
    page = await _timed(results, "login_form", client, "GET", "/login", 200, headers=HTML)
    if page is None:
        return False
    r = await _timed(results, "login", client, "POST", "/login", 303, headers=HTML,
                     data={"username": username, "password": password,
                           "csrf_token": _csrf(page.text), "next": f"/w/{SLUG}"})
    return r is not None


def page_paths(store: Store, i: int) -> dict[str, str]:
    base = f"/w/{SLUG}"
    return {"dashboard": base, "evidence": f"{base}/evidence",
            "discovery": f"{base}/discovery", "ta": f"{base}/ta/{store.tas[i % len(store.tas)]}",
            "workshop": f"{base}/workshops/{store.workshop_id}"}


async def simulated_user(n: int, base_url: str, store: Store, rounds: int, think: float,
                         results: Results, seed: int, *, start_after: float = 0.0,
                         client: httpx.AsyncClient | None = None) -> None:
    """One user: sign in (unless ``client`` is already signed in), then browse and score."""
    rng = random.Random(seed * 1000 + n)
    base = f"/w/{SLUG}"
    workshop = f"{base}/workshops/{store.workshop_id}"

    async def pause() -> None:
        if think > 0:
            await asyncio.sleep(think * rng.uniform(0.5, 1.5))

    if start_after > 0:
        await asyncio.sleep(start_after)
    own = client is None
    if client is None:
        client = new_client(base_url)
    try:
        if own:
            await pause()
            if not await sign_in(client, store.users[n], USER_PASSWORD, results):
                return
        for r in range(rounds):
            paths = page_paths(store, n + r)
            for kind in ("dashboard", "evidence", "discovery", "ta"):
                await pause()
                await _timed(results, kind, client, "GET", paths[kind], 200, headers=HTML)
            await pause()
            weights = WEIGHT_SETS[(n + r) % len(WEIGHT_SETS)]
            await _timed(results, "weights_api", client, "GET",
                         f"/api/v1/workspaces/{SLUG}/candidates", 200,
                         params={**weights, "limit": 20})
            await pause()
            page = await _timed(results, "workshop", client, "GET", workshop, 200, headers=HTML)
            await pause()
            await _timed(results, "aggregate", client, "GET", f"{workshop}/aggregate", 200,
                         headers=HTML)
            if page is None:
                continue
            await pause()
            form = {"csrf_token": _csrf(page.text)}
            for item in store.items[: 3 + (n + r) % 4]:
                form[f"capacity_{item}"] = str(rng.randint(1, 5))
                form[f"opportunity_{item}"] = str(rng.randint(1, 5))
                form[f"comment_{item}"] = f"round {r} by user {n}"
            await _timed(results, "score", client, "POST", f"{workshop}/scores", 303,
                         headers=HTML, data=form)
    finally:
        await client.aclose()


async def warm_up(base_url: str, store: Store, workers: int, results: Results) -> None:
    """Every page several times over fresh connections (spread over the workers). The
    warm-up clients sign in one after the other: only the load phase signs in at once."""
    clients = [new_client(base_url, 120.0)
               for _ in range(4 * workers)]
    try:
        for client in clients:
            await sign_in(client, OWNER, OWNER_PASSWORD, results)

        async def browse(k: int, client: httpx.AsyncClient) -> None:
            for i in range(len(store.tas)):  # every TA page
                for kind, path in page_paths(store, k + i).items():
                    await _timed(results, kind, client, "GET", path, 200, headers=HTML)
            for weights in WEIGHT_SETS:
                await _timed(results, "weights_api", client, "GET",
                             f"/api/v1/workspaces/{SLUG}/candidates", 200,
                             params={**weights, "limit": 20})
            await _timed(results, "aggregate", client, "GET",
                         f"/w/{SLUG}/workshops/{store.workshop_id}/aggregate", 200,
                         headers=HTML)

        await asyncio.gather(*(browse(k, c) for k, c in enumerate(clients)))
    finally:
        for client in clients:
            await client.aclose()


async def first_renders(base_url: str, store: Store, repeat: int) -> dict[str, float]:
    """Median time of a single request per page on the warm, otherwise idle server."""
    results = Results()
    async with new_client(base_url) as client:
        if not await sign_in(client, OWNER, OWNER_PASSWORD, results):
            raise RuntimeError(f"the owner cannot sign in: {results.samples}")
        paths = page_paths(store, 0)
        for kind, path in paths.items():  # this connection's worker is warm too (untimed)
            await _timed(Results(), kind, client, "GET", path, 200, headers=HTML)
        for kind, path in paths.items():
            for _ in range(repeat):
                await _timed(results, kind, client, "GET", path, 200, headers=HTML)
    if results.errors:
        raise RuntimeError(f"first renders failed: {results.samples}")
    return {k: 1000 * statistics.median(results.latencies[k]) for k in PAGES}


async def load(base_url: str, store: Store, args: argparse.Namespace
               ) -> tuple[Results, float, bool]:
    """The timed load: every user at once (user ``n`` starts after ``n / users x ramp``
    seconds), stopped after ``args.time_limit`` seconds."""
    results = Results()
    clients: list[httpx.AsyncClient | None] = [None] * len(store.users)
    if args.presign:  # work-around measurement: sign in one after the other, untimed load
        for n, name in enumerate(store.users):
            client = new_client(base_url)
            if await sign_in(client, name, USER_PASSWORD, results):
                clients[n] = client
            else:
                await client.aclose()
    users = [n for n in range(len(store.users)) if not args.presign or clients[n] is not None]
    tasks = [asyncio.create_task(simulated_user(
        n, base_url, store, args.rounds, args.think, results, args.seed,
        start_after=args.ramp * n / len(store.users), client=clients[n])) for n in users]
    start = time.perf_counter()
    done, pending = await asyncio.wait(tasks, timeout=args.time_limit) if tasks else (set(),
                                                                                      set())
    elapsed = time.perf_counter() - start
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
        results.error("timeout", f"{len(pending)} users unfinished after "
                                 f"{args.time_limit:.0f} s")
        results.errors["timeout"] = len(pending)
    for task in done:
        if task.exception() is not None:
            results.error("crash", repr(task.exception()))
    return results, elapsed, not pending


# -------------------------------------------------------------------------------------- runs


def _pct(values: list[float], q: float) -> float:
    """``q``-th percentile (linear interpolation) in milliseconds."""
    if not values:
        return float("nan")
    data = sorted(values)
    pos = (len(data) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(data) - 1)
    return 1000 * (data[lo] + (data[hi] - data[lo]) * (pos - lo))


def run_backend(backend: str, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    workers = args.sqlite_workers if backend == "sqlite" else args.pg_workers
    drop = None
    if backend == "sqlite":
        url = f"sqlite:///{tmp / 'load.sqlite3'}"
    else:
        url, drop = _create_pg_database(args.pg_admin_url)
    server = None
    try:
        t0 = time.perf_counter()
        store = build_store(url, args.users)
        setup_s = time.perf_counter() - t0
        server = Server(url, workers, tmp / f"server-{backend}.log")
        server.wait_ready()
        warm = Results()
        asyncio.run(warm_up(server.base, store, workers, warm))
        if warm.errors:
            raise RuntimeError(f"warm-up failed: {warm.samples}\n{server.tail()}")
        first = asyncio.run(first_renders(server.base, store, args.warm_repeat))
        load_before = os.getloadavg()
        results, elapsed, finished = asyncio.run(load(server.base, store, args))
        load_after = os.getloadavg()
    finally:
        if server is not None:
            server.stop()
        if drop is not None:
            drop()
    server_errors = server.errors()
    per_type = {}
    for kind in ("login_form", "login", *JUDGED):
        lat = results.latencies.get(kind, [])
        per_type[kind] = {"n": len(lat), "errors": results.errors.get(kind, 0),
                          "p50_ms": round(_pct(lat, 50), 1), "p95_ms": round(_pct(lat, 95), 1),
                          "p99_ms": round(_pct(lat, 99), 1)}
    n_ok = sum(len(v) for v in results.latencies.values())
    n_err = sum(results.errors.values())
    p95_ok = all(per_type[k]["p95_ms"] < P95_TARGET_MS for k in JUDGED)
    first_ok = all(v < FIRST_RENDER_TARGET_MS for v in first.values())
    return {
        "backend": backend, "workers": workers, "users": args.users, "rounds": args.rounds,
        "think_s": args.think, "ramp_s": args.ramp, "presign": args.presign, "setup_s": round(setup_s, 1),
        "requests": n_ok + n_err, "errors": n_err, "finished": finished,
        "duration_s": round(elapsed, 2), "throughput_rps": round(n_ok / elapsed, 1),
        "per_type": per_type, "first_render_ms": {k: round(v, 1) for k, v in first.items()},
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in load_after],
        "error_samples": results.samples, "server_errors": server_errors,
        "targets": {"p95_under_300ms": p95_ok, "zero_errors": n_err == 0,
                    "first_render_under_150ms": first_ok},
    }


def print_run(run: dict[str, Any]) -> None:
    print(f"\n== {run['backend']} · {run['workers']} worker(s) · {run['users']} users x "
          f"{run['rounds']} rounds · think {run['think_s']} s · ramp {run['ramp_s']} s"
          f"{' · signed in beforehand' if run['presign'] else ''} ==")
    print(f"requests {run['requests']}  errors {run['errors']}  duration "
          f"{run['duration_s']} s  throughput {run['throughput_rps']} req/s  "
          f"(load average {run['loadavg_before'][0]} -> {run['loadavg_after'][0]} on "
          f"{os.cpu_count()} CPUs)")
    print(f"{'request':<12}{'n':>6}{'err':>5}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
          f"{'warm 1st ms':>13}")
    for kind, s in run["per_type"].items():
        first = run["first_render_ms"].get(kind)
        mark = "" if kind not in JUDGED else ("  ok" if s["p95_ms"] < P95_TARGET_MS
                                              else "  > 300")
        print(f"{kind:<12}{s['n']:>6}{s['errors']:>5}{s['p50_ms']:>9.1f}{s['p95_ms']:>9.1f}"
              f"{s['p99_ms']:>9.1f}{'' if first is None else f'{first:13.1f}'}{mark}")
    for sample in run["error_samples"]:
        print(f"  error: {sample}")
    for line in run["server_errors"]:
        print(f"  server log: {line}")
    print("targets: " + ", ".join(f"{k} {'met' if v else 'MISSED'}"
                                  for k, v in run["targets"].items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--users", type=int, default=50, help="simultaneous users")
    parser.add_argument("--rounds", type=int, default=3, help="browsing rounds per user")
    parser.add_argument("--think", type=float, default=1.0,
                        help="mean think time between requests, seconds (0: saturation)")
    parser.add_argument("--ramp", type=float, default=10.0,
                        help="users start evenly over this many seconds (0: all at once)")
    parser.add_argument("--presign", action="store_true",
                        help="sign the users in one after the other before the load (a "
                             "work-around measurement; the sign-ins are then not concurrent)")
    parser.add_argument("--time-limit", type=float, default=180.0,
                        help="the load phase stops after this many seconds")
    parser.add_argument("--warm-repeat", type=int, default=7,
                        help="single requests per page for the warm first render (median)")
    parser.add_argument("--pg-workers", type=int, default=4)
    parser.add_argument("--sqlite-workers", type=int, default=1)
    parser.add_argument("--pg-admin-url", default=os.environ.get("SMARTSPEC_TEST_PG_ADMIN_URL",
                                                                 PG_ADMIN_URL))
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if not 1 <= args.users <= 500 or not 1 <= args.rounds <= 20:
        parser.error("--users must be in 1..500 and --rounds in 1..20")
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    runs = []
    with tempfile.TemporaryDirectory(prefix="smartspec-load-") as tmp:
        for backend in backends:
            run = run_backend(backend, args, Path(tmp))
            print_run(run)
            runs.append(run)
    ok = all(all(r["targets"].values()) for r in runs)
    summary = {"benchmark": "web_load", "cpus": os.cpu_count(), "targets_met": ok,
               "runs": [{k: v for k, v in r.items() if k not in ("error_samples",
                                                                  "server_errors")}
                        for r in runs]}
    print(json.dumps(summary, separators=(",", ":")))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
