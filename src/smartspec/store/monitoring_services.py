"""Monitoring and evaluation in the workspace store (element 5): the persistence side of
:mod:`smartspec.monitoring`.

Indicators and observations
    :func:`ensure_standard_indicators` gives every selected TA the standard context, output and
    result indicators (idempotent); :func:`define_indicator` / :func:`update_indicator` add or
    change definitions (baseline, target, direction ...). Observations are recorded by form
    (:func:`record_observation`) or from a CSV file (:func:`import_observations_csv`, all or
    nothing), each refused with a clear message when the value is not numeric, the year is out
    of range, the indicator is unknown or the unit does not match.
Data years and context indicators
    :func:`import_data_year` / :func:`import_panel` store a year of evidence data (the full
    region x activity cross-section, with its checksum) and recompute the context indicators
    of every TA (:func:`recompute_context`). Imports are transactional (a failure leaves
    nothing behind) and idempotent (the same data imported again changes nothing, not even the
    audit log).
Output indicators
    :func:`recompute_outputs` derives them from the actions and consortia for a year; values
    recorded by hand for that year win over computed ones.
Monitoring plans, checks and report snapshots
    :func:`set_plan` (critical-mass date, rank to keep, rule overrides, helix types at the
    start); :func:`load_workspace_data` loads everything :func:`smartspec.monitoring.check`
    needs, re-running the discovery on the stored data years (:func:`rerun_discovery`);
    :func:`check_ta` / :func:`check_workspace` are the store-level wrappers;
    :func:`save_report_snapshot` / :func:`last_report_snapshot` keep what each report said.
Self-assessments
    :func:`record_self_assessment`, :func:`list_self_assessments`,
    :func:`self_assessment_steps` (RIS3 steps scored 0-5 in a workshop, per date).
Demo
    :func:`seed_demo_monitoring`: ten years of real context indicators from the shipped
    regional employment data, a monitoring plan and output/result observations marked
    ``"demo entry (fictional)"``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import math
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, undefer

from smartspec.monitoring.indicators import (
    Indicator,
    IndicatorError,
    ObservationError,
    canonical_unit,
    parse_observations_csv,
    standard_indicators,
    validate_observation,
)

from . import services as svc
from .models import (
    MONITORING_KINDS,
    ActorRecord,
    Consortium,
    MonitoringRecord,
    SelectedTA,
    Workspace,
    utcnow,
)
from .models_monitoring import (
    RECORD_ORIGINS,
    AssessmentScore,
    DataYearRecord,
    IndicatorRecord,
    MonitoringPlan,
    ReportSnapshot,
    SelfAssessment,
)

__all__ = [
    "DEFAULT_DATASET",
    "DEMO_NOTE",
    "DEMO_WORKSHOP",
    "DataImport",
    "MonitoringError",
    "ObservationRefused",
    "check_ta",
    "check_workspace",
    "define_indicator",
    "ensure_standard_indicators",
    "export_sections",
    "get_plan",
    "import_data_year",
    "import_observations_csv",
    "import_panel",
    "import_sections",
    "indicator_to_domain",
    "last_report_snapshot",
    "list_data_years",
    "list_indicators",
    "list_report_snapshots",
    "list_self_assessments",
    "load_workspace_data",
    "observations_frame",
    "recompute_context",
    "recompute_outputs",
    "record_observation",
    "record_self_assessment",
    "rerun_discovery",
    "save_report_snapshot",
    "seed_demo_monitoring",
    "self_assessment_scores",
    "self_assessment_steps",
    "set_plan",
    "update_indicator",
]

#: The data series context indicators are computed from unless told otherwise.
DEFAULT_DATASET = "regional_employment"
#: The note of every observation the demo records.
DEMO_NOTE = "demo entry (fictional)"
_UNSET: Any = object()


class MonitoringError(svc.StoreValidationError):
    """A monitoring input is refused; nothing was changed."""


class ObservationRefused(MonitoringError, ObservationError):
    """An observation is refused (non-numeric, year out of range, unknown indicator, unit)."""


def _atomic(func: Any) -> Any:
    """The services' savepoint wrapper (all or nothing), also turning the domain's
    ``IndicatorError`` into a store error."""

    @functools.wraps(func)
    def inner(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except IndicatorError as exc:
            raise MonitoringError(str(exc)) from exc

    return svc._atomic(inner)


# ---------------------------------------------------------------------------------------------
# indicator definitions
# ---------------------------------------------------------------------------------------------
_INDICATOR_FIELDS = ("key", "kind", "name", "unit", "direction", "definition", "source",
                     "baseline_value", "baseline_year", "target_value", "target_year",
                     "computed", "parameters")


def indicator_to_domain(record: IndicatorRecord) -> Indicator:
    """The :class:`smartspec.monitoring.Indicator` of a stored definition."""
    return Indicator(**{f: getattr(record, f) for f in _INDICATOR_FIELDS})


def _as_indicator(value: Indicator | Mapping[str, Any]) -> Indicator:
    if isinstance(value, Indicator):
        return value.validated()
    if not isinstance(value, Mapping):
        raise MonitoringError(f"an indicator is an Indicator or a mapping, got "
                              f"{type(value).__name__}")
    unknown = set(value) - set(_INDICATOR_FIELDS)
    if unknown:
        raise MonitoringError(f"indicator: unknown field(s) {sorted(unknown)}; fields: "
                              f"{', '.join(_INDICATOR_FIELDS)}")
    try:
        return Indicator(**{k: v for k, v in value.items()}).validated()
    except TypeError as exc:
        raise MonitoringError(f"indicator: {exc}") from exc


def list_indicators(session: Session, workspace: Workspace | str | int, *,
                    ta: SelectedTA | str | int | None = None,
                    kind: str | None = None) -> list[IndicatorRecord]:
    """A workspace's indicator definitions (optionally of one TA / kind), by TA, kind, key."""
    ws = svc.get_workspace(session, workspace)
    query = select(IndicatorRecord).where(IndicatorRecord.workspace_id == ws.id)
    if ta is not None:
        query = query.where(IndicatorRecord.ta_id == svc.get_ta(session, ws, ta).id)
    if kind is not None:
        query = query.where(IndicatorRecord.kind == kind)
    rows = list(session.scalars(query))
    order = {k: i for i, k in enumerate(MONITORING_KINDS)}
    return sorted(rows, key=lambda r: (r.ta_id, order.get(r.kind, 9), r.id))


def _get_indicator(session: Session, ws: Workspace, ta: SelectedTA,
                   key: str) -> IndicatorRecord:
    found = session.scalar(select(IndicatorRecord).where(
        IndicatorRecord.workspace_id == ws.id, IndicatorRecord.ta_id == ta.id,
        IndicatorRecord.key == str(key).strip()))
    if found is None:
        keys = sorted(r.key for r in session.scalars(select(IndicatorRecord).where(
            IndicatorRecord.workspace_id == ws.id, IndicatorRecord.ta_id == ta.id)))
        raise svc.NotFoundError(f"TA {ta.activity} has no indicator {key!r} (indicators: "
                                f"{', '.join(keys) or 'none'})")
    return found


def _check_unit_change(session: Session, record: IndicatorRecord, unit: str) -> None:
    units = {canonical_unit(u) for u in session.scalars(select(MonitoringRecord.unit).where(
        MonitoringRecord.ta_id == record.ta_id,
        MonitoringRecord.indicator_key == record.key)) if u}
    if units and unit not in units:
        raise MonitoringError(f"indicator {record.key!r}: cannot change the unit to {unit!r}, "
                              f"observations are recorded in {', '.join(sorted(units))}")


@_atomic
def define_indicator(session: Session, workspace: Workspace | str | int,
                     ta: SelectedTA | str | int, indicator: Indicator | Mapping[str, Any], *,
                     replace: bool = False) -> IndicatorRecord:
    """Add an indicator definition to a TA (or replace it with ``replace=True``).

    Raises
    ------
    MonitoringError
        An invalid definition (see :meth:`smartspec.monitoring.Indicator.validated`), or a
        unit change while observations exist in another unit.
    ConflictError
        The TA already has the key and ``replace`` is False.
    """
    ws = svc.get_workspace(session, workspace)
    ta_record = svc.get_ta(session, ws, ta)
    ind = _as_indicator(indicator)
    existing = session.scalar(select(IndicatorRecord).where(
        IndicatorRecord.workspace_id == ws.id, IndicatorRecord.ta_id == ta_record.id,
        IndicatorRecord.key == ind.key))
    if existing is not None:
        if not replace:
            raise svc.ConflictError(f"TA {ta_record.activity} already has an indicator "
                                    f"{ind.key!r}; pass replace=True to change it")
        if existing.unit != ind.unit:
            _check_unit_change(session, existing, ind.unit)
        _assign(existing, ind)
        return existing
    record = IndicatorRecord(workspace_id=ws.id, ta_id=ta_record.id)
    _assign(record, ind)
    session.add(record)
    return record


