"""Import user files into a validated :class:`~smartspec.data.panel.Panel`.

:func:`read` accepts CSV/TSV (optionally gzipped), Eurostat bulk SDMX-TSV, SDMX-CSV, Parquet and
Excel (.xlsx) files, in long or wide layouts, and returns an :class:`ImportResult`
``(panel, report)``. Imports are transactional: an invalid file raises one
:class:`DataImportError` listing every problem with its file, row and column, and nothing is
returned.

Row numbers are 1-based and count the header line, as a text editor shows them (for Excel:
the sheet row; for Parquet: the record number).

Large delimited files (above :data:`LARGE_FILE_BYTES`) in long layout are parsed by DuckDB, which
streams the file and hands over Arrow batches whose codes are dictionary-encoded, so that
10 million records fit in well under 2 GB of memory. In that path row numbers count records,
which equals lines unless the file holds blank lines or quoted line breaks.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path
from typing import Any, Literal, NamedTuple

import numpy as np
import pandas as pd

from smartspec.data.panel import (
    FORMULA_PREFIXES,
    MAX_VALUE,
    Panel,
    PanelMeta,
    PanelValidationError,
    Problem,
    _Collector,
    _validate,
)

__all__ = [
    "LARGE_FILE_BYTES",
    "DataImportError",
    "ImportResult",
    "ValidationReport",
    "read",
]

#: Delimited files larger than this (uncompressed estimate) are parsed with DuckDB.
LARGE_FILE_BYTES = 50 * 1024**2

_GZIP_MAGIC = b"\x1f\x8b"
_PARQUET_MAGIC = b"PAR1"
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
_SAMPLE_BYTES = 1 << 20

#: Column-name aliases used for auto-detection, in order of preference (compared lower-cased,
#: with spaces and dashes as underscores).
ALIASES: dict[str, tuple[str, ...]] = {
    "region": ("region", "geo", "nuts_id", "nuts", "nuts_code", "nuts2", "nuts3", "region_code",
               "regions", "geo_code", "geocode", "territory", "area", "country", "iso3",
               "country_code", "location"),
    "activity": ("activity", "nace_r2", "nace", "nace_r1", "nace_code", "nace_rev2", "sector",
                 "industry", "product", "products", "hs2", "hs", "sitc", "cpa", "technology",
                 "ipc", "activity_code", "branch"),
    "year": ("year", "time_period", "time", "period", "yr", "reference_year", "ref_year"),
    "value": ("value", "obs_value", "persons_employed", "employment", "employed", "employees",
              "emp", "values", "amount", "count", "export_value", "exports", "patents", "val",
              "v"),
    "flag": ("flag", "flags", "obs_flag", "obs_status", "status", "conf_status"),
}

#: SDMX-CSV columns that are neither dimensions nor the measure.
_SDMX_NON_DIMENSIONS = {"dataflow", "structure", "structure_id", "structure_name", "action",
                        "last_update", "obs_value", "obs_flag", "obs_status", "conf_status",
                        "time_period", "unit_mult", "decimals", "obs_comment"}

#: Cell texts meaning "no value".
_NA_TOKENS = {"", ":", "na", "n/a", "nan", "null", "none", "..", "#n/a"}
_FLAGGED_NUMBER = re.compile(
    r"^(?P<num>[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s+(?P<flag>[A-Za-z]{1,6})$")
_FLAGGED_MISSING = re.compile(r"^:\s*(?P<flag>[A-Za-z]{1,6})$")
_YEAR_HEADER = re.compile(r"^\d{4}$")


# ----------------------------------------------------------------------------------------------
# public result types
# ----------------------------------------------------------------------------------------------
class DataImportError(PanelValidationError):
    """A file could not be imported. Lists every problem with its file, row and column.

    Subclass of :class:`~smartspec.data.panel.PanelValidationError` (hence of ``ValueError``).
    """


@dataclass
class ValidationReport:
    """What :func:`read` found and did. Printable (``str``) and Rich-renderable."""

    path: str
    format: str = "unknown"
    layout: str = "long"
    engine: str = "python"
    compression: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    filters: dict[str, list[str]] = field(default_factory=dict)
    rows_read: int = 0
    rows_kept: int = 0
    records: int = 0
    regions: int = 0
    activities: int = 0
    years: list[int] = field(default_factory=list)
    missing_by_reason: dict[str, int] = field(default_factory=dict)
    flags: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The report as a JSON-serialisable dictionary."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    def _lines(self) -> list[tuple[str, str]]:
        fmt = self.format + (f" ({self.compression})" if self.compression else "")
        out = [("file", self.path), ("format", fmt), ("layout", self.layout),
               ("engine", self.engine)]
        if self.encoding:
            out.append(("encoding", self.encoding))
        if self.delimiter:
            out.append(("delimiter", repr(self.delimiter)))
        if self.sheet:
            out.append(("sheet", self.sheet))
        out.append(("columns", ", ".join(f"{k}={v}" for k, v in self.columns.items())))
        if self.ignored_columns:
            out.append(("ignored columns", ", ".join(self.ignored_columns)))
        if self.filters:
            out.append(("filters", ", ".join(f"{k} in {v}" for k, v in self.filters.items())))
        years = (f"{self.years[0]}-{self.years[-1]} ({len(self.years)})" if len(self.years) > 1
                 else ", ".join(map(str, self.years)))
        out += [("rows read", f"{self.rows_read:,}"), ("rows kept", f"{self.rows_kept:,}"),
                ("records", f"{self.records:,}"), ("regions", f"{self.regions:,}"),
                ("activities", f"{self.activities:,}"), ("years", years)]
        n_missing = sum(self.missing_by_reason.values())
        detail = ", ".join(f"{k}: {v:,}" for k, v in sorted(self.missing_by_reason.items(),
                                                            key=lambda kv: -kv[1]))
        out.append(("missing", f"{n_missing:,}" + (f" ({detail})" if detail else "")))
        if self.flags:
            out.append(("flags", ", ".join(f"{k}: {v:,}" for k, v in self.flags.items())))
        out.append(("time", f"{self.seconds:.2f} s"))
        return out

    def __str__(self) -> str:
        lines = [f"{k:>16}: {v}" for k, v in self._lines()]
        lines += [f"{'warning':>16}: {w}" for w in self.warnings]
        return "\n".join(lines)

    def __rich__(self) -> Any:
        from rich.table import Table

        table = Table(title="Import report", show_header=False, title_justify="left")
        table.add_column(style="bold cyan", justify="right")
        table.add_column(overflow="fold")
        for k, v in self._lines():
            table.add_row(k, v)
        for w in self.warnings:
            table.add_row("[yellow]warning[/yellow]", w)
        return table


class ImportResult(NamedTuple):
    """Result of :func:`read`; unpacks as ``panel, report = read(...)``."""

    panel: Panel
    report: ValidationReport


# ----------------------------------------------------------------------------------------------
# small helpers
# ----------------------------------------------------------------------------------------------
def _fail(origin: str, message: str, *, kind: str = "invalid file", row: int | None = None,
          column: str | None = None, value: str | None = None) -> DataImportError:
    return DataImportError([Problem(kind, message, origin, row, column, value)], origin)


def _norm(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).strip().lower())


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(2) == _GZIP_MAGIC


def _head(path: Path, gz: bool, n: int | None = None) -> bytes:
    opener = gzip.open if gz else open
    with opener(path, "rb") as fh:
        return fh.read(_SAMPLE_BYTES if n is None else n)


def _estimated_size(path: Path, gz: bool) -> int:
    size = path.stat().st_size
    if not gz:
        return size
    with path.open("rb") as fh:  # the gzip trailer holds the size modulo 2**32
        fh.seek(-4, 2)
        isize = int.from_bytes(fh.read(4), "little")
    return max(isize, size * 4)


def _decode(data: bytes, encoding: str | None, origin: str, warnings: list[str]
            ) -> tuple[str, str]:
    """Decode ``data``: BOM, then UTF-8, then cp1252, then latin-1 (with a warning)."""
    if encoding is not None:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise _fail(origin, f"cannot decode as {encoding}: byte {data[exc.start]:#04x} at "
                        f"byte offset {exc.start}", kind="encoding", row=line) from None
        except LookupError:
            raise ValueError(f"unknown encoding {encoding!r}") from None
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data.decode("utf-8-sig"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise _fail(origin, "file starts with a UTF-8 byte-order mark but is not valid "
                        f"UTF-8 (byte {data[exc.start]:#04x})", kind="encoding",
                        row=line) from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        first_bad = f"byte {data[exc.start]:#04x} at line {line}"
    for fallback in ("cp1252", "latin-1"):
        try:
            text = data.decode(fallback)
        except UnicodeDecodeError:
            continue
        warnings.append(f"not valid UTF-8 (first invalid {first_bad}); decoded as {fallback}. "
                        "Check accented names, or pass encoding=...")
        return text, fallback
    raise AssertionError("latin-1 decodes any bytes")  # pragma: no cover


def _check_text(text: str, origin: str) -> None:
    """Reject binary content early (NUL bytes, many control characters)."""
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        raise _fail(origin, "file contains NUL bytes: binary data, not a text table (or UTF-16 "
                    "without a byte-order mark)", kind="binary content", row=line)
    sample = text[:65536]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r")
    if sample and controls > max(10, len(sample) // 100):
        pos = next(i for i, ch in enumerate(sample) if ord(ch) < 32 and ch not in "\t\n\r")
        raise _fail(origin, f"file contains {controls} control characters in its first "
                    f"{len(sample):,} characters: binary data, not a text table",
                    kind="binary content", row=text.count("\n", 0, pos) + 1)


def _sniff_delimiter(text: str, suffix: str) -> str:
    """Pick the delimiter giving a consistent number (>= 2) of fields on the first lines."""
    lines = [ln for ln in text[:65536].splitlines() if ln.strip()][:50]
    if not lines:
        return ","
    if len(lines) > 1 and not text[:65536].endswith(("\n", "\r")):
        lines = lines[:-1]  # the sample may cut the last line
    candidates = [",", ";", "\t", "|"]
    if suffix in (".tsv", ".tab"):
        candidates = ["\t", ",", ";", "|"]
    best, best_score = candidates[0], (-1, -1)
    for delim in candidates:
        counts = [len(r) for r in csv.reader(lines, delimiter=delim)]
        if not counts or counts[0] < 2:
            continue
        consistent = sum(c == counts[0] for c in counts)
        score = (consistent, counts[0])
        if score > best_score:
            best, best_score = delim, score
    return best


def _text_cell(value: Any) -> str:
    """Render a spreadsheet/typed cell as text (exactly, for floats)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _as_text(series: pd.Series) -> pd.Series:
    """Text view of a column; missing cells stay missing (pandas 2.2 and 3.x)."""
    missing = series.isna().to_numpy()
    out = series.astype(str)
    if missing.any():
        out = out.where(~missing)
    return out


