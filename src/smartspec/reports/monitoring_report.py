"""The evaluation report of a workspace: every TA's traffic light, indicators and progress.

``smartspec monitor REGION|WORKSPACE`` writes it (:func:`write_monitoring_report`). One offline
HTML file (Plotly inlined once, every text escaped by Jinja2), the same tables as CSV files and
an Excel workbook for the managing authority, and optionally a PDF (headless Chromium). Its
sections:

* **Dashboard** — every TA with its light, main reasons and discovery rank;
* **Are we doing it right? (monitoring)** — output and result indicators against their target
  paths, critical mass, the consortium, the actions' progress;
* **Are we doing the right things? (evaluation)** — the context indicators over the data years
  and the discovery re-run (still selected? overtaken by?);
* **Change since the last report** — compared with the previous report's snapshot;
* **RIS3 self-assessment** — the spider chart of the workshops, over time;
* **Rules** — the rules applied with their parameters.

Each report is remembered as a snapshot in the store (``monitoring_report_snapshots``), so the
next one can say what changed.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from smartspec.reports.charts import ACCENT, MUTED, PRIMARY, Chart, _esc, _layout
from smartspec.reports.html import Card, Section, Table, chart_html, make_table, plotly_script

__all__ = [
    "EVALUATION_RULES",
    "MONITORING_RULES",
    "MonitoringReport",
    "build_monitoring_report",
    "compare_with_snapshot",
    "indicator_chart",
    "render_monitoring_html",
    "write_monitoring_report",
]

#: Rules answering "are we doing the right things?" (evaluation of the choice).
EVALUATION_RULES: tuple[str, ...] = ("rca_below_one", "rca_falling", "density_falling",
                                     "declining_globally", "discovery_rank")
#: Rules answering "are we doing it right?" (monitoring of the implementation).
MONITORING_RULES: tuple[str, ...] = ("output_behind_target", "critical_mass_late",
                                     "helix_lost", "nothing_checked")
_LIGHT = {"green": "#2e7d32", "amber": "#e69f00", "red": "#c62828", "unknown": "#8a94a3"}
_KIND_TITLE = {"context": "Context indicators", "output": "Output indicators",
               "result": "Result indicators"}
_DEMO_NOTE = "demo entry (fictional)"


@dataclass
class MonitoringReport:
    """A built report: what :func:`render_monitoring_html` renders and the exported tables."""

    title: str
    subtitle: str
    cards: list[Card]
    sections: list[Section]
    notes: list[str]
    sources: list[str]
    tables: dict[str, pd.DataFrame]
    summary: dict[str, Any]
    as_of: int
    results: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# charts
# ---------------------------------------------------------------------------------------------
def _fmt(v: Any) -> str:
    if v is None:
        return ""
    try:
        x = float(v)
    except (TypeError, ValueError):
        return str(v)
    if not math.isfinite(x):
        return ""
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if x.is_integer():
        return f"{int(x)}"
    return f"{x:.3g}"


def indicator_chart(ta: Any, keys: Sequence[str], *, title: str, key: str,
                    as_of: int | None = None, demo_years: Mapping[str, set[int]] | None = None
                    ) -> Chart | None:
    """Small multiples of a TA's indicators: observations, baseline and the linear target path.

    Parameters
    ----------
    ta : :class:`smartspec.monitoring.TAData`.
    keys : the indicators to draw (those without observations, baseline or target are
        skipped).
    title, key : the chart's heading and identifier.
    as_of : a vertical line at the year of the check.
    demo_years : indicator -> years whose observation is a demo entry (hollow markers).

    Returns
    -------
    Chart, or None when there is nothing to draw.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    drawn = [k for k in keys if k in ta.indicators and (
        ta.series(k) or ta.indicators[k].baseline_year is not None)]
    if not drawn:
        return None
    cols = 2 if len(drawn) > 1 else 1
    rows = math.ceil(len(drawn) / cols)
    names = [f"{_esc(ta.indicators[k].name)} ({_esc(ta.indicators[k].unit)})" for k in drawn]
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=names, vertical_spacing=0.16 /
                        max(1, rows - 1) if rows > 1 else 0.1, horizontal_spacing=0.09)
    for i, k in enumerate(drawn):
        r, c = i // cols + 1, i % cols + 1
        ind = ta.indicators[k]
        obs = ta.series(k)
        legend = i == 0
        if obs:
            demo = (demo_years or {}).get(k, set())
            fig.add_trace(go.Scatter(
                x=[y for y, _ in obs], y=[v for _, v in obs], mode="lines+markers",
                name="observed", legendgroup="observed", showlegend=legend,
                line=dict(color=PRIMARY, width=2),
                marker=dict(size=7, color=["white" if y in demo else PRIMARY for y, _ in obs],
                            line=dict(color=PRIMARY, width=1.5)),
                hovertemplate="%{x}: %{y:,.4g}<extra>" + _esc(ind.name) + "</extra>"),
                row=r, col=c)
        if ind.baseline_year is not None:
            fig.add_trace(go.Scatter(
                x=[ind.baseline_year], y=[ind.baseline_value], mode="markers", name="baseline",
                legendgroup="baseline", showlegend=legend,
                marker=dict(symbol="diamond", size=10, color=MUTED,
                            line=dict(color="#5f6b7a", width=1)),
                hovertemplate="baseline %{x}: %{y:,.4g}<extra></extra>"), row=r, col=c)
        if ind.has_target:
            fig.add_trace(go.Scatter(
                x=[ind.baseline_year, ind.target_year],
                y=[ind.baseline_value, ind.target_value], mode="lines+markers",
                name="target path", legendgroup="target", showlegend=legend,
                line=dict(color=ACCENT, dash="dash", width=1.5),
                marker=dict(symbol=["circle-open", "star"], size=[6, 12], color=ACCENT),
                hovertemplate="path %{x}: %{y:,.4g}<extra></extra>"), row=r, col=c)
        if as_of is not None:
            fig.add_vline(x=as_of, line=dict(color="#9aa5b1", width=1, dash="dot"), row=r,
                          col=c)
    _layout(fig, height=230 * rows + 60, legend=dict(orientation="h", y=-0.08))
    fig.update_xaxes(tickformat="d")
    fig.update_annotations(font_size=12)
    caption = ("Observed values (line; hollow markers: demo entries), baseline (diamond) and "
               "the linear target path from baseline to target (dashed, star = target)"
               + (f"; dotted line: the year of the check, {as_of}" if as_of else "") + ".")
    return Chart(key=key, title=title, figure=fig, caption=caption)