def _assign(record: IndicatorRecord, ind: Indicator) -> None:
    for f in _INDICATOR_FIELDS:
        new = dict(ind.parameters) if f == "parameters" else getattr(ind, f)
        if getattr(record, f, None) != new:
            setattr(record, f, new)


@_atomic
def update_indicator(session: Session, workspace: Workspace | str | int,
                     ta: SelectedTA | str | int, key: str, **changes: Any) -> IndicatorRecord:
    """Change fields of a TA's indicator (``name``, ``definition``, ``unit``, ``source``,
    ``direction``, ``baseline_value``, ``baseline_year``, ``target_value``, ``target_year``,
    ``parameters``); the result is validated as a whole.

    Raises
    ------
    NotFoundError, MonitoringError
    """
    ws = svc.get_workspace(session, workspace)
    ta_record = svc.get_ta(session, ws, ta)
    record = _get_indicator(session, ws, ta_record, key)
    allowed = set(_INDICATOR_FIELDS) - {"key", "kind", "computed"}
    unknown = set(changes) - allowed
    if unknown:
        raise MonitoringError(f"indicator {key!r}: cannot change {sorted(unknown)}; fields: "
                              f"{', '.join(sorted(allowed))}")
    ind = dataclasses.replace(indicator_to_domain(record), **changes).validated()
    if ind.unit != record.unit:
        _check_unit_change(session, record, ind.unit)
    _assign(record, ind)
    return record


def _selected_tas(session: Session, ws: Workspace,
                  tas: Iterable[SelectedTA | str | int] | None = None) -> list[SelectedTA]:
    if tas is not None:
        return [svc.get_ta(session, ws, t) for t in tas]
    return svc.list_tas(session, ws, status="selected")


def _snapshot_year(ta: SelectedTA) -> int | None:
    snap = ta.evidence_snapshot or {}
    for path in (("discovery", "year"), ("critical_mass", "year")):
        value: Any = snap
        for part in path:
            value = value.get(part) if isinstance(value, Mapping) else None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return int(value)
    return None


@_atomic
def ensure_standard_indicators(session: Session, workspace: Workspace | str | int, *,
                               tas: Iterable[SelectedTA | str | int] | None = None,
                               kinds: Iterable[str] = MONITORING_KINDS
                               ) -> list[IndicatorRecord]:
    """Give every selected TA (or ``tas``) the standard indicators it lacks (idempotent).

    The ``critical_mass_ratio`` result indicator gets the TA's evidence snapshot (the critical
    mass computed at selection) as baseline, and that value as its first observation.

    Returns
    -------
    list of IndicatorRecord
        The definitions created now.
    """
    ws = svc.get_workspace(session, workspace)
    created: list[IndicatorRecord] = []
    templates = standard_indicators(tuple(kinds))
    for ta in _selected_tas(session, ws, tas):
        have = {r.key: r for r in session.scalars(select(IndicatorRecord).where(
            IndicatorRecord.workspace_id == ws.id, IndicatorRecord.ta_id == ta.id))}
        for template in templates:
            if template.key in have:
                continue
            ind = template
            mass = (ta.evidence_snapshot or {}).get("critical_mass") or {}
            if template.key == "critical_mass_ratio" and isinstance(mass, Mapping) \
                    and isinstance(mass.get("ratio"), int | float) and mass.get("year"):
                ind = dataclasses.replace(
                    template, baseline_value=float(mass["ratio"]),
                    baseline_year=int(mass["year"]),
                    source=f"baseline: critical mass at selection "
                           f"(smartspec.implementation.critical_mass, {mass['year']} data); "
                           f"later values {template.source}")
            record = IndicatorRecord(workspace_id=ws.id, ta_id=ta.id)
            _assign(record, ind.validated())
            session.add(record)
            created.append(record)
            have[ind.key] = record
            if ind.key == "critical_mass_ratio" and ind.baseline_year is not None:
                _upsert(session, ws, ta, record, int(ind.baseline_year),
                        float(ind.baseline_value), origin="computed",  # type: ignore[arg-type]
                        source="evidence snapshot of the TA's selection", note="",
                        overwrite_user=False)
    session.flush()
    return created


# ---------------------------------------------------------------------------------------------
# observations
# ---------------------------------------------------------------------------------------------
def _indicators_of(session: Session, ws: Workspace, ta: SelectedTA) -> dict[str, IndicatorRecord]:
    return {r.key: r for r in session.scalars(select(IndicatorRecord).where(
        IndicatorRecord.workspace_id == ws.id, IndicatorRecord.ta_id == ta.id))}


def _upsert(session: Session, ws: Workspace, ta: SelectedTA, ind: IndicatorRecord, year: int,
            value: float | None, *, origin: str, source: str, note: str,
            data_version: str | None = None, overwrite_user: bool = True,
            existing: MonitoringRecord | None | Any = _UNSET) -> str:
    """Insert or update one observation; returns "created", "updated", "unchanged" or
    "kept" (a hand-recorded value that a computed one does not overwrite)."""
    if existing is _UNSET:
        existing = session.scalar(select(MonitoringRecord).where(
            MonitoringRecord.ta_id == ta.id, MonitoringRecord.indicator_key == ind.key,
            MonitoringRecord.kind == ind.kind, MonitoringRecord.year == year))
    fields = {"value": value, "unit": ind.unit, "source": source, "note": note,
              "origin": origin, "data_version": data_version, "indicator_id": ind.id}
    if existing is None:
        session.add(MonitoringRecord(workspace_id=ws.id, ta_id=ta.id, indicator_key=ind.key,
                                     kind=ind.kind, year=year, **fields))
        return "created"
    if origin == "computed" and existing.origin != "computed" and not overwrite_user:
        return "kept"
    changed = False
    for name, new in fields.items():
        old = getattr(existing, name)
        same = (old == new) if not (isinstance(old, float) and isinstance(new, float)) \
            else abs(old - new) <= 1e-12 * max(1.0, abs(new))
        if not same:
            setattr(existing, name, new)
            changed = True
    return "updated" if changed else "unchanged"


@_atomic
def record_observation(session: Session, workspace: Workspace | str | int,
                       ta: SelectedTA | str | int, key: str, year: Any, value: Any, *,
                       unit: str | None = None, note: str = "", source: str = "",
                       replace: bool = True, max_year: int | None = None) -> MonitoringRecord:
    """Record one observation of a TA's indicator (the form).

    Parameters
    ----------
    key, year, value : the indicator, the year and the value (text is parsed).
    unit : the unit of the value; empty means the indicator's unit.
    note, source : free text (where the value comes from).
    replace : update an existing observation of that year (default) instead of refusing.
    max_year : latest allowed year (default: the current year).

    Raises
    ------
    ObservationRefused
        Unknown indicator, a context indicator (computed from data), a non-numeric value, a
        year out of range, a unit mismatch.
    ConflictError
        The observation exists and ``replace`` is False.
    """
    ws = svc.get_workspace(session, workspace)
    ta_record = svc.get_ta(session, ws, ta)
    records = _indicators_of(session, ws, ta_record)
    domain = {k: indicator_to_domain(r) for k, r in records.items()}
    try:
        obs = validate_observation(domain, key, year, value, unit, note=note, source=source,
                                   max_year=max_year, where=f"TA {ta_record.activity}")
    except ObservationError as exc:
        raise ObservationRefused(str(exc)) from None
    ind = records[obs.key]
    existing = session.scalar(select(MonitoringRecord).where(
        MonitoringRecord.ta_id == ta_record.id, MonitoringRecord.indicator_key == ind.key,
        MonitoringRecord.kind == ind.kind, MonitoringRecord.year == obs.year))
    if existing is not None and not replace:
        raise svc.ConflictError(f"TA {ta_record.activity}: indicator {ind.key!r} already has a "
                                f"value for {obs.year} ({existing.value!r})")
    _upsert(session, ws, ta_record, ind, obs.year, obs.value, origin="form",
            source=obs.source, note=obs.note, existing=existing)
    session.flush()
    return session.scalar(select(MonitoringRecord).where(
        MonitoringRecord.ta_id == ta_record.id, MonitoringRecord.indicator_key == ind.key,
        MonitoringRecord.kind == ind.kind, MonitoringRecord.year == obs.year))


