"""Services of the workspace store: every change to a workspace goes through these functions.

Each function takes an open session (:func:`smartspec.store.db.session_scope`) and a workspace
(a :class:`~smartspec.store.models.Workspace`, its slug or its id). Each *changing* function is
atomic on its own: it runs inside a savepoint, so when it refuses its input (raising a
:class:`StoreError` or the domain's ``ValueError``) nothing it did stays in the session, and the
caller's transaction decides about the rest. The audit log records every row changed (see
:mod:`smartspec.store.db`).

Bad input is refused with a message that names the object and the field:

* unknown actor / action types, statuses, scopes (the vocabularies of :mod:`smartspec.strategy`);
* dates out of order (``start > end``, a deadline before the start);
* negative or non-finite budgets, committed or spent amounts;
* references to objects of another workspace (:class:`CrossWorkspaceError`), also enforced by
  composite foreign keys in the database;
* duplicate actor names within a region (:class:`ConflictError` or the domain's
  ``ActorValidationError``);
* malformed CSV / Excel actor files (the domain's ``ActorValidationError``, with file, row, column).

The domain logic (validation of actors, action vocabulary and transitions, funding and
good-practice catalogues) lives in :mod:`smartspec.strategy` / :mod:`smartspec.implementation`
and is imported lazily; this module only adds persistence and cross-object rules.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import func, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .models import (
    MONITORING_KINDS,
    REGION_ROLES,
    TA_STATUSES,
    ActionParticipant,
    ActionRecord,
    ActorRecord,
    AuditLog,
    Consortium,
    ConsortiumMember,
    FundingInstrumentRecord,
    GoodPracticeRecord,
    MonitoringRecord,
    SelectedTA,
    Workspace,
    WorkspaceRegion,
    utcnow,
)

__all__ = [
    "FUNDING_SCOPES",
    "ConflictError",
    "CrossWorkspaceError",
    "NotFoundError",
    "StoreError",
    "change_marks",
    "StoreValidationError",
    "action_to_domain",
    "actor_to_domain",
    "add_action",
    "add_actor",
    "add_funding_instrument",
    "add_good_practice",
    "add_region",
    "audit_entries",
    "create_workspace",
    "default_data_version",
    "delete_action",
    "delete_actor",
    "delete_consortium",
    "delete_funding_instrument",
    "delete_workspace",
    "get_action",
    "get_actor",
    "get_ta",
    "get_workspace",
    "import_actors",
    "instrument_to_domain",
    "list_actions",
    "list_actors",
    "list_consortia",
    "list_funding_instruments",
    "list_good_practices",
    "list_monitoring",
    "list_tas",
    "list_workspaces",
    "load_funding_catalogue",
    "load_good_practice_library",
    "practice_to_domain",
    "record_consortium",
    "record_monitoring",
    "select_ta",
    "set_ta_status",
    "slugify",
    "unique_slug",
    "update_action",
    "update_actor",
    "update_funding_instrument",
    "update_workspace",
]

#: Scopes of a funding instrument.
FUNDING_SCOPES: tuple[str, ...] = ("EU", "national", "regional", "transnational")

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$")
_NUTS = re.compile(r"^[A-Z]{2}[A-Z0-9]{0,3}$")
_ACTIVITY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$")
_KEY = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,79}$")
_INDICATOR = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,79}$")


# ------------------------------------------------------------------------------------- errors


class StoreError(ValueError):
    """Input refused by the store; nothing was changed."""


class NotFoundError(StoreError, LookupError):
    """The workspace or object does not exist."""


class StoreValidationError(StoreError):
    """A value is invalid (type, range, vocabulary, date order ...)."""


class ConflictError(StoreError):
    """The object clashes with an existing one (duplicate name, slug, key ...)."""


class CrossWorkspaceError(StoreError):
    """A reference points to an object of another workspace."""


T = TypeVar("T")


def _atomic(func: Callable[..., T]) -> Callable[..., T]:
    """Run a changing service inside a savepoint: on error, none of its changes remain."""

    @functools.wraps(func)
    def wrapper(session: Session, *args: Any, **kwargs: Any) -> T:
        try:
            with session.begin_nested():
                result = func(session, *args, **kwargs)
                session.flush()
                return result
        except IntegrityError as exc:
            raise StoreError(f"{func.__name__}: the database refused the change: "
                             f"{_integrity_message(exc)}") from exc

    return wrapper


def _integrity_message(exc: IntegrityError) -> str:
    text = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
    return text


# ------------------------------------------------------------------------------------ helpers


def _domain_actors() -> Any:
    from smartspec.strategy import actors

    return actors


def _domain_actions() -> Any:
    from smartspec.strategy import actions

    return actions


def slugify(text: str) -> str:
    """A URL-safe slug: ASCII lower case, digits and single hyphens (``"Tirol S3" -> "tirol-s3"``)."""
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:80].rstrip("-") or "workspace"


def unique_slug(session: Session, base: str) -> str:
    """``base`` if no workspace uses it, else ``base-2``, ``base-3`` ..."""
    base = slugify(base)
    taken = set(session.scalars(select(Workspace.slug).where(Workspace.slug.like(f"{base}%"))))
    if base not in taken:
        return base
    n = 2
    while f"{base[:74]}-{n}" in taken:
        n += 1
    return f"{base[:74]}-{n}"


@functools.cache
def default_data_version() -> str:
    """The version of the shipped evidence data: package version + hash of the data manifest."""
    from smartspec import __version__

    try:
        from smartspec.datasets import files_dir

        digest = hashlib.sha256((files_dir() / "MANIFEST.json").read_bytes()).hexdigest()[:12]
    except (ImportError, OSError):  # pragma: no cover - broken installation
        digest = "unknown"
    return f"smartspec-{__version__}+data.{digest}"


def _json_safe(value: Any) -> Any:
    """Plain JSON values from numpy / pandas scalars, tuples, dates, NaN (-> None)."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            return None
        return value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _json_safe(dataclasses.asdict(value))
    if hasattr(value, "tolist") and callable(value.tolist):  # numpy arrays and scalars
        return _json_safe(value.tolist())
    if hasattr(value, "item") and callable(value.item):
        return _json_safe(value.item())
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [_json_safe(v) for v in items]
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return None
        if isinstance(value, pd.Timestamp):
            return value.isoformat()
    except ImportError:  # pragma: no cover
        pass
    return str(value)