def _stripped(series: pd.Series) -> pd.Series:
    """Stripped text with empty cells as missing."""
    text = _as_text(series).str.strip()
    return text.where(text.ne("").fillna(False).to_numpy(dtype=bool))


# ----------------------------------------------------------------------------------------------
# raw tables
# ----------------------------------------------------------------------------------------------
@dataclass
class _Table:
    """A rectangular table as read: column names, column data and the file row of each row."""

    columns: list[str]
    data: dict[str, pd.Series]
    rows: np.ndarray
    kind: str = "table"  # "table", "sdmx-tsv", "sdmx-csv"
    year_columns: dict[str, int] = field(default_factory=dict)  # SDMX-TSV time columns

    def __len__(self) -> int:
        return len(self.rows)


def _clean_header(header: list[str], origin: str, header_line: int) -> list[str]:
    header = [h.strip() for h in header]
    seen: Counter[str] = Counter()
    for i, name in enumerate(header):
        if name == "":
            header[i] = name = f"column_{i + 1}"
        seen[name] += 1
    dupes = [n for n, c in seen.items() if c > 1]
    if dupes:
        raise _fail(origin, f"duplicate column name(s) in header: {dupes}", kind="header",
                    row=header_line)
    return header


def _drop_empty_trailing(table: _Table, raw_header: list[str]) -> _Table:
    """A trailing delimiter in the header yields an unnamed, empty last column: drop it."""
    if len(raw_header) > 1 and raw_header[-1].strip() == "":
        last = table.columns[-1]
        if _stripped(table.data[last]).isna().all():
            del table.data[last]
            table.columns = table.columns[:-1]
    return table


def _records_to_table(header: list[str], records: list[list[str]], rows: list[int],
                      origin: str, problems: _Collector, header_line: int = 1) -> _Table:
    """Check field counts and turn records (lists of cells) into columns."""
    raw_header = header
    header = _clean_header(header, origin, header_line)
    width = len(header)
    good: list[list[str]] = []
    good_rows: list[int] = []
    for rec, row in zip(records, rows, strict=True):
        fixed = _fit_record(rec, width, row, header, problems)
        if fixed is not None:
            good.append(fixed)
            good_rows.append(row)
    columns = list(zip(*good, strict=True)) if good else [() for _ in header]
    data = {name: pd.Series(np.array(col, dtype=object), dtype=object)
            for name, col in zip(header, columns, strict=True)}
    table = _Table(header, data, np.asarray(good_rows, dtype=np.int64))
    return _drop_empty_trailing(table, raw_header)


def _fit_record(rec: list[str], width: int, row: int, header: list[str],
                problems: _Collector) -> list[str] | None:
    """The record cut to ``width`` fields, or None (problem recorded) when it does not fit."""
    if len(rec) == width:
        return rec
    if len(rec) < width:
        problems.add("truncated row", f"truncated row: expected {width} fields, found "
                     f"{len(rec)}", row=row, column=header[len(rec)])
        return None
    if all(v.strip() == "" for v in rec[width:]):
        return rec[:width]
    problems.add("too many fields", f"too many fields: expected {width}, found {len(rec)}",
                 row=row, column=f"(field {width + 1})", value=rec[width])
    return None