@dataclass
class ObservationImport:
    """What :func:`import_observations_csv` did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


@_atomic
def import_observations_csv(session: Session, workspace: Workspace | str | int, source: Any, *,
                            ta: SelectedTA | str | int | None = None,
                            max_year: int | None = None,
                            origin_name: str | None = None) -> ObservationImport:
    """Import observations from a CSV file, all or nothing.

    The format is :func:`smartspec.monitoring.parse_observations_csv` (``indicator, year,
    value[, unit, note, source, ta]``). Without a ``ta`` column every row belongs to ``ta``.
    Every row is checked first; if any is refused, nothing is stored and the error lists up to
    ten refused rows (file, row, column, value, reason).

    Raises
    ------
    ObservationRefused
    """
    ws = svc.get_workspace(session, workspace)
    try:
        rows = parse_observations_csv(source, origin=origin_name)
    except ObservationError as exc:
        raise ObservationRefused(str(exc)) from None
    name = origin_name or (str(source) if not hasattr(source, "read") else "<stream>")
    if isinstance(source, str) and "\n" in source:
        name = origin_name or "<text>"
    default_ta = svc.get_ta(session, ws, ta) if ta is not None else None
    cache: dict[str, tuple[SelectedTA, dict[str, IndicatorRecord], dict[str, Indicator]]] = {}
    errors: list[str] = []
    valid: list[tuple[SelectedTA, IndicatorRecord, Any]] = []
    seen: set[tuple[int, str, int]] = set()
    for row in rows:
        where = f"{name}, row {row['row']}"
        code = row.get("ta")
        try:
            if code:
                if code not in cache:
                    t = svc.get_ta(session, ws, code)
                    recs = _indicators_of(session, ws, t)
                    cache[code] = (t, recs, {k: indicator_to_domain(r) for k, r in recs.items()})
                t, recs, dom = cache[code]
            elif default_ta is not None:
                key = default_ta.activity
                if key not in cache:
                    recs = _indicators_of(session, ws, default_ta)
                    cache[key] = (default_ta, recs,
                                  {k: indicator_to_domain(r) for k, r in recs.items()})
                t, recs, dom = cache[key]
            else:
                raise ObservationError("column 'ta' is empty and no TA was given")
            obs = validate_observation(dom, row["key"], row["year"], row["value"], row["unit"],
                                       note=row["note"], source=row["source"],
                                       max_year=max_year, where=f"TA {t.activity}")
        except (ObservationError, svc.NotFoundError) as exc:
            errors.append(f"{where}: {exc}")
            continue
        ident = (t.id, obs.key, obs.year)
        if ident in seen:
            errors.append(f"{where}: indicator {obs.key!r} of TA {t.activity} for {obs.year} "
                          "appears twice in the file")
            continue
        seen.add(ident)
        valid.append((t, recs[obs.key], obs))
    if errors:
        more = f" (and {len(errors) - 10} more)" if len(errors) > 10 else ""
        raise ObservationRefused(f"{len(errors)} row(s) refused, nothing imported{more}:\n"
                                 + "\n".join(errors[:10]))
    summary = ObservationImport()
    for t, ind, obs in valid:
        outcome = _upsert(session, ws, t, ind, obs.year, obs.value, origin="csv",
                          source=obs.source, note=obs.note)
        if outcome == "created":
            summary.created += 1
        elif outcome == "updated":
            summary.updated += 1
        else:
            summary.unchanged += 1
    return summary


def observations_frame(session: Session, workspace: Workspace | str | int, *,
                       ta: SelectedTA | str | int | None = None) -> pd.DataFrame:
    """A workspace's observations as a table: ``ta, indicator, kind, year, value, unit,
    origin, source, note, data_version``."""
    ws = svc.get_workspace(session, workspace)
    query = select(MonitoringRecord, SelectedTA.activity).join(
        SelectedTA, (SelectedTA.id == MonitoringRecord.ta_id)
        & (SelectedTA.workspace_id == MonitoringRecord.workspace_id)).where(
        MonitoringRecord.workspace_id == ws.id)
    if ta is not None:
        query = query.where(MonitoringRecord.ta_id == svc.get_ta(session, ws, ta).id)
    rows = [{"ta": activity, "indicator": r.indicator_key, "kind": r.kind, "year": r.year,
             "value": r.value, "unit": r.unit, "origin": r.origin, "source": r.source,
             "note": r.note, "data_version": r.data_version}
            for r, activity in session.execute(query.order_by(
                MonitoringRecord.ta_id, MonitoringRecord.indicator_key, MonitoringRecord.year))]
    return pd.DataFrame(rows, columns=["ta", "indicator", "kind", "year", "value", "unit",
                                       "origin", "source", "note", "data_version"])


# ---------------------------------------------------------------------------------------------
# data years and context indicators
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DataImport:
    """What :func:`import_data_year` did: ``status`` is ``"created"``, ``"updated"`` (new
    values for a stored year) or ``"unchanged"`` (same checksum: nothing was written);
    ``context_changes`` counts the context observations written or removed."""

    dataset: str
    year: int
    checksum: str
    status: str
    context_changes: int = 0


def _matrix_json(matrix: pd.DataFrame) -> dict[str, Any]:
    x = matrix.copy()
    x.index = [str(r) for r in x.index]
    x.columns = [str(c) for c in x.columns]
    x = x.sort_index().sort_index(axis=1)
    values = [[None if not math.isfinite(v) else float(v) for v in row]
              for row in x.to_numpy(dtype=float)]
    return {"regions": list(x.index), "activities": list(x.columns), "values": values}


def _matrix_frame(doc: Mapping[str, Any]) -> pd.DataFrame:
    values = [[float("nan") if v is None else float(v) for v in row] for row in doc["values"]]
    return pd.DataFrame(values, index=pd.Index(doc["regions"], name="region"),
                        columns=pd.Index(doc["activities"], name="activity"), dtype=float)


def _year_matrix(data: Any, year: int | None) -> tuple[pd.DataFrame, int, dict[str, Any]]:
    """A (matrix, year, meta) from a Panel or a wide DataFrame."""
    if hasattr(data, "matrix") and hasattr(data, "years"):
        years = list(data.years)
        y = years[-1] if year is None else int(year)
        if y not in years:
            raise MonitoringError(f"year {year} is not in the data (years: "
                                  f"{years[0]}-{years[-1]})")
        meta_obj = getattr(data, "meta", None)
        meta: dict[str, Any] = {}
        if meta_obj is not None:
            src = getattr(meta_obj, "source", None)
            meta = {"measure": meta_obj.measure, "unit": meta_obj.unit,
                    "region_classification": meta_obj.region_classification,
                    "region_version": meta_obj.region_version,
                    "activity_classification": meta_obj.activity_classification,
                    "activity_level": meta_obj.activity_level,
                    "source": getattr(src, "name", None),
                    "attribution": getattr(src, "attribution", None)}
        return data.matrix(y), y, meta
    if isinstance(data, pd.DataFrame):
        if year is None:
            raise MonitoringError("give the year of a wide region x activity DataFrame")
        return data, int(year), {}
    raise MonitoringError(f"data must be a smartspec Panel or a wide region x activity "
                          f"DataFrame, got {type(data).__name__}")


def list_data_years(session: Session, workspace: Workspace | str | int, *,
                    dataset: str | None = None, with_matrix: bool = False
                    ) -> list[DataYearRecord]:
    """The imported data years (optionally of one dataset), by dataset and year.

    The ``matrix`` of each record is loaded on first access unless ``with_matrix`` is True,
    which loads every matrix in the same query.
    """
    ws = svc.get_workspace(session, workspace)
    query = select(DataYearRecord).where(DataYearRecord.workspace_id == ws.id)
    if with_matrix:
        query = query.options(undefer(DataYearRecord.matrix))
    if dataset is not None:
        query = query.where(DataYearRecord.dataset == dataset)
    return list(session.scalars(query.order_by(DataYearRecord.dataset, DataYearRecord.year)))


def _store_year(session: Session, ws: Workspace, matrix: pd.DataFrame, year: int,
                dataset: str, meta: Mapping[str, Any]) -> tuple[DataYearRecord, str]:
    from smartspec.monitoring.context import matrix_checksum, year_evidence

    if not isinstance(dataset, str) or not dataset.strip() or len(dataset) > 80:
        raise MonitoringError(f"dataset name must be 1-80 characters, got {dataset!r}")
    if not 1950 <= int(year) <= dt.date.today().year:
        raise MonitoringError(f"data year {year} is out of range (1950-{dt.date.today().year})")
    try:
        values = matrix.astype(float)
    except (TypeError, ValueError) as exc:
        raise MonitoringError(f"data year {year}: values must be numeric ({exc})") from None
    checksum = matrix_checksum(values)
    try:  # validates the data (negative values, too few regions ...) before anything is stored
        year_evidence(values, int(year), cache_key=f"{checksum}:all")
    except ValueError as exc:
        raise MonitoringError(f"{dataset} {year}: {exc}") from exc
    existing = session.scalar(select(DataYearRecord).where(
        DataYearRecord.workspace_id == ws.id, DataYearRecord.dataset == dataset,
        DataYearRecord.year == int(year)))
    if existing is not None and existing.checksum == checksum:
        return existing, "unchanged"
    doc = _matrix_json(values)
    fields = {"checksum": checksum, "n_regions": len(doc["regions"]),
              "n_activities": len(doc["activities"]), "meta": dict(meta), "matrix": doc,
              "imported_at": utcnow()}
    if existing is not None:
        for k, v in fields.items():
            setattr(existing, k, v)
        return existing, "updated"
    record = DataYearRecord(workspace_id=ws.id, dataset=dataset, year=int(year), **fields)
    session.add(record)
    return record, "created"


@_atomic
def import_data_year(session: Session, workspace: Workspace | str | int, data: Any,
                     year: int | None = None, *, dataset: str = DEFAULT_DATASET,
                     meta: Mapping[str, Any] | None = None,
                     recompute: bool = True) -> DataImport:
    """Store one year of evidence data and recompute the context indicators (one transaction).

    Parameters
    ----------
    data : a :class:`smartspec.data.Panel` (its ``year``, latest by default) or a wide region x
        activity DataFrame (``year`` required).
    year : the data year.
    dataset : the name of the data series (years of one dataset form its history).
    meta : metadata to keep (default: the panel's: measure, unit, classifications, source).
    recompute : recompute the context indicators of every selected TA.

    Returns
    -------
    DataImport
        ``status="unchanged"`` when the year was already imported with the same values: then
        nothing at all is written.

    Raises
    ------
    MonitoringError
        Invalid data, a year out of range, or context indicators that cannot be computed (e.g.
        the home region is not in the data); nothing is stored.
    """
    ws = svc.get_workspace(session, workspace)
    matrix, y, panel_meta = _year_matrix(data, year)
    record, status = _store_year(session, ws, matrix, y, dataset, meta or panel_meta)
    changes = 0
    if status != "unchanged":
        session.flush()
        if recompute:
            changes = recompute_context.__wrapped__(session, ws, dataset=dataset)
    return DataImport(dataset=dataset, year=y, checksum=record.checksum, status=status,
                      context_changes=changes)


@_atomic
def import_panel(session: Session, workspace: Workspace | str | int, panel: Any, *,
                 years: Iterable[int] | None = None, dataset: str = DEFAULT_DATASET
                 ) -> list[DataImport]:
    """:func:`import_data_year` for several years of a panel, as one transaction; the context
    indicators are recomputed once, at the end."""
    ws = svc.get_workspace(session, workspace)
    chosen = list(panel.years) if years is None else [int(y) for y in years]
    out: list[tuple[DataYearRecord, int, str]] = []
    for y in chosen:
        matrix, yy, meta = _year_matrix(panel, y)
        record, status = _store_year(session, ws, matrix, yy, dataset, meta)
        out.append((record, yy, status))
    changes = 0
    if any(s != "unchanged" for _, _, s in out):
        session.flush()
        changes = recompute_context.__wrapped__(session, ws, dataset=dataset)
    return [DataImport(dataset=dataset, year=y, checksum=r.checksum, status=s,
                       context_changes=changes) for r, y, s in out]


def _data(session: Session, ws: Workspace, dataset: str
          ) -> tuple[dict[int, pd.DataFrame], dict[int, str], list[DataYearRecord]]:
    rows = list_data_years(session, ws, dataset=dataset, with_matrix=True)
    return ({r.year: _matrix_frame(r.matrix) for r in rows},
            {r.year: r.checksum for r in rows}, rows)


def _context_dataset(session: Session, ws: Workspace) -> str | None:
    names = list(session.scalars(select(DataYearRecord.dataset).where(
        DataYearRecord.workspace_id == ws.id).distinct()))
    if not names:
        return None
    return DEFAULT_DATASET if DEFAULT_DATASET in names else sorted(names)[0]


@_atomic
def recompute_context(session: Session, workspace: Workspace | str | int, *,
                      dataset: str | None = None,
                      tas: Iterable[SelectedTA | str | int] | None = None) -> int:
    """Recompute the context indicators of the selected TAs from the stored data years.

    Writes one computed observation per indicator and data year (origin ``computed``, the data
    year's checksum as ``data_version``), removes computed observations of years no longer in
    the data or no longer computable, and sets each context indicator's baseline (when it has
    none) to its value in the TA's selection year (the evidence snapshot's data year), or else
    in the first data year. Idempotent: unchanged values are not written again.

    Returns
    -------
    int
        Observations created, updated or removed.

    Raises
    ------
    MonitoringError
        The region or the TA's activity is not covered by the data.
    """
    from smartspec.monitoring.context import CONTEXT_MEASURES, context_series, evidence_by_year

    ws = svc.get_workspace(session, workspace)
    dataset = dataset or _context_dataset(session, ws)
    if dataset is None:
        return 0
    matrices, checksums, rows = _data(session, ws, dataset)
    if not matrices:
        return 0
    home = ws.home_region
    if home is None:
        raise MonitoringError(f"workspace {ws.slug!r} has no home region")
    targets = _selected_tas(session, ws, tas)
    ensure_standard_indicators.__wrapped__(session, ws, tas=targets, kinds=("context",))
    try:
        evidence = evidence_by_year(matrices, checksums=checksums)
    except ValueError as exc:
        raise MonitoringError(f"{dataset}: {exc}") from exc
    source_name = next((r.meta.get("source") for r in reversed(rows) if r.meta.get("source")),
                       None) or dataset
    changes = 0
    for ta in targets:
        try:
            series = context_series(evidence, home, ta.activity)
        except ValueError as exc:
            raise MonitoringError(f"TA {ta.activity}: {exc}") from exc
        inds = {k: r for k, r in _indicators_of(session, ws, ta).items()
                if r.kind == "context" and r.computed}
        existing = {(r.indicator_key, r.year): r for r in session.scalars(
            select(MonitoringRecord).where(MonitoringRecord.ta_id == ta.id,
                                           MonitoringRecord.kind == "context"))}
        code = str(series.attrs.get("code"))
        base_year = _snapshot_year(ta)
        for key in CONTEXT_MEASURES:
            ind = inds.get(key)
            if ind is None:
                continue
            params = {**(ind.parameters or {}), "code": code, "dataset": dataset}
            if params != ind.parameters:
                ind.parameters = params
            values = series[key]
            for year, value in values.items():
                rec = existing.pop((key, int(year)), None)
                if value is None or not math.isfinite(float(value)):
                    if rec is not None and rec.origin == "computed":
                        session.delete(rec)
                        changes += 1
                    continue
                outcome = _upsert(session, ws, ta, ind, int(year), float(value),
                                  origin="computed", source=f"{source_name}; activity {code}",
                                  note="", data_version=checksums[int(year)],
                                  existing=rec)
                changes += outcome in ("created", "updated")
            if ind.baseline_year is None:
                finite = values[values.notna()]
                if len(finite):
                    y0 = base_year if base_year in finite.index else int(finite.index[0])
                    ind.baseline_year, ind.baseline_value = int(y0), float(finite[y0])
        for (key, _year), rec in existing.items():
            if key in inds and rec.origin == "computed":
                session.delete(rec)
                changes += 1
    session.flush()
    return changes


@_atomic
def recompute_outputs(session: Session, workspace: Workspace | str | int, *,
                      year: int | None = None,
                      tas: Iterable[SelectedTA | str | int] | None = None) -> int:
    """Record the output indicators of the selected TAs for ``year`` (default: the current
    year), derived from their actions and most recent consortium
    (:func:`smartspec.monitoring.output_values`). Values recorded by hand for that year are
    kept. Returns the number of observations created or updated."""
    from smartspec.monitoring.outputs import output_values

    ws = svc.get_workspace(session, workspace)
    y = int(year) if year is not None else dt.date.today().year
    targets = _selected_tas(session, ws, tas)
    ensure_standard_indicators.__wrapped__(session, ws, tas=targets, kinds=("output",))
    changes = 0
    for ta in targets:
        actions = [svc.action_to_domain(a) for a in svc.list_actions(session, ws, ta=ta)]
        consortia = svc.list_consortia(session, ws, ta=ta)
        members = consortia[-1].members if consortia else None
        values = output_values(actions, members)
        inds = _indicators_of(session, ws, ta)
        for key, value in values.items():
            ind = inds.get(key)
            if ind is None or not ind.computed:
                continue
            outcome = _upsert(session, ws, ta, ind, y, value, origin="computed",
                              source="workspace actions and consortia", note="",
                              overwrite_user=False)
            changes += outcome in ("created", "updated")
    session.flush()
    return changes


# ---------------------------------------------------------------------------------------------
# monitoring plans
# ---------------------------------------------------------------------------------------------
def get_plan(session: Session, workspace: Workspace | str | int,
             ta: SelectedTA | str | int) -> MonitoringPlan | None:
    """The TA's monitoring plan, or None."""
    ws = svc.get_workspace(session, workspace)
    t = svc.get_ta(session, ws, ta)
    return session.scalar(select(MonitoringPlan).where(MonitoringPlan.workspace_id == ws.id,
                                                       MonitoringPlan.ta_id == t.id))