def _light_chart(results: Mapping[str, Any]) -> Chart:
    import plotly.graph_objects as go

    codes = list(results)
    reasons = {s: [sum(1 for r in results[c].reasons if r.status == s) for c in codes]
               for s in ("red", "amber", "green")}
    fig = go.Figure()
    for status, counts in reasons.items():
        fig.add_trace(go.Bar(y=[_esc(c) for c in codes], x=counts, orientation="h",
                             name=status, marker_color=_LIGHT[status],
                             hovertemplate="%{y}: %{x} " + status + " finding(s)<extra></extra>"))
    fig.update_layout(barmode="stack", yaxis=dict(autorange="reversed"),
                      legend=dict(orientation="h", y=-0.2))
    _layout(fig, height=max(160, 40 * len(codes) + 90))
    return Chart(key="findings", title="Findings per TA", figure=fig,
                 caption="Number of rule findings per TA by status (a TA's light is its worst "
                         "finding).")


# ---------------------------------------------------------------------------------------------
# tables
# ---------------------------------------------------------------------------------------------
def _year(y: Any) -> str:
    return "" if y is None else str(int(y))


def _indicator_rows(ta: Any, kinds: Sequence[str], as_of: int) -> pd.DataFrame:
    rows = []
    for k, ind in ta.indicators.items():
        if ind.kind not in kinds:
            continue
        s = ta.series(k, as_of)
        last = s[-1] if s else (None, None)
        expected = ind.expected(last[0]) if last[0] is not None else None
        progress = None
        if ind.has_target and last[0] is not None and ind.target_value != ind.baseline_value:
            progress = (last[1] - ind.baseline_value) / (ind.target_value - ind.baseline_value)
        rows.append({"indicator": ind.name, "unit": ind.unit,
                     "baseline": _fmt(ind.baseline_value),
                     "baseline year": _year(ind.baseline_year),
                     "target": _fmt(ind.target_value), "target year": _year(ind.target_year),
                     "latest": _fmt(last[1]), "year": _year(last[0]),
                     "on the path": _fmt(expected),
                     "progress": None if progress is None else f"{progress:.0%}",
                     "better": ind.direction})
    return pd.DataFrame(rows)


