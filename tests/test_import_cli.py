"""Tests for the ``smartspec import`` command."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from smartspec.cli import app
from smartspec.data import Panel

SAMPLE = Path(__file__).parent / "data" / "sbs_sample.csv.gz"
runner = CliRunner()


def test_import_summarises_real_sample(tmp_path):
    out = tmp_path / "panel.parquet"
    result = runner.invoke(app, ["import", str(SAMPLE), "--filter", "nace_level=division",
                                 "--top", "3", "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = result.output
    assert "Import report" in text and "csv (gzip)" in text
    assert "region=geo" in text and "activity=nace_r2" in text
    assert "c_or_missing" in text  # missing values by reason
    assert "Top regions by total, 2015" in text and "AT3 " in text
    panel = Panel.read_parquet(out)
    assert list(panel.regions) == ["AT3", "AT31", "AT32", "AT33", "AT34"]


def test_import_with_mapping_and_constant_year(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text("Kreis;C10;C11\nDE111;5;7\nDE112;1;2\n")
    result = runner.invoke(app, ["import", str(path), "--region", "Kreis", "--year", "2019",
                                 "--layout", "wide"])
    assert result.exit_code == 0, result.output
    assert "wide (one column per activity)" in result.output
    assert "DE111" in result.output and "12" in result.output  # top region total


def test_import_invalid_file_exits_1_with_locations(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("geo,nace_r2,year,value\nDE1,C10,2015,abc\nDE2,C10,2015,-3\n")
    result = runner.invoke(app, ["import", str(path)])
    assert result.exit_code == 1
    assert "Import failed" in result.output
    assert "row 2, column 'value': not a number" in result.output
    assert "row 3, column 'value': negative value" in result.output


@pytest.mark.parametrize("args, message", [
    (["--filter", "nonsense"], "COLUMN=VALUE"),
    (["--layout", "diagonal"], "layout"),
])
def test_import_bad_options(tmp_path, args, message):
    path = tmp_path / "ok.csv"
    path.write_text("geo,nace_r2,year,value\nDE1,C10,2015,1\n")
    result = runner.invoke(app, ["import", str(path), *args])
    assert result.exit_code != 0
    assert message in result.output


def test_import_missing_file(tmp_path):
    result = runner.invoke(app, ["import", str(tmp_path / "nope.csv")])
    assert result.exit_code == 1
    assert "no such file" in result.output