def _consortium_helix(session: Session, ws: Workspace, ta: SelectedTA) -> frozenset[str] | None:
    from smartspec.monitoring.outputs import helix_types

    consortia = svc.list_consortia(session, ws, ta=ta)
    if not consortia:
        return None
    ids = [m.actor_id for m in consortia[-1].members]
    types = session.scalars(select(ActorRecord.actor_type).where(
        ActorRecord.workspace_id == ws.id, ActorRecord.id.in_(ids))) if ids else []
    return helix_types(types)


@_atomic
def set_plan(session: Session, workspace: Workspace | str | int, ta: SelectedTA | str | int, *,
             critical_mass_due: dt.date | str | None = _UNSET, top_k: int | None = _UNSET,
             rules: Mapping[str, Any] | None = _UNSET,
             helix_baseline: Iterable[str] | None = _UNSET,
             notes: str | None = _UNSET) -> MonitoringPlan:
    """Create or change a TA's monitoring plan (arguments left out keep their value).

    Parameters
    ----------
    critical_mass_due : date by which critical mass should be reached.
    top_k : rank the TA must keep among the discovery's candidates.
    rules : rule overrides (validated with :func:`smartspec.monitoring.configure_rules`).
    helix_baseline : helix types of the consortium at the start; default on creation: those of
        the TA's current consortium.
    notes : free text.

    Raises
    ------
    MonitoringError
    """
    from smartspec.monitoring.rules import configure_rules
    from smartspec.strategy.actors import HELIX_TYPES

    ws = svc.get_workspace(session, workspace)
    t = svc.get_ta(session, ws, ta)
    plan = session.scalar(select(MonitoringPlan).where(MonitoringPlan.workspace_id == ws.id,
                                                       MonitoringPlan.ta_id == t.id))
    if plan is None:
        plan = MonitoringPlan(workspace_id=ws.id, ta_id=t.id, rules={}, notes="")
        if helix_baseline is _UNSET:
            current = _consortium_helix(session, ws, t)
            plan.helix_baseline = sorted(current or ())
        session.add(plan)
    if critical_mass_due is not _UNSET:
        plan.critical_mass_due = svc._date(critical_mass_due, "critical_mass_due")
    if top_k is not _UNSET:
        plan.top_k = svc._optional_int(top_k, "top_k", low=1)
    if rules is not _UNSET:
        overrides = dict(rules or {})
        try:
            configure_rules(overrides)
        except ValueError as exc:
            raise MonitoringError(f"TA {t.activity}: {exc}") from exc
        plan.rules = svc._json_safe(overrides)
    if helix_baseline is not _UNSET:
        helix = sorted({str(h) for h in (helix_baseline or ())})
        bad = [h for h in helix if h not in HELIX_TYPES]
        if bad:
            raise MonitoringError(f"unknown helix type(s) {bad}; use {', '.join(HELIX_TYPES)}")
        plan.helix_baseline = helix
    if notes is not _UNSET:
        plan.notes = svc._text(notes, "plan notes", max_len=20000)
    session.flush()
    return plan


