"""Plotly charts of the region profile and of the candidate transformative activities.

Each function returns a :class:`Chart`: a Plotly figure with a title and a caption that says what
the chart shows and where the data come from. The functions read the result objects only
through their documented attributes (``RegionProfile`` of :func:`smartspec.discovery.profile`,
the DataFrame of :func:`smartspec.discovery.candidates`), so any object with those attributes
works.

All text placed in a figure (labels, names) is HTML-escaped first: Plotly interprets a few HTML
tags in text, and labels come from data files that the user may have edited. Maps are drawn
with ``go.Choropleth`` on the GISCO NUTS 2021 boundaries shipped with the package and no base
map, so they need no network (see :func:`smartspec.reports.html.plotly_script` for the one piece
of set-up this requires).
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "ACCENT",
    "MODE_COLOURS",
    "PRIMARY",
    "Chart",
    "activity_space_chart",
    "history_chart",
    "neighbourhood_map",
    "peer_chart",
    "quadrant_chart",
    "rca_chart",
    "subscore_chart",
]

#: Colour of the focal region / of the region's specialisations.
ACCENT = "#d1495b"
#: Main colour of bars and markers.
PRIMARY = "#1f5f8b"
#: Colour of inactive elements (activities the region is not specialised in, regions w/o data).
MUTED = "#c7cdd6"
#: Colours of the Foray modes of change.
MODE_COLOURS: dict[str, str] = {
    "transition": "#1f5f8b",
    "modernisation": "#2a9d8f",
    "diversification": "#e9c46a",
    "radical foundation": "#d1495b",
}
#: Sequential colour scale of the maps, light enough for black region labels.
MAP_SCALE = [[0.0, "#f6efd9"], [0.5, "#9cc7df"], [1.0, "#3f7fb5"]]
_STAR_COLOURS = {0: "#9fb3c8", 1: "#5b8db8", 2: "#2c6a9a", 3: "#123f63"}
_FONT = dict(family="system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif", size=12)


@dataclass(frozen=True)
class Chart:
    """A figure with its title and caption.

    Attributes
    ----------
    key : short identifier (used for the HTML element id and file names).
    title : heading shown above the figure.
    figure : the Plotly figure.
    caption : what the figure shows and the data source (plain text, escaped when rendered).
    """

    key: str
    title: str
    figure: Any
    caption: str


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------
def _esc(v: object) -> str:
    """Escape text for Plotly (which renders a subset of HTML and decodes entities)."""
    return html.escape("" if v is None else str(v), quote=False)


def _short(v: object, n: int = 42) -> str:
    s = "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
    return s if len(s) <= n else s[: n - 1].rstrip() + "…"


def _fmt(v: object, spec: str = ".2f") -> str:
    try:
        x = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "n/a"
    return "n/a" if math.isnan(x) else format(x, spec)


def _source(profile_or_text: Any) -> str:
    text = profile_or_text if isinstance(profile_or_text, str) else getattr(
        profile_or_text, "attribution", "")
    text = (text or "").strip().rstrip(".")
    return text or "Source: see the report's data sources"


def _sentences(*parts: str | None) -> str:
    """Join caption parts into sentences, each ending with a full stop; empty parts dropped."""
    out = []
    for p in parts:
        p = (p or "").strip()
        if p:
            out.append(p if p.endswith((".", "!", "?")) else p + ".")
    return " ".join(out)


def _panel_source(profile: Any) -> str:
    """The first part of the attribution: the source of the region x activity panel."""
    text = _source(profile)
    return text.split(";")[0].strip().rstrip(".") or text


def _layout(fig: Any, *, height: int, **kwargs: Any) -> Any:
    fig.update_layout(template="plotly_white", height=height, font=_FONT,
                      margin=dict(l=10, r=10, t=30, b=10), **kwargs)
    return fig


def _region_label(profile: Any) -> str:
    name = getattr(profile, "name", "") or ""
    region = getattr(profile, "region", "") or ""
    return f"{name} ({region})" if name and name != region else str(region)


def _missing_note(profile: Any) -> str:
    return ("Confidential (missing) cells are counted as zero." if profile is not None else "")


# ---------------------------------------------------------------------------------------------
# profile charts
# ---------------------------------------------------------------------------------------------
def rca_chart(profile: Any, top: int = 15) -> Chart:
    """Horizontal bars of the region's top specialisations by RCA (location quotient).

    Bars: RCA against all regions, coloured by the number of cluster stars (shown as ★ next to
    the bar); diamonds: RCA against the regions of the same country. The dashed line marks
    RCA = 1 (the region's share equals the reference share).
    """
    import plotly.graph_objects as go

    if top < 1:
        raise ValueError(f"top must be >= 1, got {top}")
    spec = profile.specialisations
    if "employment" in spec.columns:
        spec = spec[spec["employment"].fillna(0) > 0]
    spec = spec.sort_values("rca", ascending=False).head(top)
    codes = [str(c) for c in spec.index]
    labels = spec["label"] if "label" in spec.columns else pd.Series(codes, index=spec.index)
    ticks = [f"{_esc(c)} {_esc(_short(lab, 38))}" for c, lab in zip(codes, labels, strict=True)]
    stars = (spec["stars"] if "stars" in spec.columns else pd.Series(0, index=spec.index))
    stars = stars.fillna(0).astype(int).clip(0, 3)
    hover = []
    for code, row, s in zip(codes, spec.itertuples(), stars, strict=True):
        emp = getattr(row, "employment", float("nan"))
        share = getattr(row, "share", float("nan"))
        hover.append(
            f"<b>{_esc(code)}</b> {_esc(getattr(row, 'label', ''))}<br>"
            f"RCA (all regions): {_fmt(row.rca)}<br>"
            f"RCA (country): {_fmt(getattr(row, 'rca_national', float('nan')))}<br>"
            f"employment: {_fmt(emp, ',.0f')} ({_fmt(share * 100 if share == share else share, '.1f')} %)<br>"
            f"PCI: {_fmt(getattr(row, 'pci', float('nan')), '+.2f')}<br>stars: {'★' * s or 'none'}")
    fig = go.Figure()
    fig.add_trace(go.Bar(
        y=ticks, x=spec["rca"].to_numpy(dtype=float), orientation="h", name="RCA, all regions",
        marker_color=[_STAR_COLOURS[int(s)] for s in stars],
        text=["★" * int(s) for s in stars], textposition="outside", cliponaxis=False,
        hovertext=hover, hoverinfo="text"))
    if "rca_national" in spec.columns and spec["rca_national"].notna().any():
        fig.add_trace(go.Scatter(
            y=ticks, x=spec["rca_national"].to_numpy(dtype=float), mode="markers",
            name="RCA within the country", marker=dict(symbol="diamond", size=9, color=ACCENT,
                                                       line=dict(color="white", width=1)),
            hovertext=hover, hoverinfo="text"))
    fig.add_vline(x=1, line_dash="dash", line_color="#555", line_width=1)
    _layout(fig, height=max(320, 28 * len(spec) + 110),
            yaxis=dict(autorange="reversed", automargin=True),
            xaxis=dict(title="location quotient (RCA)", rangemode="tozero"),
            legend=dict(orientation="h", yanchor="bottom", y=1.01, x=0), bargap=0.25)
    caption = (
        f"Top {len(spec)} specialisations of {_region_label(profile)} in {profile.year}: the "
        "location quotient (RCA) of persons employed in each activity against all regions "
        "(bars; ★ = European Cluster Observatory-style stars for size, specialisation and "
        "focus) and against the regions of the same country (diamonds). RCA > 1 (dashed line) "
        f"means the activity's share of regional employment exceeds the reference share. "
        f"{_missing_note(profile)} {_panel_source(profile)}.")
    return Chart("rca", "Specialisations (RCA)", fig, caption)


def activity_space_chart(profile: Any, *, label_top: int = 8) -> Chart:
    """The activity space (proximity network) with the region's specialisations highlighted.

    Grey dots: activities in which the region has RCA < 1; coloured dots: RCA >= 1, sized by
    RCA. Lines: the network backbone (maximum spanning tree plus the strongest links).
    """
    import plotly.graph_objects as go

    space = profile.activity_space
    nodes = space.nodes
    edges = space.edges
    pos = nodes[["x", "y"]]
    fig = go.Figure()
    prox = edges["proximity"].to_numpy(dtype=float) if len(edges) else np.array([])
    cut = float(np.quantile(prox, 0.5)) if len(prox) else 0.0
    for strong, width, colour in ((False, 0.6, "#d9dde3"), (True, 1.3, "#aab3bf")):
        sel = edges[(edges["proximity"] >= cut) == strong] if len(edges) else edges
        xs: list[float | None] = []
        ys: list[float | None] = []
        for s, t in zip(sel["source"], sel["target"], strict=True):
            if s in pos.index and t in pos.index:
                xs += [pos.at[s, "x"], pos.at[t, "x"], None]
                ys += [pos.at[s, "y"], pos.at[t, "y"], None]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", hoverinfo="skip", showlegend=False,
                                 line=dict(width=width, color=colour)))
    present = nodes["present"].astype(bool)

    def hover(df: pd.DataFrame) -> list[str]:
        out = []
        for code, r in df.iterrows():
            txt = (f"<b>{_esc(code)}</b> {_esc(r.get('label', ''))}<br>"
                   f"RCA: {_fmt(r.get('rca'))}<br>PCI: {_fmt(r.get('pci'), '+.2f')}<br>"
                   f"regions specialised: {_fmt(r.get('ubiquity'), '.0f')}")
            if "density" in df.columns:
                txt += f"<br>relatedness density: {_fmt(r.get('density'), '.3f')}"
            out.append(txt)
        return out

    off = nodes[~present]
    fig.add_trace(go.Scatter(
        x=off["x"], y=off["y"], mode="markers", name="not specialised (RCA < 1)",
        marker=dict(size=8, color=MUTED, line=dict(color="white", width=0.5)),
        hovertext=hover(off), hoverinfo="text"))
    on = nodes[present]
    rca = on["rca"].fillna(1.0).clip(lower=1.0, upper=8.0).to_numpy(dtype=float)
    top_codes = set(on["rca"].sort_values(ascending=False).head(label_top).index)
    fig.add_trace(go.Scatter(
        x=on["x"], y=on["y"], mode="markers+text", name="specialised (RCA ≥ 1)",
        marker=dict(size=9 + 4 * np.sqrt(rca), color=ACCENT, line=dict(color="white", width=1)),
        text=[_esc(c) if c in top_codes else "" for c in on.index], textposition="top center",
        textfont=dict(size=10, color="#333"), hovertext=hover(on), hoverinfo="text"))
    _layout(fig, height=560,
            xaxis=dict(visible=False), yaxis=dict(visible=False, scaleanchor="x", scaleratio=1),
            legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0))
    caption = (
        f"The activity space: each dot is an activity, linked to the activities it is most "
        "related to (proximity: how often two activities are co-specialised across all "
        "regions; backbone = maximum spanning tree plus the strongest links). Red dots are the "
        f"{int(present.sum())} activities in which {_region_label(profile)} is specialised "
        "(RCA ≥ 1), sized by RCA; grey dots are the others. Activities close to the red "
        f"cluster are the most feasible diversification paths. {_missing_note(profile)} "
        f"{_panel_source(profile)}.")
    return Chart("activity_space", "Activity space", fig, caption)


def _ring_neighbourhood(region: str, neighbours: pd.DataFrame | None, rings: int,
                        extra: Iterable[str] = ()) -> list[str]:
    codes = [region]
    if neighbours is not None and len(neighbours):
        adj = neighbours.groupby(neighbours["region"].astype(str))["neighbour"].agg(list)
        frontier = {region}
        seen = {region}
        for _ in range(max(0, rings)):
            nxt = {str(n) for r in frontier for n in adj.get(r, [])} - seen
            codes += sorted(nxt)
            seen |= nxt
            frontier = nxt
        # enclaves: regions whose every neighbour is already shown (e.g. a capital city)
        enclaves = sorted({str(n) for r in seen for n in adj.get(r, [])
                           if str(n) not in seen and set(map(str, adj.get(str(n), []))) <= seen})
        codes += enclaves
    codes += [c for c in extra if c not in codes]
    return codes


def _label_points(codes: list[str], geojson: dict | None) -> pd.DataFrame:
    """Label positions (lon, lat) of regions: the shipped label points, else bounding-box centres."""
    if geojson is None:
        from smartspec import datasets

        table = datasets.regions(2)
        key = table["code"].astype(str) if "code" in table.columns else table.index.astype(str)
        pts = pd.DataFrame({"lon": table["lon"].to_numpy(dtype=float),
                            "lat": table["lat"].to_numpy(dtype=float)}, index=key.to_numpy())
        return pts[~pts.index.duplicated()].reindex(codes).dropna()
    rows = {}
    for f in geojson["features"]:
        code = f["properties"].get("NUTS_ID")
        if code not in codes:
            continue
        xy = np.array(list(_coords(f["geometry"]["coordinates"])), dtype=float)
        if len(xy):
            rows[code] = ((xy[:, 0].min() + xy[:, 0].max()) / 2,
                          (xy[:, 1].min() + xy[:, 1].max()) / 2)
    return pd.DataFrame.from_dict(rows, orient="index", columns=["lon", "lat"])


def _coords(c: Any) -> Iterable[tuple[float, float]]:
    if len(c) and isinstance(c[0], int | float):
        yield (c[0], c[1])
        return
    for sub in c:
        yield from _coords(sub)


def neighbourhood_map(profile: Any, *, values: pd.Series | Mapping[str, float] | None = None,
                      value_name: str = "ECI", neighbours: pd.DataFrame | None = None,
                      rings: int = 2, resolution: str = "3M", geojson: dict | None = None,
                      names: Mapping[str, str] | None = None, key: str = "map",
                      title: str | None = None, what: str | None = None,
                      value_source: str | None = None, extra: Iterable[str] = ()) -> Chart:
    """Choropleth of the region and its neighbourhood (NUTS 2021 level 2), drawn offline.

    Parameters
    ----------
    profile : RegionProfile-like (``region``, ``name``, ``year``, ``attribution``, ``peers``).
    values : Series region -> value coloured on the map (e.g. the ECI of every region). Default:
        the similarity of the peer regions (``profile.peers``) to the region.
    value_name : legend title of ``values``.
    neighbours : pairs table (``region``, ``neighbour``); default
        :func:`smartspec.datasets.neighbours` (level 2).
    rings : how many steps of adjacency to show around the region (2: neighbours of neighbours).
    resolution : ``"3M"`` (detailed) or ``"60M"`` boundaries.
    geojson : a FeatureCollection to use instead of the shipped boundaries.
    names : region code -> name for the hover labels.
    key, title, what : chart key, title and a custom first sentence of the caption.
    value_source : attribution of ``values`` (default ``profile.attribution``).
    extra : further regions to show (e.g. partner regions further away).

    The region is outlined in red; regions of the neighbourhood without a value are grey.
    The map carries the GISCO attribution required for the boundaries.
    """
    import plotly.graph_objects as go

    from smartspec.datasets.geo import GISCO_ATTRIBUTION, regions_geojson

    region = str(profile.region)
    peers = getattr(profile, "peers", None)
    if values is None:
        if peers is not None and len(peers) and "similarity" in peers.columns:
            pr = peers if "region" in peers.columns else peers.reset_index()
            values = pd.Series(pr["similarity"].to_numpy(dtype=float),
                               index=pr["region"].astype(str)).groupby(level=0).max()
            values[region] = 1.0
            value_name = "similarity"
        else:
            values = pd.Series({region: 1.0})
    vals = pd.Series(values, dtype=float) if isinstance(values, Mapping) else values.astype(float)
    vals.index = vals.index.astype(str)
    if neighbours is None:
        from smartspec import datasets

        neighbours = datasets.neighbours(2)
    neighbour_codes: list[str] = []
    if peers is not None and len(peers) and "kind" in peers.columns:
        pr = peers if "region" in peers.columns else peers.reset_index()
        neighbour_codes = pr.loc[pr["kind"] == "neighbour", "region"].astype(str).tolist()
    codes = _ring_neighbourhood(region, neighbours, rings,
                                [*neighbour_codes, *(str(c) for c in extra)])
    fc = geojson if geojson is not None else regions_geojson(2, resolution)  # type: ignore[arg-type]
    feats = {f["properties"].get("NUTS_ID"): f for f in fc["features"]}
    codes = [c for c in codes if c in feats]
    if region not in feats:
        raise ValueError(f"region {region!r} has no NUTS 2021 level-2 boundary to map")
    sub = {"type": "FeatureCollection", "features": [feats[c] for c in codes]}
    if names is None:
        names = {c: feats[c]["properties"].get("NAME_LATN", c) for c in codes}
    z = vals.reindex(codes)
    has = z.notna().to_numpy()
    hov = [f"<b>{_esc(c)}</b> {_esc(names.get(c, ''))}<br>{_esc(value_name)}: "
           f"{_fmt(v) if not math.isnan(v) else 'no data'}" for c, v in z.items()]
    fig = go.Figure()
    nodata = [c for c, h in zip(codes, has, strict=True) if not h]
    if nodata:
        fig.add_trace(go.Choropleth(
            geojson=sub, featureidkey="properties.NUTS_ID", locations=nodata,
            z=[0.0] * len(nodata), colorscale=[[0, "#d5d9df"], [1, "#d5d9df"]], showscale=False,
            marker_line=dict(color="white", width=0.8), name="no data",
            hovertext=[h for h, ok in zip(hov, has, strict=True) if not ok], hoverinfo="text"))
    withdata = [c for c, h in zip(codes, has, strict=True) if h]
    if withdata:
        zz = z[withdata].to_numpy(dtype=float)
        fig.add_trace(go.Choropleth(
            geojson=sub, featureidkey="properties.NUTS_ID", locations=withdata, z=zz,
            colorscale=MAP_SCALE, marker_line=dict(color="white", width=0.8),
            colorbar=dict(title=dict(text=_esc(value_name)), thickness=14, len=0.75),
            hovertext=[h for h, ok in zip(hov, has, strict=True) if ok], hoverinfo="text"))
    fig.add_trace(go.Choropleth(
        geojson=sub, featureidkey="properties.NUTS_ID", locations=[region], z=[0.0],
        colorscale=[[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]], showscale=False,
        marker_line=dict(color=ACCENT, width=3), hovertext=[hov[0]], hoverinfo="text",
        name=_esc(region)))
    points = _label_points(codes, fc if geojson is not None else None)
    if len(points):
        fig.add_trace(go.Scattergeo(
            lon=points["lon"], lat=points["lat"], text=[_esc(c) for c in points.index],
            mode="text", textfont=dict(size=9, color="#111"), hoverinfo="skip",
            showlegend=False))
    fig.update_geos(fitbounds="locations", visible=False, projection_type="mercator")
    _layout(fig, height=540)
    fig.update_layout(margin=dict(l=0, r=0, t=10, b=10), annotations=[dict(
        text=_esc(GISCO_ATTRIBUTION), xref="paper", yref="paper", x=0, y=0,
        xanchor="left", yanchor="bottom", showarrow=False, bgcolor="rgba(255,255,255,0.8)",
        font=dict(size=10, color="#444"))])
    first = what or (
        f"{_region_label(profile)} (red outline) and the regions up to {rings} borders away, "
        f"coloured by {value_name}; grey: no data")
    src = _source(value_source) if value_source is not None else _panel_source(profile)
    caption = (f"{first}. NUTS 2021 level-2 regions. {src}. Boundaries: Eurostat GISCO, "
               f"{GISCO_ATTRIBUTION}.")
    return Chart(key, title or "The region's neighbourhood", fig, caption)


def peer_chart(profile: Any, *, indicators: Mapping[str, str] | None = None) -> Chart:
    """Side-by-side bars of key indicators for the region and its peers.

    One panel per indicator (default: ECI, diversity, employment, Krugman index), one bar per
    region; the region in red, structural peers in blue, neighbours in teal.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    if indicators is None:
        indicators = {"eci": "ECI", "diversity": "diversity", "employment": "employment",
                      "krugman": "Krugman index"}
    table = _peer_table(profile)
    inds = {k: v for k, v in indicators.items() if k in table.columns}
    if not inds:
        raise ValueError("profile.peers has none of the indicator columns "
                         f"{list(indicators)}; columns are {list(table.columns)}")
    kind_colour = {"region": ACCENT, "structural": PRIMARY, "structural + neighbour": "#5a4fcf",
                   "neighbour": "#2a9d8f"}
    fig = make_subplots(rows=1, cols=len(inds), shared_yaxes=True, horizontal_spacing=0.03,
                        subplot_titles=[_esc(v) for v in inds.values()])
    ylab = [f"{_esc(r)} {_esc(_short(n, 22))}" for r, n in zip(table["region"], table["name"],
                                                                 strict=True)]
    for j, col in enumerate(inds, start=1):
        fig.add_trace(go.Bar(
            y=ylab, x=table[col].to_numpy(dtype=float), orientation="h", showlegend=False,
            marker_color=[kind_colour.get(k, MUTED) for k in table["kind"]],
            hovertext=[f"{y}<br>{_esc(inds[col])}: {_fmt(v, ',.3g')}<br>{_esc(k)}"
                       for y, v, k in zip(ylab, table[col], table["kind"], strict=True)],
            hoverinfo="text"), row=1, col=j)
    for kind, colour in kind_colour.items():  # legend entries
        if kind in set(table["kind"]):
            fig.add_trace(go.Bar(x=[None], y=[None], marker_color=colour, showlegend=True,
                                 name={"region": "the region", "structural": "structural peer",
                                       "structural + neighbour": "similar and adjacent",
                                       "neighbour": "neighbour"}[kind]), row=1, col=1)
    fig.update_annotations(font_size=11)
    _layout(fig, height=max(320, 26 * len(table) + 120),
            legend=dict(orientation="h", yanchor="top", y=-0.06, x=0),
            yaxis=dict(autorange="reversed", automargin=True))
    fig.update_layout(margin=dict(l=10, r=10, t=40, b=40))
    caption = (
        f"{_region_label(profile)} (red) compared with its most similar regions by economic "
        "structure (blue: highest cosine similarity of the specialisation profiles), its "
        "geographic neighbours (teal), and neighbours that are also among the most similar "
        "(purple). Diversity: number of activities with RCA ≥ 1; employment: persons "
        "employed; the Krugman "
        "index measures how different the region's structure is from the average (0 = "
        f"identical). {_missing_note(profile)} {_panel_source(profile)}.")
    return Chart("peers", "Peer regions", fig, caption)


def _peer_table(profile: Any) -> pd.DataFrame:
    """The region's own row followed by its peers, one row per region.

    Read from ``profile.comparison`` (indicators x regions, the region first; a region that is
    both a structural peer and a neighbour appears once) when it has a ``kind`` row, else from
    ``profile.peers`` plus the region's own attributes.
    """
    comp = getattr(profile, "comparison", None)
    if isinstance(comp, pd.DataFrame) and "kind" in comp.index and len(comp.columns):
        t = comp.T.copy()
        t.index = t.index.astype(str).rename("region")
        t = t.reset_index()
        for col in t.columns:
            if col not in ("region", "name", "kind", "top_activity", "top_activity_label"):
                conv = pd.to_numeric(t[col], errors="coerce")
                if conv.notna().sum() >= t[col].notna().sum():
                    t[col] = conv.astype(float)
        if "name" not in t.columns:
            t["name"] = t["region"]
        t["kind"] = t["kind"].astype(str)
        return t
    peers = profile.peers
    pr = peers.copy() if "region" in peers.columns else peers.reset_index()
    if "region" not in pr.columns:
        pr = pr.rename(columns={pr.columns[0]: "region"})
    pr["region"] = pr["region"].astype(str)
    if "name" not in pr.columns:
        pr["name"] = pr["region"]
    if "kind" not in pr.columns:
        pr["kind"] = "structural"
    pr = pr[pr["region"] != str(profile.region)].drop_duplicates("region")
    own: dict[str, object] = {"region": str(profile.region), "name": profile.name,
                              "kind": "region"}
    for col in pr.columns:
        if col in own:
            continue
        val = None
        if col == "eci":
            val = getattr(profile, "eci", None)
        elif col == "krugman" and hasattr(profile, "indices"):
            val = profile.indices.get("krugman")
        elif col == "diversity" and hasattr(profile, "presence"):
            val = float(np.nansum(profile.presence.to_numpy(dtype=float)))
        elif col == "employment" and "employment" in profile.specialisations:
            val = float(profile.specialisations["employment"].sum())
        own[col] = val
    return pd.concat([pd.DataFrame([own]), pr], ignore_index=True)


def history_chart(profile: Any) -> Chart | None:
    """Shift-share decomposition of the region's employment change per activity (stacked bars).

    Returns ``None`` when the profile has no history (single-year data).
    """
    import plotly.graph_objects as go

    hist = getattr(profile, "history", None)
    ss = getattr(hist, "shift_share", None)
    if hist is None or not isinstance(ss, pd.DataFrame) or not len(ss):
        return None
    comps = [c for c in ("national", "industry_mix", "competitive") if c in ss.columns]
    if not comps:
        return None
    df = ss.copy()
    if "change" in df.columns:
        df = df.sort_values("change", ascending=False)
    labels = df["label"] if "label" in df.columns else pd.Series("", index=df.index)
    ylab = [f"{_esc(c)} {_esc(_short(lab, 34))}" for c, lab in zip(df.index, labels,
                                                                    strict=True)]
    names = {"national": "national growth", "industry_mix": "industry mix",
             "competitive": "regional (competitive) effect"}
    colours = {"national": MUTED, "industry_mix": "#2a9d8f", "competitive": ACCENT}
    growth = getattr(hist, "growth", None)
    growth = growth if isinstance(growth, pd.Series) else pd.Series(dtype=float)
    change = df["change"] if "change" in df.columns else pd.Series(np.nan, index=df.index)
    fig = go.Figure()
    for c in comps:
        fig.add_trace(go.Bar(
            y=ylab, x=df[c].to_numpy(dtype=float), orientation="h", name=names[c],
            marker_color=colours[c],
            hovertext=[f"{y}<br>{names[c]}: {_fmt(v, ',.0f')}<br>total change: "
                       f"{_fmt(change[k], ',.0f')}<br>annual growth: "
                       f"{_fmt(growth.get(k, float('nan')) * 100, '+.1f')} %"
                       for y, v, k in zip(ylab, df[c], df.index, strict=True)],
            hoverinfo="text"))
    if "change" in df.columns:
        fig.add_trace(go.Scatter(
            y=ylab, x=change.to_numpy(dtype=float), mode="markers", name="total change",
            marker=dict(symbol="line-ns-open", size=16, color="#222", line=dict(width=2)),
            hoverinfo="skip"))
    _layout(fig, height=max(300, 30 * len(df) + 120), barmode="relative",
            yaxis=dict(autorange="reversed", automargin=True),
            xaxis=dict(title="change in persons employed"),
            legend=dict(orientation="h", yanchor="bottom", y=1.01, x=0))
    years = tuple(getattr(hist, "years", ()))
    span = f"{years[0]}–{years[-1]}" if len(years) >= 2 else "the period covered"
    ref = getattr(hist, "shift_share_reference", "the country")
    caption = _sentences(
        f"Change in persons employed in {_region_label(profile)}, {span}, by activity, split "
        f"into the growth expected from the reference economy ({ref}) as a whole, the "
        "industry mix (the activity grew faster or slower than the reference) and the regional "
        "(competitive) effect, i.e. what the region did better or worse than the reference "
        "(Dunn 1960 shift-share); the tick marks the total change",
        _source(getattr(hist, "attribution", "") or profile))
    return Chart("history", "Employment change and shift-share", fig, caption)


# ---------------------------------------------------------------------------------------------
# candidate charts
# ---------------------------------------------------------------------------------------------
def _cand_frame(cands: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(cands, pd.DataFrame):
        raise TypeError(f"cands: expected the DataFrame of candidates(), got "
                        f"{type(cands).__name__}")
    if cands.index.nlevels > 1:
        regions = cands.index.get_level_values(0).unique()
        if len(regions) > 1:
            raise ValueError("cands holds several regions; select one region "
                             f"(e.g. cands.loc['{regions[0]}']) before charting")
        cands = cands.droplevel(0)
    lacking = [c for c in ("density", "pci", "score") if c not in cands.columns]
    if lacking:
        raise ValueError(f"cands: missing column(s) {lacking}")
    if "rank" in cands.columns:
        cands = cands.sort_values("rank")
    else:
        cands = cands.sort_values("score", ascending=False)
    return cands


def _split(values: pd.Series, high: pd.Series) -> float | None:
    """Midpoint between the largest 'low' value and the smallest 'high' value, if separable."""
    v = values.to_numpy(dtype=float)
    h = high.to_numpy(dtype=bool)
    ok = np.isfinite(v)
    lo_v, hi_v = v[ok & ~h], v[ok & h]
    if not len(lo_v) or not len(hi_v) or lo_v.max() > hi_v.min():
        return None
    return float((lo_v.max() + hi_v.min()) / 2)


def _quadrant_thresholds(df: pd.DataFrame) -> tuple[tuple[float, float], str]:
    """The (density, PCI) split of the quadrants, read from the ``quadrant`` labels if possible.

    ``quadrant`` labels start with "high relatedness"/"low relatedness" and contain "high
    complexity"/"low complexity" (:mod:`smartspec.discovery.typology`); the split is the
    midpoint between the two groups. Otherwise the medians of all candidates.
    """
    t = df.attrs.get("quadrant_thresholds") if hasattr(df, "attrs") else None
    if isinstance(t, Mapping) and t.get("density") is not None and t.get("pci") is not None:
        return (float(t["density"]), float(t["pci"])), "the quadrant thresholds"
    xd = yd = None
    if "quadrant" in df.columns:
        q = df["quadrant"].astype(str).str.lower()
        xd = _split(df["density"], q.str.startswith("high relatedness"))
        known = q.str.contains("high complexity") | q.str.contains("low complexity")
        if known.any():
            yd = _split(df.loc[known, "pci"], q[known].str.contains("high complexity"))
    if xd is not None and yd is not None:
        return (xd, yd), "the quadrant thresholds (splits of the candidates' density and PCI)"
    return ((float(df["density"].median()), float(df["pci"].median())),
            "the medians of the candidates' density and PCI")


def quadrant_chart(cands: pd.DataFrame, context: Any = None, *, top: int | None = None,
                   label_top: int = 15, thresholds: tuple[float, float] | None = None) -> Chart:
    """Relatedness x complexity scatter of the candidates (Balland et al. 2019 quadrants).

    x: relatedness density; y: activity complexity (PCI); colour: Foray mode of change; size:
    composite score. Dashed lines: the quadrant thresholds, from ``thresholds`` or
    ``cands.attrs["quadrant_thresholds"]`` (density, PCI), else the medians of the candidates.
    """
    import plotly.graph_objects as go

    df = _cand_frame(cands)
    if top is not None:
        df = df.head(top)
    if thresholds is None:
        thresholds, thr_src = _quadrant_thresholds(_cand_frame(cands))
    else:
        thr_src = "the quadrant thresholds"
    top_codes = list(df.index[:label_top])
    fig = go.Figure()
    modes = df["mode"].astype(str) if "mode" in df.columns else pd.Series("candidate", df.index)
    score = df["score"].to_numpy(dtype=float)
    smin, smax = float(np.nanmin(score)), float(np.nanmax(score))
    for mode in [m for m in MODE_COLOURS if m in set(modes)] + sorted(
            set(modes) - set(MODE_COLOURS)):
        sel = df[modes == mode]
        s = sel["score"].to_numpy(dtype=float)
        size = 8 + 22 * (s - smin) / (smax - smin) if smax > smin else np.full(len(s), 14.0)
        hover = []
        for code, r in sel.iterrows():
            hover.append(
                f"<b>{_esc(code)}</b> {_esc(r.get('label', ''))}<br>"
                f"score: {_fmt(r['score'], '.3f')} (rank {_fmt(r.get('rank'), '.0f')})<br>"
                f"relatedness density: {_fmt(r['density'], '.3f')}<br>"
                f"PCI: {_fmt(r['pci'], '+.2f')}<br>quadrant: {_esc(r.get('quadrant', ''))}<br>"
                f"mode: {_esc(mode)}")
        fig.add_trace(go.Scatter(
            x=sel["density"], y=sel["pci"], mode="markers+text", name=_esc(mode),
            marker=dict(size=size, color=MODE_COLOURS.get(mode, MUTED), opacity=0.85,
                        line=dict(color="white", width=1)),
            text=[_esc(c) if c in top_codes else "" for c in sel.index],
            textposition="top center", textfont=dict(size=10, color="#333"),
            hovertext=hover, hoverinfo="text"))
    fig.add_vline(x=thresholds[0], line_dash="dash", line_color="#777", line_width=1)
    fig.add_hline(y=thresholds[1], line_dash="dash", line_color="#777", line_width=1)
    corner = dict(xref="x domain", yref="y domain", showarrow=False,
                  font=dict(size=10, color="#777"))
    fig.add_annotation(x=0.99, y=0.99, xanchor="right", yanchor="top",
                       text="high relatedness · high complexity", **corner)
    fig.add_annotation(x=0.01, y=0.99, xanchor="left", yanchor="top",
                       text="low relatedness · high complexity", **corner)
    fig.add_annotation(x=0.99, y=0.01, xanchor="right", yanchor="bottom",
                       text="high relatedness · low complexity", **corner)
    fig.add_annotation(x=0.01, y=0.01, xanchor="left", yanchor="bottom",
                       text="low relatedness · low complexity", **corner)
    _layout(fig, height=540, xaxis=dict(title="relatedness density (feasibility)"),
            yaxis=dict(title="activity complexity (PCI)"),
            legend=dict(orientation="h", yanchor="bottom", y=1.01, x=0, title="mode: "))
    who = _region_label(context) if context is not None else "the region"
    caption = _sentences(
        f"Candidate activities for {who} placed by relatedness density (how much of the "
        "related capability the region already has) and complexity (PCI), following Balland "
        f"et al. (2019); dashed lines: {thr_src}",
        "The top-right quadrant holds the most promising candidates (feasible and valuable). "
        "Colour: Foray's mode of change; size: composite score; labels: the "
        f"{min(label_top, len(df))} best-ranked",
        _missing_note(context), _panel_source(context) if context is not None else None)
    return Chart("quadrant", "Candidates: relatedness × complexity", fig, caption)


def subscore_chart(cands: pd.DataFrame, context: Any = None, *, top: int = 15,
                   columns: Iterable[str] | None = None) -> Chart:
    """Heat map of the sub-scores (0-1) of the top candidates, best first."""
    import plotly.graph_objects as go

    df = _cand_frame(cands).head(top)
    if columns is None:
        columns = ["feasibility", "value", "advantage", "momentum", "transformative_potential",
                   "capability_gap", "score", "p_top_k"]
    cols = [c for c in columns if c in df.columns]
    if not cols:
        raise ValueError("cands has none of the sub-score columns")
    z = df[cols].to_numpy(dtype=float)
    labels = df["label"] if "label" in df.columns else pd.Series("", index=df.index)
    ylab = [f"{_esc(c)} {_esc(_short(lab, 34))}" for c, lab in zip(df.index, labels,
                                                                    strict=True)]
    names = {"transformative_potential": "transf. potential", "capability_gap": "capab. gap",
             "p_top_k": "P(top k)", "feasibility": "feasibility"}
    xlab = [names.get(c, c.replace("_", " ")) for c in cols]
    text = [[_fmt(v, ".2f") for v in row] for row in z]
    fig = go.Figure(go.Heatmap(
        z=z, x=xlab, y=ylab, zmin=0, zmax=1, colorscale="Blues", text=text,
        texttemplate="%{text}", textfont=dict(size=10), colorbar=dict(thickness=12),
        hovertemplate="%{y}<br>%{x}: %{z:.3f}<extra></extra>"))
    _layout(fig, height=max(320, 26 * len(df) + 120),
            yaxis=dict(autorange="reversed", automargin=True),
            xaxis=dict(side="top", automargin=True))
    fig.update_layout(margin=dict(l=10, r=10, t=60, b=10))
    who = _region_label(context) if context is not None else "the region"
    caption = _sentences(
        f"Sub-scores (0 to 1) of the {len(df)} best-ranked candidates for {who}",
        "Higher is better for every sub-score except capability gap (1 = the largest gap, "
        "which lowers the score). score: the weighted composite; p top k: probability that "
        "the candidate stays in the top k when the weights are perturbed (Monte Carlo)",
        _panel_source(context) if context is not None else None)
    return Chart("subscores", "Sub-scores of the top candidates", fig, caption)
