"""The figures of the web pages.

Figures of the evidence and the candidates come from :mod:`smartspec.reports.charts` (the same
charts as the HTML reports); this module adds the figures only the platform shows (the
workspace map with its partner regions, critical-mass gauges, the workshop's stakeholder-versus-
data scatter, the robustness bars, indicator paths, the self-assessment spider) and turns any
figure into a :class:`PageChart`: JSON that the page's own script draws with the locally served
Plotly (``/static/vendor/plotly.min.js``). The mode bar of every chart downloads PNG and SVG
offline (``static/js/app.js``).

Text placed inside figures is HTML-escaped (Plotly renders a subset of HTML in labels), and the
JSON is made safe for a ``<script type="application/json">`` element by escaping ``<``, ``>``
and ``&`` as JSON unicode escapes.
"""

from __future__ import annotations

import functools
import html
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from smartspec.reports.charts import ACCENT, MAP_SCALE, MUTED, PRIMARY, Chart

__all__ = [
    "PageChart",
    "critical_mass_gauge",
    "figure_json",
    "indicator_chart",
    "page_chart",
    "robustness_chart",
    "self_assessment_chart",
    "workshop_chart",
    "workspace_map",
]

_FONT = dict(family="system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif", size=12)
_SAFE_KEY = re.compile(r"[^a-z0-9_-]+")
#: Colours of the traffic lights (the same as the page's CSS).
LIGHT_COLOURS = {"green": "#43a047", "amber": "#f9a825", "red": "#e53935"}


@dataclass(frozen=True)
class PageChart:
    """A figure ready for a page: ``json`` is safe to place inside a script element.

    Attributes
    ----------
    key : HTML id suffix and download file name.
    title, caption : shown above / below the figure (escaped by the template).
    json : the figure as JSON text (safe markup, see :func:`figure_json`).
    height : the figure's height in pixels (reserved before Plotly draws).
    """

    key: str
    title: str
    json: Any
    caption: str = ""
    height: int = 420


def _esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=False)