# ---------------------------------------------------------------------------------------------
# loading for the check, discovery re-run
# ---------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _division_inputs() -> tuple[Any, pd.Series]:
    from smartspec import datasets

    return datasets.sbs_employment(), datasets.nace("en").set_index("code_eurostat")["label"]


_RANK_CACHE: dict[tuple[str, tuple[tuple[int, str], ...]], pd.DataFrame] = {}
_RANK_LOCK = threading.Lock()


def _history_panel(matrices: Mapping[int, pd.DataFrame], years: Sequence[int]) -> Any:
    from smartspec.data.panel import Panel, PanelMeta
    from smartspec.datasets import REGIONAL_A10

    frames = []
    for y in years:
        m = matrices[y]
        cols = [c for c in m.columns if c in REGIONAL_A10]
        long = m[cols].stack().rename("value").reset_index()
        long.columns = ["region", "activity", "value"]
        long["year"] = int(y)
        frames.append(long)
    frame = pd.concat(frames, ignore_index=True)
    return Panel(frame, PanelMeta(region_classification="NUTS", activity_classification=
                                  "NACE Rev. 2", activity_level="A*10 section",
                                  measure="persons employed", unit="persons"))


def rerun_discovery(session: Session, workspace: Workspace | str | int, *,
                    as_of: int | None = None, reference_year: int | None = None,
                    dataset: str | None = None) -> tuple[Any, list[str]]:
    """Re-run the element 2 discovery (:func:`smartspec.discovery.candidates`) with the new
    data.

    The division-level cross-section is the shipped Eurostat SBS panel; the stored data years
    of the context dataset (A*10 employment up to ``as_of``) are its history, which drives the
    momentum and trend sub-scores. The reference ranking uses the history up to
    ``reference_year`` (default: the earliest selection year of the TAs), so both rankings are
    computed the same way. Scores use the default weights, without the robustness draws.

    Returns
    -------
    (DiscoveryRun or None, notes)
        None (with the reason in ``notes``) when fewer than two data years are stored up to
        ``as_of`` or the region is not in the division-level data.
    """
    from smartspec.discovery import candidates
    from smartspec.monitoring.rules import DiscoveryRun

    ws = svc.get_workspace(session, workspace)
    dataset = dataset or _context_dataset(session, ws)
    notes: list[str] = []
    if dataset is None:
        return None, ["discovery not re-run: no data year imported"]
    rows = list_data_years(session, ws, dataset=dataset)
    year = as_of if as_of is not None else dt.date.today().year
    usable = [r for r in rows if r.year <= year]
    if len(usable) < 2:
        return None, [f"discovery not re-run: fewer than two {dataset} data years up to {year}"]
    if reference_year is None:
        years = [_snapshot_year(t) for t in svc.list_tas(session, ws, status="selected")]
        years = [y for y in years if y is not None]
        reference_year = min(years) if years else None
    by_year = {r.year: r for r in usable}
    panel, labels = _division_inputs()
    home = ws.home_region or ""

    def rank(until: int) -> pd.DataFrame | None:
        chosen = sorted(y for y in by_year if y <= until)
        if len(chosen) < 2:
            return None
        # keyed by the data's checksums: the stored matrices are decoded only on a miss
        key = (home, tuple((y, by_year[y].checksum) for y in chosen))
        with _RANK_LOCK:
            cached = _RANK_CACHE.get(key)
        if cached is None:
            matrices = {y: _matrix_frame(by_year[y].matrix) for y in chosen}
            hist = _history_panel(matrices, chosen)
            cands = candidates(panel, home, history=hist, labels=labels, n_draws=0,
                               explain=False)
            cached = cands[["rank", "label", "score"]].copy()
            with _RANK_LOCK:
                _RANK_CACHE[key] = cached
                while len(_RANK_CACHE) > 64:
                    _RANK_CACHE.pop(next(iter(_RANK_CACHE)))
        return cached

    try:
        current = rank(year)
        reference = rank(reference_year) if reference_year is not None else None
    except ValueError as exc:
        return None, [f"discovery not re-run: {exc}"]
    assert current is not None
    last = max(y for y in by_year if y <= year)
    if reference is None:
        notes.append("no reference ranking (fewer than two data years up to the selection "
                     "year): candidates ahead of the TA are listed, not who overtook it")
    return DiscoveryRun(current=current, reference=reference, year=last,
                        reference_year=reference_year if reference is not None else None,
                        source=f"smartspec.discovery.candidates on Eurostat SBS 2015 with the "
                               f"{dataset} history up to {last}"), notes