def _text(value: Any, what: str, *, max_len: int, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise StoreValidationError(f"{what} must be text, got {type(value).__name__}")
    value = value.strip()
    if required and not value:
        raise StoreValidationError(f"{what} must not be empty")
    if len(value) > max_len:
        raise StoreValidationError(f"{what} is longer than {max_len} characters")
    return value


def _nuts(code: Any, what: str) -> str:
    text = str(code).strip().upper() if code is not None else ""
    if not _NUTS.match(text):
        raise StoreValidationError(f"{what} must be a NUTS code such as 'AT31', got {code!r}")
    return text


@functools.cache
def _known_regions() -> dict[str, str]:
    try:
        from smartspec.datasets import geo

        table = geo.regions(level=None)
    except Exception:  # pragma: no cover - datasets missing: accept any NUTS-shaped code
        return {}
    return dict(zip(table["code"].astype(str), table["name"].astype(str), strict=True))


def _check_known_region(code: str, what: str) -> str | None:
    known = _known_regions()
    if known and code not in known:
        raise StoreValidationError(f"{what}: unknown NUTS 2021 region code {code!r}")
    return known.get(code)


def _date(value: Any, what: str) -> dt.date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise StoreValidationError(f"{what} must be a date (YYYY-MM-DD), got {value!r}")


def _amount(value: Any, what: str) -> float:
    if value is None or (isinstance(value, str) and not value.strip()):
        return 0.0
    if isinstance(value, bool):
        raise StoreValidationError(f"{what} must be a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise StoreValidationError(f"{what} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise StoreValidationError(f"{what} must be a finite number, got {value!r}")
    if number < 0:
        raise StoreValidationError(f"{what} must not be negative, got {number:g}")
    return number


def _optional_int(value: Any, what: str, *, low: int | None = None,
                  high: int | None = None) -> int | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise StoreValidationError(f"{what} must be an integer, got {value!r}")
    try:
        number = float(value)
    except ValueError:
        raise StoreValidationError(f"{what} must be an integer, got {value!r}") from None
    if not number.is_integer():
        raise StoreValidationError(f"{what} must be an integer, got {value!r}")
    out = int(number)
    if (low is not None and out < low) or (high is not None and out > high):
        bounds = f"between {low} and {high}" if high is not None else f">= {low}"
        raise StoreValidationError(f"{what} must be {bounds}, got {out}")
    return out


def _owned(ws: Workspace, found: Any, ref: Any, noun: str) -> Any:
    """``found`` (looked up from ``ref``) if it exists and belongs to ``ws``.

    Raises
    ------
    NotFoundError, CrossWorkspaceError
    """
    if found is None:
        raise NotFoundError(f"workspace {ws.slug!r} has no {noun} {ref!r}")
    if found.workspace_id != ws.id:
        raise CrossWorkspaceError(f"{noun} {found.id} belongs to another workspace, not "
                                  f"{ws.slug!r}")
    return found


def _by_id(session: Session, model: type, ref: Any, noun: str) -> Any:
    """``ref`` itself when it is a ``model`` row, else the row with that integer id (or None)."""
    if isinstance(ref, model):
        return ref
    ident = _optional_int(ref, f"{noun} id")
    return session.get(model, ident) if ident is not None else None


def _str_list(value: Any, what: str, *, allowed: Iterable[str] | None = None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [v for v in re.split(r"[;|]", value) if v.strip()]
    if not isinstance(value, Iterable) or isinstance(value, Mapping):
        raise StoreValidationError(f"{what} must be a list of text, got {type(value).__name__}")
    out: list[str] = []
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise StoreValidationError(f"{what} must hold non-empty text, got {item!r}")
        if item.strip() not in out:
            out.append(item.strip())
    if allowed is not None:
        allowed = tuple(allowed)
        unknown = [v for v in out if v not in allowed]
        if unknown:
            raise StoreValidationError(f"{what}: unknown value(s) {unknown}; "
                                       f"allowed: {', '.join(allowed)}")
    return out


def _fields_of(obj: Any, what: str) -> dict[str, Any]:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return dict(obj)
    raise StoreValidationError(f"{what} must be a dataclass or a mapping, got "
                               f"{type(obj).__name__}")


def _reject_unknown(data: Mapping[str, Any], allowed: Iterable[str], what: str) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise StoreValidationError(f"{what}: unknown field(s) {', '.join(unknown)}")


# --------------------------------------------------------------------------------- workspaces


def get_workspace(session: Session, ref: Workspace | str | int) -> Workspace:
    """The workspace given by object, slug or id.

    Raises
    ------
    NotFoundError
    """
    if isinstance(ref, Workspace):
        return ref
    if isinstance(ref, int) and not isinstance(ref, bool):
        found = session.get(Workspace, ref)
    elif isinstance(ref, str):
        found = session.scalar(select(Workspace).where(Workspace.slug == ref.strip()))
    else:
        raise StoreValidationError(f"a workspace is given by slug or id, got {ref!r}")
    if found is None:
        raise NotFoundError(f"no workspace {ref!r}")
    return found


def list_workspaces(session: Session) -> list[Workspace]:
    """Every workspace, by slug."""
    return list(session.scalars(select(Workspace).order_by(Workspace.slug)))


@_atomic
def create_workspace(session: Session, name: str, *, region: str, slug: str | None = None,
                     description: str = "", partners: Iterable[str] = (),
                     data_version: str | None = None, check_regions: bool = True) -> Workspace:
    """Create a workspace for ``region``'s S3 process.

    Parameters
    ----------
    name : display name, e.g. ``"Oberösterreich S3 2021-2027"``.
    region : NUTS code of the home region.
    slug : URL name; default derived from ``name``. Must be unused.
    description : free text.
    partners : NUTS codes of partner regions.
    data_version : version of the evidence data used; default :func:`default_data_version`.
    check_regions : refuse codes that are not NUTS 2021 regions (shipped table).

    Raises
    ------
    StoreValidationError, ConflictError
    """
    name = _text(name, "workspace name", max_len=200, required=True)
    slug = slugify(name) if slug is None else str(slug).strip()
    if not _SLUG.match(slug):
        raise StoreValidationError(f"workspace slug {slug!r} must be lower-case letters, digits "
                                   "and hyphens (at most 80)")
    if session.scalar(select(Workspace.id).where(Workspace.slug == slug)) is not None:
        raise ConflictError(f"a workspace with slug {slug!r} already exists")
    description = _text(description, "workspace description", max_len=20000)
    workspace = Workspace(name=name, slug=slug, description=description,
                          data_version=data_version or default_data_version())
    session.add(workspace)
    session.flush()
    add_region.__wrapped__(session, workspace, region, role="home", check=check_regions)
    for code in partners:
        add_region.__wrapped__(session, workspace, code, role="partner", check=check_regions)
    return workspace


@_atomic
def update_workspace(session: Session, workspace: Workspace | str | int, *,
                     name: str | None = None, description: str | None = None,
                     data_version: str | None = None) -> Workspace:
    """Rename a workspace, edit its description or record a new data version."""
    ws = get_workspace(session, workspace)
    if name is not None:
        ws.name = _text(name, "workspace name", max_len=200, required=True)
    if description is not None:
        ws.description = _text(description, "workspace description", max_len=20000)
    if data_version is not None:
        ws.data_version = _text(data_version, "data version", max_len=80, required=True)
    return ws


@_atomic
def delete_workspace(session: Session, workspace: Workspace | str | int) -> None:
    """Delete a workspace and everything in it (the audit log keeps the history)."""
    ws = get_workspace(session, workspace)
    session.delete(ws)


@_atomic
def add_region(session: Session, workspace: Workspace | str | int, code: str, *,
               role: str = "partner", check: bool = True) -> WorkspaceRegion:
    """Add a region (``role`` ``"home"`` or ``"partner"``) to a workspace.

    Raises
    ------
    StoreValidationError
        Not a NUTS code, unknown region (``check``), unknown role.
    ConflictError
        The region is already in the workspace, or a second home region.
    """
    ws = get_workspace(session, workspace)
    code = _nuts(code, "region")
    if role not in REGION_ROLES:
        raise StoreValidationError(f"region role must be one of {REGION_ROLES}, got {role!r}")
    name = _check_known_region(code, "region") if check else None
    existing = session.scalars(select(WorkspaceRegion)
                               .where(WorkspaceRegion.workspace_id == ws.id)).all()
    if any(r.code == code for r in existing):
        raise ConflictError(f"region {code} is already in workspace {ws.slug!r}")
    if role == "home" and any(r.role == "home" for r in existing):
        raise ConflictError(f"workspace {ws.slug!r} already has a home region")
    region = WorkspaceRegion(workspace_id=ws.id, code=code, role=role, name=name)
    session.add(region)
    return region


# ---------------------------------------------------------------------------------- TAs


def _evidence_snapshot(candidate: Any, source: str | None, data_version: str | None,
                       extra: Mapping[str, Any] | None) -> dict[str, Any]:
    row: Any = candidate
    if row is not None and hasattr(row, "to_dict") and hasattr(row, "name"):  # a pandas row
        activity = row.name
        row = {"activity": activity, **row.to_dict()}
    snapshot: dict[str, Any] = {
        "candidate": _json_safe(row) if row is not None else None,
        "source": source,
        "data_version": data_version,
        "taken_at": utcnow().isoformat(),
    }
    if extra:
        snapshot.update({str(k): _json_safe(v) for k, v in extra.items()})
    return snapshot


@functools.cache
def _nace_labels() -> dict[str, str]:
    try:
        from smartspec.datasets import nace

        table = nace()
    except Exception:  # pragma: no cover - datasets missing
        return {}
    labels = dict(zip(table["code_eurostat"].astype(str), table["label"].astype(str),
                      strict=True))
    labels.update(zip(table["code"].astype(str), table["label"].astype(str), strict=True))
    return labels


def _nace_label(code: str) -> str:
    return _nace_labels().get(code, "")


@_atomic
def select_ta(session: Session, workspace: Workspace | str | int, activity: str, *,
              label: str | None = None, mode: str | None = None,
              candidate: Any = None, source: str | None = None,
              data_version: str | None = None, status: str = "selected",
              extra: Mapping[str, Any] | None = None, replace: bool = False) -> SelectedTA:
    """Record the choice of a transformative activity with the evidence that justified it.

    Parameters
    ----------
    activity : the activity code (e.g. NACE division ``"C28"``).
    label : its label; default from the NACE table when the code is a NACE code.
    mode : Foray's TA mode (default: the candidate's ``mode``).
    candidate : the row of :func:`smartspec.discovery.candidates` (a pandas Series named by
        the activity, or a mapping) that justified the choice; stored as JSON.
    source : the data source of the evidence (e.g. ``"Eurostat sbs_r_nuts06_r2"``).
    data_version : the data version (default: the workspace's).
    status : ``"selected"`` (default), ``"candidate"`` or ``"dropped"``.
    extra : more JSON-able context stored in the snapshot (weights, rank ...).
    replace : update an existing TA of the same activity instead of refusing it.

    Raises
    ------
    StoreValidationError, ConflictError
    """
    ws = get_workspace(session, workspace)
    code = str(activity).strip()
    if not _ACTIVITY.match(code):
        raise StoreValidationError(f"activity code {activity!r} is not a valid code")
    if status not in TA_STATUSES:
        raise StoreValidationError(f"TA status must be one of {TA_STATUSES}, got {status!r}")
    if mode is None and candidate is not None:
        raw_mode = candidate.get("mode") if hasattr(candidate, "get") else None
        mode = str(raw_mode) if raw_mode is not None and raw_mode == raw_mode else None
    if mode is not None:
        mode = _text(mode, "TA mode", max_len=40) or None
    label = _text(label, "TA label", max_len=300) if label is not None else _nace_label(code)
    snapshot = _evidence_snapshot(candidate, source, data_version or ws.data_version, extra)
    ta = session.scalar(select(SelectedTA).where(SelectedTA.workspace_id == ws.id,
                                                 SelectedTA.activity == code))
    if ta is not None:
        if not replace:
            raise ConflictError(f"activity {code} is already a TA of workspace {ws.slug!r} "
                                f"(status {ta.status}); pass replace=True to update it")
        ta.label, ta.mode, ta.status = label, mode, status
        ta.evidence_snapshot = snapshot
        ta.selected_at = utcnow()
        return ta
    ta = SelectedTA(workspace_id=ws.id, activity=code, label=label, mode=mode, status=status,
                    evidence_snapshot=snapshot)
    session.add(ta)
    return ta


def get_ta(session: Session, workspace: Workspace | str | int,
           ta: SelectedTA | str | int) -> SelectedTA:
    """A workspace's TA by object, activity code or id.

    Raises
    ------
    NotFoundError, CrossWorkspaceError
    """
    ws = get_workspace(session, workspace)
    if isinstance(ta, SelectedTA):
        found: SelectedTA | None = ta
    elif isinstance(ta, int) and not isinstance(ta, bool):
        found = session.get(SelectedTA, ta)
    elif isinstance(ta, str):
        found = session.scalar(select(SelectedTA).where(SelectedTA.workspace_id == ws.id,
                                                        SelectedTA.activity == ta.strip()))
    else:
        raise StoreValidationError(f"a TA is given by activity code or id, got {ta!r}")
    return _owned(ws, found, ta, "TA")


def list_tas(session: Session, workspace: Workspace | str | int, *,
             status: str | None = None) -> list[SelectedTA]:
    """A workspace's TAs, in the order they were recorded."""
    ws = get_workspace(session, workspace)
    query = select(SelectedTA).where(SelectedTA.workspace_id == ws.id)
    if status is not None:
        query = query.where(SelectedTA.status == status)
    return list(session.scalars(query.order_by(SelectedTA.id)))


@_atomic
def set_ta_status(session: Session, workspace: Workspace | str | int, ta: SelectedTA | str | int,
                  status: str) -> SelectedTA:
    """Change a TA's status (``selected``, ``candidate``, ``dropped``)."""
    found = get_ta(session, workspace, ta)
    if status not in TA_STATUSES:
        raise StoreValidationError(f"TA status must be one of {TA_STATUSES}, got {status!r}")
    found.status = status
    return found


# -------------------------------------------------------------------------------------- actors


_ACTOR_FIELDS = ("name", "actor_type", "region", "activities", "technologies", "skills", "size",
                 "contact_role", "fictional", "id")


def actor_to_domain(record: ActorRecord) -> Any:
    """The domain :class:`smartspec.strategy.actors.Actor` of a stored actor."""
    return _domain_actors().Actor(
        name=record.name, actor_type=record.actor_type, region=record.region,
        activities=list(record.activities or []), technologies=list(record.technologies or []),
        skills=list(record.skills or []), size=record.size, contact_role=record.contact_role,
        fictional=bool(record.fictional), id=record.id)


def _as_domain_actor(actor: Any) -> Any:
    domain = _domain_actors()
    if isinstance(actor, domain.Actor):
        return actor
    data = _fields_of(actor, "actor")
    _reject_unknown(data, _ACTOR_FIELDS, f"actor {data.get('name', '?')!r}")
    missing = [f for f in ("name", "actor_type", "region") if f not in data]
    if missing:
        raise StoreValidationError(f"actor {data.get('name', '?')!r}: missing field(s) "
                                   f"{', '.join(missing)}")
    return domain.Actor(**data)


def get_actor(session: Session, workspace: Workspace | str | int,
              actor: ActorRecord | int) -> ActorRecord:
    """A workspace's actor by object or id.

    Raises
    ------
    NotFoundError, CrossWorkspaceError
    """
    ws = get_workspace(session, workspace)
    return _owned(ws, _by_id(session, ActorRecord, actor, "actor"), actor, "actor")


def list_actors(session: Session, workspace: Workspace | str | int, *,
                region: str | None = None, actor_type: str | None = None) -> list[ActorRecord]:
    """A workspace's actors (optionally one region or type), by region and name."""
    ws = get_workspace(session, workspace)
    query = select(ActorRecord).where(ActorRecord.workspace_id == ws.id)
    if region is not None:
        query = query.where(ActorRecord.region == region)
    if actor_type is not None:
        query = query.where(ActorRecord.actor_type == actor_type)
    return list(session.scalars(query.order_by(ActorRecord.region, ActorRecord.name,
                                               ActorRecord.id)))


def _store_actor(session: Session, ws: Workspace, actor: Any) -> ActorRecord:
    record = ActorRecord(
        workspace_id=ws.id, name=actor.name, actor_type=actor.actor_type, region=actor.region,
        activities=list(actor.activities), technologies=list(actor.technologies),
        skills=list(actor.skills), size=actor.size, contact_role=actor.contact_role or "",
        fictional=bool(actor.fictional))
    session.add(record)
    return record


@_atomic
def add_actor(session: Session, workspace: Workspace | str | int, actor: Any) -> ActorRecord:
    """Validate and store one actor (a domain ``Actor`` or a mapping of its fields).

    Raises
    ------
    smartspec.strategy.actors.ActorValidationError
        Unknown actor type, bad NUTS / NACE / ESCO codes, negative size, personal data in the
        contact role, duplicate name in the region.
    """
    ws = get_workspace(session, workspace)
    domain = _domain_actors()
    candidate = _as_domain_actor(actor)
    candidate = dataclasses.replace(candidate, id=None)
    existing = [actor_to_domain(r) for r in list_actors(session, ws)]
    valid = domain.validate_actor(candidate, existing=existing)
    return _store_actor(session, ws, valid)


@_atomic
def import_actors(session: Session, workspace: Workspace | str | int,
                  source: str | Path | Any, *, known_regions: Iterable[str] | None = None,
                  ) -> list[ActorRecord]:
    """Import actors from a CSV / Excel file, a DataFrame or an iterable of actors: all or none.

    Every row is validated (including against the workspace's existing actors, for duplicate
    names within a region); if any row is invalid, nothing is stored and the domain's
    ``ActorValidationError`` lists every problem with its file, row and column.
    """
    ws = get_workspace(session, workspace)
    domain = _domain_actors()
    existing = [actor_to_domain(r) for r in list_actors(session, ws)]
    if isinstance(source, str | Path):
        actors = domain.read_actors(source, known_regions=known_regions, existing=existing)
    elif hasattr(source, "columns") and hasattr(source, "to_dict"):
        actors = domain.validate_actors(source, origin="table", known_regions=known_regions,
                                        existing=existing)
    else:
        actors = []
        for item in source:
            candidate = dataclasses.replace(_as_domain_actor(item), id=None)
            actors.append(domain.validate_actor(candidate, existing=[*existing, *actors],
                                                known_regions=known_regions))
    return [_store_actor(session, ws, a) for a in actors]


@_atomic
def update_actor(session: Session, workspace: Workspace | str | int, actor: ActorRecord | int,
                 **changes: Any) -> ActorRecord:
    """Change fields of an actor (validated like a new one)."""
    ws = get_workspace(session, workspace)
    record = get_actor(session, ws, actor)
    _reject_unknown(changes, set(_ACTOR_FIELDS) - {"id"}, f"actor {record.name!r}")
    current = actor_to_domain(record)
    candidate = dataclasses.replace(current, **changes)
    existing = [actor_to_domain(r) for r in list_actors(session, ws)]
    valid = _domain_actors().validate_actor(candidate, existing=existing)
    for name in _ACTOR_FIELDS:
        if name == "id":
            continue
        value = getattr(valid, name)
        setattr(record, name, list(value) if isinstance(value, list) else value)
    return record


@_atomic
def delete_actor(session: Session, workspace: Workspace | str | int,
                 actor: ActorRecord | int) -> None:
    """Delete an actor: it leaves the consortia and actions it was in; actions it owned keep
    no owner. Every one of these changes is audited."""
    ws = get_workspace(session, workspace)
    record = get_actor(session, ws, actor)
    for action in session.scalars(select(ActionRecord).where(
            ActionRecord.workspace_id == ws.id, ActionRecord.owner_id == record.id)):
        action.owner_id = None
    for link in session.scalars(select(ActionParticipant).where(
            ActionParticipant.actor_id == record.id)):
        session.delete(link)
    for member in session.scalars(select(ConsortiumMember).where(
            ConsortiumMember.actor_id == record.id)):
        session.delete(member)
    session.flush()
    session.delete(record)
    session.flush()
    session.expire_all()


# ------------------------------------------------------------------------------------- actions


_ACTION_FIELDS = ("title", "action_type", "description", "status", "owner", "participants",
                  "start", "end", "deadline", "budget", "committed", "spent", "regions", "notes",
                  "attachments", "rationale", "milestones", "indicators", "ta", "position",
                  "phase", "lead_actor_type")
#: Fields of an action stored in its own row (the rest are references).
_ACTION_SCALARS = tuple(f for f in _ACTION_FIELDS if f not in ("owner", "participants", "ta"))


def action_to_domain(record: ActionRecord) -> Any:
    """The domain :class:`smartspec.strategy.actions.Action` of a stored action."""
    domain = _domain_actions()
    names = {f.name for f in dataclasses.fields(domain.Action)}
    values: dict[str, Any] = {
        "title": record.title, "action_type": record.action_type,
        "description": record.description, "status": record.status, "owner": record.owner_id,
        "participants": record.participant_ids, "start": record.start, "end": record.end,
        "deadline": record.deadline, "budget": record.budget, "committed": record.committed,
        "spent": record.spent, "regions": list(record.regions or []), "notes": record.notes,
        "attachments": [dict(a) for a in record.attachments or []],
        "rationale": record.rationale,
        "milestones": [{**m, "due": _date(m.get("due"), "milestone due")}
                       for m in record.milestones or []],
        "indicators": list(record.indicators or []),
        "ta": record.ta.activity if record.ta is not None else None, "id": record.id,
        "phase": record.phase, "lead_actor_type": record.lead_actor_type,
    }
    return domain.Action(**{k: v for k, v in values.items() if k in names})


def _attachments(value: Any, what: str) -> list[dict[str, Any]]:
    if value is None:
        return []
    if isinstance(value, Mapping) or not isinstance(value, Iterable) or isinstance(value, str):
        raise StoreValidationError(f"{what} must be a list of {{name, size, media_type, uri}}")
    out = []
    for i, item in enumerate(value):
        item = _fields_of(item, f"{what}[{i}]")
        _reject_unknown(item, ("name", "size", "media_type", "uri"), f"{what}[{i}]")
        out.append({
            "name": _text(item.get("name"), f"{what}[{i}].name", max_len=300, required=True),
            "size": _optional_int(item.get("size"), f"{what}[{i}].size", low=0),
            "media_type": _text(item.get("media_type"), f"{what}[{i}].media_type",
                                max_len=120) or None,
            "uri": _text(item.get("uri"), f"{what}[{i}].uri", max_len=2000) or None,
        })
    return out


def _milestones(value: Any, what: str) -> list[dict[str, Any]]:
    """Milestones as ``{"title", "due"}`` with ``due`` a date (or None)."""
    if value is None:
        return []
    if isinstance(value, Mapping) or not isinstance(value, Iterable) or isinstance(value, str):
        raise StoreValidationError(f"{what} must be a list of {{title, due}}")
    out = []
    for i, item in enumerate(value):
        item = _fields_of(item, f"{what}[{i}]")
        _reject_unknown(item, ("title", "due"), f"{what}[{i}]")
        out.append({"title": _text(item.get("title"), f"{what}[{i}].title", max_len=300,
                                   required=True),
                    "due": _date(item.get("due"), f"{what}[{i}].due")})
    return out


def _check_action_values(values: dict[str, Any], what: str) -> list[str]:
    """Validate and normalise the scalar fields of an action in place; return the warnings.

    Values are parsed first (ISO dates, numbers, lists), then checked by the domain's
    :func:`smartspec.implementation.tracking.validate_action` (vocabulary, date order,
    amounts, regions, attachments, milestones).
    """
    from smartspec.implementation.tracking import validate_action

    domain = _domain_actions()
    for key in ("start", "end", "deadline"):
        values[key] = _date(values.get(key), f"{what}: {key}")
    values["milestones"] = _milestones(values.get("milestones"), f"{what}: milestones")
    for key in ("budget", "committed", "spent"):
        raw = values.get(key)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            values[key] = 0.0
        elif isinstance(raw, str):
            try:
                values[key] = float(raw)
            except ValueError:
                raise StoreValidationError(f"{what}: {key} must be a number, got "
                                           f"{raw!r}") from None
    values["regions"] = [str(r).strip().upper() for r in
                         _str_list(values.get("regions"), f"{what}: regions")]
    values["indicators"] = _str_list(values.get("indicators"), f"{what}: indicators")
    values["attachments"] = _attachments(values.get("attachments"), f"{what}: attachments")
    for key in ("title", "description", "notes", "rationale"):
        if values.get(key) is None:
            values[key] = ""
        if not isinstance(values[key], str):
            raise StoreValidationError(f"{what}: {key} must be text, got "
                                       f"{type(values[key]).__name__}")
    names = {f.name for f in dataclasses.fields(domain.Action)}
    probe = domain.Action(**{k: v for k, v in values.items()
                             if k in names and k not in ("owner", "participants", "ta", "id")})
    warnings = validate_action(probe, origin=what)
    # backstops (the database checks these too) and normalisation
    for key in ("budget", "committed", "spent"):
        values[key] = _amount(values.get(key), f"{what}: {key}")
    start, end = values["start"], values["end"]
    if start and end and start > end:
        raise StoreValidationError(f"{what}: dates out of order: start {start} is after end "
                                   f"{end}")
    values["title"] = _text(values.get("title"), f"{what}: title", max_len=300, required=True)
    for key in ("description", "notes", "rationale"):
        values[key] = _text(values.get(key), f"{what}: {key}", max_len=50000)
    values["regions"] = [_nuts(r, f"{what}: regions") for r in values["regions"]]
    values["milestones"] = [{"title": m["title"], "due": m["due"].isoformat() if m["due"]
                             else None} for m in values["milestones"]]
    values["position"] = _optional_int(values.get("position"), f"{what}: position", low=0) or 0
    values["phase"] = _optional_int(values.get("phase"), f"{what}: phase", low=0)
    lead = values.get("lead_actor_type")
    if lead is not None and lead not in _domain_actors().ACTOR_TYPES:
        raise StoreValidationError(f"{what}: unknown lead actor type {lead!r}")
    return warnings


def _resolve_actor_ids(session: Session, ws: Workspace, ids: Iterable[Any],
                       what: str) -> list[int]:
    out: list[int] = []
    for ref in ids:
        actor_id = ref.id if isinstance(ref, ActorRecord) else getattr(ref, "id", ref)
        record = get_actor(session, ws, actor_id)
        if record.id in out:
            raise StoreValidationError(f"{what}: actor {record.id} is listed twice")
        out.append(record.id)
    return out


def _action_values(data: Mapping[str, Any], what: str) -> dict[str, Any]:
    values = {k: v for k, v in data.items() if k != "id"}
    _reject_unknown(values, _ACTION_FIELDS, what)
    values.setdefault("status", "planned")
    return values


def _apply_action(session: Session, ws: Workspace, record: ActionRecord,
                  values: dict[str, Any], what: str) -> None:
    if "ta" in values:
        ta = values.pop("ta")
        record.ta_id = get_ta(session, ws, ta).id if ta is not None else None
    if "owner" in values:
        owner = values.pop("owner")
        owner = owner.id if isinstance(owner, ActorRecord) else owner
        record.owner_id = get_actor(session, ws, owner).id if owner is not None else None
    participants = values.pop("participants", None)
    for key, value in values.items():
        setattr(record, key, value)
    if inspect(record).persistent:  # the view-only relationships follow the new ids
        session.expire(record, ["ta", "owner"])
    if participants is not None:
        ids = _resolve_actor_ids(session, ws, participants, f"{what}: participants")
        keep = [link for link in record.participant_links if link.actor_id in ids]
        record.participant_links = keep + [
            ActionParticipant(actor_id=i, workspace_id=ws.id)
            for i in ids if i not in {link.actor_id for link in keep}]


@_atomic
def add_action(session: Session, workspace: Workspace | str | int, action: Any, *,
               ta: SelectedTA | str | int | None = None) -> ActionRecord:
    """Validate and store an action (a domain ``Action`` or a mapping of its fields).

    ``owner`` and ``participants`` are actor ids of the same workspace; ``ta`` (argument or
    field) is the TA's activity code or id. New actions start ``planned`` unless a status is
    given.

    Raises
    ------
    StoreValidationError
        Unknown action type or status, dates out of order, negative amounts ...
    NotFoundError, CrossWorkspaceError
        The owner, a participant or the TA is not an object of this workspace.
    """
    ws = get_workspace(session, workspace)
    values = _action_values(_fields_of(action, "action"), "action")
    if ta is not None:
        values["ta"] = ta
    what = f"action {values.get('title', '?')!r}"
    _check_action_values(values, what)
    record = ActionRecord(workspace_id=ws.id)
    values.setdefault("participants", [])
    _apply_action(session, ws, record, values, what)
    session.add(record)
    return record


def get_action(session: Session, workspace: Workspace | str | int,
               action: ActionRecord | int) -> ActionRecord:
    """A workspace's action by object or id.

    Raises
    ------
    NotFoundError, CrossWorkspaceError
    """
    ws = get_workspace(session, workspace)
    return _owned(ws, _by_id(session, ActionRecord, action, "action"), action, "action")


@_atomic
def update_action(session: Session, workspace: Workspace | str | int,
                  action: ActionRecord | int, *, on: dt.date | None = None,
                  **changes: Any) -> ActionRecord:
    """Edit an action. A status change must be allowed by the domain's workflow.

    A status change goes through :func:`smartspec.implementation.tracking.transition`:
    starting an action without a start date sets it to ``on`` (default today), finishing one
    without an end date sets the end likewise.

    Raises
    ------
    smartspec.strategy.actions.InvalidTransition
        E.g. ``done -> in_progress`` (done and cancelled are final).
    StoreValidationError, NotFoundError, CrossWorkspaceError
    """
    from smartspec.implementation.tracking import transition

    ws = get_workspace(session, workspace)
    record = get_action(session, ws, action)
    what = f"action {record.id} ({record.title!r})"
    _reject_unknown(changes, _ACTION_FIELDS, what)
    current = {key: getattr(record, key) for key in _ACTION_SCALARS}
    if "status" in changes and changes["status"] != record.status:
        moved = transition(action_to_domain(record), changes["status"], on=on)
        for key in ("start", "end"):
            if key not in changes and getattr(moved, key) != current[key]:
                changes[key] = getattr(moved, key)
    merged = {**current, **{k: v for k, v in changes.items()
                            if k not in ("ta", "owner", "participants")}}
    _check_action_values(merged, what)
    values = {k: v for k, v in merged.items() if k in changes}
    for key in ("ta", "owner", "participants"):
        if key in changes:
            values[key] = changes[key]
    _apply_action(session, ws, record, values, what)
    return record


def list_actions(session: Session, workspace: Workspace | str | int, *,
                 ta: SelectedTA | str | int | None = None,
                 status: str | None = None) -> list[ActionRecord]:
    """A workspace's actions (optionally of one TA / status), in strategy order."""
    ws = get_workspace(session, workspace)
    query = select(ActionRecord).where(ActionRecord.workspace_id == ws.id)
    if ta is not None:
        query = query.where(ActionRecord.ta_id == get_ta(session, ws, ta).id)
    if status is not None:
        query = query.where(ActionRecord.status == status)
    return list(session.scalars(query.order_by(ActionRecord.ta_id, ActionRecord.position,
                                               ActionRecord.id)))


@_atomic
def delete_action(session: Session, workspace: Workspace | str | int,
                  action: ActionRecord | int) -> None:
    """Delete an action and its participant links."""
    record = get_action(session, workspace, action)
    session.delete(record)


# ------------------------------------------------------------------------------------ consortia


def _consortium_members(result: Any) -> tuple[list[Any], float | None, dict[str, Any]]:
    """Members, coverage and parameters of a consortium-builder result (duck-typed)."""
    members = None
    for attr in ("members", "actors", "chosen"):
        if hasattr(result, attr):
            members = list(getattr(result, attr))
            break
    if members is None:
        raise StoreValidationError("the consortium result has no members/actors")
    coverage = getattr(result, "coverage", None)
    parameters: dict[str, Any] = {}
    for attr in ("constraints", "parameters", "params"):
        if hasattr(result, attr):
            parameters["constraints"] = _json_safe(getattr(result, attr))
            break
    for attr in ("status", "message", "objective", "binding", "infeasible_constraint",
                 "reasons"):
        if hasattr(result, attr):
            parameters[attr] = _json_safe(getattr(result, attr))
    return members, coverage, parameters


@_atomic
def record_consortium(session: Session, workspace: Workspace | str | int,
                      ta: SelectedTA | str | int | None, members: Any, *,
                      name: str | None = None, coverage: float | None = None,
                      parameters: Mapping[str, Any] | None = None, notes: str = "",
                      lead: Any = None) -> Consortium:
    """Store a consortium for a TA.

    Parameters
    ----------
    members : actor ids / actor records / domain actors with ids, or a consortium-builder result
        (an object with ``members`` or ``actors`` and ``coverage``).
    coverage : weighted coverage reached, in [0, 1] (default: the result's).
    parameters : the builder's constraints and diagnostics (JSON-able).
    lead : the leading actor (must be a member); default the first member.

    Raises
    ------
    StoreValidationError, NotFoundError, CrossWorkspaceError
    """
    ws = get_workspace(session, workspace)
    params: dict[str, Any] = {}
    if not isinstance(members, list | tuple) and (
            hasattr(members, "members") or hasattr(members, "actors")):
        members, result_coverage, params = _consortium_members(members)
        coverage = result_coverage if coverage is None else coverage
    if parameters:
        params.update(_json_safe(dict(parameters)))
    ta_record = get_ta(session, ws, ta) if ta is not None else None
    ids = _resolve_actor_ids(session, ws, members, "consortium members")
    if not ids:
        raise StoreValidationError("a consortium needs at least one member")
    if coverage is not None:
        coverage = float(coverage)
        if not (0.0 <= coverage <= 1.0) or math.isnan(coverage):
            raise StoreValidationError(f"consortium coverage must be in [0, 1], got {coverage}")
    lead_id = ids[0] if lead is None else getattr(lead, "id", lead)
    if lead_id not in ids:
        raise StoreValidationError(f"the consortium lead {lead_id} is not a member")
    label = name or (f"Consortium for {ta_record.activity}" if ta_record else "Consortium")
    consortium = Consortium(workspace_id=ws.id, ta_id=ta_record.id if ta_record else None,
                            name=_text(label, "consortium name", max_len=300, required=True),
                            coverage=coverage, parameters=params,
                            notes=_text(notes, "consortium notes", max_len=50000))
    consortium.members = [ConsortiumMember(actor_id=i, workspace_id=ws.id,
                                           role="lead" if i == lead_id else "member")
                          for i in ids]
    session.add(consortium)
    return consortium


def list_consortia(session: Session, workspace: Workspace | str | int, *,
                   ta: SelectedTA | str | int | None = None) -> list[Consortium]:
    """A workspace's consortia (optionally of one TA), oldest first."""
    ws = get_workspace(session, workspace)
    query = select(Consortium).where(Consortium.workspace_id == ws.id)
    if ta is not None:
        query = query.where(Consortium.ta_id == get_ta(session, ws, ta).id)
    return list(session.scalars(query.order_by(Consortium.id)))


@_atomic
def delete_consortium(session: Session, workspace: Workspace | str | int,
                      consortium: Consortium | int) -> None:
    """Delete a consortium (its actors stay)."""
    ws = get_workspace(session, workspace)
    session.delete(_owned(ws, _by_id(session, Consortium, consortium, "consortium"),
                          consortium, "consortium"))


# ------------------------------------------------------------------------- funding instruments


_INSTRUMENT_FIELDS = ("key", "name", "programme", "scope", "eligible_actor_types", "trl_min",
                      "trl_max", "geographic_scope", "min_consortium", "min_countries",
                      "cofunding_rate", "action_types", "url", "notes", "user_defined")


def _instrument_values(data: Mapping[str, Any], what: str) -> dict[str, Any]:
    _reject_unknown(data, (*_INSTRUMENT_FIELDS, "id"), what)
    actors = _domain_actors()
    actions = _domain_actions()
    key = str(data.get("key") or "").strip()
    if not _KEY.match(key):
        raise StoreValidationError(f"{what}: key {data.get('key')!r} must be lower-case letters, "
                                   "digits, '_', '-' or '.' (at most 80)")
    scope = data.get("scope")
    if scope not in FUNDING_SCOPES:
        raise StoreValidationError(f"{what}: scope must be one of {FUNDING_SCOPES}, got "
                                   f"{scope!r}")
    trl_min = _optional_int(data.get("trl_min"), f"{what}: trl_min", low=1, high=9)
    trl_max = _optional_int(data.get("trl_max"), f"{what}: trl_max", low=1, high=9)
    if trl_min is not None and trl_max is not None and trl_min > trl_max:
        raise StoreValidationError(f"{what}: trl_min {trl_min} is above trl_max {trl_max}")
    rate = data.get("cofunding_rate")
    if rate is not None:
        try:
            rate = float(rate)
        except (TypeError, ValueError):
            raise StoreValidationError(f"{what}: cofunding_rate must be a number, got "
                                       f"{rate!r}") from None
        if not (0.0 <= rate <= 1.0):
            raise StoreValidationError(f"{what}: cofunding_rate must be a share in [0, 1], got "
                                       f"{rate}")
    geo = data.get("geographic_scope")
    if geo is None:
        geo = []
    elif isinstance(geo, str):
        geo = _text(geo, f"{what}: geographic_scope", max_len=500)
    else:
        geo = _str_list(geo, f"{what}: geographic_scope")
    values = {
        "key": key,
        "name": _text(data.get("name"), f"{what}: name", max_len=300, required=True),
        "programme": _text(data.get("programme"), f"{what}: programme", max_len=5000),
        "scope": scope,
        "eligible_actor_types": _str_list(data.get("eligible_actor_types"),
                                          f"{what}: eligible_actor_types",
                                          allowed=actors.ACTOR_TYPES),
        "trl_min": trl_min, "trl_max": trl_max, "geographic_scope": geo,
        "min_consortium": _optional_int(data.get("min_consortium"), f"{what}: min_consortium",
                                        low=1),
        "min_countries": _optional_int(data.get("min_countries"), f"{what}: min_countries",
                                       low=1),
        "cofunding_rate": rate,
        "action_types": _str_list(data.get("action_types"), f"{what}: action_types",
                                  allowed=actions.ACTION_TYPES),
        "url": _text(data.get("url"), f"{what}: url", max_len=500) or None,
        "notes": _text(data.get("notes"), f"{what}: notes", max_len=50000),
        "user_defined": bool(data.get("user_defined", True)),
    }
    # and the domain's own rules for catalogue entries (raises FundingCatalogueError)
    from smartspec.strategy.funding import load_funding_catalogue

    load_funding_catalogue([{k: v for k, v in values.items() if k != "user_defined"}],
                           shipped=False)
    return values


def instrument_to_domain(record: FundingInstrumentRecord) -> Any:
    """The domain :class:`smartspec.strategy.funding.FundingInstrument` of a catalogue entry."""
    from smartspec.strategy import funding

    geo = record.geographic_scope
    return funding.FundingInstrument(
        key=record.key, name=record.name, programme=record.programme, scope=record.scope,
        eligible_actor_types=tuple(record.eligible_actor_types or ()),
        trl_min=record.trl_min, trl_max=record.trl_max,
        geographic_scope=list(geo) if isinstance(geo, list) else geo,
        min_consortium=record.min_consortium, min_countries=record.min_countries,
        cofunding_rate=record.cofunding_rate, action_types=tuple(record.action_types or ()),
        url=record.url, notes=record.notes, user_defined=record.user_defined)


def _get_instrument(session: Session, ws: Workspace,
                    ref: FundingInstrumentRecord | str | int) -> FundingInstrumentRecord:
    if isinstance(ref, str):
        found = session.scalar(select(FundingInstrumentRecord).where(
            FundingInstrumentRecord.workspace_id == ws.id, FundingInstrumentRecord.key == ref))
    else:
        found = _by_id(session, FundingInstrumentRecord, ref, "funding instrument")
    return _owned(ws, found, ref, "funding instrument")


@_atomic
def add_funding_instrument(session: Session, workspace: Workspace | str | int,
                           instrument: Any) -> FundingInstrumentRecord:
    """Add a catalogue entry (a domain ``FundingInstrument`` or a mapping of its fields).

    Raises
    ------
    StoreValidationError, ConflictError (key already used in the workspace)
    """
    ws = get_workspace(session, workspace)
    data = _fields_of(instrument, "funding instrument")
    values = _instrument_values(data, f"funding instrument {data.get('key')!r}")
    if session.scalar(select(FundingInstrumentRecord.id).where(
            FundingInstrumentRecord.workspace_id == ws.id,
            FundingInstrumentRecord.key == values["key"])) is not None:
        raise ConflictError(f"workspace {ws.slug!r} already has a funding instrument "
                            f"{values['key']!r}")
    record = FundingInstrumentRecord(workspace_id=ws.id, **values)
    session.add(record)
    return record


@_atomic
def update_funding_instrument(session: Session, workspace: Workspace | str | int,
                              instrument: FundingInstrumentRecord | str | int,
                              **changes: Any) -> FundingInstrumentRecord:
    """Edit a catalogue entry (e.g. set a co-funding rate that the shipped catalogue leaves
    unset)."""
    ws = get_workspace(session, workspace)
    record = _get_instrument(session, ws, instrument)
    current = {name: getattr(record, name) for name in _INSTRUMENT_FIELDS}
    values = _instrument_values({**current, **changes}, f"funding instrument {record.key!r}")
    if values["key"] != record.key and session.scalar(select(FundingInstrumentRecord.id).where(
            FundingInstrumentRecord.workspace_id == ws.id,
            FundingInstrumentRecord.key == values["key"])) is not None:
        raise ConflictError(f"workspace {ws.slug!r} already has a funding instrument "
                            f"{values['key']!r}")
    for name, value in values.items():
        if getattr(record, name) != value:
            setattr(record, name, value)
    return record


@_atomic
def delete_funding_instrument(session: Session, workspace: Workspace | str | int,
                              instrument: FundingInstrumentRecord | str | int) -> None:
    """Remove a catalogue entry from the workspace."""
    ws = get_workspace(session, workspace)
    session.delete(_get_instrument(session, ws, instrument))


def list_funding_instruments(session: Session, workspace: Workspace | str | int,
                             ) -> list[FundingInstrumentRecord]:
    """A workspace's funding instruments, by key."""
    ws = get_workspace(session, workspace)
    return list(session.scalars(select(FundingInstrumentRecord).where(
        FundingInstrumentRecord.workspace_id == ws.id).order_by(FundingInstrumentRecord.key)))


@_atomic
def load_funding_catalogue(session: Session, workspace: Workspace | str | int,
                           ) -> list[FundingInstrumentRecord]:
    """Copy the shipped funding catalogue into the workspace (entries whose key is new only).

    Returns the entries added; re-running adds nothing.
    """
    ws = get_workspace(session, workspace)
    have = {r.key for r in list_funding_instruments(session, ws)}
    added = []
    from smartspec.strategy.funding import load_funding_catalogue

    for item in load_funding_catalogue():
        data = _fields_of(item, "funding instrument")
        if data["key"] in have:
            continue
        values = _instrument_values(data, f"funding instrument {data['key']!r}")
        record = FundingInstrumentRecord(workspace_id=ws.id, **values)
        session.add(record)
        added.append(record)
    return added


# ----------------------------------------------------------------------------- good practices


_PRACTICE_FIELDS = ("key", "title", "summary", "action_types", "cluster_maturity", "ta_modes",
                    "region_types", "source", "tags")


def practice_to_domain(record: GoodPracticeRecord) -> Any:
    """The domain ``GoodPractice`` of a stored entry."""
    from smartspec.implementation import good_practices

    return good_practices.GoodPractice(
        key=record.key, title=record.title, summary=record.summary,
        action_types=tuple(record.action_types), cluster_maturity=tuple(record.cluster_maturity),
        ta_modes=tuple(record.ta_modes), region_types=tuple(record.region_types),
        source=record.source, tags=tuple(record.tags))


def _practice_values(data: Mapping[str, Any], what: str) -> dict[str, Any]:
    from smartspec.implementation import good_practices as gp

    _reject_unknown(data, (*_PRACTICE_FIELDS, "id"), what)
    key = str(data.get("key") or "").strip()
    if not _KEY.match(key):
        raise StoreValidationError(f"{what}: key {data.get('key')!r} must be lower-case letters, "
                                   "digits, '_', '-' or '.' (at most 80)")
    return {
        "key": key,
        "title": _text(data.get("title"), f"{what}: title", max_len=300, required=True),
        "summary": _text(data.get("summary"), f"{what}: summary", max_len=50000),
        "action_types": _str_list(data.get("action_types"), f"{what}: action_types",
                                  allowed=_domain_actions().ACTION_TYPES),
        "cluster_maturity": _str_list(data.get("cluster_maturity"),
                                      f"{what}: cluster_maturity",
                                      allowed=gp.CLUSTER_MATURITIES),
        "ta_modes": _str_list(data.get("ta_modes"), f"{what}: ta_modes", allowed=gp.TA_MODES),
        "region_types": _str_list(data.get("region_types"), f"{what}: region_types",
                                  allowed=gp.REGION_TYPES),
        "source": _text(data.get("source"), f"{what}: source", max_len=5000),
        "tags": _str_list(data.get("tags"), f"{what}: tags"),
    }


@_atomic
def add_good_practice(session: Session, practice: Any, *,
                      workspace: Workspace | str | int | None = None) -> GoodPracticeRecord:
    """Add a good practice to the global library (``workspace=None``) or to one workspace."""
    ws = get_workspace(session, workspace) if workspace is not None else None
    data = _fields_of(practice, "good practice")
    values = _practice_values(data, f"good practice {data.get('key')!r}")
    clash = select(GoodPracticeRecord.id).where(GoodPracticeRecord.key == values["key"])
    clash = clash.where(GoodPracticeRecord.workspace_id == ws.id if ws else
                        GoodPracticeRecord.workspace_id.is_(None))
    if session.scalar(clash) is not None:
        where = f"workspace {ws.slug!r}" if ws else "the global library"
        raise ConflictError(f"{where} already has a good practice {values['key']!r}")
    record = GoodPracticeRecord(workspace_id=ws.id if ws else None, **values)
    session.add(record)
    return record


def list_good_practices(session: Session, workspace: Workspace | str | int | None = None,
                        ) -> list[GoodPracticeRecord]:
    """The global library plus, with ``workspace``, that workspace's own entries (by key)."""
    query = select(GoodPracticeRecord)
    if workspace is None:
        query = query.where(GoodPracticeRecord.workspace_id.is_(None))
    else:
        ws = get_workspace(session, workspace)
        query = query.where((GoodPracticeRecord.workspace_id.is_(None))
                            | (GoodPracticeRecord.workspace_id == ws.id))
    return list(session.scalars(query.order_by(GoodPracticeRecord.key,
                                               GoodPracticeRecord.id)))


@_atomic
def load_good_practice_library(session: Session) -> list[GoodPracticeRecord]:
    """Copy the shipped good-practice library into the global library (new keys only)."""
    have = {r.key for r in list_good_practices(session)}
    added = []
    from smartspec.implementation.good_practices import load_practices

    for item in load_practices():
        data = _fields_of(item, "good practice")
        if data["key"] in have:
            continue
        record = GoodPracticeRecord(workspace_id=None, **_practice_values(
            data, f"good practice {data['key']!r}"))
        session.add(record)
        added.append(record)
    return added


# --------------------------------------------------------------------------------- monitoring


@_atomic
def record_monitoring(session: Session, workspace: Workspace | str | int,
                      ta: SelectedTA | str | int, indicator_key: str, *, kind: str, year: int,
                      value: float | None, unit: str = "", source: str = "", note: str = "",
                      replace: bool = True) -> MonitoringRecord:
    """Record one indicator observation of a TA (an upsert on TA, indicator, kind, year).

    Raises
    ------
    StoreValidationError
        Unknown kind, a year outside 1900-2100, a non-numeric value, a unit that differs from
        the unit already recorded for the indicator.
    ConflictError
        The observation exists and ``replace`` is False.
    """
    ws = get_workspace(session, workspace)
    ta_record = get_ta(session, ws, ta)
    key = str(indicator_key).strip()
    if not _INDICATOR.match(key):
        raise StoreValidationError(f"indicator key {indicator_key!r} is not a valid key")
    if kind not in MONITORING_KINDS:
        raise StoreValidationError(f"indicator kind must be one of {MONITORING_KINDS}, got "
                                   f"{kind!r}")
    year_value = _optional_int(year, f"indicator {key}: year", low=1900, high=2100)
    if year_value is None:
        raise StoreValidationError(f"indicator {key}: a year is required")
    number: float | None
    if value is None:
        number = None
    else:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise StoreValidationError(f"indicator {key} ({year_value}): value must be numeric, "
                                       f"got {value!r}") from None
        if not math.isfinite(number):
            raise StoreValidationError(f"indicator {key} ({year_value}): value must be finite")
    unit = _text(unit, f"indicator {key}: unit", max_len=40)
    previous = session.scalars(select(MonitoringRecord).where(
        MonitoringRecord.ta_id == ta_record.id, MonitoringRecord.indicator_key == key,
        MonitoringRecord.kind == kind)).all()
    units = {r.unit for r in previous if r.year != year_value}
    if units and unit not in units:
        raise StoreValidationError(f"indicator {key}: unit {unit!r} differs from the unit "
                                   f"already recorded ({', '.join(map(repr, sorted(units)))})")
    existing = next((r for r in previous if r.year == year_value), None)
    fields = {"value": number, "unit": unit,
              "source": _text(source, f"indicator {key}: source", max_len=5000),
              "note": _text(note, f"indicator {key}: note", max_len=50000)}
    if existing is not None:
        if not replace:
            raise ConflictError(f"indicator {key} ({kind}) of TA {ta_record.activity} already "
                                f"has a value for {year_value}")
        for name, new in fields.items():
            if getattr(existing, name) != new:
                setattr(existing, name, new)
        return existing
    record = MonitoringRecord(workspace_id=ws.id, ta_id=ta_record.id, indicator_key=key,
                              kind=kind, year=year_value, **fields)
    session.add(record)
    return record


def list_monitoring(session: Session, workspace: Workspace | str | int, *,
                    ta: SelectedTA | str | int | None = None, indicator_key: str | None = None,
                    kind: str | None = None) -> list[MonitoringRecord]:
    """A workspace's indicator observations, by TA, indicator and year."""
    ws = get_workspace(session, workspace)
    query = select(MonitoringRecord).where(MonitoringRecord.workspace_id == ws.id)
    if ta is not None:
        query = query.where(MonitoringRecord.ta_id == get_ta(session, ws, ta).id)
    if indicator_key is not None:
        query = query.where(MonitoringRecord.indicator_key == indicator_key)
    if kind is not None:
        query = query.where(MonitoringRecord.kind == kind)
    return list(session.scalars(query.order_by(MonitoringRecord.ta_id,
                                               MonitoringRecord.indicator_key,
                                               MonitoringRecord.kind, MonitoringRecord.year)))


# ---------------------------------------------------------------------------------- audit log


def change_marks(session: Session, workspace: Workspace | str | int | None,
                 tables: Iterable[str]) -> tuple[int, ...]:
    """The id of the latest audit entry of each of ``tables`` in the workspace (0: none).

    Every stored change of a workspace's rows writes an audit entry, so a value computed from
    these tables is still current while their marks are unchanged: the web caches key on them.
    ``workspace=None`` reads the entries of no workspace: the site-wide tables (``users``).
    One query, one index lookup per table (``ix_audit_log_workspace_table_id``).
    """
    names = list(tables)
    if not names:
        return ()
    if workspace is None:
        owner = AuditLog.workspace_id.is_(None)
    else:
        ws_id = workspace if isinstance(workspace, int) else get_workspace(session, workspace).id
        owner = AuditLog.workspace_id == ws_id
    latest = [select(func.max(AuditLog.id)).where(owner, AuditLog.table_name == name)
              .scalar_subquery() for name in names]
    row = session.execute(select(*latest)).one()
    return tuple(int(v or 0) for v in row)


def audit_entries(session: Session, workspace: Workspace | str | int | None = None, *,
                  table: str | None = None, object_id: str | int | None = None,
                  limit: int | None = 100) -> list[AuditLog]:
    """Audit-log entries, newest first (optionally one workspace / table / object)."""
    query = select(AuditLog)
    if workspace is not None:
        query = query.where(AuditLog.workspace_id == get_workspace(session, workspace).id)
    if table is not None:
        query = query.where(AuditLog.table_name == table)
    if object_id is not None:
        query = query.where(AuditLog.object_id == str(object_id))
    query = query.order_by(AuditLog.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))
