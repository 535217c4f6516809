"""End-to-end tests of ``smartspec profile`` and ``smartspec candidates`` on the embedded data."""

from __future__ import annotations

import dataclasses
import re

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from smartspec.datasets.geo import GISCO_ATTRIBUTION
from smartspec.discovery._cli import parse_weights, register
from smartspec.reports import pdf as pdf_mod

runner = CliRunner()
XSS = "<script>alert(1)</script>"


def _app() -> typer.Typer:
    """``smartspec.cli.app`` once it registers these commands, else an app with only them."""
    from smartspec.cli import app

    names = {c.name for c in app.registered_commands}
    if {"profile", "candidates"} <= names:
        return app
    local = typer.Typer()

    @local.callback()
    def main() -> None:
        """smartspec (test app)."""

    register(local)
    return local


APP = _app()


def _text(result) -> str:
    out = result.output
    try:
        err = result.stderr
    except ValueError:  # stderr not captured separately
        err = ""
    return out + ("" if err in out else err)


def _offline(html: str) -> None:
    from plotly.offline import get_plotlyjs

    assert html.count(get_plotlyjs()[:300]) == 1
    assert not re.search(r"<script[^>]+src\s*=\s*[\"']?https?://", html, re.I)
    assert not re.search(r"<link[^>]+href\s*=\s*[\"']?https?://", html, re.I)


def _figure(html: str, key: str) -> str:
    """The <figure> element of chart ``key``."""
    start = html.index(f'<figure id="fig-{key}">')
    return html[start: html.index("</figure>", start)]


@pytest.fixture(scope="module")
def profile_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("profile")
    result = runner.invoke(APP, ["profile", "AT31", "--out", str(out)])
    return result, out


def test_profile_command_writes_offline_report(profile_run):
    result, out = profile_run
    assert result.exit_code == 0, _text(result)
    text = _text(result)
    assert "AT31 Oberösterreich" in text and "C24" in text and "ECI" in text
    for name in ("AT31_profile.html", "AT31_profile.xlsx", "AT31_profile_specialisations.csv",
                 "AT31_profile_peers.csv"):
        assert (out / name).exists() and name in text.replace("\n", "")
    html = (out / "AT31_profile.html").read_text(encoding="utf-8")
    _offline(html)
    for key in ("rca", "activity_space", "map", "peers", "history"):
        fig = _figure(html, key)
        assert "<figcaption>" in fig and "Source: Eurostat" in fig
    assert GISCO_ATTRIBUTION in _figure(html, "map")
    # published fact: basic metals (voestalpine, Linz) is Upper Austria's top specialisation
    spec = pd.read_csv(out / "AT31_profile_specialisations.csv")
    assert spec["activity"].iloc[0] == "C24"
    assert {"C24", "C28"} <= set(spec["activity"].head(5))
    sheets = pd.read_excel(out / "AT31_profile.xlsx", sheet_name=None)
    assert {"about", "specialisations", "indices", "peers", "comparison"} <= set(sheets)


def test_candidates_command_top_weights_and_tables(tmp_path):
    result = runner.invoke(APP, ["candidates", "at31", "--top", "5", "--weights",
                                 "feasibility=0.4, value=0.3", "--out", str(tmp_path)])
    text = _text(result)
    assert result.exit_code == 0, text
    ranked = re.findall(r"^\s*(\d)\. ([A-Z]\d\d) ", text, re.M)
    assert [r for r, _ in ranked] == ["1", "2", "3", "4", "5"]
    assert "feasibility=0.4" in text and "value=0.3" in text
    table = pd.read_csv(tmp_path / "AT31_candidates_candidates.csv", keep_default_na=False)
    assert table["activity"].head(5).tolist() == [c for _, c in ranked]
    assert table["rank"].tolist() == sorted(table["rank"])
    lists = [p for p in table["partners"] if p]
    assert lists and all(re.fullmatch(r"[A-Z]{2}[0-9A-Z]{2}(; [A-Z]{2}[0-9A-Z]{2})*", p)
                         for p in lists)
    html = (tmp_path / "AT31_candidates.html").read_text(encoding="utf-8")
    _offline(html)
    assert "Source: Eurostat" in _figure(html, "quadrant")
    assert GISCO_ATTRIBUTION in _figure(html, "partners_map")
    assert (tmp_path / "AT31_candidates.xlsx").exists()


def test_unknown_region_exits_1_with_close_codes(tmp_path):
    result = runner.invoke(APP, ["profile", "AT39", "--out", str(tmp_path)])
    assert result.exit_code == 1
    text = _text(result)
    assert "AT39" in text and "close codes" in text and "AT31" in text
    result = runner.invoke(APP, ["candidates", "XX31", "--out", str(tmp_path)])
    assert result.exit_code == 1 and "close codes" in _text(result)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(("weights", "message"), [
    ("foo=1", "unknown sub-score 'foo'"),
    ("value=abc", "must be a number"),
    ("value", "name=number"),
    ("value=-1", ">= 0"),
    ("value=0.2,value=0.3", "given twice"),
])
def test_bad_weights_exit_2(tmp_path, weights, message):
    result = runner.invoke(APP, ["candidates", "AT31", "--weights", weights,
                                 "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert message in " ".join(_text(result).replace("│", " ").split())


def test_parse_weights_keeps_defaults_for_missing_keys():
    assert parse_weights(None) is None
    assert parse_weights("Feasibility = 0.5 ,value=0") == {"feasibility": 0.5, "value": 0.0}
    with pytest.raises(ValueError, match="positive"):
        parse_weights("feasibility=0,value=0,advantage=0,momentum=0,"
                      "transformative_potential=0,capability_gap=0")


def test_real_profile_report_escapes_labels(tmp_path):
    from smartspec.discovery.embedded import embedded_profile
    from smartspec.reports import write_profile_report

    prof = embedded_profile("AT31")
    spec = prof.specialisations.copy()
    spec.iloc[0, spec.columns.get_loc("label")] = XSS
    prof = dataclasses.replace(prof, specialisations=spec, name=f"Upper {XSS}")
    html = write_profile_report(prof, tmp_path)["html"].read_text(encoding="utf-8")
    assert XSS not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.skipif(pdf_mod.find_chromium() is None,
                    reason="no Chromium/Chrome installed (apt-get install chromium)")
def test_profile_pdf(tmp_path):
    result = runner.invoke(APP, ["profile", "AT31", "--out", str(tmp_path), "--pdf"])
    assert result.exit_code == 0, _text(result)
    pdf = tmp_path / "AT31_profile.pdf"
    data = pdf.read_bytes()
    assert data[:5] == b"%PDF-" and len(data) > 50_000
    assert len(re.findall(rb"/Type\s*/Page[^s]", data)) > 1


def test_pdf_unavailable_exits_1_but_keeps_html(tmp_path, monkeypatch):
    monkeypatch.setattr(pdf_mod, "find_chromium", lambda: None)
    result = runner.invoke(APP, ["profile", "AT31", "--out", str(tmp_path), "--pdf"])
    assert result.exit_code == 1
    assert "apt-get install chromium" in _text(result)
    assert (tmp_path / "AT31_profile.html").exists()