def load_workspace_data(session: Session, workspace: Workspace | str | int, *,
                        as_of: int | None = None, discovery: bool = True,
                        today: dt.date | None = None) -> Any:
    """Everything :func:`smartspec.monitoring.check` needs about a workspace's selected TAs.

    A handful of queries (TAs, indicators, observations, plans, consortia and their actors'
    types), plus the discovery re-run (:func:`rerun_discovery`) when ``discovery`` is True.

    Returns
    -------
    smartspec.monitoring.WorkspaceData
    """
    from smartspec.monitoring.outputs import helix_types
    from smartspec.monitoring.rules import TAData, WorkspaceData

    ws = svc.get_workspace(session, workspace)
    day = today or dt.date.today()
    tas = svc.list_tas(session, ws, status="selected")
    by_id = {t.id: t for t in tas}
    indicators: dict[int, dict[str, Indicator]] = {t.id: {} for t in tas}
    codes: dict[int, str] = {}
    for rec in session.scalars(select(IndicatorRecord).where(
            IndicatorRecord.workspace_id == ws.id)):
        if rec.ta_id in indicators:
            indicators[rec.ta_id][rec.key] = indicator_to_domain(rec)
            if rec.key == "rca" and (rec.parameters or {}).get("code"):
                codes[rec.ta_id] = str(rec.parameters["code"])
    observations: dict[int, dict[str, dict[int, float]]] = {t.id: {} for t in tas}
    for ta_id, key, year, value in session.execute(select(
            MonitoringRecord.ta_id, MonitoringRecord.indicator_key, MonitoringRecord.year,
            MonitoringRecord.value).where(MonitoringRecord.workspace_id == ws.id)):
        if ta_id in observations and value is not None:
            observations[ta_id].setdefault(key, {})[int(year)] = float(value)
    plans = {p.ta_id: p for p in session.scalars(select(MonitoringPlan).where(
        MonitoringPlan.workspace_id == ws.id))}
    consortia: dict[int, Consortium] = {}
    for c in session.scalars(select(Consortium).where(Consortium.workspace_id == ws.id)
                             .options(selectinload(Consortium.members))
                             .order_by(Consortium.id)):
        if c.ta_id is not None:
            consortia[c.ta_id] = c  # the most recent wins
    actor_types = dict(session.execute(select(ActorRecord.id, ActorRecord.actor_type).where(
        ActorRecord.workspace_id == ws.id)).all())
    data: dict[str, Any] = {}
    for t in tas:
        plan = plans.get(t.id)
        cons = consortia.get(t.id)
        current = helix_types(actor_types[m.actor_id] for m in cons.members) \
            if cons is not None else None
        data[t.activity] = TAData(
            activity=t.activity, label=t.label, indicators=indicators[t.id],
            observations=observations[t.id],
            critical_mass_due=plan.critical_mass_due if plan else None,
            top_k=plan.top_k if plan else None,
            rule_overrides=dict(plan.rules or {}) if plan else {},
            helix_baseline=frozenset(plan.helix_baseline or ()) if plan else frozenset(),
            helix_current=current, context_code=codes.get(t.id))
    run = None
    notes: list[str] = []
    year = as_of if as_of is not None else day.year
    if discovery and by_id:
        run, notes = rerun_discovery(session, ws, as_of=year)
    years = tuple(sorted({r.year for r in list_data_years(session, ws)}))
    return WorkspaceData(slug=ws.slug, name=ws.name, region=ws.home_region or "", tas=data,
                         discovery=run, data_years=years, today=day, notes=tuple(notes))


def check_ta(session: Session, workspace: Workspace | str | int, ta: SelectedTA | str | int,
             as_of: int | None = None, rules: Any = None, *, discovery: bool = True,
             today: dt.date | None = None) -> Any:
    """:func:`smartspec.monitoring.check` of one TA on the stored data."""
    from smartspec.monitoring.rules import DEFAULT_RULES, check

    ws = svc.get_workspace(session, workspace)
    t = svc.get_ta(session, ws, ta)
    data = load_workspace_data(session, ws, as_of=as_of, discovery=discovery, today=today)
    return check(data, t.activity, as_of, rules if rules is not None else DEFAULT_RULES,
                 today=today)


def check_workspace(session: Session, workspace: Workspace | str | int,
                    as_of: int | None = None, rules: Any = None, *, discovery: bool = True,
                    today: dt.date | None = None) -> dict[str, Any]:
    """:func:`smartspec.monitoring.check` of every selected TA, by activity code."""
    from smartspec.monitoring.rules import DEFAULT_RULES, check_all

    data = load_workspace_data(session, workspace, as_of=as_of, discovery=discovery,
                               today=today)
    return check_all(data, as_of, rules if rules is not None else DEFAULT_RULES, today=today)


