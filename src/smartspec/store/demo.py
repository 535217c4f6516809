"""The demo workspace: a default Alpine region with TAs, actors, a consortium and a strategy.

:func:`seed_demo` builds (or completes) a workspace from the shipped data only:

1. the home region and, as partners, the regions of the demo actors;
2. the **fictional** demo actors (:func:`smartspec.strategy.actors.demo_actors`, every name
   ends in "(fictional)");
3. the shipped funding catalogue (copied into the workspace) and good-practice library
   (global);
4. two TAs chosen by :func:`smartspec.discovery.candidates` on Eurostat SBS: the two
   highest-ranked candidates of the home region in which at least two demo actors of the home
   region are active (so that a consortium can be formed), each stored with its diagnosis as
   evidence snapshot;
5. for each TA a consortium from the MILP builder and a draft strategy (stored actions);
6. monitoring (:func:`smartspec.store.monitoring_services.seed_demo_monitoring`): ten years
   of context indicators computed from the shipped regional employment data, a monitoring
   plan, and output/result observations marked "demo entry (fictional)".

Idempotent: running it again adds nothing that is already there (actors are matched by region
and name, TAs by activity; a TA that already has a consortium or actions keeps them).
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from . import planning
from . import services as svc

__all__ = ["DEMO_USER", "DemoResult", "seed_demo"]

#: The audit-log user of the demo's changes.
DEMO_USER = "demo-seed"


@dataclass
class DemoResult:
    """What :func:`seed_demo` built (counts are of the whole workspace)."""

    slug: str
    tas: list[str] = field(default_factory=list)
    actors: int = 0
    actions: int = 0
    consortia: int = 0
    created: bool = False


def _choose_tas(session: Session, ws: object, home: str, n: int) -> list[str]:
    cands = planning.embedded_candidates(home)
    active = Counter(d for a in svc.list_actors(session, ws, region=home)
                     for d in svc.actor_to_domain(a).divisions())
    chosen = [code for code in cands.sort_values("rank").index if active.get(code, 0) >= 2][:n]
    return chosen or list(cands.sort_values("rank").index[:n])


def _seed(session: Session, region: str, slug: str | None, name: str | None,
          n_tas: int) -> DemoResult:
    from smartspec.strategy.actors import demo_actors

    region = str(region).strip().upper()
    slug = slug or f"demo-{region.lower()}"
    actors = demo_actors(region)
    created = False
    try:
        ws = svc.get_workspace(session, slug)
    except svc.NotFoundError:
        label = svc._known_regions().get(region, region)
        ws = svc.create_workspace(
            session, name or f"Demo: {label} ({region}) S3",
            region=region, slug=slug,
            description="Demonstration workspace built from the shipped Eurostat data. Every "
                        "actor is FICTIONAL (names end in '(fictional)').")
        created = True
    home = ws.home_region or region
    have_regions = {r.code for r in ws.regions}
    for code in sorted({a.region for a in actors} - have_regions - {home}):
        svc.add_region(session, ws, code, role="partner")
    existing = {(a.region, a.name) for a in svc.list_actors(session, ws)}
    new = [a for a in actors if (a.region, a.name) not in existing]
    if new:
        svc.import_actors(session, ws, new)
    svc.load_funding_catalogue(session, ws)
    svc.load_good_practice_library(session)

    tas = svc.list_tas(session, ws, status="selected")
    if not tas:
        tas = [planning.ensure_ta(session, ws, code)
               for code in _choose_tas(session, ws, home, n_tas)]
    for ta in tas:
        if not svc.list_consortia(session, ws, ta=ta):
            planning.build_and_record_consortium(session, ws, ta)
        planning.draft_and_store(session, ws, ta)
    # element 5: real context indicators from the regional accounts, a monitoring plan and
    # fictional output/result observations ("demo entry (fictional)")
    from .monitoring_services import seed_demo_monitoring

    seed_demo_monitoring(session, ws)
    return DemoResult(slug=ws.slug, tas=[t.activity for t in tas],
                      actors=len(svc.list_actors(session, ws)),
                      actions=len(svc.list_actions(session, ws)),
                      consortia=len(svc.list_consortia(session, ws)), created=created)


def seed_demo(target: Session | str | os.PathLike[str] | None = None, region: str = "AT31", *,
              slug: str | None = None, name: str | None = None, n_tas: int = 2) -> DemoResult:
    """Create or complete the demo workspace (idempotent).

    Parameters
    ----------
    target : an open session (the caller commits), or a database URL / SQLite path (migrated
        to the latest revision, then one transaction); default :func:`smartspec.store.db.
        database_url`.
    region : NUTS 2 code of the home region (the demo actors are written for AT31 and moved to
        another home region when asked).
    slug : the workspace; default ``demo-<region>``. An existing workspace is completed.
    name : display name of a new workspace.
    n_tas : how many TAs to select (when the workspace has none).

    Returns
    -------
    DemoResult
    """
    if isinstance(target, Session):
        with target.begin_nested():
            return _seed(target, region, slug, name, n_tas)
    from . import db

    url = db.database_url(target)
    db.upgrade(url)
    with db.session_scope(url, user=DEMO_USER, context="demo") as session:
        return _seed(session, region, slug, name, n_tas)
