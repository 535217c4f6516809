"""Tests of smartspec.reports: charts, tables, the HTML reports and PDF printing.

The chart and report functions read the profile and candidates only through their documented
attributes, so most tests use small hand-made objects with known values; the end-to-end tests
on the embedded data are in ``test_discovery_cli.py``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from smartspec.datasets.geo import GISCO_ATTRIBUTION
from smartspec.reports import (
    PdfUnavailableError,
    activity_space_chart,
    candidates_table,
    flatten,
    html_to_pdf,
    neighbourhood_map,
    peer_chart,
    quadrant_chart,
    rca_chart,
    subscore_chart,
    write_candidates_report,
    write_profile_report,
    write_tables,
)
from smartspec.reports import pdf as pdf_mod
from smartspec.reports.charts import ACCENT, history_chart
from smartspec.reports.html import plotly_script
from smartspec.reports.tables import format_value

XSS = "<script>alert(1)</script>"
SOURCE = "Source: Eurostat (sbs_r_nuts06_r2)"


# ---------------------------------------------------------------------------------------------
# hand-made inputs
# ---------------------------------------------------------------------------------------------
def _profile(label0: str = "Manufacture of basic metals") -> SimpleNamespace:
    acts = ["C24", "C28", "C31", "J62", "K64"]
    spec = pd.DataFrame({
        "label": [label0, "Machinery", "Furniture", "Programming", "Banking"],
        "employment": [12000.0, 28000.0, 8000.0, 500.0, 0.0],
        "share": [0.25, 0.55, 0.16, 0.04, 0.0],
        "rca": [3.7, 2.5, 2.4, 0.3, 0.0],
        "rca_national": [1.9, 1.9, 1.7, 0.5, np.nan],
        "share_national": [0.013, 0.029, 0.010, 0.02, 0.03],
        "share_eu": [0.007, 0.022, 0.007, 0.03, 0.04],
        "pci": [1.0, 1.1, 1.3, 0.2, -0.4],
        "stars": [3, 2, 1, 0, 0],
    }, index=pd.Index(acts, name="activity"))
    nodes = pd.DataFrame({
        "activity": acts, "label": spec["label"].tolist(),
        "x": [0.0, 0.5, 1.0, -1.0, -0.5], "y": [0.0, 0.2, -0.1, 0.8, 0.6],
        "ubiquity": [50, 60, 40, 90, 120], "pci": spec["pci"].tolist(),
        "present": [True, True, True, False, False], "rca": spec["rca"].tolist(),
    }, index=pd.Index(acts, name="activity"))
    edges = pd.DataFrame({"source": ["C24", "C28", "J62", "C31"],
                          "target": ["C28", "C31", "K64", "J62"],
                          "proximity": [0.7, 0.6, 0.5, 0.2], "backbone": [True] * 4})
    peers = pd.DataFrame({
        "region": ["AT12", "DE23", "AT12", "AT32"], "name": ["Niederösterreich", "Oberpfalz",
                                                             "Niederösterreich", "Salzburg"],
        "kind": ["structural", "structural", "neighbour", "neighbour"],
        "similarity": [0.84, 0.75, 0.84, 0.58], "eci": [0.9, 0.9, 0.9, -0.2],
        "diversity": [27, 19, 27, 20], "employment": [435e3, 393e3, 435e3, 204e3],
        "krugman": [0.30, 0.45, 0.30, 0.33],
    })
    order = ["name", "kind", "similarity", "eci", "diversity", "employment", "krugman"]
    comparison = pd.DataFrame({
        "AT31": ["Oberösterreich", "region", 1.0, 1.14, 27, 496e3, 0.32],
        "AT12": ["Niederösterreich", "structural + neighbour", 0.84, 0.9, 27, 435e3, 0.30],
        "DE23": ["Oberpfalz", "structural", 0.75, 0.9, 19, 393e3, 0.45],
        "AT32": ["Salzburg", "neighbour", 0.58, -0.2, 20, 204e3, 0.33],
    }, index=pd.Index(order, name="indicator"), dtype=object)
    history = SimpleNamespace(
        years=(2000, 2017), horizon=5, attribution="Source: Eurostat (nama_10r_3empers)",
        entries=pd.DataFrame({"year_from": [2005], "year_to": [2010], "activity": ["F"],
                              "label": ["Construction"], "rca_from": [0.95], "rca_to": [1.01],
                              "density_from": [0.37]}),
        exits=pd.DataFrame(columns=["year_from", "year_to", "activity", "label"]),
        growth=pd.Series({"B-E": 0.005, "J": 0.028}, name="cagr"),
        shift_share=pd.DataFrame({"label": ["Industry", "ICT"], "start": [166600.0, 9700.0],
                                  "end": [181300.0, 15500.0], "change": [14700.0, 5800.0],
                                  "national": [29186.0, 1699.0],
                                  "industry_mix": [-32542.0, 933.0],
                                  "competitive": [18056.0, 3168.0]},
                                 index=pd.Index(["B-E", "J"], name="activity")),
        shift_share_reference="AT", entry_auc=0.67, entry_auc_n=19, entry_auc_entries=1,
        entry_auc_pooled=0.57)
    context = pd.DataFrame({"indicator": ["population"], "label": ["Population"],
                            "unit": ["persons"], "latest": [1473576.0], "year": [2018],
                            "trend_from": [2013], "trend": [0.0076], "trend_kind": ["cagr"]})
    return SimpleNamespace(
        region="AT31", name="Oberösterreich", year=2015,
        attribution=f"{SOURCE}; Source: Eurostat (nama_10r_3empers)",
        specialisations=spec,
        indices=pd.Series({"krugman": 0.32, "hoover": 0.16, "hhi": 0.04, "entropy": 5.1,
                           "related_variety": 2.3, "unrelated_variety": 2.8, "diversity": 3.0}),
        eci=1.14, eci_rank=38, n_regions=285,
        activity_space=SimpleNamespace(nodes=nodes, edges=edges, key="k"),
        peers=peers, comparison=comparison, history=history, context=context,
        density=pd.Series([0.54, 0.55, 0.52, 0.30, 0.20], index=acts, name="density"),
        presence=pd.Series([1, 1, 1, 0, 0], index=acts, name="presence"),
        total_employment=48500.0, notes=("2 of 68 cells are confidential",))


def _cands(label0: str = "Fabricated metal products") -> pd.DataFrame:
    acts = ["C25", "C22", "C13", "J62", "B05", "K64"]
    df = pd.DataFrame({
        "rank": [1, 2, 3, 4, 5, 6],
        "label": [label0, "Rubber and plastics", "Textiles", "Programming", "Coal", "Banks"],
        "score": [0.85, 0.84, 0.72, 0.60, 0.40, 0.30],
        "feasibility": [1.0, 0.97, 0.91, 0.5, 0.1, 0.2],
        "value": [0.94, 0.88, 0.96, 0.5, 0.3, 0.1],
        "advantage": [0.58, 0.66, 0.40, 0.2, 0.1, 0.1],
        "momentum": [0.34] * 6, "transformative_potential": [0.97, 0.96, 0.58, 0.3, 0.1, 0.2],
        "capability_gap": [0.0, 0.0, 0.13, 0.5, 0.9, 0.8],
        "p_top_k": [1.0, 1.0, 0.03, 0.0, 0.0, 0.0],
        "density": [0.56, 0.55, 0.54, 0.40, 0.30, 0.35],
        "pci": [1.33, 1.25, 1.45, -0.2, 1.1, -1.0],
        "quadrant": ["high relatedness / high complexity"] * 3
        + ["low relatedness / low complexity", "low relatedness / high complexity",
           "low relatedness / low complexity"],
        "mode": ["modernisation", "modernisation", "diversification", "radical foundation",
                 "radical foundation", "radical foundation"],
        "partners": [[], ["SI04", "ITC4"], ["CZ03"], ["AT13", "SI04"], [], ["AT13"]],
        "partner_gain": [np.nan, 0.25, 0.26, 0.3, np.nan, 0.2],
        "rca": [1.37, 1.98, 0.66, 0.3, 0.0, 0.2],
        "explanation": [f"Builds on {label0} (C24). Mode: modernisation.", "Builds on C25.",
                        "Builds on C31.", "Few related capabilities.", "None.", "None."],
    }, index=pd.Index(acts, name="activity"))
    df.attrs.update({"weights": {"feasibility": 0.25, "value": 0.2}, "top_k": 3})
    return df


@pytest.fixture(scope="module")
def profile() -> SimpleNamespace:
    return _profile()


# ---------------------------------------------------------------------------------------------
# charts
# ---------------------------------------------------------------------------------------------
def test_rca_chart_top_bars_stars_caption(profile):
    chart = rca_chart(profile, top=3)
    bars = chart.figure.data[0]
    assert list(bars.x) == [3.7, 2.5, 2.4]  # sorted by RCA, employment > 0 only
    assert list(bars.text) == ["★★★", "★★", "★"]
    assert bars.y[0].startswith("C24 ")
    assert list(chart.figure.data[1].x) == [1.9, 1.9, 1.7]  # national RCA diamonds
    assert "Oberösterreich (AT31)" in chart.caption and SOURCE in chart.caption
    assert "counted as zero" in chart.caption
    with pytest.raises(ValueError, match="top"):
        rca_chart(profile, top=0)


def test_chart_text_is_escaped_for_plotly():
    chart = rca_chart(_profile(label0=XSS), top=2)
    assert all("<script>" not in t for t in chart.figure.data[0].y)
    assert any("&lt;script&gt;" in t for t in chart.figure.data[0].y)


def test_activity_space_highlights_specialisations(profile):
    chart = activity_space_chart(profile)
    traces = {t.name: t for t in chart.figure.data if t.name}
    on = traces["specialised (RCA ≥ 1)"]
    off = traces["not specialised (RCA < 1)"]
    assert len(on.x) == 3 and len(off.x) == 2 and on.marker.color == ACCENT
    lines = [t for t in chart.figure.data if t.mode == "lines"]
    assert sum(len(t.x) for t in lines) == 3 * len(profile.activity_space.edges)
    assert "3 activities" in chart.caption and SOURCE in chart.caption


def test_neighbourhood_map_offline_choropleth_with_attribution(profile):
    values = pd.Series({"AT31": 1.14, "AT12": 0.94, "DE22": 1.55})
    chart = neighbourhood_map(profile, values=values, rings=1)
    fig = chart.figure
    chors = [t for t in fig.data if t.type == "choropleth"]
    assert all(t.featureidkey == "properties.NUTS_ID" for t in chors)
    coloured = next(t for t in chors if t.showscale is not False and t.z is not None
                    and len(t.z) == 3)
    assert dict(zip(coloured.locations, coloured.z, strict=True)) == pytest.approx(
        {"AT31": 1.14, "AT12": 0.94, "DE22": 1.55})
    nodata = next(t for t in chors if t.name == "no data")
    # AT31's land neighbours (NUTS 2021) without a value are drawn grey
    assert {"AT22", "AT32", "CZ03", "DE21"} <= set(nodata.locations)
    outline = chors[-1]
    assert list(outline.locations) == ["AT31"] and outline.marker.line.color == ACCENT
    assert fig.layout.geo.fitbounds == "locations" and fig.layout.geo.visible is False
    assert GISCO_ATTRIBUTION in chart.caption and SOURCE in chart.caption
    assert any(GISCO_ATTRIBUTION in a.text for a in fig.layout.annotations)


def test_neighbourhood_map_default_values_are_peer_similarity(profile):
    chart = neighbourhood_map(profile, rings=0, resolution="60M")
    coloured = next(t for t in chart.figure.data
                    if t.type == "choropleth" and t.name != "no data" and len(t.z) > 1)
    assert dict(zip(coloured.locations, coloured.z, strict=True))["AT12"] == pytest.approx(0.84)
    assert "similarity" in chart.caption


def test_neighbourhood_map_unknown_region_raises(profile):
    bad = SimpleNamespace(**{**vars(profile), "region": "ZZ99"})
    with pytest.raises(ValueError, match="ZZ99"):
        neighbourhood_map(bad, values=pd.Series({"ZZ99": 1.0}), neighbours=pd.DataFrame(
            {"region": [], "neighbour": []}))


def test_peer_chart_one_bar_per_region_region_first(profile):
    chart = peer_chart(profile)
    eci = chart.figure.data[0]
    assert len(eci.y) == 4  # AT12 is both structural and neighbour: shown once
    assert eci.y[0].startswith("AT31") and list(eci.x) == [1.14, 0.9, 0.9, -0.2]
    assert eci.marker.color[0] == ACCENT
    assert SOURCE in chart.caption


def test_history_chart_components_and_none_without_history(profile):
    chart = history_chart(profile)
    names = [t.name for t in chart.figure.data]
    assert names[:3] == ["national growth", "industry mix", "regional (competitive) effect"]
    assert "2000–2017" in chart.caption and "nama_10r_3empers" in chart.caption
    assert history_chart(SimpleNamespace(**{**vars(profile), "history": None})) is None


def test_quadrant_chart_thresholds_from_labels_modes_and_sizes():
    cands = _cands()
    chart = quadrant_chart(cands, SimpleNamespace(region="AT31", name="Oberösterreich",
                                                  attribution=SOURCE))
    shapes = chart.figure.layout.shapes
    vline = next(s for s in shapes if s.x0 == s.x1)
    hline = next(s for s in shapes if s.y0 == s.y1)
    assert vline.x0 == pytest.approx((0.40 + 0.54) / 2)  # max low-relatedness, min high
    assert hline.y0 == pytest.approx((-0.2 + 1.1) / 2)  # max low-complexity, min high
    by_mode = {t.name: t for t in chart.figure.data}
    assert set(by_mode) == {"modernisation", "diversification", "radical foundation"}
    assert len(by_mode["radical foundation"].x) == 3
    assert max(by_mode["modernisation"].marker.size) > min(by_mode["radical foundation"]
                                                            .marker.size)
    assert "Balland" in chart.caption and SOURCE in chart.caption


def test_quadrant_chart_rejects_batch_and_missing_columns():
    batch = pd.concat({"AT31": _cands(), "AT32": _cands()}, names=["region", "activity"])
    with pytest.raises(ValueError, match="several regions"):
        quadrant_chart(batch)
    with pytest.raises(ValueError, match="density"):
        quadrant_chart(_cands().drop(columns="density"))


def test_subscore_chart_matrix():
    chart = subscore_chart(_cands(), top=4)
    hm = chart.figure.data[0]
    assert np.asarray(hm.z).shape == (4, 8)
    assert hm.zmin == 0 and hm.zmax == 1
    assert np.asarray(hm.z)[0, 0] == pytest.approx(1.0)


# ---------------------------------------------------------------------------------------------
# tables
# ---------------------------------------------------------------------------------------------
def test_flatten_lists_and_index():
    df = candidates_table(_cands())
    assert df.columns[0] == "activity"
    assert df.loc[df["activity"] == "C22", "partners"].item() == "SI04; ITC4"
    assert df.loc[df["activity"] == "C25", "partners"].item() == ""
    with pytest.raises(TypeError):
        flatten([1, 2])  # type: ignore[arg-type]


def test_write_tables_csv_and_excel_keep_formulas_as_text(tmp_path):
    from openpyxl import load_workbook

    df = pd.DataFrame({"code": ["=1+1", "C28"], "x": [1.5, np.nan], "ok": [True, False]})
    paths = write_tables({"t": df, "u": df.head(1)}, tmp_path, "S", csv=["t"],
                         notes={"source": SOURCE})
    assert set(paths) == {"t_csv", "xlsx"}
    back = pd.read_csv(paths["t_csv"])
    assert back["code"].tolist() == ["=1+1", "C28"]
    wb = load_workbook(paths["xlsx"])
    assert wb.sheetnames == ["about", "t", "u"]
    cell = wb["t"]["A2"]
    assert cell.value == "=1+1" and cell.data_type == "s"
    assert wb["t"]["B3"].value is None and wb["about"]["B2"].value == SOURCE
    with pytest.raises(KeyError, match="nope"):
        write_tables({"t": df}, tmp_path, "S", csv=["nope"])


@pytest.mark.parametrize(("value", "kind", "expected"), [
    (12477.0, "int", "12,477"), (0.025, "pct", "2.5%"), (1.0125, "signed", "+1.01"),
    (2, "stars", "★★☆"), (2015, "year", "2015"), (np.nan, "f2", ""), (["a", "b"], None, "a; b"),
    (True, None, "yes"), (3.14159, "f3", "3.142"),
])
def test_format_value(value, kind, expected):
    assert format_value(value, kind) == expected


# ---------------------------------------------------------------------------------------------
# HTML reports
# ---------------------------------------------------------------------------------------------
def _offline_checks(html: str) -> None:
    from plotly.offline import get_plotlyjs

    assert html.count(get_plotlyjs()[:300]) == 1  # the library, inlined exactly once
    assert not re.search(r"<script[^>]+src\s*=\s*[\"']?https?://", html, re.I)
    assert not re.search(r"<link[^>]+href\s*=\s*[\"']?https?://", html, re.I)
    assert "window.PlotlyGeoAssets" in html  # no topojson download for the maps


def test_plotly_script_registers_empty_topology_before_library():
    s = str(plotly_script())
    assert s.index("PlotlyGeoAssets") < s.index("plotly.js")


def test_write_profile_report_files_offline_escaped(tmp_path):
    prof = _profile(label0=XSS)
    paths = write_profile_report(prof, tmp_path / "out", top=4, resolution="60M",
                                 map_values=pd.Series({"AT31": 1.1, "AT12": 0.9}))
    assert set(paths) == {"html", "xlsx", "specialisations_csv", "peers_csv"}
    assert all(p.exists() for p in paths.values())
    html = paths["html"].read_text(encoding="utf-8")
    _offline_checks(html)
    assert XSS not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    for chart_id in ("chart-rca", "chart-activity_space", "chart-map", "chart-peers",
                     "chart-history"):
        assert f'id="{chart_id}"' in html
    assert html.count("<figcaption>") == 5
    assert GISCO_ATTRIBUTION in html and "nama_10r_3empers" in html
    assert "entry AUC 0.67" in html and "1 entry" in html
    spec = pd.read_csv(paths["specialisations_csv"])
    assert spec["activity"].tolist()[:2] == ["C24", "C28"] and spec["label"][0] == XSS


def test_write_candidates_report_with_context_mapping(tmp_path):
    ctx = {"region": "AT31", "name": "Oberösterreich", "year": 2015, "attribution": SOURCE}
    batch = pd.concat({"AT31": _cands(XSS), "AT32": _cands()}, names=["region", "activity"])
    batch.attrs.update(_cands().attrs)
    paths = write_candidates_report(batch, ctx, tmp_path, top=4, resolution="60M")
    html = paths["html"].read_text(encoding="utf-8")
    _offline_checks(html)
    assert XSS not in html and "&lt;script&gt;" in html
    assert 'id="chart-quadrant"' in html and 'id="chart-subscores"' in html
    assert 'id="chart-partners_map"' in html and "P(top 3)" in html
    table = pd.read_csv(paths["candidates_csv"], keep_default_na=False)
    assert len(table) == 6 and table.loc[1, "partners"] == "SI04; ITC4"
    with pytest.raises(ValueError, match="no rows for region"):
        write_candidates_report(batch, "AT33", tmp_path)
    with pytest.raises(ValueError, match="top"):
        write_candidates_report(_cands(), ctx, tmp_path, top=0)


# ---------------------------------------------------------------------------------------------
# PDF
# ---------------------------------------------------------------------------------------------
def _pdf_pages(path: Path) -> int:
    if shutil.which("pdfinfo"):
        out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True,
                             check=True).stdout
        return int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))
    return len(re.findall(rb"/Type\s*/Page[^s]", path.read_bytes()))


def test_pdf_unavailable_error_names_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(pdf_mod, "find_chromium", lambda: None)
    page = tmp_path / "a.html"
    page.write_text("<html><body>x</body></html>")
    with pytest.raises(PdfUnavailableError, match="apt-get install chromium"):
        html_to_pdf(page)


@pytest.mark.skipif(pdf_mod.find_chromium() is None,
                    reason="no Chromium/Chrome installed (apt-get install chromium)")
def test_profile_report_prints_to_multi_page_pdf(tmp_path):
    paths = write_profile_report(_profile(), tmp_path, top=4, resolution="60M", pdf=True)
    pdf = paths["pdf"]
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert _pdf_pages(pdf) > 1
