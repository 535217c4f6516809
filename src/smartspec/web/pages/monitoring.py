"""Element 5, monitoring: indicators with their target paths, the viability check with its
reasons, observations (form and CSV), the RIS3 self-assessment spider chart and the evaluation
report (HTML, PDF, Excel) for download.

Everything is computed by :mod:`smartspec.monitoring` on the data stored by
:mod:`smartspec.store.monitoring_services`; the page only shows it and collects input.
"""

from __future__ import annotations

import datetime as dt
import io
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from smartspec.web import charts
from smartspec.web.pages import data
from smartspec.web.pages.common import (
    DB,
    Analyst,
    Column,
    FormData,
    PageContext,
    PageTable,
    Stakeholder,
    Viewer,
    finite,
    form_error_status,
    form_text,
    redirect,
    table_builder,
)
from smartspec.web.pages.strategy import current_ta
from smartspec.web.pages.vocab import label as _term
from smartspec.web.security import DOCUMENT_CSP

__all__ = ["router"]

router = APIRouter()



def _mon() -> Any:
    from smartspec.web.pages.data import monitoring_services

    mon = monitoring_services()
    if mon is None:
        raise HTTPException(status_code=501, detail="monitoring is not installed")
    return mon


@table_builder("indicators")
def indicators_table(ctx: PageContext) -> PageTable:
    """The chosen TA's indicators: definition, baseline, target, latest observation."""
    mon = _mon()
    t = ctx.t
    ta = current_ta(ctx)
    rows = []
    if ta is not None:
        obs = mon.observations_frame(ctx.db, ctx.workspace, ta=ta)
        for rec in mon.list_indicators(ctx.db, ctx.workspace, ta=ta):
            mine = obs[obs["indicator"] == rec.key].sort_values("year")
            latest = mine.iloc[-1] if len(mine) else None
            rows.append({
                "kind": t(_term(rec.kind)), "_kind": rec.kind, "_key": rec.key,
                "name": rec.name, "unit": rec.unit,
                "baseline": finite(rec.baseline_value), "baseline_year": rec.baseline_year,
                "target": finite(rec.target_value), "target_year": rec.target_year,
                "direction": t(_term(rec.direction)),
                "latest": finite(latest["value"]) if latest is not None else None,
                "latest_year": int(latest["year"]) if latest is not None else None,
                "computed": rec.computed, "definition": rec.definition,
            })
    return PageTable(
        key="indicators", title=t("Indicators"), rows=rows,
        export=f"{ctx.base}/export/indicators", params={"ta": ta.activity} if ta else {},
        columns=[Column("kind", t("Kind")), Column("name", t("Indicator")),
                 Column("unit", t("Unit")), Column("baseline", t("Baseline"), "auto"),
                 Column("baseline_year", t("Baseline year")),
                 Column("target", t("Target"), "auto"), Column("target_year", t("Target year")),
                 Column("direction", t("Direction")), Column("latest", t("Latest"), "auto"),
                 Column("latest_year", t("Latest year")),
                 Column("computed", t("Computed"), "bool")],
        note=t("Context indicators are computed from the imported data years; output "
               "indicators from the actions and consortia; result indicators are recorded. "
               "The target path is the straight line from the baseline to the target."),
        empty=t("No indicator yet."))


@table_builder("observations")
def observations_table(ctx: PageContext) -> PageTable:
    mon = _mon()
    t = ctx.t
    ta = current_ta(ctx)
    rows = []
    if ta is not None:
        frame = mon.observations_frame(ctx.db, ctx.workspace, ta=ta)
        for r in frame.to_dict("records"):
            rows.append({"indicator": r["indicator"], "kind": t(_term(r["kind"])),
                         "year": r["year"], "value": finite(r["value"]), "unit": r["unit"],
                         "origin": r["origin"], "source": r["source"], "note": r["note"]})
    return PageTable(
        key="observations", title=t("Observations"), rows=rows,
        export=f"{ctx.base}/export/observations", params={"ta": ta.activity} if ta else {},
        columns=[Column("indicator", t("Indicator"), "code"), Column("kind", t("Kind")),
                 Column("year", t("Year")), Column("value", t("Value"), "auto"),
                 Column("unit", t("Unit")), Column("origin", t("Origin")),
                 Column("source", t("Source"), "long"), Column("note", t("Note"))],
        empty=t("No observation yet."))