# ---------------------------------------------------------------------------------------------
# report snapshots
# ---------------------------------------------------------------------------------------------
def snapshot_summary(results: Mapping[str, Any], data: Any, *,
                     extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What a report snapshot keeps: per TA its light, problems, discovery rank and the latest
    value of every indicator; the data years."""
    tas: dict[str, Any] = {}
    for code, res in results.items():
        ta = data.tas.get(code) if data is not None else None
        latest = {}
        if ta is not None:
            for key in ta.indicators:
                s = ta.series(key, res.as_of)
                if s:
                    latest[key] = [s[-1][0], s[-1][1]]
        tas[code] = {"status": res.status, "label": res.label,
                     "problems": [{"rule": r.rule, "status": r.status, "message": r.message}
                                  for r in res.problems],
                     "rank": res.standing.rank if res.standing else None,
                     "latest": latest}
    out = {"tas": tas, "data_years": list(getattr(data, "data_years", ()) or ())}
    if extra:
        out.update(svc._json_safe(dict(extra)))
    return out


@_atomic
def save_report_snapshot(session: Session, workspace: Workspace | str | int,
                         summary: Mapping[str, Any], *, as_of: int,
                         data_version: str | None = None) -> ReportSnapshot:
    """Keep what a report said (see :func:`snapshot_summary`)."""
    ws = svc.get_workspace(session, workspace)
    record = ReportSnapshot(workspace_id=ws.id, as_of=int(as_of),
                            data_version=data_version or ws.data_version,
                            summary=svc._json_safe(dict(summary)))
    session.add(record)
    return record


def list_report_snapshots(session: Session, workspace: Workspace | str | int
                          ) -> list[ReportSnapshot]:
    """A workspace's report snapshots, oldest first."""
    ws = svc.get_workspace(session, workspace)
    return list(session.scalars(select(ReportSnapshot).where(
        ReportSnapshot.workspace_id == ws.id).order_by(ReportSnapshot.created_at,
                                                       ReportSnapshot.id)))


def last_report_snapshot(session: Session, workspace: Workspace | str | int
                         ) -> ReportSnapshot | None:
    """The most recent report snapshot, or None."""
    snaps = list_report_snapshots(session, workspace)
    return snaps[-1] if snaps else None


# ---------------------------------------------------------------------------------------------
# self-assessments
# ---------------------------------------------------------------------------------------------
@_atomic
def record_self_assessment(session: Session, workspace: Workspace | str | int, scores: Any, *,
                           assessed_on: dt.date | str, label: str = "", notes: str = "",
                           replace: bool = False) -> SelfAssessment:
    """Store a RIS3 self-assessment workshop: the participants' 0-5 scores of the critical
    factors (see :func:`smartspec.monitoring.validate_scores`), per workspace and date.

    Raises
    ------
    MonitoringError
        Invalid scores (unknown factor, score outside 0-5 ...).
    ConflictError
        An assessment of that date and label exists and ``replace`` is False.
    """
    from smartspec.monitoring.assessment import AssessmentError, validate_scores

    ws = svc.get_workspace(session, workspace)
    day = svc._date(assessed_on, "assessed_on")
    if day is None:
        raise MonitoringError("the date of the assessment is required")
    label = svc._text(label, "assessment label", max_len=200)
    try:
        frame = validate_scores(scores) if not isinstance(scores, pd.DataFrame) or \
            "step" not in scores.columns else validate_scores(
                scores[[c for c in scores.columns if c != "step"]])
    except AssessmentError as exc:
        raise MonitoringError(str(exc)) from exc
    existing = session.scalar(select(SelfAssessment).where(
        SelfAssessment.workspace_id == ws.id, SelfAssessment.assessed_on == day,
        SelfAssessment.label == label))
    if existing is not None:
        if not replace:
            raise svc.ConflictError(f"a self-assessment of {day.isoformat()}"
                                    f"{f' ({label})' if label else ''} exists; pass "
                                    "replace=True to overwrite it")
        session.delete(existing)
        session.flush()
    record = SelfAssessment(workspace_id=ws.id, assessed_on=day, label=label,
                            notes=svc._text(notes, "assessment notes", max_len=20000))
    session.add(record)
    session.flush()
    for row in frame.to_dict("records"):
        record.scores.append(AssessmentScore(
            workspace_id=ws.id, step=int(row["step"]), factor=row["factor"],
            participant=row["participant"], score=int(row["score"]),
            comment=row["comment"] or ""))
    return record


def list_self_assessments(session: Session, workspace: Workspace | str | int
                          ) -> list[SelfAssessment]:
    """A workspace's self-assessments, oldest first."""
    ws = svc.get_workspace(session, workspace)
    return list(session.scalars(select(SelfAssessment).where(
        SelfAssessment.workspace_id == ws.id).order_by(SelfAssessment.assessed_on,
                                                       SelfAssessment.id)))


def self_assessment_scores(record: SelfAssessment) -> pd.DataFrame:
    """The scores of a stored self-assessment (``participant, step, factor, score,
    comment``)."""
    return pd.DataFrame([{"participant": s.participant, "step": s.step, "factor": s.factor,
                          "score": s.score, "comment": s.comment} for s in record.scores],
                        columns=["participant", "step", "factor", "score", "comment"])


def self_assessment_steps(session: Session, workspace: Workspace | str | int) -> pd.DataFrame:
    """Step means of every self-assessment: ``assessed_on, label, step, title, mean,
    n_participants``, oldest first (the change over time)."""
    from smartspec.monitoring.assessment import aggregate_scores

    frames = []
    for a in list_self_assessments(session, workspace):
        _, steps = aggregate_scores(self_assessment_scores(a))
        steps.insert(0, "label", a.label)
        steps.insert(0, "assessed_on", a.assessed_on)
        frames.append(steps)
    cols = ["assessed_on", "label", "step", "title", "mean", "n_factors", "n_participants"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)


# ---------------------------------------------------------------------------------------------
# workspace export / import (used by smartspec.store.exchange)
# ---------------------------------------------------------------------------------------------
def _iso(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        v = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return v.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def export_sections(session: Session, ws: Workspace, ta_ref: Mapping[int, int]
                    ) -> dict[str, list[dict[str, Any]]]:
    """The monitoring sections of a workspace export (TAs as local references)."""
    indicators = [{"ta": ta_ref[r.ta_id], **{f: getattr(r, f) for f in _INDICATOR_FIELDS}}
                  for r in session.scalars(select(IndicatorRecord).where(
                      IndicatorRecord.workspace_id == ws.id).order_by(IndicatorRecord.id))
                  if r.ta_id in ta_ref]
    plans = [{"ta": ta_ref[p.ta_id], "critical_mass_due": _iso(p.critical_mass_due),
              "top_k": p.top_k, "rules": p.rules, "helix_baseline": list(p.helix_baseline),
              "notes": p.notes}
             for p in session.scalars(select(MonitoringPlan).where(
                 MonitoringPlan.workspace_id == ws.id).order_by(MonitoringPlan.id))
             if p.ta_id in ta_ref]
    years = [{"dataset": r.dataset, "year": r.year, "checksum": r.checksum,
              "n_regions": r.n_regions, "n_activities": r.n_activities, "meta": r.meta,
              "matrix": r.matrix, "imported_at": _iso(r.imported_at)}
             for r in list_data_years(session, ws, with_matrix=True)]
    snaps = [{"created_at": _iso(s.created_at), "as_of": s.as_of,
              "data_version": s.data_version, "summary": s.summary}
             for s in list_report_snapshots(session, ws)]
    assessments = [{"assessed_on": _iso(a.assessed_on), "label": a.label,
                    "framework": a.framework, "notes": a.notes,
                    "created_at": _iso(a.created_at),
                    "scores": [{"step": s.step, "factor": s.factor,
                                "participant": s.participant, "score": s.score,
                                "comment": s.comment} for s in a.scores]}
                   for a in list_self_assessments(session, ws)]
    return {"monitoring_indicators": indicators, "monitoring_plans": plans,
            "monitoring_data_years": years, "monitoring_report_snapshots": snaps,
            "self_assessments": assessments}


def _timestamp(value: Any, what: str) -> dt.datetime | None:
    if value in (None, ""):
        return None
    try:
        stamp = dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise MonitoringError(f"{what} must be an ISO 8601 timestamp, got {value!r}") from None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)


def import_sections(session: Session, ws: Workspace, doc: Mapping[str, Any],
                    ta_ids: Mapping[Any, int], *, origin: str = "<document>") -> None:
    """Import the monitoring sections of an export document into ``ws`` (inside the caller's
    transaction) and link the imported observations to their indicator definitions.

    Raises
    ------
    MonitoringError
        Naming the section and item (``monitoring_indicators[2] ('rca'): ...``).
    """
    from smartspec.monitoring.context import matrix_checksum

    def items(section: str) -> list[dict[str, Any]]:
        value = doc.get(section, [])
        if not isinstance(value, list) or not all(isinstance(i, dict) for i in value):
            raise MonitoringError(f"{origin}: {section} must be a list of objects")
        return value

    def ta_of(item: Mapping[str, Any], where: str) -> SelectedTA:
        ref = item.get("ta")
        if ref not in ta_ids:
            raise MonitoringError(f"{where}: refers to unknown TA ref {ref!r}")
        return session.get(SelectedTA, ta_ids[ref])  # type: ignore[return-value]

    for i, item in enumerate(items("monitoring_indicators")):
        where = f"{origin}: monitoring_indicators[{i}] ({item.get('key')!r})"
        try:
            ta = ta_of(item, where)
            ind = _as_indicator({k: v for k, v in item.items() if k != "ta"})
        except (MonitoringError, IndicatorError) as exc:
            raise MonitoringError(f"{where}: {exc}" if not str(exc).startswith(where)
                                  else str(exc)) from exc
        record = IndicatorRecord(workspace_id=ws.id, ta_id=ta.id)
        _assign(record, ind)
        session.add(record)
    session.flush()
    for i, item in enumerate(items("monitoring_plans")):
        where = f"{origin}: monitoring_plans[{i}]"
        try:
            ta = ta_of(item, where)
            unknown = set(item) - {"ta", "critical_mass_due", "top_k", "rules",
                                   "helix_baseline", "notes"}
            if unknown:
                raise MonitoringError(f"unknown field(s) {sorted(unknown)}")
            set_plan.__wrapped__(session, ws, ta,
                                 critical_mass_due=item.get("critical_mass_due"),
                                 top_k=item.get("top_k"), rules=item.get("rules") or {},
                                 helix_baseline=item.get("helix_baseline") or [],
                                 notes=item.get("notes") or "")
        except ValueError as exc:
            raise MonitoringError(f"{where}: {exc}") from exc
    for i, item in enumerate(items("monitoring_data_years")):
        where = f"{origin}: monitoring_data_years[{i}] ({item.get('dataset')!r} " \
                f"{item.get('year')!r})"
        try:
            matrix = _matrix_frame(item["matrix"])
            checksum = matrix_checksum(matrix)
            if item.get("checksum") and item["checksum"] != checksum:
                raise MonitoringError("the matrix does not match its checksum")
            session.add(DataYearRecord(
                workspace_id=ws.id, dataset=str(item["dataset"]), year=int(item["year"]),
                checksum=checksum, n_regions=matrix.shape[0], n_activities=matrix.shape[1],
                meta=dict(item.get("meta") or {}), matrix=_matrix_json(matrix),
                imported_at=_timestamp(item.get("imported_at"), "imported_at") or utcnow()))
        except (KeyError, TypeError, ValueError) as exc:
            raise MonitoringError(f"{where}: {exc}") from exc
    for i, item in enumerate(items("monitoring_report_snapshots")):
        where = f"{origin}: monitoring_report_snapshots[{i}]"
        try:
            session.add(ReportSnapshot(
                workspace_id=ws.id, as_of=int(item["as_of"]),
                data_version=item.get("data_version"), summary=dict(item.get("summary") or {}),
                created_at=_timestamp(item.get("created_at"), "created_at") or utcnow()))
        except (KeyError, TypeError, ValueError) as exc:
            raise MonitoringError(f"{where}: {exc}") from exc
    for i, item in enumerate(items("self_assessments")):
        where = f"{origin}: self_assessments[{i}] ({item.get('assessed_on')!r})"
        try:
            scores = [{k: v for k, v in s.items() if k != "step"}
                      for s in item.get("scores") or []]
            record = record_self_assessment.__wrapped__(
                session, ws, scores, assessed_on=item.get("assessed_on"),
                label=item.get("label") or "", notes=item.get("notes") or "")
            record.created_at = _timestamp(item.get("created_at"), "created_at") or utcnow()
        except (ValueError, AttributeError) as exc:
            raise MonitoringError(f"{where}: {exc}") from exc
    session.flush()
    _link_records(session, ws)


def _link_records(session: Session, ws: Workspace) -> None:
    """Point observations without a definition to the TA's indicator of the same key."""
    defs = {(r.ta_id, r.key): r.id for r in session.scalars(select(IndicatorRecord).where(
        IndicatorRecord.workspace_id == ws.id))}
    for rec in session.scalars(select(MonitoringRecord).where(
            MonitoringRecord.workspace_id == ws.id, MonitoringRecord.indicator_id.is_(None))):
        ident = defs.get((rec.ta_id, rec.indicator_key))
        if ident is not None:
            rec.indicator_id = ident
    session.flush()


def check_origin(value: Any) -> str:
    """A record origin, validated (``computed``, ``form``, ``csv``, ``legacy``)."""
    origin = str(value or "form")
    if origin not in RECORD_ORIGINS:
        raise MonitoringError(f"origin must be one of {', '.join(RECORD_ORIGINS)}, got "
                              f"{value!r}")
    return origin


# ---------------------------------------------------------------------------------------------
# demo
# ---------------------------------------------------------------------------------------------
#: Demo output/result targets: key -> (baseline value, baseline year, target value, target
#: year), and the demo observations: key -> {year: value}. All fictional.
_DEMO_TARGETS: dict[str, tuple[float, int, float, int]] = {
    "consortium_size": (0.0, 2025, 8.0, 2028),
    "partners_engaged": (0.0, 2025, 20.0, 2029),
    "projects_funded": (0.0, 2025, 6.0, 2029),
    "budget_committed": (0.0, 2025, 3_000_000.0, 2029),
    "actions_completed": (0.0, 2026, 6.0, 2031),
    "cofunding_leveraged": (0.0, 2025, 1_500_000.0, 2029),
    "new_firms": (0.0, 2025, 12.0, 2029),
}
_DEMO_OBSERVATIONS: dict[str, dict[int, float]] = {
    "consortium_size": {2025: 3.0, 2026: 5.0},
    "partners_engaged": {2025: 4.0, 2026: 9.0},
    "projects_funded": {2025: 0.0, 2026: 1.0},
    "budget_committed": {2025: 0.0, 2026: 450_000.0},
    "cofunding_leveraged": {2025: 0.0, 2026: 120_000.0},
    "new_firms": {2025: 1.0, 2026: 2.0},
}
#: Data years of the demo: ten well-covered years of the regional accounts.
DEMO_YEARS: tuple[int, ...] = tuple(range(2008, 2018))


def seed_demo_monitoring(session: Session, workspace: Workspace | str | int, *,
                         years: Iterable[int] = DEMO_YEARS,
                         critical_mass_due: dt.date = dt.date(2028, 12, 31)) -> dict[str, Any]:
    """Monitoring data of the demo workspace (idempotent).

    1. Imports ``years`` of the shipped regional employment (NUTS 2 x NACE A*10 sections plus
       section C) as data years, which computes ten years of real context indicators of every
       selected TA.
    2. Gives each TA a monitoring plan (critical mass due ``critical_mass_due``, top 10) and
       the standard indicators; sets fictional baselines and targets of the output and result
       indicators (only where none is set).
    3. Records fictional output and result observations for 2025 and 2026, each noted
       ``"demo entry (fictional)"`` (only where no value is recorded).
    4. Stores two fictional RIS3 self-assessment workshops (2025 and 2026), labelled
       ``"demo workshop (fictional)"``.

    Returns a summary: data years created, observations and workshops recorded.
    """
    from smartspec import datasets

    ws = svc.get_workspace(session, workspace)
    panel = datasets.regional_employment(level=2,
                                         activities=(*datasets.REGIONAL_A10, "C"))
    skipped = None
    try:  # in a savepoint: a region the regional accounts do not cover keeps no partial data
        imports = import_panel(session, ws, panel, years=list(years), dataset=DEFAULT_DATASET)
    except MonitoringError as exc:
        imports, skipped = [], f"no context indicators: {exc}"
    ensure_standard_indicators.__wrapped__(session, ws)
    recorded = 0
    last_year = dt.date.today().year
    for ta in svc.list_tas(session, ws, status="selected"):
        if get_plan(session, ws, ta) is None:
            set_plan.__wrapped__(session, ws, ta, critical_mass_due=critical_mass_due, top_k=10,
                                 notes="Demo monitoring plan (fictional targets).")
        inds = _indicators_of(session, ws, ta)
        for key, (v0, y0, v1, y1) in _DEMO_TARGETS.items():
            ind = inds.get(key)
            if ind is not None and ind.target_year is None and ind.baseline_year is None:
                ind.baseline_value, ind.baseline_year = v0, y0
                ind.target_value, ind.target_year = v1, y1
        mass = inds.get("critical_mass_ratio")
        if mass is not None and mass.target_year is None and mass.baseline_year is not None:
            mass.target_value, mass.target_year = 1.0, critical_mass_due.year
        have = {(r.indicator_key, r.year) for r in session.scalars(select(MonitoringRecord)
                                                                   .where(MonitoringRecord.ta_id
                                                                          == ta.id))}
        for key, values in _DEMO_OBSERVATIONS.items():
            ind = inds.get(key)
            if ind is None:
                continue
            for year, value in values.items():
                if (key, year) in have or year > last_year:
                    continue
                _upsert(session, ws, ta, ind, year, value, origin="form",
                        source="smartspec demo", note=DEMO_NOTE)
                recorded += 1
    workshops = 0
    have_dates = {(a.assessed_on, a.label) for a in list_self_assessments(session, ws)}
    for day, scores in _demo_workshops():
        if (day, DEMO_WORKSHOP) in have_dates or day > dt.date.today():
            continue
        record_self_assessment.__wrapped__(session, ws, scores, assessed_on=day,
                                           label=DEMO_WORKSHOP,
                                           notes="Fictional scores for the demonstration.")
        workshops += 1
    session.flush()
    return {"data_years": sum(1 for i in imports if i.status == "created"),
            "context_changes": max((i.context_changes for i in imports), default=0),
            "observations": recorded, "self_assessments": workshops, "skipped": skipped}


#: Label of the demo's self-assessment workshops.
DEMO_WORKSHOP = "demo workshop (fictional)"


def _demo_workshops() -> list[tuple[dt.date, list[dict[str, Any]]]]:
    """Two fictional workshops a year apart (8 participants; deterministic scores that improve
    on governance, the policy mix and monitoring)."""
    import numpy as np

    from smartspec.monitoring.assessment import FACTORS

    base = {1: 3.2, 2: 2.4, 3: 2.9, 4: 3.4, 5: 2.1, 6: 1.6}
    gain = {1: 0.2, 2: 0.7, 3: 0.3, 4: 0.1, 5: 0.9, 6: 1.1}
    out = []
    for i, day in enumerate((dt.date(2025, 3, 14), dt.date(2026, 3, 13))):
        rng = np.random.default_rng(20250314 + i)
        rows = []
        for p in range(1, 9):
            for key, factor in FACTORS.items():
                mean = base[factor.step] + i * gain[factor.step]
                score = int(np.clip(np.rint(rng.normal(mean, 0.9)), 0, 5))
                rows.append({"participant": f"P{p}", "factor": key, "score": score})
        out.append((day, rows))
    return out
