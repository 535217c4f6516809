"""Tables of the reports: tidy DataFrames for CSV/Excel, and formatted rows for HTML.

The profile and candidate results hold lists (partners, gaps) and labelled indexes; the
functions here flatten them into plain tables (lists become ``"a; b"``), write them as CSV
(UTF-8) and as one Excel workbook with a sheet per table, and format numbers for display.
Strings that a spreadsheet would read as formulas (``=...``, ``+...``, ``-...``, ``@...``) are
stored as text in Excel, never as formulas.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "LIST_SEPARATOR",
    "candidates_table",
    "flatten",
    "format_rows",
    "format_value",
    "profile_tables",
    "specialisations_table",
    "write_tables",
]

#: Separator of list items in flat tables (CSV, Excel, HTML).
LIST_SEPARATOR = "; "
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def _is_listlike(v: object) -> bool:
    return isinstance(v, list | tuple | set | frozenset | np.ndarray | pd.Index | pd.Series)


def _join(v: object) -> object:
    if _is_listlike(v):
        items = list(v)  # type: ignore[arg-type]
        return LIST_SEPARATOR.join(str(x) for x in items)
    return v


def flatten(df: pd.DataFrame, *, index: bool = True) -> pd.DataFrame:
    """A copy of ``df`` fit for CSV/Excel: index levels as columns, list cells as ``"a; b"``.

    Parameters
    ----------
    df : DataFrame
    index : bool, default True
        Move the index (all levels, named ``activity``/``region``... or ``index``) into columns.
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"expected a DataFrame, got {type(df).__name__}")
    out = df.copy()
    if index:
        names = [n if n is not None else ("index" if out.index.nlevels == 1 else f"level_{i}")
                 for i, n in enumerate(out.index.names)]
        out.index = out.index.set_names(names)
        out = out.reset_index()
    out.columns = [str(c) for c in out.columns]
    for col in out.columns:
        s = out[col]
        if s.dtype == object or str(s.dtype) == "str" or isinstance(s.dtype, pd.StringDtype):
            if s.map(_is_listlike).any():
                out[col] = s.map(_join)
    return out


def _series_frame(s: pd.Series, index_name: str, value_name: str) -> pd.DataFrame:
    df = s.rename(value_name).to_frame()
    df.index = df.index.set_names(index_name)
    return df


def specialisations_table(profile: Any) -> pd.DataFrame:
    """The profile's specialisations (every activity), index moved to an ``activity`` column."""
    spec = profile.specialisations.copy()
    spec.index = spec.index.set_names("activity")
    return flatten(spec)


def profile_tables(profile: Any) -> dict[str, pd.DataFrame]:
    """Every table of a region profile, flattened, keyed by a short name.

    Keys: ``specialisations``, ``indices``, ``activities`` (every activity: label,
    employment, RCA, presence, relatedness density, PCI), ``peers``,
    ``comparison`` and, when present, ``context``, ``history_entries``, ``history_exits``,
    ``history_growth``, ``shift_share``.
    """
    tables: dict[str, pd.DataFrame] = {"specialisations": specialisations_table(profile)}
    tables["indices"] = flatten(_series_frame(profile.indices, "index", "value"))
    tables["activities"] = flatten(_activities_frame(profile))
    tables["peers"] = flatten(profile.peers, index=not _default_index(profile.peers))
    comp = profile.comparison
    if comp is not None and len(comp):
        tables["comparison"] = flatten(comp)
    ctx = getattr(profile, "context", None)
    if ctx is not None and len(ctx):
        tables["context"] = flatten(ctx, index=not _default_index(ctx))
    hist = getattr(profile, "history", None)
    if hist is not None:
        for name, attr in (("history_entries", "entries"), ("history_exits", "exits"),
                           ("shift_share", "shift_share")):
            df = getattr(hist, attr, None)
            if isinstance(df, pd.DataFrame) and len(df):
                tables[name] = flatten(df, index=not _default_index(df))
        growth = getattr(hist, "growth", None)
        if isinstance(growth, pd.Series) and len(growth):
            tables["history_growth"] = flatten(_series_frame(growth, "activity", "growth"))
    return tables


def _activities_frame(profile: Any) -> pd.DataFrame:
    """Every activity of the profile: label, employment, rca, presence, density, pci."""
    dens = profile.density
    out = pd.DataFrame(index=pd.Index(dens.index, name="activity"))
    nodes = getattr(getattr(profile, "activity_space", None), "nodes", None)
    spec = profile.specialisations
    if isinstance(nodes, pd.DataFrame) and "label" in nodes.columns:
        out["label"] = nodes["label"].reindex(out.index)
    elif "label" in spec.columns:
        out["label"] = spec["label"].reindex(out.index)
    for name in ("employment", "rca", "presence"):
        s = getattr(profile, name, None)
        if isinstance(s, pd.Series):
            out[name] = s.reindex(out.index)
    out["density"] = dens
    if isinstance(nodes, pd.DataFrame) and "pci" in nodes.columns:
        out["pci"] = nodes["pci"].reindex(out.index)
    return out.sort_values("density", ascending=False, kind="stable")


def candidates_table(cands: pd.DataFrame) -> pd.DataFrame:
    """The candidates, index (activity, or region and activity) as columns, lists joined."""
    df = cands.copy()
    if df.index.nlevels == 1 and df.index.name is None:
        df.index = df.index.set_names("activity")
    return flatten(df)


def _default_index(df: pd.DataFrame) -> bool:
    return isinstance(df.index, pd.RangeIndex) and df.index.name is None


