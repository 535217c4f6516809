"""Tests for smartspec.data.read (importers), on malformed and real-format files.

``tests/data/sbs_sample.csv.gz`` holds the header and the 180 rows of
``/work/shared/data/employment/eurostat_sbs_r_nuts06_r2_2015_persons_employed.csv.gz``
(Eurostat sbs_r_nuts06_r2, 2015, persons employed; Source: Eurostat) whose ``geo`` starts with
``AT3`` and that are sections, or divisions of section C. Rebuild it with::

    python - <<'EOF'
    import csv, gzip
    rows = gzip.open(SRC, "rt").read().splitlines()
    keep = [r for r in rows[1:] if (f := next(csv.reader([r])))[1].startswith("AT3")
            and (f[4] == "section" or (f[3].startswith("C") and f[4] == "division"))]
    with gzip.GzipFile("tests/data/sbs_sample.csv.gz", "wb", mtime=0) as out:
        out.write(("\\n".join(rows[:1] + keep) + "\\n").encode())
    EOF
"""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from smartspec.data import (
    DataImportError,
    ImportResult,
    Panel,
    PanelMeta,
    PanelValidationError,
    ValidationReport,
    read,
)

SAMPLE = Path(__file__).parent / "data" / "sbs_sample.csv.gz"


def write(tmp_path: Path, name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path


def import_error(path: Path, **kwargs) -> DataImportError:
    """Run read() expecting failure; check nothing is returned and the file is named."""
    result = None
    with pytest.raises(DataImportError) as info:
        result = read(path, **kwargs)
    assert result is None
    assert str(path) in str(info.value)
    return info.value


LONG = "geo,nace_r2,year,value,flag\nDE21,C10,2015,10,\nDE21,C11,2015,,c\nDE22,C10,2015,3.5,p\n"


# -- happy paths --------------------------------------------------------------------------------
def test_long_csv_autodetected(tmp_path):
    path = write(tmp_path, "emp.csv", LONG)
    result = read(path, meta=PanelMeta(measure="persons employed"))
    assert isinstance(result, ImportResult)
    panel, report = result
    assert isinstance(panel, Panel) and isinstance(report, ValidationReport)
    assert panel.meta.measure == "persons employed" and panel.origin == str(path)
    assert panel.frame["value"].tolist() == [10.0, np.nan, 3.5] or \
        np.allclose(panel.frame["value"].fillna(-1), [10.0, -1, 3.5])
    assert report.format == "csv" and report.layout == "long" and report.delimiter == ","
    assert report.columns == {"region": "geo", "activity": "nace_r2", "year": "year",
                              "value": "value", "flag": "flag"}
    assert (report.rows_read, report.rows_kept, report.records) == (3, 3, 3)
    assert report.missing_by_reason == {"c": 1} and report.flags == {"p": 1}
    text = str(report)
    assert "emp.csv" in text and "missing" in text
    from rich.console import Console
    console = Console(record=True, width=100)
    console.print(report)
    assert "Import report" in console.export_text()


def test_semicolon_tsv_and_explicit_mapping(tmp_path):
    semi = write(tmp_path, "a.csv", "Region;Sector;Jahr;Beschäftigte\nAT11;A;2019;5\n")
    panel, report = read(semi, region="Region", activity="Sector", year="Jahr",
                         value="Beschäftigte")
    assert report.delimiter == ";" and panel.frame["value"].tolist() == [5.0]
    tsv = write(tmp_path, "b.tsv", "nuts_id\tindustry\ttime\tobs_value\nAT11\tA\t2019\t5\n")
    panel2, report2 = read(tsv)
    assert report2.format == "tsv" and panel2.frame["value"].tolist() == [5.0]
    with pytest.raises(DataImportError, match=r"column 'Regio' not found.*did you mean"):
        read(semi, region="Regio")


def test_utf8_bom(tmp_path):
    path = write(tmp_path, "bom.csv", b"\xef\xbb\xbf" + LONG.encode())
    panel, report = read(path)
    assert report.encoding == "utf-8-sig" and report.columns["region"] == "geo"
    assert list(panel.regions) == ["DE21", "DE22"]


def test_cp1252_file_is_decoded_with_warning(tmp_path):
    text = "region,activity,year,value\nGenève,Straße,2015,1\nMünster,Straße,2015,2\n"
    path = write(tmp_path, "latin.csv", text, encoding="cp1252")
    panel, report = read(path)
    assert report.encoding == "cp1252"
    assert any("not valid UTF-8" in w and "line 2" in w for w in report.warnings)
    assert list(panel.regions) == ["Genève", "Münster"]
    assert list(panel.activities) == ["Straße"]
    error = import_error(path, encoding="utf-8")
    assert "row 2" in str(error) and "cannot decode as utf-8" in str(error)


def test_garbage_bytes_rejected(tmp_path):
    rng = np.random.default_rng(0)
    garbage = b"geo,nace,year,value\n" + bytes(rng.integers(0, 256, 2000, dtype=np.uint8))
    error = import_error(write(tmp_path, "garbage.csv", garbage + b"\x00"))
    assert "binary" in str(error) and "row " in str(error)


def test_gzipped_real_sample():
    panel, report = read(SAMPLE, filters={"nace_level": "division"})
    assert report.compression == "gzip" and report.rows_read == 180
    assert list(panel.regions) == ["AT3", "AT31", "AT32", "AT33", "AT34"]
    assert len(panel.activities) == 24 and panel.years == [2015]
    assert report.ignored_columns == ["nuts_level", "nace_level"]
    # independent check against the raw file
    with gzip.open(SAMPLE, "rt", newline="") as fh:
        raw = list(csv.DictReader(fh))
    expected = {(r["geo"], r["nace_r2"]): r for r in raw if r["nace_level"] == "division"}
    m = panel.matrix(2015)
    for (geo, nace), r in expected.items():
        if r["persons_employed"]:
            assert m.loc[geo, nace] == float(r["persons_employed"])
        else:
            assert np.isnan(m.loc[geo, nace])
    flagged = sum(1 for r in expected.values() if r["flag"] == "c_or_missing")
    assert report.missing_by_reason.get("c_or_missing", 0) == flagged
    duck, duck_report = read(SAMPLE, filters={"nace_level": "division"}, engine="duckdb")
    assert duck_report.engine == "duckdb" and duck.equals(panel)


# -- malformed files ----------------------------------------------------------------------------
def test_empty_files(tmp_path):
    assert "0 bytes" in str(import_error(write(tmp_path, "zero.csv", b"")))
    header_only = import_error(write(tmp_path, "header.csv", "geo,nace_r2,year,value\n"))
    assert "no data rows" in str(header_only) and "row 1" in str(header_only)
    assert "empty" in str(import_error(write(tmp_path, "blank.csv", "\n\n  \n")))


def test_truncated_and_long_rows(tmp_path):
    text = ("geo,nace_r2,year,value\nDE1,C10,2015,1\nDE2,C10,2015\nDE3,C10\n"
            "DE4,C10,2015,4,extra\nDE5,C10,2015,5,,\n")
    error = import_error(write(tmp_path, "trunc.csv", text))
    message = str(error)
    assert "row 3, column 'value': truncated row: expected 4 fields, found 3" in message
    assert "row 4, column 'year': truncated row" in message
    assert "row 5, column '(field 5)': too many fields" in message
    assert error.total == 3  # the trailing empty fields of row 6 are tolerated


def test_text_in_number_columns(tmp_path):
    text = "geo,nace_r2,year,value\nDE1,C10,2015,12x\nDE2,C10,20l5,3\nDE3,C10,2015,\"1,5\"\n"
    message = str(import_error(write(tmp_path, "text.csv", text)))
    assert "row 2, column 'value': not a number (got '12x')" in message
    assert "row 3, column 'year': year is not an integer (got '20l5')" in message
    assert "row 4, column 'value': not a number (decimal comma? pass decimal=',')" in message
    panel, _ = read(write(tmp_path, "comma.csv", "geo;nace;year;value\nDE1;C10;2015;1,5\n"),
                    decimal=",")
    assert panel.frame["value"].tolist() == [1.5]


def test_duplicate_keys(tmp_path):
    text = "geo,nace_r2,year,value\nDE1,C10,2015,1\nDE2,C10,2015,2\nDE1,C10,2015,3\n"
    path = write(tmp_path, "dup.csv", text)
    message = str(import_error(path))
    assert "row 4, column 'geo, nace_r2, year': duplicate key ('DE1', 'C10', 2015) in rows 2, 4" \
        in message
    panel, report = read(path, duplicates="sum")
    assert panel.matrix().loc["DE1", "C10"] == 4.0
    assert any("summed" in w for w in report.warnings)


def test_huge_and_overflowing_values(tmp_path):
    text = "geo,nace_r2,year,value\nDE1,C10,2015,2e15\nDE2,C10,2015,1e400\nDE3,C10,2015,inf\n"
    message = str(import_error(write(tmp_path, "huge.csv", text)))
    assert "row 2, column 'value': value exceeds 1e+15" in message
    assert "row 3, column 'value': value is infinite or overflows float64 (got '1e400')" \
        in message
    assert "row 4, column 'value': value is infinite" in message


def test_formula_looking_cells(tmp_path):
    text = ("geo,nace_r2,year,value\n=SUM(A1),C10,2015,1\nDE2,+cmd,2015,2\n@x,C10,2015,3\n"
            "DE4,C10,2015,-1+2\nDE5,C10,2015,-1\n")
    error = import_error(write(tmp_path, "formula.csv", text))
    message = str(error)
    assert "row 2, column 'geo': formula-looking cell" in message
    assert "row 3, column 'nace_r2': formula-looking cell" in message
    assert "row 4, column 'geo': formula-looking cell" in message
    assert "row 5, column 'value': formula-looking cell rejected" in message
    assert "row 6, column 'value': negative value" in message
    assert error.counts["negative value"] == 1


def test_all_problems_in_one_error(tmp_path):
    text = "geo,nace_r2,year,value\nDE1,C10,2015,abc\nDE2,C10\nDE1,C10,2015,-4\nDE1,C10,2015,1\n"
    error = import_error(write(tmp_path, "many.csv", text))
    assert set(error.counts) == {"non-numeric value", "truncated row", "negative value",
                                 "duplicate key"}
    assert isinstance(error, PanelValidationError) and isinstance(error, ValueError)
    assert {p.row for p in error.problems} == {2, 3, 4}
    assert "duplicate key ('DE1', 'C10', 2015) in rows 2, 4, 5" in str(error)
    assert all(p.origin == str(tmp_path / "many.csv") for p in error.problems)


def test_rows_count_blank_lines_and_multiline_quotes(tmp_path):
    blank = write(tmp_path, "blank.csv", "geo,nace,year,value\nA1,B,2015,1\n\nA2,B,2015,-2\n")
    assert "row 4, column 'value': negative" in str(import_error(blank))
    quoted = write(tmp_path, "q.csv",
                   'geo,nace,year,value\n"A1","multi\nline",2015,1\nA2,B,2015,-2\n')
    assert "row 4, column 'value': negative" in str(import_error(quoted))


def test_unknown_codes(tmp_path):
    path = write(tmp_path, "u.csv", LONG)
    message = str(import_error(path, known_regions=["DE21"]))
    assert "row 4, column 'geo': unknown region code" in message and "'DE22'" in message
    with pytest.warns(UserWarning, match="DE22"):
        read(path, known_regions=["DE21"], unknown="warn")


def test_missing_files_and_unsupported_formats(tmp_path):
    with pytest.raises(FileNotFoundError):
        read(tmp_path / "nope.csv")
    with pytest.raises(IsADirectoryError):
        read(tmp_path)
    xls = write(tmp_path, "old.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 100)
    assert ".xls" in str(import_error(xls))


# -- Eurostat and SDMX --------------------------------------------------------------------------
EUROSTAT_TSV = (
    "freq,unit,nace_r2,geo\\TIME_PERIOD\t2015 \t2016 \n"
    "A,NR,C10,DE21\t123 \t: c\n"
    "A,NR,C10,DE22\t45 e\t:\n"
    "A,NR,C11,DE21\t123 p\t7\n"
)


def test_eurostat_tsv_flags(tmp_path):
    panel, report = read(write(tmp_path, "sbs.tsv", EUROSTAT_TSV))
    assert report.format == "sdmx-tsv" and report.layout.startswith("wide")
    f = panel.frame.set_index(["region", "activity", "year"])
    assert f.loc[("DE21", "C10", 2015), "value"] == 123 and pd.isna(
        f.loc[("DE21", "C10", 2015), "flag"])
    assert np.isnan(f.loc[("DE21", "C10", 2016), "value"])
    assert f.loc[("DE21", "C10", 2016), "flag"] == "c"
    assert f.loc[("DE21", "C11", 2015), ["value", "flag"]].tolist() == [123, "p"]
    assert f.loc[("DE22", "C10", 2015), ["value", "flag"]].tolist() == [45, "e"]
    assert f.loc[("DE22", "C10", 2016), "flag"] == "missing"
    assert report.missing_by_reason == {"c": 1, "missing": 1}


def test_eurostat_tsv_dimensions_must_be_constant(tmp_path):
    text = EUROSTAT_TSV + "A,PC,C10,DE21\t1.5 \t2 \n"
    path = write(tmp_path, "sbs.tsv.gz", gzip.compress(text.encode()))
    error = import_error(path)
    assert "dimension 'unit' has 2 distinct values ['NR', 'PC']" in str(error)
    assert "filters={'unit': 'NR'}" in str(error)
    panel, report = read(path, filters={"unit": "NR"})
    assert len(panel) == 6 and report.filters == {"unit": ["NR"]}
    bad = write(tmp_path, "bad.tsv", EUROSTAT_TSV.replace("45 e", "4x5").replace(
        "2016 ", "2016Q1"))
    assert "period column '2016Q1' is not a year" in str(import_error(bad))
    bad2 = write(tmp_path, "bad2.tsv", EUROSTAT_TSV.replace("45 e", "4x5"))
    assert "row 3, column '2015': not a number (got '4x5')" in str(import_error(bad2))


@pytest.mark.parametrize("engine", ["python", "duckdb"])
def test_sdmx_csv(tmp_path, engine):
    text = ("DATAFLOW,LAST UPDATE,freq,unit,nace_r2,geo,TIME_PERIOD,OBS_VALUE,OBS_FLAG\n"
            "ESTAT:SBS(1.0),01/02/24,A,NR,C10,DE21,2015,123,\n"
            "ESTAT:SBS(1.0),01/02/24,A,NR,C10,DE22,2015,,c\n"
            "ESTAT:SBS(1.0),01/02/24,A,NR,C11,DE21,2015,45,e\n")
    panel, report = read(write(tmp_path, "sdmx.csv", text), engine=engine)
    assert report.format == "sdmx-csv" and report.engine == engine
    assert report.columns["value"] == "OBS_VALUE" and report.columns["flag"] == "OBS_FLAG"
    assert panel.missing["reason"].tolist() == ["c"]
    varying = text + "ESTAT:SBS(1.0),01/02/24,A,PC,C10,DE21,2015,3,\n"
    assert "dimension 'unit' has 2 distinct values" in str(
        import_error(write(tmp_path, "sdmx2.csv", varying), engine=engine))


# -- Excel, Parquet, wide layouts ---------------------------------------------------------------
def test_excel(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "notes"
    ws.append(["nothing here"])
    data = wb.create_sheet("data")
    data.append(["region", "activity", "year", "value"])
    data.append(["AT11", "C10", 2015, 12])
    data.append(["AT12", "C10", 2015, 3.25])
    data.append([None, None, None, None])
    data.append(["AT13", "C10", 2015.0, 0])
    path = tmp_path / "book.xlsx"
    wb.save(path)
    panel, report = read(path, sheet="data")
    assert report.format == "xlsx" and report.sheet == "data"
    assert panel.frame["value"].tolist() == [12.0, 3.25, 0.0] and panel.years == [2015]
    data.append(["AT14", "C10", 2015, "=SUM(D2:D3)"])
    data.append(["AT15", "C10", 2015, -5])
    wb.save(path)
    message = str(import_error(path, sheet=1))
    assert "row 6, column 'value': formula-looking cell" in message
    assert "row 7, column 'value': negative value" in message
    assert "no sheet named 'missing'" in str(import_error(path, sheet="missing"))


def test_parquet(tmp_path):
    df = pd.DataFrame({"geo": ["AT11", "AT12"], "nace_r2": ["C10", "C10"],
                       "year": [2015, 2015], "persons_employed": [10.0, np.nan]})
    path = tmp_path / "data.parquet"
    df.to_parquet(path)
    panel, report = read(path)
    assert report.format == "parquet" and report.engine == "pyarrow"
    assert panel.missing["region"].tolist() == ["AT12"]
    df.loc[1, "persons_employed"] = -3.0
    df.to_parquet(path)
    assert "row 2, column 'persons_employed': negative" in str(import_error(path))


def test_wide_by_activity(tmp_path):
    text = "region,year,C10,C11\nAT11,2015,1,2\nAT12,2015,3,:\n"
    panel, report = read(write(tmp_path, "wide.csv", text))
    assert report.layout == "wide (one column per activity)"
    assert panel.matrix(2015).loc["AT12", "C10"] == 3.0
    assert panel.missing["activity"].tolist() == ["C11"]
    single = write(tmp_path, "single.csv", "region,C10,C11\nAT11,1,2\nAT12,3,-4\n")
    panel2, _ = read(single, year=2015, value_columns=["C10"])
    assert list(panel2.activities) == ["C10"] and panel2.years == [2015]
    assert "row 3, column 'C11': negative" in str(import_error(single, year=2015))


def test_wide_by_year(tmp_path):
    text = "geo,nace_r2,2014,2015\nAT11,C10,1,2\nAT11,C11,3,4 p\n"
    panel, report = read(write(tmp_path, "years.csv", text))
    assert report.layout == "wide (one column per year)" and panel.years == [2014, 2015]
    assert panel.frame["flag"].astype(object).dropna().tolist() == ["p"]
    bad = write(tmp_path, "bad.csv", text.replace("3,", "x,"))
    assert "row 3, column '2014': not a number" in str(import_error(bad))


# -- DuckDB path --------------------------------------------------------------------------------
def test_duckdb_engine_matches_python(tmp_path):
    text = "geo,nace_r2,year,value,flag\n" + "".join(
        f"R{i % 7},A{i % 11},{2000 + i % 3},{i}{' p' if i % 13 == 0 else ''},"
        f"{'c' if i % 17 == 0 else ''}\n" for i in range(7 * 11 * 3))
    path = write(tmp_path, "big.csv", text)
    py, _ = read(path, engine="python")
    duck, report = read(path, large_file_bytes=0)  # auto switches to DuckDB
    assert report.engine == "duckdb"
    assert duck.equals(py)
    assert (py.frame["flag"] == "p").sum() > 0


def test_duckdb_errors_name_rows_and_columns(tmp_path):
    text = ("geo,nace_r2,year,value\nDE1,C10,2015,1\nDE2,C10\nDE3,C10,2015,abc\n"
            "DE4,C10,20x5,4\nDE5,C10,2015,-5\nDE1,C10,2015,2\n")
    path = write(tmp_path, "bad.csv", text)
    python_error = import_error(path, engine="python")
    duck_error = import_error(path, engine="duckdb")
    assert set(duck_error.counts) == set(python_error.counts)
    for fragment in ("row 3, column 'year': truncated row: expected 4 fields, found 2",
                     "row 4, column 'value': not a number (got 'abc')",
                     "row 5, column 'year': year is not an integer",
                     "row 6, column 'value': negative value",
                     "duplicate key ('DE1', 'C10', 2015) in rows 2, 7"):
        assert fragment in str(duck_error)
        assert fragment in str(python_error)


def test_duckdb_latin1_and_filters(tmp_path):
    text = "geo;nace;unit;year;value\nGenève;A;NR;2015;1\nGenève;A;PC;2015;50\n"
    path = write(tmp_path, "l.csv", text, encoding="cp1252")
    panel, report = read(path, engine="duckdb", filters={"unit": "NR"})
    assert list(panel.regions) == ["Genève"] and report.rows_read == 2
    assert report.rows_kept == 1 and report.warnings


def test_duckdb_retries_latin1_when_bad_bytes_come_late(tmp_path, monkeypatch):
    import smartspec.data.io as data_io

    monkeypatch.setattr(data_io, "_SAMPLE_BYTES", 64)  # the sniffed head is pure ASCII
    rows = "".join(f"R{i},A,2015,{i}\n" for i in range(20))
    path = write(tmp_path, "late.csv", "geo,nace,year,value\n" + rows + "Genève,A,2015,1\n",
                 encoding="cp1252")
    panel, report = read(path, engine="duckdb")
    assert report.encoding == "latin-1" and "Genève" in panel.regions
    assert any("line 22" in w for w in report.warnings)