def _parse_with_csv_module(text: str, delimiter: str, origin: str, problems: _Collector,
                           warnings: list[str]) -> tuple[_Table, list[str], int]:
    """Exact but slow parser (handles quoted line breaks); rows are first physical lines."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"')
    header: list[str] | None = None
    header_line = 0
    records: list[list[str]] = []
    rows: list[int] = []
    blank = 0
    previous = 0
    try:
        for rec in reader:
            start = previous + 1
            previous = reader.line_num
            if not rec or (not rec[0].strip() and all(v.strip() == "" for v in rec)):
                if header is not None and rec:
                    blank += 1
                continue
            if header is None:
                header, header_line = rec, start
                continue
            records.append(rec)
            rows.append(start)
    except csv.Error as exc:
        raise _fail(origin, f"malformed delimited text: {exc}", kind="malformed",
                    row=reader.line_num) from None
    if header is None:
        raise _fail(origin, "file has no header line (only blank lines)", kind="empty file")
    if blank:
        warnings.append(f"{blank} empty row(s) skipped")
    table = _records_to_table(header, records, rows, origin, problems, header_line)
    return table, header, header_line


def _parse_with_arrow(data: bytes, delimiter: str, raw_header: list[str], skip_rows: int,
                      origin: str, problems: _Collector, warnings: list[str]) -> _Table | None:
    """Fast parser (pyarrow, C++). Returns None when the exact slow parser is needed."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    header = _clean_header(raw_header, origin, skip_rows)
    names = [f"c{i}" for i in range(len(header))]
    invalid: list[tuple[int | None, str]] = []

    def on_invalid(row: Any) -> str:
        invalid.append((row.number, row.text))
        return "skip"

    try:
        table = pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(use_threads=False, column_names=names,
                                           skip_rows=skip_rows),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char='"',
                                             double_quote=True, newlines_in_values=True,
                                             ignore_empty_lines=False,
                                             invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, strings_can_be_null=False,
                quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if any(number is None for number, _ in invalid):
        return None
    for column in table.columns:  # quoted line breaks: rows would not be lines
        if len(column) and pc.any(pc.match_substring(column, "\n")).as_py():
            return None
    width = len(names)
    first = skip_rows + 1
    total = table.num_rows + len(invalid)
    bad_numbers = np.array(sorted(n for n, _ in invalid if n is not None), dtype=np.int64)
    rows = np.setdiff1d(np.arange(first, first + total, dtype=np.int64), bad_numbers,
                        assume_unique=True)
    if rows.size != table.num_rows:
        return None
    blank = np.ones(table.num_rows, dtype=bool)
    for column in table.columns:
        blank &= np.asarray(pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(column)), 0)
                            .to_numpy(zero_copy_only=False), dtype=bool)
    if blank.any():
        warnings.append(f"{int(blank.sum())} empty row(s) skipped")
    keep = ~blank
    data_cols = {name: column.to_pandas()[keep].reset_index(drop=True)
                 for name, column in zip(header, table.columns, strict=True)}
    rows = rows[keep]
    recovered: list[list[str]] = []
    recovered_rows: list[int] = []
    for number, text in invalid:
        rec = next(csv.reader([text], delimiter=delimiter, quotechar='"'), [])
        if not rec or all(v.strip() == "" for v in rec):
            continue
        fixed = _fit_record(rec, width, int(number), header, problems)
        if fixed is not None:
            recovered.append(fixed)
            recovered_rows.append(int(number))
    if recovered:
        extra = list(zip(*recovered, strict=True))
        for name, col in zip(header, extra, strict=True):
            data_cols[name] = pd.concat([data_cols[name], pd.Series(list(col), dtype=object)
                                         .astype(data_cols[name].dtype)], ignore_index=True)
        rows = np.concatenate([rows, np.asarray(recovered_rows, dtype=np.int64)])
    return _drop_empty_trailing(_Table(header, data_cols, rows), raw_header)


def _header_position(text: str) -> tuple[int, str]:
    """Number of lines before the header line, and the header line itself."""
    pos = 0
    skipped = 0
    while pos < len(text):
        end = text.find("\n", pos)
        line = text[pos:] if end < 0 else text[pos:end]
        if line.strip():
            return skipped, line.rstrip("\r")
        skipped += 1
        if end < 0:
            break
        pos = end + 1
    return skipped, ""


def _sdmx_tsv_table(table: _Table, header_line: int, origin: str, problems: _Collector
                    ) -> _Table:
    """Eurostat bulk TSV: first column holds comma-separated dimensions, others are periods."""
    first = table.columns[0]
    dims_part, _, _time_name = first.partition("\\")
    dims = [d.strip() for d in dims_part.split(",")]
    year_columns: dict[str, int] = {}
    periods = table.columns[1:]
    for h in periods:
        if not _YEAR_HEADER.match(h.strip()):
            problems.add("non-annual period", f"only annual data are supported; period column "
                         f"{h!r} is not a year (filter the file to annual data)",
                         row=header_line, column=h)
        else:
            year_columns[h] = int(h.strip())
    if problems:
        raise problems.error(DataImportError)
    keys = _as_text(table.data[first]).fillna("")
    n_parts = keys.str.count(",").to_numpy() + 1
    bad = n_parts != len(dims)
    problems.add_rows("malformed dimensions", bad,
                      f"expected {len(dims)} comma-separated codes ({','.join(dims)})",
                      rows=table.rows, column=first, values=keys.to_numpy(dtype=object))
    good = ~bad
    parts = keys[good].str.split(",", expand=True) if good.any() else None
    data: dict[str, pd.Series] = {}
    for i, dim in enumerate(dims):
        data[dim] = (parts[i].reset_index(drop=True) if parts is not None
                     else pd.Series([], dtype=object))
    for h in periods:
        data[h] = table.data[h][good].reset_index(drop=True)
    clean_dims = _clean_header(dims + list(periods), origin, header_line)[: len(dims)]
    if clean_dims != dims:
        data = {c: data[d] for c, d in zip(clean_dims, dims, strict=True)} | {
            h: data[h] for h in periods}
    return _Table(clean_dims + list(periods), data, table.rows[good], kind="sdmx-tsv",
                  year_columns=year_columns)


def _read_text(path: Path, gz: bool, encoding: str | None, delimiter: str | None, origin: str,
               report: ValidationReport, problems: _Collector) -> _Table:
    opener = gzip.open if gz else open
    try:
        with opener(path, "rb") as fh:
            data = fh.read()
    except (OSError, EOFError) as exc:
        raise _fail(origin, f"cannot read file: {exc}", kind="unreadable") from None
    if not data.strip():
        raise _fail(origin, "file is empty (no data)" if data else "file is empty (0 bytes)",
                    kind="empty file")
    text, used = _decode(data, encoding, origin, report.warnings)
    report.encoding = used
    _check_text(text, origin)
    skipped, first_line = _header_position(text)
    is_sdmx_tsv = "\\" in first_line.split("\t", 1)[0] and "\t" in first_line
    if delimiter is None:
        delimiter = "\t" if is_sdmx_tsv else _sniff_delimiter(text, _suffix(path))
    report.delimiter = delimiter
    header_line = skipped + 1
    raw_header = next(csv.reader([first_line], delimiter=delimiter, quotechar='"'), [])
    utf8 = data if used in ("utf-8", "utf-8-sig") else text.encode("utf-8")
    if used == "utf-8-sig":
        utf8 = utf8[len(codecs.BOM_UTF8):]
    del data
    table = _parse_with_arrow(utf8, delimiter, raw_header, header_line, origin, problems,
                              report.warnings)
    del utf8
    if table is None:
        table, raw_header, header_line = _parse_with_csv_module(text, delimiter, origin,
                                                                problems, report.warnings)
    del text
    if not len(table) and not problems:
        raise _fail(origin, "file has a header but no data rows", kind="empty file",
                    row=header_line)
    if is_sdmx_tsv and delimiter == "\t":
        report.format = "sdmx-tsv"
        return _sdmx_tsv_table(table, header_line, origin, problems)
    report.format = "tsv" if delimiter == "\t" else "csv"
    return table