@table_builder("check")
def check_table(ctx: PageContext) -> PageTable:
    """Every selected TA's traffic light and reasons."""
    t = ctx.t
    results = _results(ctx)
    rows = []
    for code, res in results.items():
        for r in res.reasons:
            rows.append({"ta": code, "light": res.status, "rule": r.rule,
                         "status": r.status, "message": r.message})
    return PageTable(key="check", title=t("Viability check"), rows=rows,
                     export=f"{ctx.base}/export/check",
                     columns=[Column("ta", t("TA"), "code"), Column("light", t("TA light"),
                                                                   "light"),
                              Column("rule", t("Rule"), "code"),
                              Column("status", t("Status"), "light"),
                              Column("message", t("Reason"), "long")],
                     empty=t("No selected TA to check."))


def _data(ctx: PageContext) -> Any:
    """The workspace's monitoring data (one load per request, discovery re-run included)."""
    state = ctx.request.state
    cached = getattr(state, "monitoring_data", None)
    if cached is None:
        cached = _mon().load_workspace_data(ctx.db, ctx.workspace, discovery=True)
        state.monitoring_data = cached
    return cached


def _results(ctx: PageContext) -> dict[str, Any]:
    """The check of every selected TA (the dashboard's, shared through the cache)."""
    return data.check_results(ctx)


def _indicator_charts(ctx: PageContext, ta: Any) -> list[Any]:
    """The TA's indicator charts (cached until the check's tables change or the year ends)."""
    return data.cached_on(ctx, "indicator_charts", data.CHECK_TABLES, ta.activity,
                          dt.date.today().year,
                          compute=lambda: _build_indicator_charts(ctx, ta))


def _build_indicator_charts(ctx: PageContext, ta: Any) -> list[Any]:
    from smartspec.reports.monitoring_report import indicator_chart

    t = ctx.t
    data = _data(ctx)
    ta_data = data.tas.get(ta.activity)
    if ta_data is None:
        return []
    out = []
    titles = {"context": t("Context indicators"), "output": t("Output indicators"),
              "result": t("Result indicators")}
    for kind in ("output", "result", "context"):
        keys = [k for k, ind in ta_data.indicators.items() if ind.kind == kind]
        chart = indicator_chart(ta_data, keys, title=titles[kind],
                                key=f"{kind}-{ta.activity}", as_of=dt.date.today().year)
        if chart is not None:
            out.append(charts.page_chart(chart))
    return out


def _spider(ctx: PageContext) -> Any:
    from smartspec.monitoring.assessment import spider_chart

    steps = _mon().self_assessment_steps(ctx.db, ctx.workspace)
    if not len(steps):
        return None
    means: dict[str, dict[int, float]] = {}
    for r in steps.to_dict("records"):
        name = str(r["assessed_on"]) + (f" {r['label']}" if r.get("label") else "")
        means.setdefault(name, {})[int(r["step"])] = float(r["mean"])
    chart = spider_chart(means, title=ctx.t("RIS3 self-assessment"))
    return charts.page_chart(chart, key="self-assessment")


def _page(ctx: PageContext, *, status_code: int = 200,
          messages: list[tuple[str, Any]] | None = None) -> Response:
    from smartspec.monitoring.assessment import RIS3_STEPS
    from smartspec.store import services as svc

    mon = _mon()
    ta = current_ta(ctx)
    results = _results(ctx)
    result = results.get(ta.activity) if ta is not None else None
    indicators = mon.list_indicators(ctx.db, ctx.workspace, ta=ta) if ta is not None else []
    own_scores: dict[str, int] = {}
    if ctx.user is not None:
        today = dt.date.today()
        for a in mon.list_self_assessments(ctx.db, ctx.workspace):
            if a.assessed_on == today and not a.label:
                for s in a.scores:
                    if s.participant == ctx.user.username:
                        own_scores[s.factor] = s.score
    return ctx.render("monitoring.html", {
        "ta": ta, "tas": svc.list_tas(ctx.db, ctx.workspace, status="selected"),
        "result": result, "results": results, "indicators": indicators_table(ctx),
        "observations": observations_table(ctx), "check": check_table(ctx),
        "charts": _indicator_charts(ctx, ta) if ta is not None else [],
        "spider": _spider(ctx), "steps": RIS3_STEPS, "own_scores": own_scores,
        "recordable": [i for i in indicators if i.kind != "context"],
        "has_indicators": bool(indicators), "this_year": dt.date.today().year,
        "uses_charts": True,
    }, nav="monitoring", status_code=status_code, messages=messages or [])


