"""Element 1, the evidence: specialisations, activity space, peers and neighbours, history,
context indicators, the skills of the registered companies, and data import with its
validation report."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
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
    Viewer,
    finite,
    table_builder,
)

__all__ = ["router"]

router = APIRouter()

#: File types the data import accepts (the formats of :func:`smartspec.data.read`).
IMPORT_SUFFIXES = (".csv", ".tsv", ".txt", ".gz", ".parquet", ".xlsx")


@table_builder("specialisations", cache=())
def specialisations_table(ctx: PageContext) -> PageTable:
    t = ctx.t
    prof = data.profile(ctx)
    rows = []
    for code, r in prof.specialisations.iterrows():
        rows.append({"activity": code, "employment": r.get("employment"),
                     "share": r.get("share"), "rca": r.get("rca"),
                     "rca_national": r.get("rca_national"), "share_eu": r.get("share_eu"),
                     "pci": r.get("pci"), "stars": "★" * int(r.get("stars") or 0),
                     "density": r.get("density"),
                     "_class": "highlight" if r.get("missing") else ""})
    return PageTable(
        key="specialisations", title=t("Specialisations"), rows=rows,
        export=f"{ctx.base}/export/specialisations",
        columns=[Column("activity", t("Activity"), "activity"),
                 Column("employment", t("Persons employed"), "int"),
                 Column("share", t("Share of the region"), "pct"),
                 Column("rca", t("RCA (all regions)"), "num"),
                 Column("rca_national", t("RCA (country)"), "num"),
                 Column("share_eu", t("Share of all regions"), "pct"),
                 Column("pci", t("Complexity (PCI)"), "signed"),
                 Column("stars", t("Cluster stars")),
                 Column("density", t("Relatedness density"), "num")],
        note=t("Activities with the highest revealed comparative advantage (RCA, the location "
               "quotient). Stars after the European Cluster Observatory: size (top 10 % of "
               "regions), specialisation (RCA ≥ 2), focus. Highlighted rows hold cells that "
               "are confidential in the source and counted as zero."))


@table_builder("peers", cache=())
def peers_table(ctx: PageContext) -> PageTable:
    t = ctx.t
    prof = data.profile(ctx)
    rows = []
    for _, r in prof.peers.iterrows():
        kind = str(r.get("kind"))
        rows.append({"region": r.get("region"),
                     "kind": t("structural peer") if kind == "structural" else t("neighbour"),
                     "similarity": finite(r.get("similarity")), "eci": finite(r.get("eci")),
                     "diversity": r.get("diversity"), "employment": finite(r.get("employment")),
                     "top_activity": r.get("top_activity")
                     if isinstance(r.get("top_activity"), str) else None})
    return PageTable(
        key="peers", title=t("Peers and neighbours"), rows=rows,
        export=f"{ctx.base}/export/peers",
        columns=[Column("region", t("Region"), "region"), Column("kind", t("Kind")),
                 Column("similarity", t("Similarity"), "num"), Column("eci", t("ECI"), "num"),
                 Column("diversity", t("Diversity"), "int"),
                 Column("employment", t("Persons employed"), "int"),
                 Column("top_activity", t("Top activity"), "activity")],
        note=t("Structural peers: the regions whose specialisation profiles are most similar "
               "(cosine similarity). Neighbours: regions sharing a border (GISCO NUTS 2021)."))


@table_builder("context", cache=())
def context_table(ctx: PageContext) -> PageTable:
    t = ctx.t
    prof = data.profile(ctx)
    rows = []
    if prof.context is not None:
        for r in prof.context.to_dict("records"):
            kind = str(r.get("trend_kind") or "")
            trend = finite(r.get("trend"))
            rows.append({"label": r.get("label"), "unit": r.get("unit"),
                         "latest": finite(r.get("latest")), "year": r.get("year"),
                         "trend": (f"{trend * 100:+.1f} % / {t('year')}" if kind == "cagr"
                                   and trend is not None else
                                   f"{trend:+.2f} / {t('year')}" if trend is not None else None),
                         "since": r.get("trend_from")})
    return PageTable(
        key="context", title=t("Context indicators"), rows=rows,
        export=f"{ctx.base}/export/context",
        columns=[Column("label", t("Indicator")), Column("unit", t("Unit")),
                 Column("latest", t("Latest"), "num"), Column("year", t("Year")),
                 Column("trend", t("Trend")), Column("since", t("Trend since"))],
        note=prof.attribution, empty=t("No context indicators for this region."))


INDEX_TEXT = {
    "krugman": ("Krugman dissimilarity", "0 = the same structure as all regions together, "
                "up to 2 = completely different"),
    "hoover": ("Hoover index", "share of employment that would have to move to match the "
               "reference structure"),
    "hhi": ("Herfindahl-Hirschman index", "concentration of employment across activities"),
    "entropy": ("Entropy (bits)", "variety of the economic structure"),
    "related_variety": ("Related variety (bits)", "variety within NACE sections"),
    "unrelated_variety": ("Unrelated variety (bits)", "variety between NACE sections"),
    "diversity": ("Diversity", "activities with RCA ≥ 1"),
}


@table_builder("indices", cache=())
def indices_table(ctx: PageContext) -> PageTable:
    t = ctx.t
    prof = data.profile(ctx)
    rows = [{"name": t(INDEX_TEXT.get(k, (k, ""))[0]), "value": finite(v),
             "meaning": t(INDEX_TEXT.get(k, ("", ""))[1])} for k, v in prof.indices.items()]
    rows.insert(0, {"name": t("Economic complexity (ECI)"), "value": finite(prof.eci),
                    "meaning": t("rank %(rank)s of %(n)s regions", rank=prof.eci_rank,
                                 n=prof.n_regions)})
    return PageTable(key="indices", title=t("Specialisation and diversification"), rows=rows,
                     export=f"{ctx.base}/export/indices",
                     columns=[Column("name", t("Index")), Column("value", t("Value"), "num3"),
                              Column("meaning", t("Meaning"))])


@table_builder("history", cache=())
def history_table(ctx: PageContext) -> PageTable:
    t = ctx.t
    prof = data.profile(ctx)
    hist = prof.history
    rows = []
    if hist is not None and hist.shift_share is not None:
        for code, r in hist.shift_share.iterrows():
            rows.append({"activity": code, "label": r.get("label"),
                         "change": finite(r.get("change")),
                         "national": finite(r.get("national")),
                         "industry_mix": finite(r.get("industry_mix")),
                         "competitive": finite(r.get("competitive")),
                         "growth": finite(hist.growth.get(code)) if hist.growth is not None
                         else None})
    years = tuple(getattr(hist, "years", ()) or ())
    note = (t("Shift-share of the change in persons employed, %(start)s–%(end)s (Dunn 1960). "
              "Relatedness predicted the region's past entries with an AUC of %(auc)s.",
              start=years[0], end=years[-1], auc=_fmt(getattr(hist, "entry_auc", None)))
            if years else "")
    return PageTable(key="history", title=t("History"), rows=rows,
                     export=f"{ctx.base}/export/history", note=note,
                     columns=[Column("activity", t("Activity"), "code"),
                              Column("label", t("Label")),
                              Column("change", t("Change"), "int"),
                              Column("national", t("National growth"), "int"),
                              Column("industry_mix", t("Industry mix"), "int"),
                              Column("competitive", t("Regional effect"), "int"),
                              Column("growth", t("Annual growth"), "pct")],
                     empty=t("The data have a single year: no history."))


def _fmt(value: Any) -> str:
    number = finite(value)
    return "–" if number is None else f"{number:.2f}"


@table_builder("skills", cache=("actors",))
def skills_table(ctx: PageContext) -> PageTable:
    """ESCO skill groups held by the workspace's registered firms of the home region."""
    from smartspec.store import services as svc
    from smartspec.strategy.matching import region_skill_profile

    t = ctx.t

    actors = [svc.actor_to_domain(a) for a in svc.list_actors(ctx.db, ctx.workspace)]
    frame = region_skill_profile(actors, region=ctx.workspace.home_region) if actors else None
    n_actors = len(actors)
    rows = []
    note = ""
    if frame is not None:
        for r in frame.to_dict("records"):
            rows.append({"code": r.get("code"), "label": r.get("label"),
                         "level": r.get("level"), "n_actors": r.get("n_actors"),
                         "share": finite(r.get("share_actors")),
                         "skills": "; ".join(str(s) for s in list(r.get("skills") or [])[:8])})
        note = t("Firms counted: %(n)s. Skills are placed in the ESCO skills-pillar hierarchy "
                 "(ESCO, European Commission).", n=frame.attrs.get("n_actors", n_actors))
    return PageTable(key="skills", title=t("Skills of the registered companies"), rows=rows,
                     export=f"{ctx.base}/export/skills", note=note,
                     columns=[Column("code", t("Group"), "code"), Column("label", t("Skill group")),
                              Column("level", t("Level"), "int"),
                              Column("n_actors", t("Firms"), "int"),
                              Column("share", t("Share of firms"), "pct"),
                              Column("skills", t("Skills"), "long")],
                     empty=t("No registered firm of the home region lists skills."))