def _read_excel(path: Path, sheet: str | int | None, origin: str, report: ValidationReport,
                problems: _Collector) -> _Table:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise _fail(origin, f"cannot open as an Excel workbook: {exc}", kind="unreadable"
                    ) from None
    try:
        names = wb.sheetnames
        if sheet is None:
            ws = wb.worksheets[0]
        elif isinstance(sheet, int):
            if not 0 <= sheet < len(names):
                raise _fail(origin, f"sheet index {sheet} out of range; sheets: {names}",
                            kind="sheet")
            ws = wb.worksheets[sheet]
        elif sheet in names:
            ws = wb[sheet]
        else:
            raise _fail(origin, f"no sheet named {sheet!r}; sheets: {names}", kind="sheet")
        report.sheet = ws.title
        header: list[str] | None = None
        records: list[list[str]] = []
        rows: list[int] = []
        for number, values in enumerate(ws.iter_rows(min_row=1, values_only=True), start=1):
            cells = [_text_cell(v) for v in values]
            if not any(c.strip() for c in cells):
                continue
            if header is None:
                header = cells
                continue
            records.append(cells)
            rows.append(number)
    finally:
        wb.close()
    if header is None:
        raise _fail(origin, f"sheet {report.sheet!r} is empty", kind="empty file")
    while len(header) > 1 and header[-1].strip() == "":
        header.pop()
    width = len(header)
    records = [r[:width] + [""] * (width - len(r)) if len(r) < width or
               all(v.strip() == "" for v in r[width:]) else r for r in records]
    if not records:
        raise _fail(origin, f"sheet {report.sheet!r} has a header but no data rows",
                    kind="empty file")
    report.format = "xlsx"
    report.engine = "openpyxl"
    return _records_to_table(header, records, rows, origin, problems)


def _read_parquet_table(path: Path, origin: str, report: ValidationReport) -> _Table:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
        schema = pf.schema_arrow
        strings = [f.name for f in schema if pa.types.is_string(f.type)
                   or pa.types.is_large_string(f.type)]
        table = pq.read_table(path, read_dictionary=strings)
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError ...
        raise _fail(origin, f"cannot read as Parquet: {exc}", kind="unreadable") from None
    report.format = "parquet"
    report.engine = "pyarrow"
    n = table.num_rows
    data = {name: table.column(name).to_pandas() for name in table.column_names}
    if n == 0:
        raise _fail(origin, "Parquet file has no rows", kind="empty file")
    return _Table(list(table.column_names), data, np.arange(1, n + 1, dtype=np.int64))


def _suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in (".gz", ".gzip"):
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


def _detect_format(path: Path, head: bytes, fmt: str) -> str:
    if fmt != "auto":
        if fmt not in ("csv", "tsv", "text", "parquet", "xlsx", "excel"):
            raise ValueError(f"unknown format {fmt!r}; use csv, tsv, parquet, xlsx or auto")
        return {"csv": "text", "tsv": "text", "excel": "xlsx"}.get(fmt, fmt)
    if head.startswith(_PARQUET_MAGIC):
        return "parquet"
    if head.startswith(_ZIP_MAGIC):
        return "xlsx"
    if head.startswith(_OLE_MAGIC):
        return "xls"
    suffix = _suffix(path)
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    return "text"


# ----------------------------------------------------------------------------------------------
# column mapping and layout
# ----------------------------------------------------------------------------------------------
@dataclass
class _Spec:
    region: str
    activity: str
    year: str | int | None          # column name, constant year, or None (from headers)
    value: str | None               # long layouts
    flag: str | None
    layout: str                     # "long", "wide-activity", "wide-year"
    value_columns: list[str] = field(default_factory=list)
    strict: list[str] = field(default_factory=list)   # dimensions that must be constant
    ignored: list[str] = field(default_factory=list)


def _find_column(columns: Sequence[str], field_name: str, exclude: Iterable[str] = ()
                 ) -> str | None:
    excluded = set(exclude)
    normalised = {}
    for c in columns:
        if c not in excluded:
            normalised.setdefault(_norm(c), c)
    for alias in ALIASES[field_name]:
        if alias in normalised:
            return normalised[alias]
    return None


def _check_named(columns: Sequence[str], name: str, what: str, origin: str) -> str:
    if name in columns:
        return name
    lowered = {c.lower(): c for c in columns}
    if name.lower() in lowered:
        return lowered[name.lower()]
    close = get_close_matches(name, list(columns), n=3)
    hint = f"; did you mean {close}?" if close else ""
    raise _fail(origin, f"{what} column {name!r} not found; columns are {list(columns)}{hint}",
                kind="missing column", row=1, column=name)


def _resolve_spec(table_columns: Sequence[str], kind: str, *, region: str | None,
                  activity: str | None, year: str | int | None, value: str | None,
                  flag: str | None, layout: str, value_columns: Sequence[str] | None,
                  filters: Mapping[str, Any], origin: str,
                  year_columns: Mapping[str, int] | None = None) -> _Spec:
    cols = list(table_columns)
    if layout not in ("auto", "long", "wide"):
        raise ValueError(f"layout must be 'auto', 'long' or 'wide', not {layout!r}")
    used: list[str] = []

    def pick(given: str | None, name: str, required: bool, candidates: Sequence[str]
             ) -> str | None:
        if given is not None:
            col = _check_named(cols, given, name, origin)
        else:
            col = _find_column(candidates, name, exclude=used)
        if col is None and required:
            raise _fail(origin, f"no {name} column found among {cols}; pass {name}='COLUMN'",
                        kind="missing column", row=1)
        if col is not None:
            used.append(col)
        return col

    if kind == "sdmx-tsv":
        dims = [c for c in cols if c not in (year_columns or {})]
        r = pick(region, "region", True, dims)
        a = pick(activity, "activity", False, dims)
        if a is None:
            a = _single_varying(dims, used, "activity", origin)
            used.append(a)
        strict = [d for d in dims if d not in (r, a)]
        return _Spec(r, a, None, None, None, "wide-year",
                     value_columns=list(year_columns or {}), strict=strict)

    if kind == "sdmx-csv":
        v = pick(value or "OBS_VALUE", "value", True, cols)
        y = (year if isinstance(year, int) and not isinstance(year, bool)
             else pick(year or "TIME_PERIOD", "year", True, cols))
        f = pick(flag, "flag", False, [c for c in cols if _norm(c) == "obs_flag"])
        dims = [c for c in cols if _norm(c) not in _SDMX_NON_DIMENSIONS and c not in used]
        r = pick(region, "region", True, dims)
        a = pick(activity, "activity", False, dims)
        if a is None:
            a = _single_varying(dims, used, "activity", origin)
            used.append(a)
        strict = [d for d in dims if d not in (r, a)]
        ignored = [c for c in cols if c not in used and c not in strict]
        return _Spec(r, a, y, v, f, "long", strict=strict, ignored=ignored)

    # generic table
    if isinstance(year, bool):
        raise TypeError("year must be a column name or an int")
    r = pick(region, "region", True, cols)
    f = pick(flag, "flag", False, cols)
    const_year = year if isinstance(year, int) else None
    if layout in ("auto", "long"):
        v = pick(value, "value", layout == "long", cols)
        if v is not None:
            a = pick(activity, "activity", True, cols)
            y = const_year if const_year is not None else pick(
                year if isinstance(year, str) else None, "year", False, cols)
            if y is None:
                raise _fail(origin, f"no year column found among {cols}; pass year='COLUMN' or "
                            "a constant year=2015", kind="missing column", row=1)
            ignored = [c for c in cols if c not in used]
            return _Spec(r, a, y, v, f, "long", ignored=ignored)
    # wide layouts
    y: str | int | None = const_year
    if y is None and isinstance(year, str):
        y = pick(year, "year", True, cols)
    a = (_check_named(cols, activity, "activity", origin) if activity is not None
         else _find_column(cols, "activity", exclude=used))
    if value_columns is not None:
        vcols = [_check_named(cols, c, "value", origin) for c in value_columns]
    else:
        vcols = [c for c in cols if c not in used and c not in filters and c != a]
    if y is None and a is not None and vcols and all(_YEAR_HEADER.match(c.strip())
                                                     for c in vcols):
        used.append(a)
        ignored = [c for c in cols if c not in used and c not in vcols]
        return _Spec(r, a, None, None, f, "wide-year", value_columns=vcols, ignored=ignored)
    if activity is not None:
        raise _fail(origin, f"activity={activity!r} given, but the file is neither long (no "
                    "value column found; pass value='COLUMN') nor wide with one column per "
                    "year", kind="layout", row=1)
    if value_columns is None:
        vcols = [c for c in cols if c not in used and c not in filters]
    if not vcols:
        raise _fail(origin, "no value column found (long layout) and no value columns left for "
                    "a wide layout; pass value='COLUMN'", kind="missing column", row=1)
    if all(_YEAR_HEADER.match(c.strip()) for c in vcols) and y is None:
        raise _fail(origin, "wide file with one column per year needs an activity column; pass "
                    "activity='COLUMN'", kind="missing column", row=1)
    if y is None:
        y = pick(None, "year", False, cols)
        vcols = [c for c in vcols if c != y]
        if y is None:
            raise _fail(origin, "wide file with one column per activity needs a year: pass "
                        "year='COLUMN' or a constant year=2015", kind="missing column", row=1)
    ignored = [c for c in cols if c not in used and c not in vcols]
    return _Spec(r, "", y, None, f, "wide-activity", value_columns=vcols, ignored=ignored)