@router.get("/w/{slug}/monitoring")
def monitoring(request: Request, db: DB,
               access: Viewer) -> Response:
    return _page(PageContext(request, db, access, access.user))


def _ta_of_form(ctx: PageContext, form: Any) -> Any:
    from smartspec.store import services as svc

    code = form_text(form, "ta").upper()
    ctx.params["ta"] = code
    try:
        return svc.get_ta(ctx.db, ctx.workspace, code)
    except (svc.NotFoundError, svc.StoreValidationError):
        raise HTTPException(status_code=404, detail=f"no TA {code!r}") from None


def _back(ctx: PageContext, ta: Any, ok: str) -> Response:
    return redirect(f"{ctx.base}/monitoring?ta={ta.activity}", ok=ok)


@router.post("/w/{slug}/monitoring/indicators/standard")
def standard_indicators(request: Request, form: FormData,
                        db: DB,
                        access: Analyst) -> Response:
    """Give the TA the standard context, output and result indicators, and compute them."""
    mon = _mon()
    ctx = PageContext(request, db, access, access.user)
    ta = _ta_of_form(ctx, form)
    mon.ensure_standard_indicators(db, ctx.workspace, tas=[ta])
    try:
        mon.recompute_context(db, ctx.workspace)
    except (ValueError, LookupError):
        pass  # no data year imported yet: context indicators wait for data
    mon.recompute_outputs(db, ctx.workspace)
    return _back(ctx, ta, "indicator_saved")


@router.post("/w/{slug}/monitoring/observations")
def add_observation(request: Request, form: FormData,
                    db: DB,
                    access: Analyst) -> Response:
    from smartspec.store import services as svc

    mon = _mon()
    ctx = PageContext(request, db, access, access.user)
    ta = _ta_of_form(ctx, form)
    try:
        mon.record_observation(db, ctx.workspace, ta, form_text(form, "indicator"),
                               form_text(form, "year"), form_text(form, "value"),
                               unit=form_text(form, "unit") or None,
                               note=form_text(form, "note"), source=form_text(form, "source"))
    except (svc.StoreError, ValueError) as exc:
        return _page(ctx, status_code=form_error_status(exc), messages=[("error", str(exc))])
    return _back(ctx, ta, "observation_saved")


@router.post("/w/{slug}/monitoring/observations/import")
async def import_observations(request: Request, form: FormData,
                              db: DB,
                              access: Analyst) -> Response:
    from starlette.concurrency import run_in_threadpool

    upload = form.get("file")
    name = Path(str(getattr(upload, "filename", "") or "observations.csv")).name
    content = await upload.read() if hasattr(upload, "read") else b""
    ta_code = form_text(form, "ta")
    return await run_in_threadpool(_import_sync, request, db, access, name, content, ta_code)


def _import_sync(request: Request, db: Session, access: Any, name: str, content: bytes,
                 ta_code: str) -> Response:
    from smartspec.store import services as svc

    mon = _mon()
    ctx = PageContext(request, db, access, access.user)
    ta = _ta_of_form(ctx, {"ta": ta_code})
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return _page(ctx, status_code=422, messages=[("error", ctx.t(
            "%(name)s is not a UTF-8 text file.", name=name))])
    if not text.strip():
        return _page(ctx, status_code=422, messages=[("error", ctx.t(
            "Choose a CSV file of observations."))])
    try:
        summary = mon.import_observations_csv(db, ctx.workspace, io.StringIO(text), ta=ta,
                                              origin_name=name)
    except (svc.StoreError, ValueError) as exc:
        lines = str(exc).splitlines()
        return _page(ctx, status_code=422, messages=[("error", (lines[0], lines[1:]))])
    return _page(ctx, messages=[("ok", ctx.t(
        "%(n)s observations imported (%(created)s new, %(updated)s updated, %(same)s "
        "unchanged).", n=summary.total, created=summary.created, updated=summary.updated,
        same=summary.unchanged))])