def figure_json(figure: Any) -> Any:
    """The figure as JSON that can sit inside ``<script type="application/json">`` (Markup).

    ``<``, ``>`` and ``&`` only ever occur inside JSON strings, where ``\\u003c`` etc. mean the
    same characters; escaping them means no text of the figure can end the script element.
    """
    import plotly.io as pio
    from markupsafe import Markup

    payload = figure.to_plotly_json() if hasattr(figure, "to_plotly_json") else dict(figure)
    layout = payload.get("layout") or {}
    if not layout.get("template"):  # the figures of this module: see _layout
        payload = {**payload, "layout": {**layout, "template": _white_template()}}
    text = pio.to_json(payload, validate=False, pretty=False, engine="json")
    text = (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
    return Markup(text)  # trusted: escaped above


def page_chart(chart: Chart | Any, *, key: str | None = None, title: str | None = None,
               caption: str | None = None) -> PageChart:
    """A :class:`PageChart` of a :class:`smartspec.reports.charts.Chart` or a bare figure."""
    if isinstance(chart, Chart):
        figure, key, title = chart.figure, key or chart.key, title or chart.title
        caption = chart.caption if caption is None else caption
    else:
        figure = chart
    key = _SAFE_KEY.sub("-", (key or "chart").lower()).strip("-") or "chart"
    if isinstance(figure, Mapping):
        height = (figure.get("layout") or {}).get("height") or 420
    else:
        height = getattr(figure.layout, "height", None) or 420
    return PageChart(key=key, title=title or "", json=figure_json(figure), caption=caption or "",
                     height=int(height))


@functools.lru_cache(maxsize=1)
def _white_template() -> dict[str, Any]:
    import plotly.io as pio

    return pio.templates["plotly_white"].to_plotly_json()


def _layout(fig: Any, *, height: int, **kwargs: Any) -> Any:
    # Plotly validates a named template on every assignment (~25 ms a figure): the figure is
    # left without one, and figure_json adds plotly_white's JSON, built once per process.
    fig.update_layout(template=None, height=height, font=_FONT,
                      margin=dict(l=10, r=10, t=30, b=10), **kwargs)
    return fig


# ------------------------------------------------------------------------------- the map


def workspace_map(home: str, partners: Sequence[str], *, names: Mapping[str, str],
                  values: pd.Series | None = None, value_name: str = "ECI",
                  title: str = "", caption_intro: str = "", attribution: str = "",
                  partner_label: str = "partner region") -> PageChart:
    """Choropleth of the home region, its neighbourhood and the workspace's partner regions.

    Drawn with :func:`smartspec.reports.charts.neighbourhood_map` on the shipped GISCO NUTS
    2021 boundaries (offline), with the partner regions added to the neighbourhood and the
    GISCO attribution inside the figure.
    """
    from smartspec.reports.charts import neighbourhood_map

    class _Where:  # the attributes neighbourhood_map reads from a profile
        region = home
        name = names.get(home, home)
        attribution = "Source: Eurostat (sbs_r_nuts06_r2)"
        peers = None

    chart = neighbourhood_map(_Where(), values=values, value_name=value_name, rings=1,
                              names=dict(names), extra=list(partners), key="map", title=title,
                              value_source=attribution or None)
    fig = chart.figure
    if partners:
        lon, lat = _centroids(partners)
        if lon:
            fig.add_scattergeo(lon=lon, lat=lat, mode="markers", showlegend=True,
                               name=_esc(partner_label), hoverinfo="skip",
                               marker=dict(size=9, color=ACCENT, symbol="diamond",
                                           line=dict(color="white", width=1)))
            fig.update_layout(legend=dict(orientation="h", x=0, y=1.02, yanchor="bottom"))
    caption = " ".join(p for p in (caption_intro, chart.caption) if p)
    return page_chart(chart, title=title or chart.title, caption=caption)


def _centroids(codes: Iterable[str]) -> tuple[list[float], list[float]]:
    from smartspec import datasets

    table = datasets.regions(None)
    lon, lat = [], []
    for code in codes:
        if code in table.index and pd.notna(table.at[code, "lon"]):
            lon.append(float(table.at[code, "lon"]))
            lat.append(float(table.at[code, "lat"]))
    return lon, lat


# ------------------------------------------------------------------------ critical mass


def critical_mass_gauge(ratio: float | None, *, key: str, title: str, caption: str = "",
                        label: str = "capacity / threshold") -> PageChart:
    """A gauge of a TA's critical-mass ratio (capacity over the size-star threshold).

    Bands: below 0.5 emerging (red), 0.5–1 developing (amber), from 1 mature (green); the
    needle stops at 2 (values above are shown as numbers).
    """
    import plotly.graph_objects as go

    value = float(ratio) if ratio is not None and math.isfinite(float(ratio)) else 0.0
    fig = go.Figure(go.Indicator(
        mode="gauge+number", value=value, number=dict(valueformat=".2f"),
        title=dict(text=_esc(label), font=dict(size=12)),
        gauge=dict(axis=dict(range=[0, 2], tickvals=[0, 0.5, 1, 1.5, 2]),
                   bar=dict(color=PRIMARY, thickness=0.3),
                   steps=[dict(range=[0, 0.5], color="#f8d7da"),
                          dict(range=[0.5, 1], color="#ffe9b8"),
                          dict(range=[1, 2], color="#d4edda")],
                   threshold=dict(line=dict(color="#222", width=3), thickness=0.8, value=1.0))))
    _layout(fig, height=220)
    fig.update_layout(margin=dict(l=25, r=25, t=40, b=5))
    return page_chart(fig, key=key, title=title, caption=caption)


# ------------------------------------------------------------------------------ discovery


def robustness_chart(cands: pd.DataFrame, *, top: int = 20, title: str = "",
                     caption: str = "") -> PageChart:
    """Horizontal bars of P(top k) of the best-ranked candidates (Monte Carlo weights)."""
    import plotly.graph_objects as go

    df = cands.sort_values("rank").head(top) if "rank" in cands.columns else cands.head(top)
    labels = df["label"] if "label" in df.columns else pd.Series("", index=df.index)
    ylab = [f"{_esc(c)} {_esc(_short(str(lab), 38))}" for c, lab in zip(df.index, labels,
                                                                        strict=True)]
    values = df["p_top_k"].astype(float).to_numpy()
    colours = [PRIMARY if v >= 0.5 else MUTED for v in values]
    fig = go.Figure(go.Bar(x=values, y=ylab, orientation="h", marker_color=colours,
                           hovertemplate="%{y}<br>P(top k) = %{x:.2f}<extra></extra>"))
    _layout(fig, height=max(260, 24 * len(df) + 80), xaxis=dict(range=[0, 1], title="P(top k)"),
            yaxis=dict(autorange="reversed", automargin=True))
    return page_chart(fig, key="robustness", title=title, caption=caption)


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


# ------------------------------------------------------------------------------ workshops


def workshop_chart(rows: Sequence[Mapping[str, Any]], *, title: str = "", caption: str = "",
                   x_label: str = "data-driven score (0-1)",
                   y_label: str = "stakeholders' mean (1-5)") -> PageChart:
    """Stakeholders' mean score (capacity + opportunity)/2 against the data-driven score.

    ``rows``: mappings with ``item``, ``label``, ``data_score`` (0-1), ``mean`` (1-5) and
    ``disagreement`` (bool). Disagreements are drawn in the accent colour; the diagonal marks
    where both views agree (1 ↔ 0, 5 ↔ 1).
    """
    # a plain figure dict: built on every poll of the live aggregate, where the validation of
    # graph objects would cost ~10 ms
    pts = [r for r in rows if r.get("mean") is not None and r.get("data_score") is not None]
    traces: list[dict[str, Any]] = [
        {"type": "scatter", "x": [0, 1], "y": [1, 5], "mode": "lines", "hoverinfo": "skip",
         "line": {"color": "#999", "dash": "dash", "width": 1}, "showlegend": False}]
    for flag, colour, name in ((False, PRIMARY, "agree"), (True, ACCENT, "disagree")):
        sel = [r for r in pts if bool(r.get("disagreement")) == flag]
        if not sel:
            continue
        traces.append({
            "type": "scatter", "x": [float(r["data_score"]) for r in sel],
            "y": [float(r["mean"]) for r in sel], "mode": "markers+text", "name": _esc(name),
            "text": [_esc(r["item"]) for r in sel], "textposition": "top center",
            "marker": {"size": 11, "color": colour, "line": {"color": "white", "width": 1}},
            "hovertext": [f"<b>{_esc(r['item'])}</b> {_esc(_short(str(r.get('label', '')), 40))}"
                          f"<br>data: {float(r['data_score']):.2f}<br>stakeholders: "
                          f"{float(r['mean']):.2f}" for r in sel], "hoverinfo": "text"})
    fig = {"data": traces, "layout": {
        "height": 380, "font": dict(_FONT), "margin": {"l": 10, "r": 10, "t": 30, "b": 10},
        "xaxis": {"range": [-0.02, 1.05], "title": {"text": _esc(x_label)}},
        "yaxis": {"range": [0.8, 5.3], "title": {"text": _esc(y_label)}},
        "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"}}}
    return page_chart(fig, key="workshop", title=title, caption=caption)