def _single_varying(dims: Sequence[str], used: Sequence[str], what: str, origin: str) -> str:
    candidates = [d for d in dims if d not in used]
    if len(candidates) == 1:
        return candidates[0]
    raise _fail(origin, f"cannot tell which dimension is the {what}: pass {what}='COLUMN' "
                f"(one of {candidates})", kind="missing column", row=1)


def _filter_mask(table: _Table, filters: Mapping[str, Any], origin: str) -> np.ndarray:
    mask = np.ones(len(table), dtype=bool)
    for col, wanted in filters.items():
        name = _check_named(table.columns, col, "filter", origin)
        allowed = [wanted] if isinstance(wanted, str | int | float) else list(wanted)
        allowed_text = {str(w).strip() for w in allowed}
        mask &= _stripped(table.data[name]).isin(allowed_text).to_numpy(dtype=bool)
    return mask


def _check_constant(table: _Table, mask: np.ndarray, strict: Sequence[str], origin: str,
                    problems: _Collector) -> None:
    for dim in strict:
        values = _stripped(table.data[dim][mask]).fillna("")
        distinct = sorted(values.unique())
        if len(distinct) > 1:
            _ambiguous(problems, dim, distinct)


def _ambiguous(problems: _Collector, dim: str, distinct: Sequence[str]) -> None:
    shown = list(distinct[:10])
    problems.add("ambiguous dimension",
                 f"dimension {dim!r} has {len(distinct)} distinct values {shown}"
                 f"{' ...' if len(distinct) > 10 else ''}; keep one with "
                 f"filters={{{dim!r}: {shown[0]!r}}}", row=1, column=dim)


# ----------------------------------------------------------------------------------------------
# values
# ----------------------------------------------------------------------------------------------
def _parse_values(raw: pd.Series, decimal: str, rows: np.ndarray, columns: Any,
                  problems: _Collector) -> tuple[np.ndarray, np.ndarray | None]:
    """Parse value cells: numbers, ``"123 p"`` (value + flag), ``": c"`` (missing + flag).

    Returns float values (NaN = missing or invalid) and inline flags (object array with None
    for no flag; None when no cell carried a flag). Invalid cells are recorded in ``problems``.
    """
    n = len(raw)
    if pd.api.types.is_bool_dtype(raw.dtype):
        problems.add_rows("non-numeric value", np.ones(n, dtype=bool),
                          "boolean where a number is expected", rows=rows, column=columns,
                          values=raw.to_numpy(dtype=object))
        return np.full(n, np.nan), None
    if pd.api.types.is_numeric_dtype(raw.dtype):
        return np.array(raw.astype("float64"), dtype=np.float64), None
    text = _as_text(raw).str.strip()
    if decimal != ".":
        text = text.str.replace(decimal, ".", regex=False)
    values = np.array(pd.to_numeric(text, errors="coerce"), dtype=np.float64)
    infinite = np.isinf(values)
    if infinite.any():
        problems.add_rows("infinite value", infinite, "value is infinite or overflows float64",
                          rows=rows, column=columns, values=raw.to_numpy(dtype=object))
        values[infinite] = np.nan
    todo = np.flatnonzero(np.isnan(values) & ~infinite & text.notna().to_numpy(dtype=bool))
    if todo.size == 0:
        return values, None
    flags = np.full(n, None, dtype=object)
    formula = np.zeros(n, dtype=bool)
    invalid = np.zeros(n, dtype=bool)
    cells = text.to_numpy(dtype=object)
    for i in todo:
        cell = cells[i]
        if cell.lower() in _NA_TOKENS:
            continue
        m = _FLAGGED_NUMBER.match(cell)
        if m:
            number = float(m.group("num"))
            if np.isinf(number):
                problems.add("infinite value", "value is infinite or overflows float64",
                             row=int(rows[i]), column=_col_at(columns, i), value=cell)
                continue
            values[i] = number
            flags[i] = m.group("flag").lower()
            continue
        m = _FLAGGED_MISSING.match(cell)
        if m:
            flags[i] = m.group("flag").lower()
        elif cell.startswith(FORMULA_PREFIXES):
            formula[i] = True
        else:
            invalid[i] = True
    problems.add_rows("formula-looking cell", formula,
                      "formula-looking cell rejected (CSV injection)", rows=rows,
                      column=columns, values=cells)
    hint = " (decimal comma? pass decimal=',')" if decimal == "." else ""
    problems.add_rows("non-numeric value", invalid,
                      lambda v: f"not a number{hint if v and ',' in v else ''}",
                      rows=rows, column=columns, values=cells)
    return values, flags


def _col_at(columns: Any, i: int) -> str:
    return columns if isinstance(columns, str) else str(columns[i])


def _to_long(table: _Table, spec: _Spec, mask: np.ndarray, decimal: str,
             problems: _Collector) -> pd.DataFrame:
    """Reshape ``table`` (rows selected by ``mask``) to a long frame with ``_row``/``_col``."""
    rows = table.rows[mask]
    n = int(mask.sum())
    everything = bool(mask.all())

    def col(name: str) -> pd.Series:
        series = table.data[name]
        return series if everything else series[mask].reset_index(drop=True)

    def repeat(name: str, k: int) -> pd.Series:
        return pd.Series(np.repeat(col(name).to_numpy(dtype=object), k), dtype=object)

    if spec.layout == "long":
        region = col(spec.region)
        activity = col(spec.activity)
        year = (pd.Series(np.full(n, spec.year, dtype=np.int64)) if isinstance(spec.year, int)
                else col(str(spec.year)))
        raw_value = col(str(spec.value))
        value_cols: Any = spec.value
        flag = col(spec.flag) if spec.flag else None
        out_rows = rows
    else:
        k = len(spec.value_columns)
        out_rows = np.repeat(rows, k)
        region = repeat(spec.region, k)
        stacked = (np.column_stack([col(c).to_numpy(dtype=object) for c in spec.value_columns])
                   if n else np.empty((0, k), dtype=object))
        raw_value = pd.Series(stacked.ravel(), dtype=object)
        value_cols = np.tile(np.array(spec.value_columns, dtype=object), n)
        headers = np.tile(np.array([c.strip() for c in spec.value_columns], dtype=object), n)
        if spec.layout == "wide-year":
            activity = repeat(spec.activity, k)
            year = pd.Series(headers.astype(np.int64))
        else:
            activity = pd.Series(headers, dtype=object)
            year = (pd.Series(np.full(n * k, spec.year, dtype=np.int64))
                    if isinstance(spec.year, int) else repeat(str(spec.year), k))
        flag = repeat(spec.flag, k) if spec.flag else None
    values, inline = _parse_values(raw_value, decimal, out_rows, value_cols, problems)
    del raw_value
    if not pd.api.types.is_numeric_dtype(year.dtype):
        year = _as_text(year).str.strip()
    frame = pd.DataFrame({"region": region, "activity": activity, "year": year,
                          "value": values, "_row": out_rows})
    frame["flag"] = _merge_flags(flag, inline)
    if not isinstance(value_cols, str):
        frame["_col"] = value_cols
    return frame