def localised_profile(prof: Any, labels: Any) -> Any:
    """A view of the profile whose activity labels are in the labels' language (for charts).

    The profile is shared through the cache: it is never modified; the label columns of
    copies of the specialisations, activity-space nodes and shift-share tables are replaced.
    Codes without a NACE label (e.g. the A*10 aggregate ``"B-E"``) keep their label.
    """
    import dataclasses

    def relabel(frame: Any) -> Any:
        if frame is None or "label" not in getattr(frame, "columns", ()):
            return frame
        return frame.assign(label=[labels.activity(c, str(lab)) for c, lab in
                                   zip(frame.index, frame["label"], strict=True)])

    if labels.language == "en":
        return prof
    try:
        space = dataclasses.replace(prof.activity_space,
                                    nodes=relabel(prof.activity_space.nodes))
        hist = prof.history
        if hist is not None and dataclasses.is_dataclass(hist):
            hist = dataclasses.replace(hist, shift_share=relabel(hist.shift_share))
        return dataclasses.replace(prof, specialisations=relabel(prof.specialisations),
                                   activity_space=space, history=hist)
    except (TypeError, ValueError):  # not dataclasses: show the source labels
        return prof


def _charts(ctx: PageContext) -> list[Any]:
    from smartspec.reports import charts as rc

    prof = localised_profile(data.profile(ctx), ctx.labels)
    ws = ctx.workspace
    key = (ws.id, ws.data_version or "", "evidence_charts", ws.home_region, ctx.lang)

    def build() -> list[Any]:
        out = [charts.page_chart(rc.rca_chart(prof)),
               charts.page_chart(rc.activity_space_chart(prof)),
               charts.page_chart(rc.peer_chart(prof))]
        hist = rc.history_chart(prof)
        if hist is not None:
            out.append(charts.page_chart(hist))
        return out

    from smartspec.web.cache import get_cache

    return get_cache(ctx.request).get_or_compute(key, build)