@router.post("/w/{slug}/monitoring/self-assessment")
def self_assessment(request: Request, form: FormData,
                    db: DB,
                    access: Stakeholder) -> Response:
    """Record the participant's 0-5 scores of the RIS3 critical factors for today (merged with
    the other participants' scores of the same day)."""
    from smartspec.monitoring.assessment import FACTORS
    from smartspec.store import services as svc

    mon = _mon()
    ctx = PageContext(request, db, access, access.user)
    me = access.user.username
    mine = []
    for key in FACTORS:
        raw = form_text(form, f"f_{key}")
        if raw != "":
            mine.append({"participant": me, "factor": key, "score": raw, "comment": ""})
    if not mine:
        return _page(ctx, status_code=422, messages=[("error", ctx.t(
            "Score at least one critical factor."))])
    today = dt.date.today()
    others = []
    for a in mon.list_self_assessments(db, ctx.workspace):
        if a.assessed_on == today and not a.label:
            others = [{"participant": s.participant, "factor": s.factor, "score": s.score,
                       "comment": s.comment} for s in a.scores if s.participant != me]
    try:
        mon.record_self_assessment(db, ctx.workspace, [*others, *mine], assessed_on=today,
                                   replace=True)
    except (svc.StoreError, ValueError) as exc:
        return _page(ctx, status_code=form_error_status(exc), messages=[("error", str(exc))])
    return redirect(f"{ctx.base}/monitoring#self-assessment", ok="assessment_saved")


# ------------------------------------------------------------------------------------ report


def _report(ctx: PageContext) -> Any:
    from smartspec.reports.monitoring_report import build_monitoring_report

    return build_monitoring_report(ctx.db, ctx.workspace)


@router.get("/w/{slug}/monitoring/report.{fmt}")
def report_download(fmt: str, request: Request, db: DB,
                    access: Viewer) -> Response:
    """The evaluation report: ``html`` (self-contained, offline), ``pdf`` (headless
    Chromium) or ``xlsx`` (its tables, for the managing authority)."""
    from smartspec.reports.monitoring_report import render_monitoring_html

    ctx = PageContext(request, db, access, access.user)
    if fmt not in ("html", "pdf", "xlsx"):
        raise HTTPException(status_code=404, detail=f"unknown format {fmt!r}")
    report = _report(ctx)
    name = f"{ctx.workspace.slug}-monitoring-{dt.date.today().isoformat()}"
    if fmt == "html":
        return HTMLResponse(render_monitoring_html(report), headers={
            "Content-Security-Policy": DOCUMENT_CSP,
            "Content-Disposition": f'attachment; filename="{name}.html"'})
    if fmt == "xlsx":
        from smartspec.reports.tables import flatten
        from smartspec.web.pages.common import _defuse

        buffer = io.BytesIO()
        with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
            for key, frame in report.tables.items():
                flat = flatten(frame, index=False) if len(frame.columns) else frame
                flat.map(_defuse).to_excel(writer, sheet_name=str(key)[:31], index=False)
            if not report.tables:
                pd.DataFrame({"note": ["no table"]}).to_excel(writer, index=False)
        return Response(buffer.getvalue(),
                        media_type="application/vnd.openxmlformats-officedocument."
                                   "spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})
    from smartspec.reports.pdf import PdfUnavailableError, html_to_pdf

    with tempfile.TemporaryDirectory(prefix="smartspec-report-") as folder:
        html_path = Path(folder) / f"{name}.html"
        html_path.write_text(render_monitoring_html(report), encoding="utf-8")
        try:
            pdf_path = html_to_pdf(html_path, Path(folder) / f"{name}.pdf")
        except PdfUnavailableError as exc:
            raise HTTPException(status_code=503, detail=str(exc)) from None
        body = Path(pdf_path).read_bytes()
    return Response(body, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'})


@router.post("/w/{slug}/monitoring/report/snapshot")
def report_snapshot(request: Request, db: DB,
                    access: Analyst) -> Response:
    """Remember the current report as the reference of the next report's "change since"."""
    mon = _mon()
    ctx = PageContext(request, db, access, access.user)
    report = _report(ctx)
    mon.save_report_snapshot(db, ctx.workspace, report.summary, as_of=report.as_of)
    return redirect(f"{ctx.base}/monitoring", ok="report_saved")