def _merge_flags(flag: pd.Series | None, inline: np.ndarray | None) -> pd.Series | None:
    """Explicit flag column first, else the flag written next to the value (``123 p``)."""
    if flag is None:
        return None if inline is None else pd.Series(inline, dtype=object)
    explicit = _stripped(flag)
    if inline is None:
        return explicit
    return explicit.astype(object).where(explicit.notna().to_numpy(dtype=bool),
                                         pd.Series(inline, dtype=object))


# ----------------------------------------------------------------------------------------------
# DuckDB path for large long-layout delimited files
# ----------------------------------------------------------------------------------------------
def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _read_duckdb(path: Path, gz: bool, header: list[str], delimiter: str, encoding: str,
                 spec: _Spec, filters: Mapping[str, Any], decimal: str, origin: str,
                 report: ValidationReport, problems: _Collector) -> pd.DataFrame:
    """Stream the file through DuckDB; codes come back dictionary-encoded."""
    import duckdb
    import pyarrow.compute as pc

    names = [f"c{i}" for i in range(len(header))]
    ref = {h: n for h, n in zip(header, names, strict=True)}
    columns_sql = "{" + ", ".join(f"{_sql_str(n)}: 'VARCHAR'" for n in names) + "}"
    source = (f"read_csv({_sql_str(str(path))}, header=true, auto_detect=false, "
              f"columns={columns_sql}, delim={_sql_str(delimiter)}, quote='\"', escape='\"', "
              f"strict_mode=true, null_padding=false, store_rejects=true, "
              f"encoding={_sql_str(encoding)}, compression={_sql_str('gzip' if gz else 'none')})")
    inner = f"SELECT row_number() OVER () + 1 AS _row, * FROM {source}"
    where = []
    for col, wanted in filters.items():
        name = _check_named(header, col, "filter", origin)
        allowed = [wanted] if isinstance(wanted, str | int | float) else list(wanted)
        where.append(f"trim({ref[name]}) IN ({', '.join(_sql_str(str(w)) for w in allowed)})")
    where_sql = f"WHERE {' AND '.join(where)}" if where else ""

    def text(col: str) -> str:
        return f"NULLIF(trim({ref[col]}), '')"

    value_text = text(str(spec.value))
    if decimal != ".":
        value_text = f"replace({value_text}, {_sql_str(decimal)}, '.')"
    number = f"TRY_CAST({value_text} AS DOUBLE)"
    select = [
        "CAST(_row AS INTEGER) AS _row",
        f"{text(spec.region)} AS region",
        f"{text(spec.activity)} AS activity",
        f"CASE WHEN isfinite({number}) THEN {number} END AS value",
        f"CASE WHEN {value_text} IS NOT NULL AND NOT coalesce(isfinite({number}), false) "
        f"THEN {ref[str(spec.value)]} END AS _raw_value",
    ]
    if isinstance(spec.year, str):
        year_text = text(spec.year)
        year_number = (f"CASE WHEN CAST(TRY_CAST({year_text} AS INTEGER) AS VARCHAR) = "
                       f"{year_text} THEN CAST({year_text} AS INTEGER) END")
        select.append(f"{year_number} AS year")
        select.append(f"CASE WHEN ({year_number}) IS NULL THEN coalesce({ref[spec.year]}, '') "
                      "END AS _raw_year")
    select.append(f"{text(spec.flag)} AS flag" if spec.flag else "CAST(NULL AS VARCHAR) AS flag")
    query = f"SELECT {', '.join(select)} FROM ({inner}) {where_sql}"

    encode = ("region", "activity", "flag")
    sparse = ("_raw_value", "_raw_year")
    chunks: dict[str, list[np.ndarray]] = {}
    dictionaries: dict[str, dict[str, int]] = {name: {} for name in encode}
    raw_cells: dict[str, list[tuple[np.ndarray, list[Any]]]] = {c: [] for c in sparse}
    con = duckdb.connect(config={"memory_limit": "512MB", "preserve_insertion_order": True})
    try:
        if spec.strict:
            checks = ", ".join(f"list(DISTINCT trim({ref[d]})) AS {ref[d]}" for d in spec.strict)
            distinct = con.execute(f"SELECT {checks} FROM ({inner}) {where_sql}").fetchall()[0]
            for dim, values in zip(spec.strict, distinct, strict=True):
                values = sorted(v for v in (values or []) if v is not None)
                if len(values) > 1:
                    _ambiguous(problems, dim, values)
            if problems:
                raise problems.error(DataImportError)
            con.execute("DROP TABLE IF EXISTS reject_errors; DROP TABLE IF EXISTS reject_scans")
        total = None
        if where:
            total = int(con.execute(f"SELECT count(*) FROM {source}").fetchall()[0][0])
            con.execute("DROP TABLE IF EXISTS reject_errors; DROP TABLE IF EXISTS reject_scans")
        rel = con.sql(query)
        reader = (rel.to_arrow_reader(1 << 20) if hasattr(rel, "to_arrow_reader")
                  else rel.fetch_record_batch(1 << 20))
        for batch in reader:
            for name, column in zip(batch.schema.names, batch.columns, strict=True):
                if name in sparse:  # mostly NULL: keep only the few non-NULL cells
                    idx = pc.indices_nonzero(pc.is_valid(column))
                    if len(idx):
                        raw_cells[name].append((
                            np.array(pc.take(batch.column("_row"), idx).to_numpy(), copy=True),
                            pc.take(column, idx).to_pylist()))
                    continue
                # copies: a zero-copy view would keep the whole DuckDB batch (strings too) alive
                if name in encode:
                    chunk = _global_codes(column, dictionaries[name])
                elif name == "value":
                    chunk = np.array(pc.fill_null(column, np.nan).to_numpy(), copy=True)
                elif name == "year":
                    chunk = np.array(pc.fill_null(column, 0).to_numpy(), copy=True)
                else:
                    chunk = np.array(column.to_numpy(), copy=True)
                chunks.setdefault(name, []).append(chunk)
            del batch
        rejects = con.execute("SELECT line, column_name, error_type, error_message, "
                              "column_idx FROM reject_errors ORDER BY line, column_idx"
                              ).fetchall()
        # one error per line: DuckDB reports a truncated row once per missing column
        first_per_line: dict[int, tuple[Any, ...]] = {}
        for reject in rejects:
            first_per_line.setdefault(int(reject[0]), reject)
        rejects = list(first_per_line.values())
    finally:
        con.close()

    if rejects and encoding.lower().replace("-", "") == "utf8":
        encoding_errors = [r for r in rejects if "ENCODING" in str(r[2]).upper()
                           or "UNICODE" in str(r[2]).upper()]
        if encoding_errors:
            raise _EncodingRetry(int(encoding_errors[0][0]))
    dtypes = {"_row": np.int32, "value": np.float64, "year": np.int32, "region": np.int32,
              "activity": np.int32, "flag": np.int32}
    columns: dict[str, Any] = {}
    for name in ["_row", "region", "activity", "year", "value", "flag"]:
        if name == "year" and not isinstance(spec.year, str):
            continue
        parts = chunks.pop(name, [])
        array = (np.concatenate(parts) if parts else np.array([], dtype=dtypes[name]))
        del parts
        if name in encode:
            labels = list(dictionaries[name])
            array = pd.Categorical.from_codes(
                array.astype(_code_dtype(len(labels)), copy=False),
                categories=pd.Index(labels, dtype=object))
        columns[name] = array
    frame = pd.DataFrame(columns, copy=False)
    del columns
    report.rows_read = (total if total is not None else len(frame)) + len(rejects)

    # sparse raw cells are located by DuckDB's record number, before any shift below
    rows = frame["_row"].to_numpy()
    position: dict[str, tuple[np.ndarray, list[Any]] | None] = {}
    for name in sparse:
        position[name] = None
        if raw_cells[name]:
            raw_rows = np.concatenate([r for r, _ in raw_cells[name]])
            raw_vals = [v for _, vals in raw_cells[name] for v in vals]
            position[name] = (np.searchsorted(rows, raw_rows), raw_vals)
    if rejects:
        back = {n: h for h, n in ref.items()}
        width = len(header)
        for line, column, etype, message, idx in rejects:
            if etype == "MISSING COLUMNS":
                problems.add("truncated row", f"truncated row: expected {width} fields, found "
                             f"{idx}", row=int(line), column=back.get(column, column))
            elif etype == "TOO MANY COLUMNS":
                problems.add("too many fields", f"too many fields: expected {width} ({message})",
                             row=int(line), column=f"(field {width + 1})")
            else:
                problems.add("malformed row", f"malformed row: {message}", row=int(line),
                             column=back.get(column, column))
        # DuckDB numbers accepted records only: shift rows past each rejected line
        lines = np.sort(np.array([int(r[0]) for r in rejects], dtype=np.int64))
        rows = rows.astype(np.int64)
        for line in lines[:1000]:
            rows[rows >= line] += 1
        frame["_row"] = rows
    if isinstance(spec.year, int):
        frame["year"] = np.full(len(frame), spec.year, dtype=np.int64)
    elif position["_raw_year"] is not None:
        idx, raw_vals = position["_raw_year"]
        year = np.array(frame["year"].astype(object), dtype=object)
        year[idx] = [v.strip() if isinstance(v, str) else v for v in raw_vals]
        frame["year"] = pd.Series(year, dtype=object)
    if position["_raw_value"] is not None:
        idx, raw_vals = position["_raw_value"]
        values, inline = _parse_values(pd.Series(raw_vals, dtype=object), decimal,
                                       frame["_row"].to_numpy()[idx], str(spec.value),
                                       problems)
        value = frame["value"].to_numpy(dtype=np.float64).copy()
        value[idx] = values
        frame["value"] = value
        if inline is not None and any(f is not None for f in inline):
            flag = np.array(frame["flag"].astype(object), dtype=object)
            for j, f in zip(idx, inline, strict=True):
                if f is not None and (flag[j] is None or pd.isna(flag[j])):
                    flag[j] = f
            frame["flag"] = pd.Series(flag, dtype=object).astype("category")
    return frame