def _page(ctx: PageContext, *, report: Any = None, problems: list[str] | None = None,
          imported: list[Any] | None = None, status_code: int = 200,
          messages: list[tuple[str, Any]] | None = None) -> Response:
    from smartspec.web.pages.data import monitoring_services

    mon = monitoring_services()
    years = mon.list_data_years(ctx.db, ctx.workspace) if mon is not None else []
    prof = data.profile(ctx)
    t = ctx.t
    figures = [
        (t("Economic complexity"), _fmt(prof.eci),
         t("rank %(rank)s of %(n)s regions", rank=prof.eci_rank, n=prof.n_regions)),
        (t("Diversity"), str(int(prof.indices.get("diversity", 0) or 0)),
         t("activities with RCA ≥ 1")),
        (t("Persons employed"), f"{prof.total_employment:,.0f}", str(prof.year)),
        (t("Missing cells"), str(prof.missing_cells), t("confidential, counted as zero")),
    ]
    return ctx.render("evidence.html", {
        "profile": prof, "figures": figures, "charts": _charts(ctx),
        "specialisations": specialisations_table(ctx), "peers": peers_table(ctx),
        "context": context_table(ctx), "indices": indices_table(ctx),
        "history": history_table(ctx), "skills": skills_table(ctx),
        "report": report, "problems": problems or [], "imported": imported or [],
        "data_years": years, "monitoring": mon is not None,
        "max_upload_mb": ctx.request.app.state.settings.max_upload_bytes // (1024 * 1024),
        "uses_charts": True,
    }, nav="evidence", status_code=status_code, messages=messages or [])


@router.get("/w/{slug}/evidence")
def evidence(request: Request, db: DB,
             access: Viewer) -> Response:
    return _page(PageContext(request, db, access, access.user))


