"""Self-contained HTML reports of a region profile and of its candidate activities.

A report is one HTML file that works offline: the Plotly library is inlined once (from the
installed ``plotly`` package), each chart is a ``<div>`` drawn by it, all text is escaped by
Jinja2's autoescaping, and nothing is fetched from the network. The same tables are written as
CSV and as an Excel workbook next to it, and optionally printed to PDF with headless Chromium
(:mod:`smartspec.reports.pdf`).
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from smartspec.reports import charts as _charts
from smartspec.reports.charts import Chart
from smartspec.reports.tables import (
    candidates_table,
    format_rows,
    profile_tables,
    write_tables,
)

__all__ = [
    "Card",
    "all_region_eci",
    "ReportContext",
    "Section",
    "Table",
    "chart_html",
    "make_table",
    "plotly_script",
    "render_report",
    "write_candidates_report",
    "write_profile_report",
]

#: Plotly config of every chart: no logo or cloud links, responsive to the page width.
PLOTLY_CONFIG: dict[str, Any] = {"displaylogo": False, "responsive": True,
                                 "showSendToCloud": False,  # plotly.js 4: "Share chart..."
                                 "modeBarButtonsToRemove": ["sendDataToCloud",
                                                            "sendChartToCloud", "lasso2d",
                                                            "select2d"]}
#: An empty world topology pre-registered for Plotly's geo subplots. Plotly.js downloads its
#: base-map topology (``world_110m.json`` from cdn.plot.ly) for every geo subplot that shows a
#: base layer or uses a ``locationmode``, including ``"geojson-id"`` choropleths; our maps draw
#: only the shipped NUTS boundaries, so an empty topology avoids the download and keeps the
#: report working offline.
_EMPTY_TOPOLOGY = '{"type":"Topology","objects":{},"arcs":[]}'
_TOPOLOGY_NAMES = ("world_110m", "world_50m", "europe_110m", "europe_50m")


# ---------------------------------------------------------------------------------------------
# building blocks
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Card:
    """A key figure shown at the top of a report."""

    label: str
    value: str
    note: str = ""


@dataclass(frozen=True)
class Table:
    """A table of display strings (escaped when rendered)."""

    title: str
    headers: list[str]
    rows: list[list[str]]
    note: str = ""
    numeric: list[bool] = field(default_factory=list)
    long: list[str] = field(default_factory=list)
    kind: str = "table"


@dataclass
class Section:
    """A report section: a heading, paragraphs, then charts and tables in order."""

    key: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    items: list[Chart | Table] = field(default_factory=list)


@dataclass(frozen=True)
class ReportContext:
    """What a candidates report needs to know about its region when no profile is given."""

    region: str
    name: str = ""
    year: int | None = None
    attribution: str = ""
    notes: tuple[str, ...] = ()


def make_table(df: pd.DataFrame, columns: Mapping[str, tuple[str, str | None]] | None = None,
               *, title: str = "", index: str | None = None, note: str = "",
               long: Iterable[str] = ("label",), xlong: Iterable[str] = (),
               right: Iterable[str] = ()) -> Table:
    """Format ``df`` as a :class:`Table` (see :func:`smartspec.reports.tables.format_rows`).

    ``long``: columns of text (labels) kept wide; ``xlong``: columns of long text
    (explanations), wider and smaller. ``right``: text columns aligned right like numbers.
    """
    headers, rows = format_rows(df, columns, index=index)
    cols = list(columns) if columns is not None else [str(c) for c in df.columns]
    cols = [c for c in cols if c in df.columns]
    rights = set(right)
    numeric = ([False] if index is not None else []) + [
        (pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]))
        or c in rights for c in cols]
    longs, xlongs = set(long), set(xlong)
    is_long = ([""] if index is not None else []) + [
        "xlong" if c in xlongs else "long" if c in longs else "" for c in cols]
    return Table(title=title, headers=headers, rows=rows, note=note, numeric=numeric,
                 long=is_long)


@lru_cache(maxsize=1)
def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def plotly_script() -> Any:
    """The ``<script>`` elements that load Plotly inline (once per report), as safe markup."""
    from markupsafe import Markup

    assets = ",".join(f'"{n}":{_EMPTY_TOPOLOGY}' for n in _TOPOLOGY_NAMES)
    return Markup(  # trusted: library code and a constant
        f'<script>window.PlotlyGeoAssets={{topojson:{{{assets}}}}};</script>\n'
        f'<script type="text/javascript">{_plotly_js()}</script>')


def chart_html(chart: Chart) -> Any:
    """The chart's ``<div>`` and drawing script, without the Plotly library (safe markup)."""
    from markupsafe import Markup

    return Markup(chart.figure.to_html(  # trusted: Plotly escapes "<" in its JSON
        full_html=False, include_plotlyjs=False, config=PLOTLY_CONFIG,
        div_id=f"chart-{chart.key}", default_width="100%"))


