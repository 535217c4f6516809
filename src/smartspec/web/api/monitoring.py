"""Element 5: indicators with their target paths, observations, the viability check and the
RIS3 self-assessment (persistence: :mod:`smartspec.store.monitoring_services`)."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, HTTPException, Query, Response, UploadFile
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy.orm import Session

from smartspec.store import services as svc
from smartspec.web.api import schemas as s
from smartspec.web.api._common import PathId, QueryId, integer, lookup, num, text, unprocessable
from smartspec.web.api.evidence import get_ta
from smartspec.web.api.workspaces import CHANGE_ERRORS, WS_ERRORS
from smartspec.web.deps import Access, get_db, workspace_access
from smartspec.web.security import DOCUMENT_CSP

router = APIRouter(tags=["monitoring"])

DB = Annotated[Session, Depends(get_db)]
Viewer = Annotated[Access, Depends(workspace_access("viewer"))]
Analyst = Annotated[Access, Depends(workspace_access("analyst"))]

Key = Annotated[str, StringConstraints(min_length=1, max_length=80)]


def _msvc() -> Any:
    from smartspec.store import monitoring_services

    return monitoring_services


# -------------------------------------------------------------------------------------- schemas


class ObservationOut(BaseModel):
    ta: str
    indicator: str
    kind: str
    year: int
    value: float | None
    unit: str
    origin: str
    source: str
    note: str


class PathPoint(BaseModel):
    year: int
    expected: float


class IndicatorOut(BaseModel):
    id: int
    key: str
    kind: Literal["context", "output", "result"]
    name: str
    unit: str
    direction: Literal["higher", "lower"]
    definition: str
    source: str
    baseline_value: float | None
    baseline_year: int | None
    target_value: float | None
    target_year: int | None
    computed: bool
    observations: list[ObservationOut]
    target_path: list[PathPoint]


class IndicatorIn(s._In):
    key: Key
    kind: Literal["context", "output", "result"]
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    unit: Annotated[str, StringConstraints(max_length=40)] = ""
    direction: Literal["higher", "lower"] = "higher"
    definition: Annotated[str, StringConstraints(max_length=5000)] = ""
    source: Annotated[str, StringConstraints(max_length=5000)] = ""
    baseline_value: float | None = Field(None, allow_inf_nan=False)
    baseline_year: int | None = Field(None, ge=1950, le=2100)
    target_value: float | None = Field(None, allow_inf_nan=False)
    target_year: int | None = Field(None, ge=1950, le=2100)


class IndicatorUpdateIn(s._In):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    unit: Annotated[str, StringConstraints(max_length=40)] | None = None
    direction: Literal["higher", "lower"] | None = None
    definition: Annotated[str, StringConstraints(max_length=5000)] | None = None
    source: Annotated[str, StringConstraints(max_length=5000)] | None = None
    baseline_value: float | None = Field(None, allow_inf_nan=False)
    baseline_year: int | None = Field(None, ge=1950, le=2100)
    target_value: float | None = Field(None, allow_inf_nan=False)
    target_year: int | None = Field(None, ge=1950, le=2100)


class ObservationIn(s._In):
    indicator: Key
    year: int = Field(ge=1950, le=2100)
    value: float = Field(allow_inf_nan=False)
    unit: Annotated[str, StringConstraints(max_length=40)] | None = None
    note: Annotated[str, StringConstraints(max_length=5000)] = ""
    source: Annotated[str, StringConstraints(max_length=5000)] = ""


class ImportOut(BaseModel):
    created: int
    updated: int
    unchanged: int


class ReasonOut(BaseModel):
    rule: str
    status: str
    message: str
    evidence: dict[str, Any]


class CheckOut(BaseModel):
    """The traffic light of a TA with its reasons and where it stands in the re-run
    discovery."""

    ta: str
    label: str
    as_of: int
    status: Literal["green", "amber", "red", "grey"] | str
    summary: str
    reasons: list[ReasonOut]
    standing: dict[str, Any] | None


class FactorOut(BaseModel):
    key: str
    text: str


class StepOut(BaseModel):
    number: int
    key: str
    title: str
    factors: list[FactorOut]


class AssessmentScoreIn(s._In):
    participant: Annotated[str, StringConstraints(min_length=1, max_length=80)]
    factor: Key
    score: int = Field(ge=0, le=5)
    comment: Annotated[str, StringConstraints(max_length=5000)] = ""


class AssessmentIn(s._In):
    """A RIS3 self-assessment workshop: participants (pseudonyms or group labels, never personal
    data) score critical factors 0-5."""

    assessed_on: dt.date
    label: Annotated[str, StringConstraints(max_length=200)] = ""
    notes: Annotated[str, StringConstraints(max_length=20000)] = ""
    scores: list[AssessmentScoreIn] = Field(min_length=1, max_length=5000)
    replace: bool = False


class StepMean(BaseModel):
    step: int
    title: str
    mean: float | None
    n_participants: int


class AssessmentOut(BaseModel):
    id: int
    assessed_on: dt.date
    label: str
    notes: str
    n_participants: int
    steps: list[StepMean]


# ------------------------------------------------------------------------------------ helpers


def _observation_out(row: dict[str, Any]) -> ObservationOut:
    return ObservationOut(ta=text(row.get("ta")), indicator=text(row.get("indicator")),
                          kind=text(row.get("kind")), year=integer(row.get("year")) or 0,
                          value=num(row.get("value")), unit=text(row.get("unit")),
                          origin=text(row.get("origin")), source=text(row.get("source")),
                          note=text(row.get("note")))


def _indicator_out(record: Any, observations: list[ObservationOut]) -> IndicatorOut:
    m = _msvc()
    domain = m.indicator_to_domain(record)
    path: list[PathPoint] = []
    if domain.has_target:
        years = range(int(domain.baseline_year), int(domain.target_year) + 1)
        path = [PathPoint(year=y, expected=float(domain.expected(y))) for y in years]
    return IndicatorOut(
        id=record.id, key=record.key, kind=record.kind, name=record.name, unit=record.unit,
        direction=record.direction, definition=record.definition, source=record.source,
        baseline_value=num(record.baseline_value), baseline_year=record.baseline_year,
        target_value=num(record.target_value), target_year=record.target_year,
        computed=bool(record.computed),
        observations=[o for o in observations if o.indicator == record.key],
        target_path=path)


def _check_out(result: Any) -> CheckOut:
    data = result.to_dict()
    return CheckOut(ta=data["ta"], label=text(data.get("label")), as_of=int(data["as_of"]),
                    status=data["status"], summary=result.summary,
                    reasons=[ReasonOut(rule=r["rule"], status=r["status"],
                                       message=r["message"], evidence=r.get("evidence") or {})
                             for r in data["reasons"]],
                    standing=data.get("standing"))


# ----------------------------------------------------------------------------------- routes


@router.get("/workspaces/{slug}/tas/{ta_id}/indicators", response_model=list[IndicatorOut],
            responses=WS_ERRORS)
def indicators(ta_id: PathId, access: Viewer, db: DB) -> list[IndicatorOut]:
    """The TA's indicators (context, output, result) with baseline, target, the linear target
    path and the observations."""
    m = _msvc()
    ta = get_ta(db, access, ta_id)
    frame = m.observations_frame(db, access.workspace, ta=ta)
    observations = [_observation_out(r) for r in frame.to_dict(orient="records")]
    return [_indicator_out(r, observations)
            for r in m.list_indicators(db, access.workspace, ta=ta)]


@router.post("/workspaces/{slug}/tas/{ta_id}/indicators", response_model=IndicatorOut,
             status_code=201, responses=CHANGE_ERRORS)
def define_indicator(ta_id: PathId, body: IndicatorIn, access: Analyst, db: DB) -> IndicatorOut:
    """Define an indicator of the TA (analysts)."""
    m = _msvc()
    ta = get_ta(db, access, ta_id)
    try:
        record = m.define_indicator(db, access.workspace, ta, body.model_dump())
    except ValueError as exc:
        if isinstance(exc, svc.StoreError):
            raise
        raise unprocessable(exc) from None
    return _indicator_out(record, [])


@router.post("/workspaces/{slug}/tas/{ta_id}/indicators/standard",
             response_model=list[IndicatorOut], responses=CHANGE_ERRORS)
def standard_indicators(ta_id: PathId, access: Analyst, db: DB) -> list[IndicatorOut]:
    """Give the TA the standard indicators it lacks (idempotent; analysts)."""
    m = _msvc()
    ta = get_ta(db, access, ta_id)
    m.ensure_standard_indicators(db, access.workspace, tas=[ta])
    return indicators(ta_id, access, db)


@router.patch("/workspaces/{slug}/tas/{ta_id}/indicators/{key}", response_model=IndicatorOut,
              responses=CHANGE_ERRORS)
def update_indicator(ta_id: PathId, key: Key, body: IndicatorUpdateIn, access: Analyst,
                     db: DB) -> IndicatorOut:
    """Change an indicator's definition, baseline or target (analysts)."""
    m = _msvc()
    ta = get_ta(db, access, ta_id)
    changes = body.model_dump(exclude_unset=True)
    for name in ("name", "unit", "direction", "definition", "source"):
        if name in changes and changes[name] is None:
            del changes[name]
    try:
        record = lookup("indicator", repr(key),
                        lambda: m.update_indicator(db, access.workspace, ta, key, **changes))
    except ValueError as exc:
        if isinstance(exc, svc.StoreError):
            raise
        raise unprocessable(exc) from None
    frame = m.observations_frame(db, access.workspace, ta=ta)
    return _indicator_out(record, [_observation_out(r) for r in frame.to_dict("records")])