# ---------------------------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------------------------
def _sheet_name(name: str, used: set[str]) -> str:
    base = _SHEET_BAD.sub("_", name)[:31] or "sheet"
    out, i = base, 2
    while out.lower() in used:
        suffix = f"_{i}"
        out = base[: 31 - len(suffix)] + suffix
        i += 1
    used.add(out.lower())
    return out


def _excel_value(v: object) -> object:
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float | np.floating):
        return None if math.isnan(v) else float(v)
    if isinstance(v, bool | np.bool_):
        return bool(v)
    if isinstance(v, int | np.integer):
        return int(v)
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    return str(_join(v))


def _write_sheet(ws: Any, df: pd.DataFrame) -> None:
    from openpyxl.styles import Font

    ws.append([str(c) for c in df.columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in df.itertuples(index=False, name=None):
        ws.append([_excel_value(v) for v in row])
        for cell in ws[ws.max_row]:
            if cell.data_type == "f":  # a string starting with "=": keep it as text
                cell.data_type = "s"
    ws.freeze_panes = "A2"
    for j, col in enumerate(df.columns, start=1):
        sample = [len(str(col))] + [len(str(v)) for v in df[col].head(200).tolist()]
        ws.column_dimensions[ws.cell(row=1, column=j).column_letter].width = min(
            60, max(8, max(sample) + 2))


def write_tables(tables: Mapping[str, pd.DataFrame], out_dir: str | Path, stem: str, *,
                 csv: Iterable[str] | None = None,
                 notes: Mapping[str, str] | None = None) -> dict[str, Path]:
    """Write tables as CSV files and one Excel workbook (a sheet per table).

    Parameters
    ----------
    tables : mapping name -> DataFrame (already flat, see :func:`flatten`).
    out_dir : folder, created if needed.
    stem : file-name prefix, e.g. ``"AT31_profile"``.
    csv : names of the tables also written as ``{stem}_{name}.csv``; default all.
    notes : optional key -> text pairs written to a first ``about`` sheet (sources, caveats).

    Returns
    -------
    dict
        ``{"xlsx": path, "<name>_csv": path, ...}``.
    """
    from openpyxl import Workbook

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for name in (tables if csv is None else csv):
        if name not in tables:
            raise KeyError(f"no table named {name!r}; tables: {', '.join(tables)}")
        path = out_dir / f"{stem}_{name}.csv"
        tables[name].to_csv(path, index=False, encoding="utf-8")
        written[f"{name}_csv"] = path
    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    if notes:
        ws = wb.create_sheet(_sheet_name("about", used))
        _write_sheet(ws, pd.DataFrame({"item": list(notes), "value": list(notes.values())}))
    for name, df in tables.items():
        _write_sheet(wb.create_sheet(_sheet_name(name, used)), df)
    xlsx = out_dir / f"{stem}.xlsx"
    wb.save(xlsx)
    written["xlsx"] = xlsx
    return written


# ---------------------------------------------------------------------------------------------
# display formatting (HTML tables, console)
# ---------------------------------------------------------------------------------------------
def format_value(v: object, kind: str | None = None) -> str:
    """Format one cell for display.

    ``kind``: ``"int"`` (thousands separators), ``"year"`` (plain integer), ``"pct"`` (percent, 1 decimal), ``"signed"``
    (+0.00), ``"f1"``/``"f2"``/``"f3"`` (fixed decimals), ``"stars"`` (0-3 as ★), or ``None``
    (automatic: integers with separators, floats with 2 decimals, lists joined, booleans
    ``yes``/empty). Missing values give ``""``.
    """
    if _is_listlike(v):
        return LIST_SEPARATOR.join(str(x) for x in v)  # type: ignore[union-attr]
    if v is None or v is pd.NA or v is pd.NaT:
        return ""
    if isinstance(v, float | np.floating) and math.isnan(v):
        return ""
    if isinstance(v, bool | np.bool_):
        return "yes" if v else ""
    if kind == "stars":
        n = int(v)  # type: ignore[call-overload]
        return "★" * n + "☆" * max(0, 3 - n)
    if isinstance(v, int | np.integer | float | np.floating):
        x = float(v)
        if kind == "int":
            return f"{x:,.0f}"
        if kind == "year":
            return f"{x:.0f}"
        if kind == "pct":
            return f"{x:.1%}"
        if kind == "signed":
            return f"{x:+.2f}"
        if kind in ("f1", "f2", "f3"):
            return f"{x:.{kind[1]}f}"
        if isinstance(v, int | np.integer):
            return f"{int(v):,}"
        return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.2f}"
    return str(v)


def format_rows(df: pd.DataFrame, columns: Mapping[str, tuple[str, str | None]] | None = None,
                *, index: str | None = None,
                formatter: Callable[[object, str | None], str] = format_value,
                ) -> tuple[list[str], list[list[str]]]:
    """Headers and rows of display strings (not yet HTML-escaped) for a table.

    Parameters
    ----------
    df : DataFrame
    columns : mapping column -> (header, kind); default every column with automatic format.
        Columns missing from ``df`` are skipped.
    index : header of a first column holding the index, or ``None`` to leave it out.
    """
    if columns is None:
        columns = {str(c): (str(c), None) for c in df.columns}
    cols = [(c, h, k) for c, (h, k) in columns.items() if c in df.columns]
    headers = ([index] if index is not None else []) + [h for _, h, _ in cols]
    values = [[formatter(v, k) for v in df[c].tolist()] for c, _, k in cols]
    keys = [format_value(k) for k in df.index] if index is not None else None
    rows: list[list[str]] = []
    for i in range(len(df)):
        rows.append(([keys[i]] if keys is not None else []) + [v[i] for v in values])
    return headers, rows