def compare_with_snapshot(summary: Mapping[str, Any], previous: Mapping[str, Any] | None
                          ) -> pd.DataFrame:
    """The change of each TA since the previous report's summary.

    Columns ``ta, before, now, rank before, rank now, new problems, resolved, values
    changed`` (one row per TA of either report).
    """
    cols = ["ta", "before", "now", "rank before", "rank now", "new problems", "resolved",
            "values changed"]
    if previous is None:
        return pd.DataFrame(columns=cols)
    now = summary.get("tas", {})
    then = previous.get("tas", {}) or {}
    rows = []
    for code in sorted(set(now) | set(then)):
        a, b = then.get(code) or {}, now.get(code) or {}
        ra = {p["rule"] for p in a.get("problems", [])}
        rb = {p["rule"] for p in b.get("problems", [])}
        la, lb = a.get("latest", {}) or {}, b.get("latest", {}) or {}
        changed = sum(1 for k in set(la) | set(lb) if la.get(k) != lb.get(k))
        rows.append({"ta": code, "before": a.get("status", "(not monitored)"),
                     "now": b.get("status", "(dropped)"), "rank before": a.get("rank"),
                     "rank now": b.get("rank"),
                     "new problems": "; ".join(f"{p['rule']}: {p['message']}"
                                               for p in b.get("problems", [])
                                               if p["rule"] not in ra),
                     "resolved": "; ".join(sorted(ra - rb)),
                     "values changed": changed})
    return pd.DataFrame(rows, columns=cols)


def _badge_table(title: str, frame: pd.DataFrame, note: str = "") -> Table:
    headers = [str(c) for c in frame.columns]
    rows = [["" if (v is None or (isinstance(v, float) and math.isnan(v))) else
             (_fmt(v) if isinstance(v, float) else str(v)) for v in rec]
            for rec in frame.itertuples(index=False)]
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(
        frame[c]) for c in frame.columns]
    long = ["xlong" if c in ("reasons", "message", "new problems", "description") else
            "long" if c in ("TA", "indicator", "title", "factor") else "" for c in headers]
    return Table(title=title, headers=headers, rows=rows, note=note, numeric=numeric,
                 long=long)


# ---------------------------------------------------------------------------------------------
# building
# ---------------------------------------------------------------------------------------------
def _explain(reasons: Sequence[Any], rules: Sequence[str]) -> str:
    picked = [r for r in reasons if r.rule in rules and r.status != "unknown"]
    if not picked:
        return "not evaluated (no data)"
    return "; ".join(f"{r.message} [{r.status}]" for r in picked)