@router.get("/workspaces/{slug}/observations", response_model=list[ObservationOut],
            responses=WS_ERRORS)
def observations(access: Viewer, db: DB, ta_id: QueryId = None) -> list[ObservationOut]:
    """Every observation of the workspace (optionally of one TA)."""
    m = _msvc()
    ta = get_ta(db, access, ta_id) if ta_id is not None else None
    frame = m.observations_frame(db, access.workspace, ta=ta)
    return [_observation_out(r) for r in frame.to_dict(orient="records")]


@router.post("/workspaces/{slug}/tas/{ta_id}/observations", response_model=ObservationOut,
             status_code=201, responses=CHANGE_ERRORS)
def record_observation(ta_id: PathId, body: ObservationIn, access: Analyst,
                       db: DB) -> ObservationOut:
    """Record an observation of an output or result indicator (analysts). Refused with a
    message: an unknown indicator, a context indicator (computed from the data), a year out of
    range, a unit mismatch."""
    m = _msvc()
    ta = get_ta(db, access, ta_id)
    record = m.record_observation(db, access.workspace, ta, body.indicator, body.year,
                                  body.value, unit=body.unit, note=body.note,
                                  source=body.source)
    return ObservationOut(ta=ta.activity, indicator=record.indicator_key, kind=record.kind,
                          year=record.year, value=num(record.value), unit=record.unit,
                          origin=record.origin, source=record.source, note=record.note)