def _report_lines(report: Any) -> list[tuple[str, str]]:
    lines = list(report._lines()) if hasattr(report, "_lines") else [
        (k, str(v)) for k, v in report.to_dict().items()]
    return [(str(k), str(v)) for k, v in lines if k != "file"]


@router.post("/w/{slug}/evidence/import")
async def import_data(request: Request, form: FormData,
                      db: DB,
                      access: Analyst) -> Response:
    """Validate an uploaded data file (:func:`smartspec.data.read`) and, when asked, store its
    years for the monitoring (context indicators are recomputed)."""
    from starlette.concurrency import run_in_threadpool

    upload = form.get("file")
    if upload is None or not hasattr(upload, "read") or not getattr(upload, "filename", ""):
        ctx = PageContext(request, db, access, access.user)
        return await run_in_threadpool(lambda: _page(
            ctx, status_code=422, messages=[("error", ctx.t("Choose a file to import."))]))
    name = Path(str(upload.filename)).name
    content = await upload.read()
    fields = {k: form.get(k) for k in ("year", "dataset", "action")}
    return await run_in_threadpool(_import_sync, request, db, access, name, content, fields)


def _import_sync(request: Request, db: Session, access: Any, name: str, content: bytes,
                 fields: dict[str, Any]) -> Response:
    from smartspec.data import DataImportError, read
    from smartspec.web.pages.data import monitoring_services

    ctx = PageContext(request, db, access, access.user)
    t = ctx.t
    suffixes = "".join(Path(name).suffixes[-2:]).lower()
    if not any(suffixes.endswith(s) for s in IMPORT_SUFFIXES):
        return _page(ctx, status_code=422, messages=[("error", t(
            "Unsupported file type %(name)s: use CSV, TSV, Parquet or Excel (.xlsx).",
            name=name))])
    year = fields.get("year")
    year_value = None
    if isinstance(year, str) and year.strip():
        try:
            year_value = int(year)
        except ValueError:
            return _page(ctx, status_code=422, messages=[("error", t(
                "The year must be a whole number."))])
    with tempfile.TemporaryDirectory(prefix="smartspec-import-") as folder:
        path = os.path.join(folder, "upload" + suffixes)
        with open(path, "wb") as fh:
            fh.write(content)
        try:
            panel, report = read(path, year=year_value) if year_value else read(path)
        except DataImportError as exc:
            problems = [_problem_text(p, name) for p in getattr(exc, "problems", [])] or [
                str(exc).replace(path, name)]
            return _page(ctx, problems=problems, status_code=422, messages=[("error", t(
                "The file %(name)s was refused: see the validation report.", name=name))])
        except (ValueError, OSError) as exc:
            return _page(ctx, problems=[str(exc).replace(path, name)], status_code=422,
                         messages=[("error", t("The file %(name)s could not be read.",
                                               name=name))])
    lines = [("file", name), *_report_lines(report)]
    if fields.get("action") != "import":
        return _page(ctx, report=lines, messages=[("ok", t(
            "The file is valid. Nothing was stored: choose “Validate and import” to store it."))])
    mon = monitoring_services()
    if mon is None:
        return _page(ctx, report=lines, status_code=501, messages=[("error", t(
            "Monitoring is not available in this installation."))])
    dataset = fields.get("dataset")
    dataset = dataset.strip() if isinstance(dataset, str) and dataset.strip() else \
        Path(name).name.split(".")[0][:80]
    try:
        results = mon.import_panel(db, ctx.workspace, panel, dataset=dataset)
    except (ValueError, LookupError) as exc:
        return _page(ctx, report=lines, problems=[str(exc)], status_code=422,
                     messages=[("error", t("The data could not be imported."))])
    return _page(ctx, report=lines, imported=results, messages=[("ok", t(
        "The data year was imported and the context indicators recomputed."))])


def _problem_text(problem: Any, name: str) -> str:
    parts = []
    row = getattr(problem, "row", None)
    column = getattr(problem, "column", None)
    if row is not None:
        parts.append(f"row {row}")
    if column:
        parts.append(f"column {column}")
    where = f" ({', '.join(parts)})" if parts else ""
    value = getattr(problem, "value", None)
    message = getattr(problem, "message", str(problem))
    return f"{name}{where}: {message}" + (f" [{value}]" if value not in (None, "") else "")