def build_monitoring_report(session: Any, workspace: Any, *, as_of: int | None = None,
                            today: dt.date | None = None, discovery: bool = True,
                            rules: Any = None) -> MonitoringReport:
    """Check every TA of a workspace and assemble the evaluation report (nothing is written).

    Parameters
    ----------
    session, workspace : an open store session and the workspace (slug, id or object).
    as_of : year of the check (default: the current year).
    today : date of the check (default: today).
    discovery : re-run the discovery on the stored data years.
    rules : rules for :func:`smartspec.monitoring.check` (default: the default rules).
    """
    from smartspec.implementation.tracking import progress
    from smartspec.monitoring.assessment import aggregate_scores, spider_chart
    from smartspec.monitoring.rules import DEFAULT_RULES, check_all, configure_rules
    from smartspec.store import monitoring_services as ms
    from smartspec.store import services as svc

    ws = svc.get_workspace(session, workspace)
    day = today or dt.date.today()
    year = int(as_of) if as_of is not None else day.year
    data = ms.load_workspace_data(session, ws, as_of=year, discovery=discovery, today=day)
    base_rules = rules if rules is not None else DEFAULT_RULES
    results = check_all(data, year, base_rules, today=day)
    obs = ms.observations_frame(session, ws)
    demo_mask = obs["note"].astype(str) == _DEMO_NOTE
    demo_years: dict[tuple[str, str], set[int]] = {}
    for rec in obs[demo_mask].itertuples(index=False):
        demo_years.setdefault((rec.ta, rec.indicator), set()).add(int(rec.year))
    previous = ms.last_report_snapshot(session, ws)
    summary = ms.snapshot_summary(results, data, extra={"as_of": year,
                                                        "today": day.isoformat()})
    changes = compare_with_snapshot(summary, previous.summary if previous else None)
    data_years = ms.list_data_years(session, ws)
    region = ws.home_region or ""

    # ---- dashboard
    dash_rows = []
    for code, res in results.items():
        st = res.standing
        rank = "" if st is None else ("not a candidate" if st.rank is None else
                                      f"{st.rank} of {st.n_candidates}"
                                      + (f" (was {st.reference_rank})"
                                         if st.reference_rank else ""))
        before = changes.loc[changes["ta"] == code, "before"]
        dash_rows.append({"TA": f"{code} {res.label}".strip(), "light": res.status,
                          "reasons": "; ".join(r.message for r in res.problems[:4])
                          or "no problem found",
                          "discovery rank": rank,
                          "last report": before.iloc[0] if len(before) else ""})
    dashboard = pd.DataFrame(dash_rows, columns=["TA", "light", "reasons", "discovery rank",
                                                 "last report"])
    counts = {s: sum(1 for r in results.values() if r.status == s)
              for s in ("green", "amber", "red")}
    cards = [Card("TAs monitored", str(len(results))),
             Card("Green / amber / red", f"{counts['green']} / {counts['amber']} / "
                                         f"{counts['red']}"),
             Card("Latest data year", str(max((r.year for r in data_years), default="none")),
                  note=f"{len({r.year for r in data_years})} data years stored"),
             Card("Check as of", str(year), note=day.isoformat())]
    dash_section = Section("dashboard", "Dashboard", paragraphs=[
        f"Traffic light of every selected transformative activity of {ws.name} "
        f"({region}) as of {year}: the worst finding of the rules (listed under 'Rules'). "
        "Red: a problem to act on; amber: a warning; green: no problem found."],
        items=[_badge_table("Transformative activities", dashboard)])
    if demo_mask.any():
        dash_section.paragraphs.append(
            f"This workspace holds {int(demo_mask.sum())} DEMO ENTRIES: observations invented "
            "for the demonstration and noted 'demo entry (fictional)'. The context indicators "
            "are real (computed from the imported data); the output and result observations "
            "are not.")
    if results:
        dash_section.items.append(_light_chart(results))

    # ---- per TA
    right_items: list[Any] = []
    things_items: list[Any] = []
    action_rows: list[dict[str, Any]] = []
    indicator_tables: list[pd.DataFrame] = []
    right_text: list[str] = []
    things_text: list[str] = []
    for code, res in results.items():
        ta = data.tas[code]
        ta_demo = {k: v for (t, k), v in demo_years.items() if t == code}
        head = f"{code} {res.label}".strip()
        right_text.append(f"{code}: {_explain(res.reasons, MONITORING_RULES)}.")
        things_text.append(f"{code}: {_explain(res.reasons, EVALUATION_RULES)}.")
        # monitoring: outputs, results, actions
        out_table = _indicator_rows(ta, ("output", "result"), year)
        if len(out_table):
            right_items.append(_badge_table(f"{head}: output and result indicators",
                                            out_table, note="progress = share of the change "
                                            "from baseline to target achieved by the latest "
                                            "value."))
        chart = indicator_chart(ta, [k for k, i in ta.indicators.items()
                                     if i.kind in ("output", "result")],
                                title=f"{head}: outputs and results against their targets",
                                key=f"outputs-{code}", as_of=year, demo_years=ta_demo)
        if chart is not None:
            right_items.append(chart)
        actions = [svc.action_to_domain(a) for a in svc.list_actions(session, ws, ta=code)]
        prog = progress(actions, as_of=day)
        if actions:
            frame = pd.DataFrame([{"title": a.title, "type": a.action_type, "status": a.status,
                                   "start": a.start, "end": a.end, "budget": a.budget,
                                   "committed": a.committed, "spent": a.spent}
                                  for a in actions])
            done = prog["share_done"]
            note = (f"{prog['n']} actions: " + ", ".join(f"{n} {s.replace('_', ' ')}"
                                                        for s, n in prog["by_status"].items()
                                                        if n)
                    + (f"; {done:.0%} of the active ones done" if done is not None else "")
                    + f"; committed {_fmt(prog['committed'])} EUR, spent "
                      f"{_fmt(prog['spent'])} EUR"
                    + (f"; overdue: {', '.join(prog['overdue'])}" if prog["overdue"] else ""))
            right_items.append(make_table(frame, {
                "title": ("action", None), "type": ("type", None), "status": ("status", None),
                "start": ("start", None), "end": ("end", None), "budget": ("budget", "int"),
                "committed": ("committed", "int"), "spent": ("spent", "int")},
                title=f"{head}: actions' progress", note=note, long=("title",)))
            for a in actions:
                action_rows.append({"ta": code, "title": a.title, "type": a.action_type,
                                    "status": a.status, "start": a.start, "end": a.end,
                                    "deadline": a.deadline, "budget": a.budget,
                                    "committed": a.committed, "spent": a.spent})
        # evaluation: context, discovery
        chart = indicator_chart(ta, [k for k, i in ta.indicators.items() if i.kind == "context"],
                                title=f"{head}: context indicators",
                                key=f"context-{code}", as_of=None)
        if chart is not None:
            things_items.append(chart)
        found = pd.DataFrame([{"rule": r.rule, "light": r.status, "message": r.message}
                              for r in res.reasons if r.rule in EVALUATION_RULES])
        if len(found):
            things_items.append(_badge_table(f"{head}: evaluation findings", found))
        st = res.standing
        if st is not None and st.overtaken_by:
            over = pd.DataFrame(st.overtaken_by)
            over.columns = ["activity", "label", "rank now", "rank then"][:len(over.columns)]
            things_items.append(_badge_table(f"{head}: candidates that overtook it", over))
        ind_all = _indicator_rows(ta, ("context", "output", "result"), year)
        if len(ind_all):
            ind_all.insert(0, "ta", code)
            indicator_tables.append(ind_all)

    right = Section("doing-it-right", "Are we doing it right? (monitoring)", paragraphs=[
        "Monitoring follows the implementation: are the outputs on their linear path from "
        "baseline to target, is critical mass reached on time, does the consortium keep its "
        "partners, how far are the actions?", *right_text], items=right_items)
    run = data.discovery
    discovery_text = (f"The element 2 discovery was re-run: {run.source}; the reference "
                      f"ranking uses the data up to {run.reference_year}."
                      if run is not None and run.reference_year else
                      f"The element 2 discovery was re-run: {run.source}." if run is not None
                      else "The discovery could not be re-run (fewer than two data years).")
    things = Section("right-things", "Are we doing the right things? (evaluation)", paragraphs=[
        "Evaluation asks whether the choice of each TA still holds: is the region still "
        "specialised, are related capabilities growing around it, is the activity growing "
        "elsewhere, would the evidence still select it?", discovery_text, *things_text],
        items=things_items)

    # ---- change since the last report
    if previous is None:
        change = Section("changes", "Change since the last report", paragraphs=[
            "This is the first report of the workspace: the next one will show what changed."])
    else:
        new_years = sorted({r.year for r in data_years} -
                           set(previous.summary.get("data_years") or []))
        change = Section("changes", "Change since the last report", paragraphs=[
            f"Compared with the report of {previous.created_at:%Y-%m-%d %H:%M} UTC (as of "
            f"{previous.as_of}). New data years since: "
            f"{', '.join(map(str, new_years)) or 'none'}."],
            items=[_badge_table("Change per TA", changes)])

    # ---- self-assessment
    assess = ms.list_self_assessments(session, ws)
    steps = ms.self_assessment_steps(session, ws)
    assess_items: list[Any] = []
    if assess:
        means = {}
        for a in assess:
            part = steps[(steps["assessed_on"] == a.assessed_on) & (steps["label"] == a.label)]
            name = a.assessed_on.isoformat() + (f" {a.label}" if a.label else "")
            means[name] = dict(zip(part["step"].astype(int), part["mean"], strict=True))
        assess_items.append(spider_chart(means, title="RIS3 self-assessment over time"))
        wide = steps.pivot_table(index=["step", "title"], columns="assessed_on",
                                 values="mean", aggfunc="mean")
        wide.columns = [str(c) for c in wide.columns]
        wide = wide.reset_index()
        assess_items.append(_badge_table("Mean score per RIS3 step (0-5)", wide))
        factors, _ = aggregate_scores(ms.self_assessment_scores(assess[-1]))
        weakest = factors.dropna(subset=["mean"]).nsmallest(3, "mean")
        text = [f"{len(assess)} self-assessment(s); the latest ({assess[-1].assessed_on}) was "
                f"scored by {ms.self_assessment_scores(assess[-1])['participant'].nunique()} "
                "participants. Weakest critical factors: "
                + "; ".join(f"{r.text} ({r.mean:.1f})" for r in weakest.itertuples()) + "."]
    else:
        text = ["No self-assessment recorded yet: score the RIS3 critical factors in a "
                "workshop (smartspec self-assessment)."]
    assess_section = Section("self-assessment", "RIS3 self-assessment", paragraphs=text,
                             items=assess_items)

    # ---- rules
    effective = configure_rules(None, base_rules if isinstance(base_rules, Mapping)
                                else {r.name: r for r in base_rules})
    rules_frame = pd.DataFrame([{"rule": r.name, "triggered": r.status,
                                 "parameters": ", ".join(f"{k}={v}" for k, v in
                                                         r.params.items()),
                                 "description": r.description, "enabled": r.enabled}
                                for r in effective.values()])
    rules_section = Section("rules", "Rules", paragraphs=[
        "The rules of the check and their parameters (a TA's monitoring plan may override "
        "them; see smartspec.monitoring.rules)."],
        items=[_badge_table("Rules applied", rules_frame)])

    sections = [dash_section, right, things, change, assess_section, rules_section]
    notes = [
        "Context indicators are computed from the imported data years at the finest aggregate "
        "of the data that contains the TA's activity (e.g. NACE section C for division C25), "
        "over a balanced set of regions (those with data in every well-covered year). With ten "
        "or so aggregates, density and ECI are coarse: read their changes, not their levels. "
        "TAs in the same aggregate share their context indicators.",
        "Output indicators are derived from the workspace's actions and consortia; values "
        "recorded by hand for a year win over computed ones.",
        "The discovery re-run uses the default weights without robustness draws, on the "
        "shipped division-level panel, with the stored data years as history.",
    ]
    notes.extend(data.notes)
    if demo_mask.any():
        notes.insert(0, f"{int(demo_mask.sum())} observations are DEMO ENTRIES (fictional), "
                        "marked 'demo entry (fictional)' (hollow markers in the charts): they "
                        "illustrate the report and are not real monitoring data.")
    sources = []
    for r in data_years:
        text_src = " — ".join(x for x in (r.meta.get("source"), r.meta.get("attribution")) if x)
        if text_src and text_src not in sources:
            sources.append(text_src)
    if run is not None:
        sources.append("Discovery re-run: Eurostat structural business statistics "
                       "(sbs_r_nuts06_r2), 2015, persons employed.")
    sources.append("Indicator framework after Gianelle, C. & Kleibrink, A. (2015), Monitoring "
                   "Mechanisms for Smart Specialisation Strategies, S3 Policy Brief 13/2015.")

    reasons = pd.DataFrame([{"ta": c, **r.to_dict(), "evidence": str(r.to_dict()["evidence"])}
                            for c, res in results.items() for r in res.reasons],
                           columns=["ta", "rule", "status", "message", "evidence"])
    tables = {
        "dashboard": dashboard.rename(columns={"light": "status"}),
        "reasons": reasons,
        "indicators": pd.concat(indicator_tables, ignore_index=True) if indicator_tables
        else pd.DataFrame(),
        "observations": obs,
        "actions": pd.DataFrame(action_rows),
        "changes": changes,
        "self_assessment": steps,
    }
    return MonitoringReport(
        title=f"{ws.name}: monitoring and evaluation report",
        subtitle=f"Transformative activities of {region}, checked as of {year} — smart "
                 "specialisation, element 5",
        cards=cards, sections=sections, notes=notes, sources=sources, tables=tables,
        summary=summary, as_of=year, results=results)