@router.post("/workspaces/{slug}/observations/import", response_model=ImportOut,
             responses={**CHANGE_ERRORS, 413: {"model": s.Detail}})
def import_observations(access: Analyst, db: DB,
                        file: Annotated[UploadFile, File(description="CSV: indicator, year, "
                                                         "value[, unit, note, source, ta]")],
                        ta_id: QueryId = None) -> ImportOut:
    """Import observations from a CSV file, all rows or none (analysts; size-limited)."""
    m = _msvc()
    ta = get_ta(db, access, ta_id) if ta_id is not None else None
    name = Path(file.filename or "observations.csv").name
    if Path(name).suffix.lower() not in (".csv", ".txt"):
        raise unprocessable(f"{name!r}: upload a CSV file")
    with tempfile.TemporaryDirectory(prefix="smartspec-upload-") as folder:
        path = Path(folder) / "observations.csv"
        path.write_bytes(file.file.read())
        result = m.import_observations_csv(db, access.workspace, path, ta=ta,
                                           origin_name=name)
    counts = {k: int(getattr(result, k, 0) or 0) for k in ("created", "updated", "unchanged")}
    return ImportOut(**counts)


@router.get("/workspaces/{slug}/tas/{ta_id}/check", response_model=CheckOut,
            responses={**WS_ERRORS, 409: {"model": s.Detail}})
def check(ta_id: PathId, access: Viewer, db: DB,
          as_of: Annotated[int | None, Query(ge=1950, le=2100)] = None,
          discovery: bool = True) -> CheckOut:
    """The viability and competitiveness check of the TA: green / amber / red with every
    reason, and whether the re-run discovery would still select it."""
    m = _msvc()
    ta = get_ta(db, access, ta_id)
    if ta.status != "selected":
        raise HTTPException(status_code=409, detail=f"{ta.activity} is {ta.status}: only "
                                                    "selected TAs are monitored")
    try:
        result = m.check_ta(db, access.workspace, ta, as_of, discovery=discovery)
    except ValueError as exc:
        if isinstance(exc, svc.StoreError):
            raise
        raise unprocessable(exc) from None
    return _check_out(result)


@router.get("/workspaces/{slug}/check", response_model=list[CheckOut], responses=WS_ERRORS)
def check_all(access: Viewer, db: DB,
              as_of: Annotated[int | None, Query(ge=1950, le=2100)] = None,
              discovery: bool = True) -> list[CheckOut]:
    """The check of every selected TA."""
    m = _msvc()
    try:
        results = m.check_workspace(db, access.workspace, as_of, discovery=discovery)
    except ValueError as exc:
        if isinstance(exc, svc.StoreError):
            raise
        raise unprocessable(exc) from None
    return [_check_out(r) for r in results.values()]