@lru_cache(maxsize=1)
def _environment() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(Path(__file__).parent / "templates")),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
        lstrip_blocks=True)


def render_report(title: str, sections: Sequence[Section], *, subtitle: str = "",
                  cards: Sequence[Card] = (), notes: Sequence[str] = (),
                  sources: Sequence[str] = ()) -> str:
    """Render a complete, self-contained HTML report.

    Every string (titles, table cells, captions, notes) is escaped; only the chart markup
    produced by Plotly and the inlined library are inserted as HTML.
    """
    from smartspec import __version__

    rendered = []
    for s in sections:
        items = []
        for it in s.items:
            if isinstance(it, Chart):
                items.append({"kind": "chart", "key": it.key, "title": it.title,
                              "caption": it.caption, "html": chart_html(it)})
            else:
                items.append(it)
        rendered.append({"key": s.key, "title": s.title, "paragraphs": s.paragraphs,
                         "blocks": items})
    return _environment().get_template("report.html.j2").render(
        title=title, subtitle=subtitle, cards=list(cards), sections=rendered,
        notes=list(notes), sources=list(dict.fromkeys(x for x in sources if x)),
        plotly_js=plotly_script(), version=__version__,
        generated=_dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"))


# ---------------------------------------------------------------------------------------------
# the region profile report
# ---------------------------------------------------------------------------------------------
_SPEC_COLUMNS: dict[str, tuple[str, str | None]] = {
    "label": ("activity", None), "employment": ("persons employed", "int"),
    "share": ("share of region", "pct"), "rca": ("RCA (all regions)", "f2"),
    "rca_national": ("RCA (country)", "f2"), "share_national": ("share in country", "pct"),
    "share_eu": ("share, all regions", "pct"), "pci": ("PCI", "signed"),
    "stars": ("stars", "stars"),
}
_INDEX_TEXT: dict[str, tuple[str, str]] = {
    "krugman": ("Krugman dissimilarity", "0 = same structure as all regions together; "
                "up to 2 = completely different"),
    "hoover": ("Hoover index", "share of employment that would have to move to match the "
               "reference structure (0-1)"),
    "hhi": ("Herfindahl-Hirschman index", "concentration of employment across activities "
            "(1/number of activities = even, 1 = one activity)"),
    "entropy": ("Entropy (bits)", "variety of the economic structure; higher = more diverse"),
    "related_variety": ("Related variety (bits)", "variety within NACE sections (activities "
                        "that share knowledge)"),
    "unrelated_variety": ("Unrelated variety (bits)", "variety between NACE sections"),
    "diversity": ("Diversity", "number of activities with RCA ≥ 1"),
}
_METHOD_NOTES = (
    "RCA (location quotient) = the activity's share of the region's employment divided by its "
    "share in the reference (all regions of the panel, or the regions of the same country). "
    "An activity is a specialisation when RCA ≥ 1.",
    "Cluster stars follow the European Cluster Observatory: size (the region is among the top "
    "10 % of regions for the activity's employment), specialisation (RCA ≥ 2) and focus (the "
    "activity's share of the region's employment is among the top 10 % of regions).",
    "Economic complexity (ECI for regions, PCI for activities) uses the eigenvector method of "
    "Hausmann, Hidalgo et al. (2014) on the specialisation (RCA ≥ 1) matrix. Proximity between "
    "activities is the minimum conditional probability of co-specialisation (Hidalgo et al. "
    "2007); relatedness density is the share of an activity's proximity to the region's "
    "specialisations.",
    "Structural peers are the regions whose specialisation profiles (revealed symmetric "
    "comparative advantage) have the highest cosine similarity to this region's.",
)


def _fmt(v: object, spec: str) -> str:
    try:
        x = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "n/a"
    return "n/a" if math.isnan(x) else format(x, spec)


def _ensure_dir(out_dir: str | Path) -> Path:
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"{out}: exists and is not a directory")
    out.mkdir(parents=True, exist_ok=True)
    return out