def render_monitoring_html(report: MonitoringReport) -> str:
    """The self-contained HTML of a built report (Plotly inlined once; all text escaped)."""
    from smartspec import __version__
    from smartspec.reports.html import _environment

    rendered = []
    for s in report.sections:
        blocks = []
        for it in s.items:
            if isinstance(it, Chart):
                blocks.append({"kind": "chart", "key": it.key, "title": it.title,
                               "caption": it.caption, "html": chart_html(it)})
            else:
                blocks.append(it)
        rendered.append({"key": s.key, "title": s.title, "paragraphs": s.paragraphs,
                         "blocks": blocks})
    return _environment().get_template("monitoring.html.j2").render(
        title=report.title, subtitle=report.subtitle, cards=report.cards, sections=rendered,
        notes=report.notes, sources=report.sources, plotly_js=plotly_script(),
        version=__version__, lights=_LIGHT,
        generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"))


def _flat(frame: pd.DataFrame) -> pd.DataFrame:
    from smartspec.reports.tables import flatten

    return flatten(frame, index=False) if len(frame.columns) else frame


def write_monitoring_report(session: Any, workspace: Any, out_dir: str | Path, *,
                            as_of: int | None = None, pdf: bool = False, snapshot: bool = True,
                            today: dt.date | None = None, stem: str | None = None,
                            discovery: bool = True) -> dict[str, Path]:
    """Write the evaluation report (HTML, CSV, Excel, optionally PDF) and remember it.

    Parameters
    ----------
    session : an open store session (the snapshot is added to its transaction).
    workspace : slug, id or object.
    out_dir : folder, created if needed.
    as_of, today, discovery : see :func:`build_monitoring_report`.
    pdf : also print a PDF (needs Chromium; the HTML and tables are written first).
    snapshot : store the report's summary for the next report's "change since".
    stem : file-name prefix (default ``"<slug>_monitoring"``).

    Returns
    -------
    dict
        ``{"html": ..., "xlsx": ..., "dashboard_csv": ..., ..., "pdf": ...}``.
    """
    from smartspec.reports.html import _ensure_dir, _safe_stem
    from smartspec.reports.tables import write_tables
    from smartspec.store import monitoring_services as ms
    from smartspec.store import services as svc

    ws = svc.get_workspace(session, workspace)
    out = _ensure_dir(out_dir)
    report = build_monitoring_report(session, ws, as_of=as_of, today=today,
                                     discovery=discovery)
    name = stem or f"{_safe_stem(ws.slug)}_monitoring"
    html_path = out / f"{name}.html"
    html_path.write_text(render_monitoring_html(report), encoding="utf-8")
    paths: dict[str, Path] = {"html": html_path}
    tables = {k: _flat(v) for k, v in report.tables.items()}
    about = {"workspace": f"{ws.name} ({ws.slug})", "region": ws.home_region or "",
             "as of": str(report.as_of), "generated": dt.datetime.now(dt.UTC).isoformat(),
             "notes": " ".join(report.notes), "sources": " | ".join(report.sources)}
    paths.update(write_tables(tables, out, name, notes=about))
    if snapshot:
        ms.save_report_snapshot(session, ws, report.summary, as_of=report.as_of)
    if pdf:
        from smartspec.reports.pdf import html_to_pdf

        paths["pdf"] = html_to_pdf(html_path, out / f"{name}.pdf")
    return paths