@router.get("/self-assessment/framework", response_model=list[StepOut])
def framework() -> list[StepOut]:
    """The RIS3 guide's six steps and their critical factors (Foray et al. 2012)."""
    from smartspec.monitoring.assessment import RIS3_STEPS

    return [StepOut(number=int(st.number), key=st.key, title=st.title,
                    factors=[FactorOut(key=f.key, text=f.text) for f in st.factors])
            for st in RIS3_STEPS]


def _assessment_out(record: Any) -> AssessmentOut:
    from smartspec.monitoring.assessment import aggregate_scores

    m = _msvc()
    frame = m.self_assessment_scores(record)
    _, steps = aggregate_scores(frame)
    return AssessmentOut(
        id=record.id, assessed_on=record.assessed_on, label=record.label, notes=record.notes,
        n_participants=int(frame["participant"].nunique()),
        steps=[StepMean(step=int(r["step"]), title=text(r["title"]), mean=num(r["mean"]),
                        n_participants=integer(r.get("n_participants")) or 0)
               for r in steps.to_dict(orient="records")])


@router.get("/workspaces/{slug}/self-assessments", response_model=list[AssessmentOut],
            responses=WS_ERRORS)
def self_assessments(access: Viewer, db: DB) -> list[AssessmentOut]:
    """The workspace's self-assessments with their step means, oldest first (the change over
    time; the spider chart shows the step means)."""
    return [_assessment_out(a) for a in _msvc().list_self_assessments(db, access.workspace)]


@router.post("/workspaces/{slug}/self-assessments", response_model=AssessmentOut,
             status_code=201, responses=CHANGE_ERRORS)
def record_self_assessment(body: AssessmentIn, access: Analyst, db: DB) -> AssessmentOut:
    """Store a self-assessment workshop's scores (analysts)."""
    record = _msvc().record_self_assessment(
        db, access.workspace, [sc.model_dump() for sc in body.scores],
        assessed_on=body.assessed_on, label=body.label, notes=body.notes,
        replace=body.replace)
    return _assessment_out(record)



# ------------------------------------------------------------------------------------ report


_HTML = {200: {"content": {"text/html": {}}, "description": "The report"}}


def _report_html(db: Session, access: Access, as_of: int | None) -> str:
    from smartspec.reports.monitoring_report import build_monitoring_report, render_monitoring_html

    try:
        report = build_monitoring_report(db, access.workspace, as_of=as_of)
    except ValueError as exc:
        if isinstance(exc, svc.StoreError):
            raise
        raise unprocessable(exc) from None
    return render_monitoring_html(report)


@router.get("/workspaces/{slug}/reports/monitoring.html", response_class=HTMLResponse,
            tags=["exports"], responses={**WS_ERRORS, **_HTML})
def monitoring_report_html(access: Viewer, db: DB,
                           as_of: Annotated[int | None, Query(ge=1950, le=2100)] = None,
                           ) -> HTMLResponse:
    """The evaluation report (self-contained HTML: dashboard of every TA with its light and
    reasons, indicators against their target paths, progress, self-assessment)."""
    slug = access.workspace.slug
    return HTMLResponse(_report_html(db, access, as_of), headers={
        "Content-Security-Policy": DOCUMENT_CSP,
        "Content-Disposition": f'inline; filename="{slug}_monitoring.html"'})


@router.get("/workspaces/{slug}/reports/monitoring.pdf", response_class=Response,
            tags=["exports"],
            responses={**WS_ERRORS,
                       200: {"content": {"application/pdf": {}}, "description": "The report"},
                       503: {"model": s.Detail,
                             "description": "No Chromium on the server to print PDF"}})
def monitoring_report_pdf(access: Viewer, db: DB,
                          as_of: Annotated[int | None, Query(ge=1950, le=2100)] = None,
                          ) -> Response:
    """The evaluation report as PDF, printed by headless Chromium (503 where the server has
    none; the HTML report is always available)."""
    from smartspec.reports.pdf import PdfUnavailableError, html_to_pdf

    page = _report_html(db, access, as_of)
    with tempfile.TemporaryDirectory(prefix="smartspec-report-") as folder:
        html_path = Path(folder) / "report.html"
        html_path.write_text(page, encoding="utf-8")
        try:
            pdf = html_to_pdf(html_path, Path(folder) / "report.pdf")
        except (PdfUnavailableError, RuntimeError) as exc:
            raise HTTPException(status_code=503, detail=f"PDF unavailable: {exc}",
                                headers={"Retry-After": "3600"}) from None
        data = Path(pdf).read_bytes()
    return Response(data, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{access.workspace.slug}_monitoring.pdf"'})