def _safe_stem(text: str) -> str:
    keep = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in str(text))
    return keep.strip("_") or "region"


def all_region_eci(panel: Any, *, threshold: float = 1.0) -> pd.Series:
    """ECI of every region of ``panel``'s latest year (missing cells as zero), for maps.

    The same computation as :func:`smartspec.discovery.profile` (eigenvector method on the
    presence matrix of the regions with a positive total).
    """
    from smartspec import evidence

    x = panel.matrix().fillna(0.0)
    x.index = x.index.astype(str)
    x = x[x.sum(axis=1) > 0]
    return evidence.complexity(evidence.presence(x, threshold)).eci


def _profile_cards(profile: Any) -> list[Card]:
    spec = profile.specialisations
    top = spec.index[0] if len(spec) else None
    cards = [Card("ECI (economic complexity)", _fmt(profile.eci, "+.2f"),
                  f"rank {profile.eci_rank} of {profile.n_regions} regions")]
    div = profile.indices.get("diversity", np.nan)
    cards.append(Card("Diversity", _fmt(div, ".0f"), "activities with RCA ≥ 1"))
    total = getattr(profile, "total_employment", None)
    if total is None and "employment" in spec:
        total = float(spec["employment"].sum())
    cards.append(Card("Persons employed", _fmt(total, ",.0f"),
                      f"business economy, {profile.year}"))
    if top is not None:
        cards.append(Card("Top specialisation", str(top),
                          f"{_short(spec.at[top, 'label'], 40)} (RCA "
                          f"{_fmt(spec.at[top, 'rca'], '.2f')})"))
    cards.append(Card("Krugman index", _fmt(profile.indices.get("krugman", np.nan), ".3f"),
                      "dissimilarity to all regions (0-2)"))
    return cards