# ----------------------------------------------------------------------------- monitoring


def indicator_chart(name: str, *, observations: Sequence[tuple[int, float]],
                    baseline: tuple[int, float] | None, target: tuple[int, float] | None,
                    unit: str = "", key: str, title: str = "", caption: str = "") -> PageChart:
    """An indicator's observations with its baseline and the linear target path.

    The target path is the straight line from the baseline (value, year) to the target
    (value, year) — the trajectory the viability check compares the observations with.
    """
    import plotly.graph_objects as go

    fig = go.Figure()
    if baseline is not None and target is not None:
        fig.add_trace(go.Scatter(x=[baseline[0], target[0]], y=[baseline[1], target[1]],
                                 mode="lines+markers", name=_esc("target path"),
                                 line=dict(color="#888", dash="dash"),
                                 marker=dict(symbol=["circle", "star"], size=[8, 12])))
    if observations:
        obs = sorted(observations)
        fig.add_trace(go.Scatter(x=[y for y, _ in obs], y=[v for _, v in obs],
                                 mode="lines+markers", name=_esc("observed"),
                                 line=dict(color=PRIMARY, width=2.5)))
    _layout(fig, height=260, yaxis=dict(title=_esc(unit)), xaxis=dict(dtick=1, tickformat="d"),
            legend=dict(orientation="h", x=0, y=1.02, yanchor="bottom"))
    fig.update_layout(margin=dict(l=10, r=10, t=10, b=10))
    return page_chart(fig, key=key, title=title or name, caption=caption)


def self_assessment_chart(series: Mapping[str, Mapping[str, float]], *, title: str = "",
                          caption: str = "", key: str = "self-assessment") -> PageChart:
    """Spider (radar) chart of self-assessment scores, 0-5: one trace per date or group.

    ``series``: name (e.g. the date) → {axis label → score}. The axes are those of the first
    series; missing scores are drawn at 0.
    """
    import plotly.graph_objects as go

    fig = go.Figure()
    palette = [PRIMARY, ACCENT, "#2a9d8f", "#e9c46a", "#6d597a"]
    axes: list[str] = []
    for values in series.values():
        for axis in values:
            if axis not in axes:
                axes.append(axis)
    for i, (name, values) in enumerate(series.items()):
        r = [float(values.get(a, 0.0) or 0.0) for a in axes]
        fig.add_trace(go.Scatterpolar(
            r=[*r, r[0]] if r else r, theta=[_esc(a) for a in [*axes, *axes[:1]]],
            name=_esc(name), fill="toself", opacity=0.55 if i else 0.7,
            line=dict(color=palette[i % len(palette)])))
    _layout(fig, height=440, polar=dict(radialaxis=dict(range=[0, 5], tickvals=[1, 2, 3, 4, 5])),
            legend=dict(orientation="h", x=0, y=-0.1))
    fig.update_layout(margin=dict(l=60, r=60, t=30, b=40))
    return page_chart(fig, key=key, title=title, caption=caption)


def light_colour(status: str | None) -> str:
    """The colour of a traffic light (grey when there is no verdict)."""
    return LIGHT_COLOURS.get(str(status or "").lower(), "#b0b8c4")


__all__ += ["LIGHT_COLOURS", "MAP_SCALE", "light_colour"]
