"""The main job (`smartspec run`, what `make run` runs) on the embedded data."""

from __future__ import annotations

from typer.testing import CliRunner

from smartspec.cli import app


def test_run_writes_reports_and_seeds_demo_idempotently(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SMARTSPEC_DATABASE_URL", raising=False)
    runner = CliRunner()
    res = runner.invoke(app, ["run", "--top", "5"], terminal_width=200)
    assert res.exit_code == 0, res.output
    assert "AT31 Oberösterreich" in res.output
    assert "C24 Manufacture of basic metals" in res.output  # top specialisation by LQ
    assert "Top 5 candidate transformative activities" in res.output
    assert "Builds on" in res.output  # one-line explanation per candidate
    assert "'demo-at31' (created)" in res.output and "fictional demo actors" in res.output
    assert "Source: Eurostat" in res.output
    for name in ("AT31_profile.html", "AT31_candidates.html"):
        assert (tmp_path / "smartspec-out" / name).stat().st_size > 100_000
    assert (tmp_path / "smartspec.sqlite3").exists()
    again = runner.invoke(app, ["run", "--top", "5"], terminal_width=200)
    assert again.exit_code == 0, again.output
    assert "already there" in again.output
    # the second run adds nothing: same counts
    line = [ln for ln in res.output.splitlines() if "fictional demo actors" in ln]
    line2 = [ln for ln in again.output.splitlines() if "fictional demo actors" in ln]
    assert line[0].split(":", 1)[-1] == line2[0].split(":", 1)[-1]


def test_run_unknown_region_fails_clearly(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(app, ["run", "--region", "XX99"])
    assert res.exit_code == 1
    assert "XX99" in res.output