def _global_codes(column: Any, dictionary: dict[str, int]) -> np.ndarray:
    """Codes of a string Arrow array in a dictionary shared by all batches (-1 for null)."""
    import pyarrow.compute as pc

    encoded = column.dictionary_encode()
    lookup = np.empty(len(encoded.dictionary) + 1, dtype=np.int32)
    for i, label in enumerate(encoded.dictionary.to_pylist()):
        lookup[i] = dictionary.setdefault(label, len(dictionary))
    lookup[-1] = -1
    indices = pc.fill_null(encoded.indices, -1).to_numpy()
    return lookup[indices]


def _code_dtype(n: int) -> type[np.signedinteger]:
    for dtype in (np.int8, np.int16, np.int32):
        if n < np.iinfo(dtype).max:
            return dtype
    return np.int64


class _EncodingRetry(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


# ----------------------------------------------------------------------------------------------
# read()
# ----------------------------------------------------------------------------------------------
def read(
    path: str | Path,
    *,
    region: str | None = None,
    activity: str | None = None,
    year: str | int | None = None,
    value: str | None = None,
    flag: str | None = None,
    layout: Literal["auto", "long", "wide"] = "auto",
    format: str = "auto",
    sheet: str | int | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    decimal: str = ".",
    filters: Mapping[str, Any] | None = None,
    value_columns: Sequence[str] | None = None,
    meta: PanelMeta | None = None,
    duplicates: Literal["raise", "sum"] = "raise",
    known_regions: Iterable[str] | None = None,
    known_activities: Iterable[str] | None = None,
    unknown: Literal["raise", "warn"] = "raise",
    engine: Literal["auto", "python", "duckdb"] = "auto",
    large_file_bytes: int = LARGE_FILE_BYTES,
    max_value: float = MAX_VALUE,
    progress: Callable[[str], None] | None = None,
) -> ImportResult:
    """Read a data file into a validated :class:`~smartspec.data.panel.Panel`.

    Parameters
    ----------
    path : str or Path
        CSV/TSV (``.gz`` allowed), Eurostat SDMX-TSV, SDMX-CSV, Parquet or ``.xlsx`` file. The
        format is detected from the content (magic bytes, header) and the extension.
    region, activity, year, value, flag : str, optional
        Source column for each panel field. When omitted, common names are recognised (see
        :data:`ALIASES`: ``geo``, ``nuts_id``, ``nace_r2``, ``sector``, ``TIME_PERIOD``,
        ``OBS_VALUE``, ``persons_employed`` ...). ``year`` may be a constant int for a
        single-year file.
    layout : {"auto", "long", "wide"}
        ``long``: one record per row. ``wide``: one column per activity (with a year column
        or constant) or one column per year (with an activity column). ``auto`` chooses long
        when a value column is found.
    format : {"auto", "csv", "tsv", "parquet", "xlsx"}
        Override format detection.
    sheet : str or int, optional
        Excel sheet (default: the first).
    encoding, delimiter : str, optional
        Override sniffing. Text is decoded as UTF-8 (a BOM is honoured) and falls back to
        cp1252, then latin-1, with a warning in the report.
    decimal : str
        Decimal separator of value cells.
    filters : mapping, optional
        Keep only rows whose column equals a value or one of a list of values, e.g.
        ``{"unit": "NR"}``. Eurostat/SDMX dimensions other than region and activity must be
        constant after filtering.
    value_columns : sequence of str, optional
        Wide layouts: the value columns (default: every column not otherwise used).
    meta : PanelMeta, optional
        Metadata of the resulting panel.
    duplicates, known_regions, known_activities, unknown, max_value
        Passed on to the :class:`~smartspec.data.panel.Panel` validation.
    engine : {"auto", "python", "duckdb"}
        ``auto`` uses DuckDB for long-layout delimited files above ``large_file_bytes``.
    progress : callable, optional
        Called with a short stage description (for spinners).

    Returns
    -------
    ImportResult
        ``(panel, report)``.

    Raises
    ------
    DataImportError
        Once, listing every problem (file, row, column): unreadable or empty files, binary
        content, truncated rows, text in number columns, formula-looking cells, infinite or
        implausibly large values, negative values, duplicate keys, ambiguous dimensions. Nothing
        is returned on error.
    FileNotFoundError
        If ``path`` does not exist.
    """
    started = time.perf_counter()
    path = Path(path)
    origin = str(path)
    say = progress or (lambda stage: None)
    if not path.exists():
        raise FileNotFoundError(f"no such file: {origin!r}")
    if path.is_dir():
        raise IsADirectoryError(f"{origin!r} is a directory, not a data file")
    if engine not in ("auto", "python", "duckdb"):
        raise ValueError(f"engine must be 'auto', 'python' or 'duckdb', not {engine!r}")
    filters = dict(filters or {})
    report = ValidationReport(path=origin)
    problems = _Collector(origin)
    if path.stat().st_size == 0:
        raise _fail(origin, "file is empty (0 bytes)", kind="empty file")
    gz = _is_gzip(path)
    report.compression = "gzip" if gz else None
    try:
        head = _head(path, gz)
    except (OSError, EOFError) as exc:
        raise _fail(origin, f"cannot read file: {exc}", kind="unreadable") from None
    fmt = _detect_format(path, head, format)
    if fmt == "xls":
        raise _fail(origin, "legacy .xls workbooks are not supported; save as .xlsx or CSV",
                    kind="unsupported format")
    mapping = {"region": region, "activity": activity, "year": year, "value": value,
               "flag": flag}

    frame: pd.DataFrame | None = None
    spec: _Spec
    say(f"reading {path.name}")
    if fmt == "text" and engine != "python":
        big = _estimated_size(path, gz) > large_file_bytes
        if engine == "duckdb" or big:
            frame, spec = _try_duckdb(path, gz, head, encoding, delimiter, decimal, filters,
                                      mapping, layout, value_columns, origin, report, problems,
                                      forced=engine == "duckdb")
    if frame is None:
        if fmt == "parquet":
            table = _read_parquet_table(path, origin, report)
        elif fmt == "xlsx":
            table = _read_excel(path, sheet, origin, report, problems)
        else:
            table = _read_text(path, gz, encoding, delimiter, origin, report, problems)
            report.engine = "python"
        if table.kind == "table" and any(_norm(c) == "obs_value" for c in table.columns) and \
                any(_norm(c) == "time_period" for c in table.columns):
            table.kind = "sdmx-csv"
            report.format = "sdmx-csv"
        spec = _resolve_spec(table.columns, table.kind, layout=layout,
                             value_columns=value_columns, filters=filters, origin=origin,
                             year_columns=table.year_columns, **mapping)
        report.rows_read = len(table) + sum(problems.counts[k] for k in
                                            ("truncated row", "too many fields"))
        mask = _filter_mask(table, filters, origin) if filters else np.ones(len(table), bool)
        _check_constant(table, mask, spec.strict, origin, problems)
        if problems.counts.get("ambiguous dimension"):
            raise problems.error(DataImportError)
        say("parsing values")
        frame = _to_long(table, spec, mask, decimal, problems)
        del table
    report.layout = {"long": "long", "wide-year": "wide (one column per year)",
                     "wide-activity": "wide (one column per activity)"}[spec.layout]
    report.columns = _describe_columns(spec)
    report.ignored_columns = list(spec.ignored)
    report.filters = {k: [str(v)] if isinstance(v, str | int | float) else [str(x) for x in v]
                      for k, v in filters.items()}
    report.rows_kept = int(frame["_row"].nunique()) if spec.layout != "long" else len(frame)

    say("validating")
    columns = {"region": spec.region, "activity": spec.activity or "(header)",
               "year": spec.year if isinstance(spec.year, str) else "(header)"
               if spec.year is None else "(constant)",
               "value": spec.value or "(value columns)", "flag": spec.flag or "(flag)"}
    n_before = len(frame)
    try:
        validated = _validate(frame, origin=origin, duplicates=duplicates,
                              known_regions=known_regions, known_activities=known_activities,
                              unknown=unknown, max_value=max_value, columns=columns,
                              collector=problems)
    except PanelValidationError as exc:
        raise DataImportError(exc.problems, origin, counts=exc.counts) from None
    del frame
    if duplicates == "sum" and len(validated) < n_before:
        report.warnings.append(f"{n_before - len(validated):,} duplicate record(s) summed")
    panel = Panel._from_validated(validated, meta if meta is not None else PanelMeta(), origin)
    _summarise(panel, report)
    report.seconds = time.perf_counter() - started
    return ImportResult(panel, report)


def _try_duckdb(path: Path, gz: bool, head: bytes, encoding: str | None,
                delimiter: str | None, decimal: str, filters: Mapping[str, Any],
                mapping: Mapping[str, Any], layout: str, value_columns: Sequence[str] | None,
                origin: str, report: ValidationReport, problems: _Collector, *, forced: bool
                ) -> tuple[pd.DataFrame | None, Any]:
    """Parse with DuckDB when the layout allows it; ``(None, None)`` means use Python."""
    sample_warnings: list[str] = []
    cut = head.rfind(b"\n")
    if cut > 0:
        head = head[: cut + 1]  # do not decode a character cut by the sample
    text, used = _decode(head, encoding, origin, sample_warnings)
    if not text.strip():
        raise _fail(origin, "file is empty (no data)", kind="empty file")
    _check_text(text, origin)
    lines = text.lstrip("\r\n").splitlines()
    first = lines[0] if lines else ""
    if "\\" in first.split("\t", 1)[0] and "\t" in first:
        if forced:
            raise ValueError("engine='duckdb' does not read Eurostat SDMX-TSV; use "
                             "engine='auto'")
        return None, None
    delim = delimiter or _sniff_delimiter(text, _suffix(path))
    header = [h.strip() for h in next(csv.reader([first], delimiter=delim))]
    if used == "utf-8-sig":
        used = "utf-8"
    kind = ("sdmx-csv" if any(_norm(c) == "obs_value" for c in header)
            and any(_norm(c) == "time_period" for c in header) else "table")
    spec = _resolve_spec(header, kind, layout=layout, value_columns=value_columns,
                         filters=filters, origin=origin, **mapping)
    if spec.layout != "long" or len(set(header)) != len(header):
        if forced:
            raise ValueError("engine='duckdb' reads long layouts only; use engine='auto'")
        return None, None
    duck_encoding = "utf-8" if used.startswith("utf-8") else "latin-1"
    if duck_encoding != "utf-8":
        sample_warnings = [w.replace("decoded as cp1252", "decoded as latin-1")
                           for w in sample_warnings]
    report.warnings.extend(sample_warnings)
    try:
        frame = _read_duckdb(path, gz, header, delim, duck_encoding, spec, filters, decimal,
                             origin, report, problems)
    except _EncodingRetry as retry:
        report.warnings.append(f"not valid UTF-8 (first invalid byte at line {retry.line}); "
                               "decoded as latin-1. Check accented names, or pass encoding=...")
        problems.items.clear()
        problems.counts.clear()
        duck_encoding = "latin-1"
        frame = _read_duckdb(path, gz, header, delim, duck_encoding, spec, filters, decimal,
                             origin, report, problems)
    report.format = "sdmx-csv" if kind == "sdmx-csv" else ("tsv" if delim == "\t" else "csv")
    report.engine = "duckdb"
    report.encoding = duck_encoding
    report.delimiter = delim
    return frame, spec


def _describe_columns(spec: _Spec) -> dict[str, str]:
    out = {"region": spec.region}
    if spec.layout == "wide-activity":
        out["activity"] = f"{len(spec.value_columns)} column headers"
    else:
        out["activity"] = spec.activity
    if spec.layout == "wide-year":
        out["year"] = f"{len(spec.value_columns)} column headers"
    else:
        out["year"] = (f"constant {spec.year}" if isinstance(spec.year, int)
                       else str(spec.year))
    out["value"] = spec.value if spec.value else "cells of the value columns"
    if spec.flag:
        out["flag"] = spec.flag
    return out


def _summarise(panel: Panel, report: ValidationReport) -> None:
    f = panel.frame
    report.records = len(f)
    report.regions = len(panel.regions)
    report.activities = len(panel.activities)
    report.years = panel.years
    missing = f["value"].isna().to_numpy()
    flags = f["flag"]
    report.missing_by_reason = {str(k): int(v) for k, v in
                                flags[missing].value_counts().items() if v}
    report.flags = {str(k): int(v) for k, v in flags[~missing].value_counts().items() if v}
