"""Speed of the monitoring check: every TA of a workspace with 20 TAs and 10 years of data.

Run ``python benchmarks/monitoring_check.py [--repeat N] [--tas 20] [--db PATH]``. It builds a
SQLite workspace (home region AT31) with 20 TAs (NACE divisions), a consortium and two actions
each, the ten years 2008-2017 of the shipped regional employment data as data years (which
computes 5 context indicators x 10 years per TA), output targets and three years of recorded
outputs, and a monitoring plan per TA. Then it times, as medians of ``N`` runs:

``check_all (pure)``
    :func:`smartspec.monitoring.check_all` on the loaded :class:`WorkspaceData`;
``load + check (store)``
    :func:`smartspec.store.monitoring_services.check_workspace`: the queries, the discovery
    re-run (warm: its rankings are cached per data version) and the check;
``first check, cold discovery``
    the same, first call in the process (loads the division-level panel and ranks twice).

The target is under 1 s for the store-level check of the whole workspace (warm). Exit status 1
when it is missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 1.0


def build(url: str, n_tas: int) -> None:
    """The benchmark workspace (see the module docstring)."""
    from smartspec import datasets
    from smartspec.store import db
    from smartspec.store import monitoring_services as ms
    from smartspec.store import services as svc

    sbs = datasets.sbs_employment()
    pool = [a for a in sbs.activities if a[:1] in "CFGHIJMN"]
    divisions = pool[::max(1, len(pool) // n_tas)][:n_tas]
    panel = datasets.regional_employment(level=2, activities=(*datasets.REGIONAL_A10, "C"))
    db.upgrade(url)
    with db.session_scope(url, user="bench") as s:
        ws = svc.create_workspace(s, "Benchmark S3", region="AT31", slug="bench")
        svc.import_actors(s, ws, [
            {"name": f"Actor {i}", "actor_type": t, "region": "AT31"}
            for i, t in enumerate(("firm", "university", "public_authority", "civil_society"))])
        ids = [a.id for a in svc.list_actors(s, ws)]
        for code in divisions:
            svc.select_ta(s, ws, code, candidate={"rank": 1},
                          extra={"critical_mass": {"ratio": 0.8, "year": 2015},
                                 "discovery": {"year": 2015}})
            svc.record_consortium(s, ws, code, ids[:3], name=f"{code} core")
            svc.add_action(s, ws, {"title": f"{code} consortium", "action_type":
                                   "consortium_creation", "ta": code, "owner": ids[0],
                                   "committed": 10000.0})
            svc.add_action(s, ws, {"title": f"{code} R&D", "action_type": "collaborative_rnd",
                                   "ta": code, "owner": ids[1]})
        ms.ensure_standard_indicators(s, ws)
        ms.import_panel(s, ws, panel, years=range(2008, 2018))
        for i, code in enumerate(divisions):
            ms.set_plan(s, ws, code, critical_mass_due=dt.date(2028, 12, 31), top_k=10)
            for key, target in (("budget_committed", 500000.0), ("partners_engaged", 20.0),
                                ("projects_funded", 5.0)):
                ms.update_indicator(s, ws, code, key, baseline_value=0, baseline_year=2023,
                                    target_value=target, target_year=2028)
                for k, year in enumerate((2024, 2025, 2026)):
                    ms.record_observation(s, ws, code, key, year, target * (k + 1) / (6 + i % 3),
                                          max_year=2026)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7, help="timed runs (median)")
    parser.add_argument("--tas", type=int, default=20, help="TAs in the workspace")
    parser.add_argument("--db", type=Path, default=None, help="SQLite file (default: a "
                        "temporary one)")
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.tas < 1:
        parser.error("--repeat and --tas must be positive")

    from smartspec.monitoring import check_all
    from smartspec.store import db
    from smartspec.store import monitoring_services as ms

    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "bench.sqlite3"
        url = db.database_url(path)
        start = time.perf_counter()
        build(url, args.tas)
        built = time.perf_counter() - start
        today = dt.date(2026, 6, 30)
        with db.session_scope(url) as s:
            start = time.perf_counter()
            results = ms.check_workspace(s, "bench", as_of=2026, today=today)
            cold = time.perf_counter() - start
            data = ms.load_workspace_data(s, "bench", as_of=2026, today=today)
            years = len(data.data_years)
            pure, store = [], []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                check_all(data, 2026, today=today)
                pure.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                ms.check_workspace(s, "bench", as_of=2026, today=today)
                store.append(time.perf_counter() - t0)
        db.dispose_engines()
    lights = {code: r.status for code, r in results.items()}
    warm = statistics.median(store)
    print(f"workspace: {len(lights)} TAs, {years} data years (built in {built:.1f} s)")
    print(f"lights: {', '.join(f'{c} {s}' for c, s in lights.items())}")
    print(f"{'check_all (pure)':<32}{statistics.median(pure) * 1000:9.1f} ms")
    print(f"{'load + check (store, warm)':<32}{warm * 1000:9.1f} ms   target < "
          f"{TARGET_S * 1000:.0f} ms")
    print(f"{'first check, cold discovery':<32}{cold * 1000:9.1f} ms")
    if warm >= TARGET_S:
        print(f"TARGET MISSED: {warm:.2f} s >= {TARGET_S} s", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
