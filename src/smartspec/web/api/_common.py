"""Helpers of the API routers: converters from store records and DataFrames to the schemas,
object lookups that answer 404 alike for missing and foreign objects."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import HTTPException, Path, Query

from smartspec.store import services as svc
from smartspec.web.api import schemas as s

T = TypeVar("T")

#: An object id in the path / the query string (32-bit, positive).
PathId = Annotated[int, Path(ge=1, le=s.MAX_ID)]
QueryId = Annotated[int | None, Query(ge=1, le=s.MAX_ID)]


def num(value: Any) -> float | None:
    """A finite float, or None (NaN, inf, missing, not a number)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def integer(value: Any) -> int | None:
    x = num(value)
    return int(x) if x is not None else None


def text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def str_list(value: Any) -> list[str]:
    if value is None or isinstance(value, str | bytes):
        return [] if not value else [str(value)]
    try:
        return [str(v) for v in value]
    except TypeError:
        return []


def lookup(what: str, ref: Any, fn: Callable[[], T]) -> T:
    """Run a store lookup; a missing object and another workspace's object both answer the
    same 404 (no existence leak through id guessing)."""
    try:
        return fn()
    except (svc.NotFoundError, svc.CrossWorkspaceError):
        raise HTTPException(status_code=404, detail=f"{what} {ref} not found") from None


def validation_detail(message: str, loc: tuple[str | int, ...] = ()) -> list[dict[str, Any]]:
    """A 422 ``detail`` in FastAPI's request-validation shape (one schema for every 422)."""
    return [{"loc": list(loc), "msg": str(message), "type": "value_error"}]


def unprocessable(problem: Exception | str) -> HTTPException:
    """A 422 answer with the message of ``problem`` (see :func:`validation_detail`)."""
    return HTTPException(status_code=422, detail=validation_detail(str(problem)))


# ------------------------------------------------------------------------------- converters


def user_out(user: Any) -> s.UserOut:
    return s.UserOut(id=user.id, username=user.username, display_name=user.display_name,
                     email=user.email, is_admin=user.is_admin, active=user.active,
                     language=user.language, created_at=user.created_at)


def actor_out(record: Any) -> s.ActorOut:
    from smartspec.strategy.actors import HELIX

    return s.ActorOut(id=record.id, name=record.name, actor_type=record.actor_type,
                      helix=HELIX.get(record.actor_type, ""), region=record.region,
                      activities=str_list(record.activities),
                      technologies=str_list(record.technologies),
                      skills=str_list(record.skills), size=record.size,
                      contact_role=record.contact_role, fictional=bool(record.fictional))


def action_out(record: Any) -> s.ActionOut:
    from smartspec.strategy.actions import ALLOWED_TRANSITIONS

    return s.ActionOut(
        id=record.id, ta_id=record.ta_id, ta=record.ta.activity if record.ta else None,
        position=record.position, title=record.title, action_type=record.action_type,
        description=record.description, status=record.status, owner_id=record.owner_id,
        participants=record.participant_ids, start=record.start, end=record.end,
        deadline=record.deadline, budget=record.budget, committed=record.committed,
        spent=record.spent, regions=str_list(record.regions), notes=record.notes,
        rationale=record.rationale, attachments=[dict(a) for a in record.attachments or []],
        milestones=[dict(m) for m in record.milestones or []],
        indicators=str_list(record.indicators), phase=record.phase,
        lead_actor_type=record.lead_actor_type,
        allowed_statuses=sorted(ALLOWED_TRANSITIONS.get(record.status, ())),
        updated_at=record.updated_at)


def ta_out(record: Any, detail: bool = False) -> s.TAOut | s.TADetail:
    snapshot = record.evidence_snapshot or {}
    candidate = snapshot.get("candidate") or {}
    mass = snapshot.get("critical_mass") or {}
    values = dict(id=record.id, activity=record.activity, label=record.label, mode=record.mode,
                  status=record.status, selected_at=record.selected_at,
                  score=num(candidate.get("score")), critical_mass_ratio=num(mass.get("ratio")))
    if detail:
        return s.TADetail(**values, evidence_snapshot=snapshot)
    return s.TAOut(**values)


def member_out(record: Any, actors: dict[int, Any]) -> s.ConsortiumMemberOut:
    from smartspec.strategy.actors import HELIX

    actor = actors.get(record.actor_id)
    return s.ConsortiumMemberOut(
        actor_id=record.actor_id, name=actor.name if actor else "", role=record.role,
        region=actor.region if actor else "", actor_type=actor.actor_type if actor else "",
        helix=HELIX.get(actor.actor_type, "") if actor else "")


def consortium_out(record: Any, actors: dict[int, Any]) -> s.ConsortiumOut:
    return s.ConsortiumOut(id=record.id, ta_id=record.ta_id, name=record.name,
                           coverage=num(record.coverage),
                           members=[member_out(m, actors) for m in record.members],
                           parameters=record.parameters or {}, notes=record.notes,
                           created_at=record.created_at)


def instrument_out(record: Any) -> s.FundingInstrumentOut:
    geo = record.geographic_scope
    return s.FundingInstrumentOut(
        id=record.id, key=record.key, name=record.name, programme=record.programme,
        scope=record.scope, eligible_actor_types=str_list(record.eligible_actor_types),
        trl_min=record.trl_min, trl_max=record.trl_max,
        geographic_scope=str_list(geo) if isinstance(geo, list) else text(geo),
        min_consortium=record.min_consortium, min_countries=record.min_countries,
        cofunding_rate=num(record.cofunding_rate), action_types=str_list(record.action_types),
        url=record.url, notes=record.notes, user_defined=bool(record.user_defined))


def practice_out(practice: Any, workspace_keys: set[str] | None = None) -> s.GoodPracticeOut:
    return s.GoodPracticeOut(
        key=practice.key, title=practice.title, summary=practice.summary,
        action_types=str_list(practice.action_types),
        cluster_maturity=str_list(practice.cluster_maturity),
        ta_modes=str_list(practice.ta_modes), region_types=str_list(practice.region_types),
        source=practice.source, tags=str_list(practice.tags),
        workspace_specific=practice.key in (workspace_keys or set()))


def candidate_out(code: str, row: Any) -> s.Candidate:
    get = row.get
    return s.Candidate(
        activity=str(code), rank=integer(get("rank")) or 0, label=text(get("label")),
        score=num(get("score")), feasibility=num(get("feasibility")), value=num(get("value")),
        advantage=num(get("advantage")), momentum=num(get("momentum")),
        transformative_potential=num(get("transformative_potential")),
        capability_gap=num(get("capability_gap")), p_top_k=num(get("p_top_k")),
        quadrant=text(get("quadrant")), quadrant_reading=text(get("quadrant_reading")),
        mode=text(get("mode")), partners=str_list(get("partners")),
        partner_gain=num(get("partner_gain")), explanation=text(get("explanation")),
        density=num(get("density")), pci=num(get("pci")), rca=num(get("rca")),
        employment=num(get("employment")))


def records(frame: Any) -> list[dict[str, Any]]:
    """Rows of a DataFrame as dicts with JSON-safe values (NaN -> None)."""
    out = []
    for row in frame.to_dict(orient="records"):
        clean = {}
        for key, value in row.items():
            if isinstance(value, float) and not math.isfinite(value):
                value = None
            elif hasattr(value, "item") and not isinstance(value, list | dict | str):
                try:
                    value = value.item()
                except (ValueError, AttributeError):
                    pass
                if isinstance(value, float) and not math.isfinite(value):
                    value = None
            clean[str(key)] = value
        out.append(clean)
    return out