def _plural(n: object, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _part(attribution: str, word: str) -> str:
    """The part of a '; '-separated attribution that mentions ``word`` (or the first part)."""
    parts = [p.strip() for p in str(attribution or "").split(";") if p.strip()]
    for p in parts:
        if word.lower() in p.lower():
            return p
    return parts[0] if parts else ""


def _short(v: object, n: int) -> str:
    s = str(v)
    return s if len(s) <= n else s[: n - 1].rstrip() + "…"


def _opportunity_frame(profile: Any, n: int = 10) -> pd.DataFrame:
    dens = profile.density
    pres = getattr(profile, "presence", pd.Series(0, index=dens.index))
    nodes = profile.activity_space.nodes
    df = pd.DataFrame({"density": dens})
    df["label"] = nodes["label"].reindex(df.index) if "label" in nodes else ""
    df["pci"] = nodes["pci"].reindex(df.index) if "pci" in nodes else np.nan
    df["rca"] = nodes["rca"].reindex(df.index) if "rca" in nodes else np.nan
    df = df[pres.reindex(df.index).fillna(0).to_numpy() < 1]
    return df.sort_values("density", ascending=False).head(n)


def profile_sections(profile: Any, *, top: int = 15, map_values: pd.Series | None = None,
                     map_value_name: str = "ECI", neighbours: pd.DataFrame | None = None,
                     resolution: str = "3M") -> list[Section]:
    """The sections (charts, tables, text) of the profile report."""
    region = _charts._region_label(profile)
    spec = profile.specialisations
    sections: list[Section] = []

    s = Section("specialisations", "Specialisations")
    n_spec = int(profile.indices.get("diversity", (spec["rca"] >= 1).sum()))
    s.paragraphs.append(
        f"{region} is specialised (RCA ≥ 1) in {n_spec} activities. The strongest "
        f"specialisations in {profile.year}, by location quotient against all regions:")
    s.items.append(_charts.rca_chart(profile, top=top))
    s.items.append(make_table(spec.head(top), _SPEC_COLUMNS, index="NACE",
                              title=f"Top {min(top, len(spec))} specialisations",
                              note="Shares: of persons employed. Stars: size, specialisation, "
                                   "focus (see the notes)."))
    sections.append(s)

    s = Section("indices", "Specialisation and diversification")
    rows = pd.DataFrame([
        {"index": _INDEX_TEXT.get(k, (k, ""))[0], "value": v,
         "reading": _INDEX_TEXT.get(k, ("", ""))[1]}
        for k, v in profile.indices.items()])
    s.items.append(make_table(rows, {"index": ("index", None), "value": ("value", "f3"),
                                     "reading": ("how to read it", None)}))
    sections.append(s)

    s = Section("complexity", "Complexity and relatedness")
    s.paragraphs.append(
        f"Economic complexity index (ECI) of {region}: {_fmt(profile.eci, '+.2f')}, rank "
        f"{profile.eci_rank} of {profile.n_regions} regions (1 = most complex). The activity "
        "space below shows where its specialisations sit among all activities.")
    s.items.append(_charts.activity_space_chart(profile))
    s.items.append(make_table(
        _opportunity_frame(profile),
        {"label": ("activity", None), "density": ("relatedness density", "f3"),
         "pci": ("PCI", "signed"), "rca": ("RCA", "f2")}, index="NACE",
        title="Closest activities in which the region is not yet specialised",
        note="Highest relatedness density first: the share of the activity's links that lead "
             "to the region's specialisations."))
    sections.append(s)

    s = Section("neighbourhood", "Neighbourhood")
    try:
        chart = _charts.neighbourhood_map(profile, values=map_values, value_name=map_value_name,
                                          neighbours=neighbours, resolution=resolution)
    except ValueError as exc:
        s.paragraphs.append(f"No map: {exc}.")
    else:
        s.items.append(chart)
    sections.append(s)

    s = Section("peers", "Peer regions")
    s.items.append(_charts.peer_chart(profile))
    peers = _charts._peer_table(profile)
    s.items.append(make_table(
        peers, {"region": ("code", None), "name": ("region", None), "kind": ("peer type", None),
                "similarity": ("similarity", "f3"), "eci": ("ECI", "signed"),
                "eci_rank": ("ECI rank", "int"), "diversity": ("diversity", "int"),
                "employment": ("persons employed", "int"), "krugman": ("Krugman", "f3"),
                "top_activity_label": ("top specialisation", None),
                "top_rca": ("its RCA", "f2")},
        title="Side-by-side comparison",
        note="Similarity: cosine similarity of the specialisation profiles (1 = identical)."))
    sections.append(s)

    hist = getattr(profile, "history", None)
    if hist is not None:
        s = Section("history", "History")
        years = tuple(getattr(hist, "years", ()))
        if len(years) >= 2:
            s.paragraphs.append(
                f"Employment by broad sector, {years[0]}–{years[-1]} (regional accounts). "
                f"Entries and exits of specialisations are counted over windows of "
                f"{getattr(hist, 'horizon', '?')} years.")
        auc = getattr(hist, "entry_auc", float("nan"))
        if isinstance(auc, float) and not math.isnan(auc):
            pooled = getattr(hist, "entry_auc_pooled", float("nan"))
            s.paragraphs.append(
                f"Relatedness as a predictor of this region's diversification: entry AUC "
                f"{auc:.2f} over {getattr(hist, 'entry_auc_n', '?')} activity-windows "
                f"({_plural(getattr(hist, 'entry_auc_entries', 0), 'entry', 'entries')}); "
                "all regions: "
                f"{_fmt(pooled, '.2f')}. 0.5 = no better than chance, 1 = relatedness ranked "
                "every entry first.")
        chart = _charts.history_chart(profile)
        if chart is not None:
            s.items.append(chart)
        growth = getattr(hist, "growth", None)
        ss = getattr(hist, "shift_share", None)
        if isinstance(ss, pd.DataFrame) and len(ss):
            tab = ss.copy()
            if isinstance(growth, pd.Series):
                tab["cagr"] = growth.reindex(tab.index)
            s.items.append(make_table(
                tab, {"label": ("activity", None), "start": ("start", "int"),
                      "end": ("end", "int"), "cagr": ("annual growth", "pct"),
                      "change": ("change", "int"), "national": ("national", "int"),
                      "industry_mix": ("industry mix", "int"),
                      "competitive": ("competitive", "int")}, index="NACE",
                title="Growth and shift-share"))
        for attr, title in (("entries", "Entries (new specialisations)"),
                            ("exits", "Exits (specialisations lost)")):
            df = getattr(hist, attr, None)
            if isinstance(df, pd.DataFrame) and len(df):
                s.items.append(make_table(
                    df, {"year_from": ("from", "year"), "year_to": ("to", "year"),
                         "activity": ("NACE", None), "label": ("activity", None),
                         "rca_from": ("RCA before", "f2"), "rca_to": ("RCA after", "f2"),
                         "density_from": ("density before", "f3")}, title=title))
            elif isinstance(df, pd.DataFrame):
                s.paragraphs.append(f"{title}: none in the period covered.")
        sections.append(s)

    ctx = getattr(profile, "context", None)
    if isinstance(ctx, pd.DataFrame) and len(ctx):
        s = Section("context", "Context indicators")
        tab = ctx.copy()
        if "trend" in tab.columns:
            kinds = tab.get("trend_kind", pd.Series("", index=tab.index)).astype(str)
            tab["trend_text"] = [
                "" if t != t else (f"{t:+.1%} a year" if k == "cagr" else f"{t:+.2f} a year")
                for t, k in zip(tab["trend"], kinds, strict=True)]
        if "trend_from" in tab.columns and "year" in tab.columns:
            tab["period"] = [f"{a}–{b}" if a == a and b == b else "" for a, b in
                             zip(tab["trend_from"], tab["year"], strict=True)]
        src = _part(profile.attribution, "context") or profile.attribution
        s.items.append(make_table(
            tab, {"label": ("indicator", None), "unit": ("unit", None),
                  "latest": ("latest", None), "year": ("year", "year"),
                  "trend_text": ("trend", None), "period": ("trend period", None)},
            right=("trend_text", "period"),
            note=f"Trend: compound annual growth for levels, change per year for rates and "
                 f"years. {src}."))
        sections.append(s)
    return sections


def _report_files(html: str, tables: Mapping[str, pd.DataFrame], out_dir: Path, stem: str, *,
                  csv: Iterable[str], notes: Mapping[str, str], pdf: bool) -> dict[str, Path]:
    paths: dict[str, Path] = {}
    html_path = out_dir / f"{stem}.html"
    html_path.write_text(html, encoding="utf-8")
    paths["html"] = html_path
    paths.update(write_tables(tables, out_dir, stem, csv=csv, notes=notes))
    if pdf:
        from smartspec.reports.pdf import html_to_pdf

        paths["pdf"] = html_to_pdf(html_path, out_dir / f"{stem}.pdf")
    return paths


def _sources(*texts: str) -> list[str]:
    from smartspec.datasets.geo import GISCO_ATTRIBUTION

    out: list[str] = []
    for t in texts:
        for part in str(t or "").split(";"):
            part = part.strip()
            if part and part not in out:
                out.append(part)
    out.append(f"Region boundaries: Eurostat GISCO, NUTS 2021 — {GISCO_ATTRIBUTION}.")
    return out


def write_profile_report(profile: Any, out_dir: str | Path, *, pdf: bool = False,
                         top: int = 15, panel: Any = None,
                         map_values: pd.Series | None = None, map_value_name: str = "ECI",
                         neighbours: pd.DataFrame | None = None, resolution: str = "3M",
                         stem: str | None = None) -> dict[str, Path]:
    """Write the HTML report, CSV and Excel tables (and optionally a PDF) of a region profile.

    Parameters
    ----------
    profile : RegionProfile (from :func:`smartspec.discovery.profile`).
    out_dir : folder, created if needed.
    pdf : also print the report to PDF (needs Chromium, see :mod:`smartspec.reports.pdf`).
    top : number of specialisations shown.
    panel : the panel the profile was computed on; when given (and ``map_values`` is not),
        the map shows the ECI of every region around the region.
    map_values, map_value_name : values to colour on the map (default: ECI from ``panel``, or
        else the similarity of the peer regions).
    neighbours : adjacency pairs for the map (default: the shipped NUTS 2021 neighbours).
    resolution : boundary scale of the map, ``"3M"`` or ``"60M"``.
    stem : file-name prefix (default ``"{region}_profile"``).

    Returns
    -------
    dict
        ``{"html": ..., "xlsx": ..., "specialisations_csv": ..., "peers_csv": ..., "pdf": ...}``.

    Raises
    ------
    smartspec.reports.PdfUnavailableError
        ``pdf=True`` and no Chromium is installed (the HTML and tables are written first).
    """
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise ValueError(f"top must be a positive integer, got {top!r}")
    out = _ensure_dir(out_dir)
    if map_values is None and panel is not None:
        map_values = all_region_eci(panel)
        map_value_name = "ECI"
    sections = profile_sections(profile, top=top, map_values=map_values,
                                map_value_name=map_value_name, neighbours=neighbours,
                                resolution=resolution)
    notes = [*(str(n) for n in getattr(profile, "notes", ())),
             "Missing (confidential) cells of the employment data are counted as zero for "
             "every indicator.", *_METHOD_NOTES]
    html = render_report(
        f"{profile.name} ({profile.region}): regional evidence profile",
        sections, subtitle=f"Specialisation, complexity, relatedness and peers, "
                           f"{profile.year} — smart specialisation evidence base",
        cards=_profile_cards(profile), notes=notes, sources=_sources(profile.attribution))
    tables = profile_tables(profile)
    about = {"region": f"{profile.region} {profile.name}", "year": str(profile.year),
             "sources": str(profile.attribution),
             "missing cells": "counted as zero (confidential or not published)"}
    return _report_files(html, tables, out, stem or f"{_safe_stem(profile.region)}_profile",
                         csv=[n for n in ("specialisations", "peers") if n in tables],
                         notes=about, pdf=pdf)


# ---------------------------------------------------------------------------------------------
# the candidates report
# ---------------------------------------------------------------------------------------------
_CAND_COLUMNS: dict[str, tuple[str, str | None]] = {
    "rank": ("rank", None), "label": ("activity", None), "score": ("score", "f3"),
    "p_top_k": ("P(top k)", "f2"), "feasibility": ("feasibility", "f2"),
    "value": ("value", "f2"), "advantage": ("advantage", "f2"),
    "momentum": ("momentum", "f2"),
    "transformative_potential": ("transformative potential", "f2"),
    "capability_gap": ("capability gap", "f2"), "quadrant": ("quadrant", None),
    "mode": ("mode of change", None), "partners": ("partner regions", None),
}
_CAND_NOTES = (
    "Sub-scores lie between 0 and 1. feasibility: relatedness density to what the region "
    "already does; value: activity complexity (PCI); advantage: current revealed comparative "
    "advantage (RCA) and its trend; momentum: growth of the activity across all regions; "
    "transformative potential: how strongly the activity connects to the region's existing "
    "specialisations, weighted by their size; capability gap: related activities the region "
    "lacks, weighted by proximity (1 = largest gap; it lowers the score).",
    "Quadrants follow Balland et al. (2019): relatedness density against complexity, each split "
    "at the median of the region's candidates.",
    "Modes of change follow Foray (2015): modernisation (already specialised), transition "
    "(new activity out of related local industries in decline), diversification (new activity "
    "related to stable or growing local industries), radical foundation (few related "
    "capabilities in the region).",
    "Partner regions: neighbouring or same-macro-region regions with RCA ≥ 1 in the missing "
    "related activities, ranked by how much pooling their capabilities raises the candidate's "
    "density. P(top k): share of Monte Carlo draws of perturbed weights in which the candidate "
    "stays in the top k.",
)


def _context_of(profile_or_context: Any) -> Any:
    obj = profile_or_context
    if isinstance(obj, str):
        return ReportContext(region=obj)
    if isinstance(obj, Mapping):
        if "region" not in obj:
            raise ValueError("profile_or_context: a mapping needs at least a 'region' key")
        return ReportContext(region=str(obj["region"]), name=str(obj.get("name", "") or ""),
                             year=obj.get("year"), attribution=str(obj.get("attribution", "")
                                                                     or ""),
                             notes=tuple(obj.get("notes", ()) or ()))
    if not hasattr(obj, "region"):
        raise TypeError("profile_or_context: expected a RegionProfile, a ReportContext, a "
                        f"mapping or a region code, got {type(obj).__name__}")
    return obj


def _one_region(cands: pd.DataFrame, region: str) -> pd.DataFrame:
    if not isinstance(cands, pd.DataFrame):
        raise TypeError(f"cands: expected a DataFrame, got {type(cands).__name__}")
    if cands.index.nlevels > 1:
        level0 = cands.index.get_level_values(0).astype(str)
        if region not in set(level0):
            raise ValueError(f"cands has no rows for region {region!r}")
        sub = cands[level0 == region].droplevel(0)
        sub.attrs = dict(cands.attrs)
        return sub
    return cands


def _sorted_cands(cands: pd.DataFrame) -> pd.DataFrame:
    if "rank" in cands.columns:
        return cands.sort_values("rank", kind="stable")
    return cands.sort_values("score", ascending=False, kind="stable")


def _weights_of(cands: pd.DataFrame, weights: Mapping[str, float] | None) -> dict[str, float]:
    if weights is not None:
        return {str(k): float(v) for k, v in weights.items()}
    w = cands.attrs.get("weights") if hasattr(cands, "attrs") else None
    if isinstance(w, Mapping):
        return {str(k): float(v) for k, v in w.items()}
    return {}


def _partner_counts(cands: pd.DataFrame) -> pd.Series:
    counts: dict[str, float] = {}
    if "partners" not in cands.columns:
        return pd.Series(dtype=float)
    for ps in cands["partners"]:
        if isinstance(ps, str):
            ps = [p.strip() for p in ps.split(";") if p.strip()]
        if ps is None or (isinstance(ps, float) and math.isnan(ps)):
            continue
        for p in ps:
            counts[str(p)] = counts.get(str(p), 0) + 1
    return pd.Series(counts, dtype=float)


def candidates_sections(cands: pd.DataFrame, context: Any, *, top: int = 15,
                        weights: Mapping[str, float] | None = None,
                        neighbours: pd.DataFrame | None = None,
                        resolution: str = "3M") -> list[Section]:
    """The sections (charts, tables, text) of the candidates report."""
    df = _sorted_cands(cands)
    head = df.head(top)
    region = _charts._region_label(context)
    sections: list[Section] = []

    s = Section("candidates", "Top candidate transformative activities")
    s.paragraphs.append(
        f"{len(df)} activities were scored for {region}; the {len(head)} best-ranked are "
        "listed with the reasons behind their score. Scores are relative to this region's "
        "other candidates.")
    w = _weights_of(cands, weights)
    if w:
        total = sum(w.values()) or 1.0
        s.paragraphs.append("Weights of the composite score: " + ", ".join(
            f"{k.replace('_', ' ')} {v / total:.2f}" for k, v in w.items()) + ".")
    k = cands.attrs.get("top_k") if hasattr(cands, "attrs") else None
    ptop = f"P(top {k})" if k else "P(top k)"
    quad = "quadrant_reading" if "quadrant_reading" in head.columns else "quadrant"
    cols = {"rank": ("rank", None), "label": ("activity", None), "score": ("score", "f3"),
            "p_top_k": (ptop, "f2"), quad: ("quadrant", None),
            "mode": ("mode of change", None), "partners": ("partner regions", None),
            "explanation": ("why", None)}
    s.items.append(make_table(head, cols, index="NACE", xlong=("explanation",),
                              note=f"{ptop}: share of Monte Carlo weight draws in which the "
                                   "candidate stays among the best-ranked."))
    sections.append(s)

    s = Section("quadrant", "Relatedness and complexity")
    s.items.append(_charts.quadrant_chart(df, context, label_top=min(top, 8)))
    s.items.append(_charts.subscore_chart(df, context, top=top))
    sub_cols = {k: v for k, v in _CAND_COLUMNS.items()
                if k in ("label", "feasibility", "value", "advantage", "momentum",
                         "transformative_potential", "capability_gap", "score")}
    sub_cols["transformative_potential"] = ("transf. potential", "f2")
    sub_cols["capability_gap"] = ("capab. gap", "f2")
    extra = {"density": ("density", "f3"), "pci": ("PCI", "signed"), "rca": ("RCA", "f2"),
             "partner_gain": ("partner gain", "f3")}
    s.items.append(make_table(head, {**sub_cols, **extra}, index="NACE",
                              title="Sub-scores and inputs"))
    sections.append(s)

    stake = [c for c in head.columns if str(c).startswith("stakeholder")
             or c in ("capacity", "opportunity", "disagreement", "data_rank",
                      "stakeholder_rank")]
    if stake:
        s = Section("stakeholders", "Data-driven and stakeholder views")
        s.paragraphs.append("Scores from the entrepreneurial discovery process next to the "
                            "data-driven score; large disagreements are flagged.")
        s.items.append(make_table(head, {"label": ("activity", None),
                                         "score": ("data score", "f3"),
                                         **{c: (str(c).replace("_", " "), None) for c in stake}},
                                  index="NACE"))
        sections.append(s)

    counts = _partner_counts(head)
    if len(counts):
        s = Section("partners", "Partner regions")
        s.paragraphs.append(
            "Regions that hold the capabilities the region lacks for its top candidates "
            "(RCA ≥ 1 in the related activities it misses).")
        try:
            chart = _charts.neighbourhood_map(
                context, values=counts, value_name="candidates", neighbours=neighbours,
                rings=1, resolution=resolution, key="partners_map",
                title="Partner regions of the top candidates",
                extra=list(counts.index),
                what=(f"Regions around {region} (red outline) coloured by the number of the "
                      f"top {len(head)} candidates for which they are a partner region; grey: "
                      "not a partner"))
        except ValueError as exc:
            s.paragraphs.append(f"No map: {exc}.")
        else:
            s.items.append(chart)
        sections.append(s)
    return sections


def write_candidates_report(cands: pd.DataFrame, profile_or_context: Any,
                            out_dir: str | Path, *, pdf: bool = False, top: int = 15,
                            weights: Mapping[str, float] | None = None,
                            neighbours: pd.DataFrame | None = None, resolution: str = "3M",
                            stem: str | None = None) -> dict[str, Path]:
    """Write the HTML report, CSV and Excel tables (and optionally a PDF) of the candidates.

    Parameters
    ----------
    cands : DataFrame of :func:`smartspec.discovery.candidates` for one region (a batch result
        with a (region, activity) MultiIndex is narrowed to the region).
    profile_or_context : RegionProfile, :class:`ReportContext`, a mapping with ``region``
        (and optionally ``name``, ``year``, ``attribution``) or a region code.
    out_dir : folder, created if needed.
    pdf : also print the report to PDF (needs Chromium).
    top : number of candidates listed and charted in detail (the quadrant shows all).
    weights : the weights used, shown in the report (default ``cands.attrs["weights"]``).
    neighbours, resolution : for the partner map (see :func:`write_profile_report`).
    stem : file-name prefix (default ``"{region}_candidates"``).

    Returns
    -------
    dict
        ``{"html": ..., "xlsx": ..., "candidates_csv": ..., "pdf": ...}``.
    """
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise ValueError(f"top must be a positive integer, got {top!r}")
    context = _context_of(profile_or_context)
    region = str(context.region)
    cands = _one_region(cands, region)
    if not len(cands):
        raise ValueError(f"no candidates for region {region!r}")
    out = _ensure_dir(out_dir)
    sections = candidates_sections(cands, context, top=top, weights=weights,
                                   neighbours=neighbours, resolution=resolution)
    name = getattr(context, "name", "") or region
    year = getattr(context, "year", None)
    head = _sorted_cands(cands)
    first = head.index[0]
    cards = [Card("Candidates scored", str(len(cands))),
             Card("Best candidate", str(first),
                  _short(head.iloc[0].get("label", ""), 48)
                  + f" (score {_fmt(head.iloc[0]['score'], '.2f')})")]
    if "mode" in head.columns:
        modes = head.head(top)["mode"].astype(str).value_counts()
        cards.append(Card(f"Modes in the top {min(top, len(head))}",
                          str(modes.index[0]), ", ".join(f"{k}: {v}" for k, v in
                                                         modes.items())))
    if "p_top_k" in head.columns:
        cards.append(Card("Robustness of the best", _fmt(head.iloc[0]["p_top_k"], ".0%"),
                          "share of weight draws keeping it in the top k"))
    attrs = cands.attrs if hasattr(cands, "attrs") else {}
    notes = [*(str(n) for n in getattr(context, "notes", ())),
             *(str(n) for n in attrs.get("notes", ()) or ()),
             "Missing (confidential) cells of the employment data are counted as zero.",
             *_CAND_NOTES]
    inputs = attrs.get("sources")
    if isinstance(inputs, Mapping) and inputs:
        notes.append("Inputs of the sub-scores: " + "; ".join(
            f"{k}: {v}" for k, v in inputs.items()) + ".")
    excluded = attrs.get("excluded")
    if excluded:
        notes.append("Excluded from the candidates (editable rule): "
                     + ", ".join(map(str, excluded)) + ".")
    html = render_report(
        f"{name} ({region}): candidate transformative activities", sections,
        subtitle="Scored, explained and stress-tested candidates for smart specialisation"
                 + (f", data {year}" if year else ""),
        cards=cards, notes=notes, sources=_sources(getattr(context, "attribution", "")))
    table = candidates_table(_sorted_cands(cands))
    w = _weights_of(cands, weights)
    about = {"region": f"{region} {name}".strip(), "sources": str(getattr(context,
                                                                          "attribution", "")),
             "weights": ", ".join(f"{k}={v:g}" for k, v in w.items()) or "defaults",
             "lists": "partner regions and other lists are separated by '; '"}
    return _report_files(html, {"candidates": table}, out,
                         stem or f"{_safe_stem(region)}_candidates", csv=["candidates"],
                         notes=about, pdf=pdf)
