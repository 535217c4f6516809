"""The :class:`Panel`: a validated region × activity × year table.

A panel is the common currency of smartspec. It holds one measure (persons employed, exports,
patents ...) in *long* format, one record per ``(region, activity, year)`` key::

    region  activity  year     value  flag
    DE21    C10       2015   40213.0   NaN
    DE21    C11       2015       NaN     c      <- missing, reason "c" (confidential)
    DE21    C12       2015     512.0     p      <- provisional value

Missing values stay ``NaN`` and carry their reason in ``flag`` (``"missing"`` when the source gave
none). Every panel is validated when it is built; all problems are collected and raised together
as one :class:`PanelValidationError` whose message names the origin file, the row and the column of
each problem.

Memory: codes and flags are stored as pandas categoricals, values as float64 and years as int64,
so a 10-million-record panel needs roughly 200 MB.
"""

from __future__ import annotations

import json
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

__all__ = [
    "INCOMPLETE_FLAG",
    "MAX_VALUE",
    "MISSING_FLAG",
    "Panel",
    "PanelMeta",
    "PanelValidationError",
    "Problem",
    "Source",
    "UnknownCodeWarning",
]

#: Flag given to a missing value whose source gave no reason.
MISSING_FLAG = "missing"
#: Flag given to an aggregate that sums only part of its children (some were missing).
INCOMPLETE_FLAG = "incomplete"
#: Values whose magnitude exceeds this bound are rejected as implausible (overflow, unit errors).
MAX_VALUE = 1e15
#: First characters that make a spreadsheet treat a cell as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: Plausible range of reference years.
YEAR_RANGE = (1000, 2999)

_KEY = ("region", "activity", "year")
_PARQUET_KEY = b"smartspec.panel"
_PROBLEMS_KEPT_PER_KIND = 200


# ----------------------------------------------------------------------------------------------
# metadata
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Source:
    """Provenance of a dataset.

    Parameters
    ----------
    name : str
        Dataset name, e.g. ``"Eurostat sbs_r_nuts06_r2"``.
    licence : str
        Licence, e.g. ``"Commission reuse policy (Decision 2011/833/EU)"``.
    attribution : str
        Attribution that must accompany any reuse, e.g. ``"Source: Eurostat"``.
    url, retrieved, notes : str, optional
        Where and when the data were obtained, and free-text remarks.
    """

    name: str
    licence: str
    attribution: str
    url: str | None = None
    retrieved: str | None = None
    notes: str | None = None


@dataclass(frozen=True)
class PanelMeta:
    """Description of what a :class:`Panel` measures and which classifications it uses."""

    region_classification: str = "NUTS"
    region_version: int | None = None
    region_level: int | None = None
    activity_classification: str = "custom"
    activity_level: str | None = None
    measure: str = "value"
    unit: str | None = None
    source: Source | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the metadata as a JSON-serialisable dictionary."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PanelMeta:
        """Inverse of :meth:`to_dict`; unknown keys are ignored (forward compatibility)."""
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in known}
        source = kwargs.get("source")
        if isinstance(source, Mapping):
            src_known = {f.name for f in fields(Source)}
            kwargs["source"] = Source(**{k: v for k, v in source.items() if k in src_known})
        return cls(**kwargs)


# ----------------------------------------------------------------------------------------------
# problems and errors
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Problem:
    """One validation problem, located in its origin file.

    ``row`` is 1-based and counts the header line, i.e. it is the line number a text editor
    shows for a one-record-per-line file (for Excel, the sheet row; for Parquet, the record
    number; for an in-memory frame, the row as written by ``frame.to_csv(index=False)``).
    """

    kind: str
    message: str
    origin: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None

    def __str__(self) -> str:
        where = [repr(self.origin) if self.origin else "<data>"]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        text = f"{', '.join(where)}: {self.message}"
        if self.value is not None:
            shown = self.value if len(self.value) <= 40 else self.value[:37] + "..."
            text += f" (got {shown!r})"
        return text


class PanelValidationError(ValueError):
    """Invalid panel data. Lists every problem found (the listing is capped, counts are not).

    Attributes
    ----------
    problems : tuple of Problem
        The problems kept (at most a few hundred per kind).
    counts : dict
        Number of problems of each kind, all of them counted.
    origin : str or None
        The file or object the data came from.
    """

    max_listed = 30

    def __init__(
        self,
        problems: Sequence[Problem],
        origin: str | None = None,
        *,
        counts: Mapping[str, int] | None = None,
    ) -> None:
        self.problems = tuple(problems)
        self.counts = dict(counts) if counts is not None else dict(
            Counter(p.kind for p in self.problems)
        )
        self.origin = origin
        super().__init__(self._render())

    @property
    def total(self) -> int:
        """Total number of problems (including those not kept in :attr:`problems`)."""
        return sum(self.counts.values())

    def _render(self) -> str:
        name = repr(self.origin) if self.origin else "the data"
        kinds = ", ".join(f"{n:,} {kind}" for kind, n in sorted(self.counts.items(),
                                                                  key=lambda kv: -kv[1]))
        total = self.total
        head = f"{name}: {total:,} problem{'s' if total != 1 else ''} ({kinds}):"
        # Round-robin over kinds so that every kind of problem is shown.
        by_kind: dict[str, list[Problem]] = {}
        for p in self.problems:
            by_kind.setdefault(p.kind, []).append(p)
        listed: list[Problem] = []
        depth = 0
        while len(listed) < min(self.max_listed, len(self.problems)):
            for items in by_kind.values():
                if depth < len(items) and len(listed) < self.max_listed:
                    listed.append(items[depth])
            depth += 1
        listed.sort(key=lambda p: (p.row if p.row is not None else -1, p.column or ""))
        lines = [head, *(f"  - {p}" for p in listed)]
        if total > len(listed):
            lines.append(f"  ... and {total - len(listed):,} more (see the .problems and .counts "
                         "attributes)")
        return "\n".join(lines)


class UnknownCodeWarning(UserWarning):
    """Codes not found in ``known_regions``/``known_activities`` (with ``unknown="warn"``)."""


class _Collector:
    """Collects problems, counting all of them but keeping a bounded number per kind."""

    def __init__(self, origin: str | None, columns: Mapping[str, str] | None = None) -> None:
        self.origin = origin
        self.columns = dict(columns or {})
        self.items: list[Problem] = []
        self.counts: Counter[str] = Counter()

    def column(self, name: str) -> str:
        return self.columns.get(name, name)

    def add(self, kind: str, message: str, *, row: int | None = None,
            column: str | None = None, value: Any = None) -> None:
        self.counts[kind] += 1
        if self.counts[kind] <= _PROBLEMS_KEPT_PER_KIND:
            self.items.append(Problem(kind, message, self.origin, row, column,
                                      None if value is None else str(value)))

    def add_rows(self, kind: str, mask: np.ndarray, message: str | Callable[[Any], str], *,
                 rows: np.ndarray, column: str | np.ndarray | Callable[[int], str],
                 values: Any = None) -> None:
        """Record one problem per row selected by boolean ``mask``."""
        idx = np.flatnonzero(mask)
        if idx.size == 0:
            return
        already = self.counts[kind]
        self.counts[kind] += int(idx.size)
        room = max(0, _PROBLEMS_KEPT_PER_KIND - already)
        for i in idx[:room]:
            value = values if values is None or isinstance(values, str) else values[i]
            col = column(i) if callable(column) else (
                column if isinstance(column, str) else str(column[i]))
            msg = message(value) if callable(message) else message
            self.items.append(Problem(kind, msg, self.origin, int(rows[i]), col,
                                      None if value is None or _isna(value) else str(value)))

    def extend(self, other: _Collector) -> None:
        self.items.extend(other.items)
        self.counts.update(other.counts)

    def __bool__(self) -> bool:
        return bool(self.counts)

    def error(self, cls: type[PanelValidationError] = PanelValidationError
              ) -> PanelValidationError:
        return cls(self.items, self.origin, counts=self.counts)


def _isna(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def code_issue(code: str) -> str | None:
    """Why ``code`` is not acceptable as a region/activity code, or ``None`` if it is.

    Rejected: empty codes, codes starting with a spreadsheet formula character
    (``= + - @``, tab, carriage return: CSV-injection hygiene, OWASP), codes containing control
    characters or the Unicode replacement character (binary data or a wrong encoding).
    """
    if code == "":
        return "empty code"
    if code.startswith(FORMULA_PREFIXES):
        return ("formula-looking cell rejected (a leading '=', '+', '-' or '@' makes "
                "spreadsheets execute it: CSV injection)")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in code):
        return "code contains control characters (binary data or a wrong encoding?)"
    if "\ufffd" in code:
        return "code contains U+FFFD replacement characters (wrong encoding?)"
    return None


# ----------------------------------------------------------------------------------------------
# validation
# ----------------------------------------------------------------------------------------------
def _small_int_dtype(n_categories: int) -> type[np.signedinteger]:
    for dtype in (np.int8, np.int16, np.int32):
        if n_categories < np.iinfo(dtype).max:
            return dtype
    return np.int64


def _codes_categorical(values: pd.Series) -> pd.Categorical:
    """Convert a code column to a categorical with stripped, sorted string categories."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        cat = values.array
    else:
        series = values
        if pd.api.types.is_float_dtype(series.dtype):
            known = series.dropna()
            if bool((known % 1 == 0).all()):
                series = series.astype("Int64")
        cat = pd.Categorical(series)
    labels = np.array([c.strip() if isinstance(c, str) else str(c).strip()
                       for c in cat.categories], dtype=object)
    codes = np.asarray(cat.codes)
    if labels.size == 0:
        return pd.Categorical.from_codes(np.full(len(codes), -1, dtype=np.int8),
                                         categories=pd.Index([], dtype=object))
    uniq, inverse = np.unique(labels, return_inverse=True)
    if uniq.size == labels.size and np.array_equal(inverse, np.arange(labels.size)) and \
            all(isinstance(c, str) for c in cat.categories) and \
            all(c == lab for c, lab in zip(cat.categories, labels, strict=True)):
        return cat  # already clean
    lookup = inverse.astype(_small_int_dtype(uniq.size))
    new_codes = lookup[codes]  # codes of -1 pick the last entry: reset below
    new_codes[codes < 0] = -1
    return pd.Categorical.from_codes(new_codes, categories=pd.Index(list(uniq)))


def _flags_categorical(values: pd.Series | None, n: int) -> pd.Categorical:
    if values is None:
        return pd.Categorical.from_codes(np.full(n, -1, dtype=np.int8),
                                         categories=pd.Index([MISSING_FLAG]))
    cat = _codes_categorical(values)
    # empty strings mean "no flag"
    if "" in cat.categories:
        codes = np.asarray(cat.codes).copy()
        empty = cat.categories.get_loc("")
        codes[codes == empty] = -1
        cat = pd.Categorical.from_codes(codes, categories=cat.categories)
        cat = cat.remove_categories([""])
    return cat


def _add_category(cat: pd.Categorical, label: str) -> pd.Categorical:
    if label in cat.categories:
        return cat
    return cat.add_categories([label])


def _validate(
    frame: pd.DataFrame,
    *,
    origin: str | None,
    duplicates: str,
    known_regions: Iterable[str] | None,
    known_activities: Iterable[str] | None,
    unknown: str,
    max_value: float,
    columns: Mapping[str, str] | None = None,
    collector: _Collector | None = None,
) -> pd.DataFrame:
    """Validate ``frame`` and return the canonical panel frame, or raise one error."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame, not {type(frame).__name__}")
    if duplicates not in ("raise", "sum"):
        raise ValueError(f"duplicates must be 'raise' or 'sum', not {duplicates!r}")
    if unknown not in ("raise", "warn"):
        raise ValueError(f"unknown must be 'raise' or 'warn', not {unknown!r}")
    problems = _Collector(origin, columns)
    required = [c for c in ("region", "activity", "year", "value") if c not in frame.columns]
    if required:
        problems.add("missing column", f"required column(s) {required} not found; the frame has "
                     f"{[str(c) for c in frame.columns]}")
        if collector is not None:
            problems.extend(collector)
        raise problems.error()

    n = len(frame)
    rows = (np.asarray(frame["_row"], dtype=np.int64) if "_row" in frame.columns
            else np.arange(2, n + 2, dtype=np.int64))
    value_column: str | np.ndarray = problems.column("value")
    if "_col" in frame.columns:
        value_column = np.asarray(frame["_col"].astype(object))

    # --- codes ----------------------------------------------------------------------------
    cats: dict[str, pd.Categorical] = {}
    for name in ("region", "activity"):
        cat = _codes_categorical(frame[name])
        codes = np.asarray(cat.codes)
        problems.add_rows(f"missing {name} code", codes < 0, f"missing {name} code",
                          rows=rows, column=problems.column(name))
        for k, label in enumerate(cat.categories):
            issue = code_issue(label)
            if issue is not None:
                problems.add_rows(f"invalid {name} code", codes == k, issue, rows=rows,
                                  column=problems.column(name),
                                  values=label)
        cats[name] = cat

    # --- years ------------------------------------------------------------------------------
    year_raw = frame["year"]
    if pd.api.types.is_integer_dtype(year_raw.dtype) and not year_raw.hasnans:
        years = year_raw.to_numpy()  # int32 stays int32 until the output (memory)
        bad_year = np.zeros(n, dtype=bool)
    else:
        numeric = pd.to_numeric(year_raw, errors="coerce")
        if pd.api.types.is_bool_dtype(year_raw.dtype):
            numeric = pd.Series(np.nan, index=year_raw.index)
        num = np.asarray(numeric, dtype=np.float64)
        bad_year = ~np.isfinite(num) | (np.mod(np.where(np.isfinite(num), num, 0), 1) != 0)
        problems.add_rows("invalid year", bad_year, "year is not an integer", rows=rows,
                          column=problems.column("year"),
                          values=np.asarray(year_raw.astype(object)))
        years = np.where(bad_year, 0, np.nan_to_num(num)).astype(np.int64)
    implausible = ~bad_year & ((years < YEAR_RANGE[0]) | (years > YEAR_RANGE[1]))
    problems.add_rows("invalid year", implausible,
                      f"year outside {YEAR_RANGE[0]}-{YEAR_RANGE[1]}", rows=rows,
                      column=problems.column("year"), values=years)

    # --- values -----------------------------------------------------------------------------
    value_raw = frame["value"]
    if pd.api.types.is_bool_dtype(value_raw.dtype):
        problems.add_rows("non-numeric value", np.ones(n, dtype=bool),
                          "boolean where a number is expected", rows=rows, column=value_column,
                          values=np.asarray(value_raw.astype(object)))
        values = np.full(n, np.nan)
    elif pd.api.types.is_numeric_dtype(value_raw.dtype):
        values = value_raw.to_numpy(dtype=np.float64)
    else:
        numeric = pd.to_numeric(value_raw, errors="coerce")
        values = np.asarray(numeric, dtype=np.float64)
        raw = np.asarray(value_raw.astype(object))
        failed = np.isnan(values) & ~pd.isna(value_raw).to_numpy()
        if failed.any():
            text = np.array([str(v).strip() for v in raw[failed]], dtype=object)
            blank = np.zeros(n, dtype=bool)
            blank[np.flatnonzero(failed)[text == ""]] = True
            failed &= ~blank
            formula = np.zeros(n, dtype=bool)
            formula[np.flatnonzero(failed)] = [str(v).strip().startswith(FORMULA_PREFIXES)
                                               for v in raw[failed]]
            problems.add_rows("formula-looking cell", formula,
                              "formula-looking cell rejected (CSV injection)", rows=rows,
                              column=value_column, values=raw)
            problems.add_rows("non-numeric value", failed & ~formula,
                              "not a number", rows=rows, column=value_column, values=raw)
    finite = np.isfinite(values)
    problems.add_rows("infinite value", np.isinf(values),
                      "value is infinite or overflows float64", rows=rows, column=value_column,
                      values=values)
    with np.errstate(invalid="ignore"):
        huge = finite & (np.abs(values) > max_value)
        negative = finite & (values < 0)
    problems.add_rows("implausibly large value", huge,
                      f"value exceeds {max_value:.0e} in magnitude (overflow or unit error?)",
                      rows=rows, column=value_column, values=values)
    problems.add_rows("negative value", negative, "negative value (counts cannot be negative)",
                      rows=rows, column=value_column, values=values)

    # --- flags ------------------------------------------------------------------------------
    flag = _flags_categorical(frame["flag"] if "flag" in frame.columns else None, n)
    for k, label in enumerate(flag.categories):
        if label.startswith(FORMULA_PREFIXES) or any(ord(ch) < 32 for ch in label):
            problems.add_rows("invalid flag", np.asarray(flag.codes) == k,
                              "formula-looking or control characters in flag", rows=rows,
                              column=problems.column("flag"),
                              values=label)
    flag = _add_category(flag, MISSING_FLAG)
    nan_values = np.isnan(values)
    flag_codes = np.asarray(flag.codes).copy()
    flag_codes[nan_values & (flag_codes < 0)] = flag.categories.get_loc(MISSING_FLAG)
    flag = pd.Categorical.from_codes(flag_codes, categories=flag.categories)

    # --- unknown codes ------------------------------------------------------------------------
    for name, known in (("region", known_regions), ("activity", known_activities)):
        if known is None:
            continue
        known_set = {str(k) for k in known}
        cat = cats[name]
        codes = np.asarray(cat.codes)
        unknown_labels = [(k, lab) for k, lab in enumerate(cat.categories)
                          if lab not in known_set and code_issue(lab) is None]
        if not unknown_labels:
            continue
        if unknown == "warn":
            shown = ", ".join(repr(lab) for _, lab in unknown_labels[:10])
            more = f" and {len(unknown_labels) - 10} more" if len(unknown_labels) > 10 else ""
            warnings.warn(f"{origin or 'panel'}: {len(unknown_labels)} unknown {name} code(s): "
                          f"{shown}{more}", UnknownCodeWarning, stacklevel=4)
            continue
        for k, lab in unknown_labels:
            where = np.flatnonzero(codes == k)
            problems.add(f"unknown {name} code",
                         f"unknown {name} code ({where.size:,} row(s))",
                         row=int(rows[where[0]]), column=problems.column(name), value=lab)

    # --- duplicates ---------------------------------------------------------------------------
    region_codes = np.asarray(cats["region"].codes)
    activity_codes = np.asarray(cats["activity"].codes)
    n_act = max(len(cats["activity"].categories), 1)
    year_min = int(years.min()) if n else 0
    year_span = (int(years.max()) - year_min + 1) if n else 1
    key = region_codes.astype(np.int64)  # in place below, to keep one 8-byte array
    key *= n_act
    key += activity_codes
    key *= year_span
    key += years
    key -= year_min
    if n < 2 or bool(np.all(key[1:] >= key[:-1])):
        order = None  # already sorted (common for tidy files): no permutation needed
    else:
        order = np.argsort(key, kind="stable")
        key = key[order]
    same_as_next = key[1:] == key[:-1]
    del key
    has_duplicates = bool(same_as_next.any())
    valid_keys = (region_codes >= 0) & (activity_codes >= 0) & ~bad_year
    if has_duplicates and duplicates == "raise":
        previous = np.concatenate(([False], same_as_next[:-1]))
        starts = np.flatnonzero(same_as_next & ~previous)
        key_columns = ", ".join(problems.column(c) for c in _KEY)
        for s in starts[:_PROBLEMS_KEPT_PER_KIND]:
            e = s
            while e < same_as_next.size and same_as_next[e]:
                e += 1
            members = np.arange(s, e + 1) if order is None else order[s:e + 1]
            if not valid_keys[members[0]]:
                continue  # already reported as a missing/invalid key part
            member_rows = sorted(int(rows[m]) for m in members)
            i = members[0]
            label = (f"({cats['region'].categories[region_codes[i]]!r}, "
                     f"{cats['activity'].categories[activity_codes[i]]!r}, {int(years[i])})")
            listed = ", ".join(str(r) for r in member_rows[:10])
            problems.add("duplicate key",
                         f"duplicate key {label} in rows {listed}"
                         f"{' ...' if len(member_rows) > 10 else ''} "
                         "(pass duplicates='sum' to add them up)",
                         row=member_rows[1], column=key_columns)
        if starts.size > _PROBLEMS_KEPT_PER_KIND:
            problems.counts["duplicate key"] += int(starts.size) - _PROBLEMS_KEPT_PER_KIND

    if collector is not None:
        problems.extend(collector)
    if problems:
        raise problems.error()

    def take(array: np.ndarray) -> np.ndarray:
        return array if order is None else array[order]

    out = pd.DataFrame({
        "region": pd.Categorical.from_codes(take(region_codes), cats["region"].categories),
        "activity": pd.Categorical.from_codes(take(activity_codes),
                                              cats["activity"].categories),
        "year": take(years).astype(np.int64, copy=False),
        "value": take(values),
        "flag": pd.Categorical.from_codes(take(np.asarray(flag.codes)), flag.categories),
    })
    if has_duplicates:  # duplicates == "sum"
        out = _group_sum(out)
    return _tidy(out)


def _tidy(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop unused categories and reset the index (panel invariant)."""
    frame = frame.reset_index(drop=True)
    for name in ("region", "activity", "flag"):
        frame[name] = frame[name].cat.remove_unused_categories()
    return frame


def _group_sum(frame: pd.DataFrame) -> pd.DataFrame:
    """Sum records sharing a key. Missing-value rule: see :meth:`Panel.aggregate`."""
    flag_cat = _add_category(_add_category(frame["flag"].array, MISSING_FLAG), INCOMPLETE_FLAG)
    work = pd.DataFrame({
        "r": np.asarray(frame["region"].cat.codes),
        "a": np.asarray(frame["activity"].cat.codes),
        "y": np.asarray(frame["year"]),
        "value": np.asarray(frame["value"], dtype=np.float64),
        "f": np.where(np.asarray(flag_cat.codes) >= 0, np.asarray(flag_cat.codes),
                      np.nan),
    })
    grouped = work.groupby(["r", "a", "y"], sort=True)
    res = grouped.agg(value=("value", "sum"), known=("value", "count"),
                      size=("value", "size"), first=("f", "first"), nflags=("f", "nunique"))
    res = res.reset_index()
    known = res["known"].to_numpy()
    size = res["size"].to_numpy()
    value = np.where(known > 0, res["value"].to_numpy(), np.nan)
    first = res["first"].to_numpy()
    single_reason = res["nflags"].to_numpy() == 1
    missing_code = flag_cat.categories.get_loc(MISSING_FLAG)
    incomplete_code = flag_cat.categories.get_loc(INCOMPLETE_FLAG)
    flag = np.full(len(res), -1, dtype=np.int64)
    one = size == 1
    flag[one] = np.where(np.isnan(first[one]), -1, np.nan_to_num(first[one])).astype(np.int64)
    all_missing = ~one & (known == 0)
    flag[all_missing] = np.where(single_reason[all_missing],
                                 np.nan_to_num(first[all_missing]), missing_code).astype(np.int64)
    flag[~one & (known > 0) & (known < size)] = incomplete_code
    return pd.DataFrame({
        "region": pd.Categorical.from_codes(res["r"].to_numpy(), frame["region"].cat.categories),
        "activity": pd.Categorical.from_codes(res["a"].to_numpy(),
                                              frame["activity"].cat.categories),
        "year": res["y"].to_numpy(dtype=np.int64),
        "value": value,
        "flag": pd.Categorical.from_codes(flag, flag_cat.categories),
    })


# ----------------------------------------------------------------------------------------------
# hierarchy mappings for aggregate()
# ----------------------------------------------------------------------------------------------
_NACE_LEVELS = {"section": 0, "division": 2, "group": 3, "class": 4}


def nuts_parent(code: str, level: int) -> str | None:
    """Ancestor of NUTS ``code`` at ``level`` (0 = country), or ``None`` if ``code`` is coarser.

    A NUTS code of level L has 2 + L characters: ``nuts_parent("DE212", 1) == "DE2"``.
    """
    if len(code) - 2 < level:
        return None
    return code[: 2 + level]


def nace_parent(code: str, level: str) -> str | None:
    """Ancestor of a letter-prefixed (Eurostat-style) NACE Rev. 2 code at ``level``.

    ``level`` is ``"section"`` (``C``), ``"division"`` (``C10``), ``"group"`` (``C101``) or
    ``"class"`` (``C1011``); dots are ignored (``C10.1`` = ``C101``). Returns ``None`` for codes
    that are coarser than ``level`` or not of that form (``B-E``, ``TOTAL``, bare ``10.11``).
    """
    digits = _NACE_LEVELS[level]
    clean = code.replace(".", "")
    if len(clean) < 1 or not clean[0].isalpha() or not clean[0].isupper():
        return None
    rest = clean[1:]
    if rest and not rest.isdigit():
        return None
    if len(rest) < digits:
        return None
    return clean[: 1 + digits]


def _resolve_mapping(spec: Any, labels: pd.Index, axis: str, level: Any) -> list[str | None]:
    """Parent label for each label in ``labels`` (``None`` = unmapped)."""
    if isinstance(spec, tuple):
        if len(spec) != 2:
            raise ValueError(f"{axis}: a tuple spec must be (kind, level), e.g. ('nuts', 1)")
        spec, level = spec
    if isinstance(spec, str):
        kind = spec.lower()
        if kind == "nuts":
            if not isinstance(level, int | np.integer) or not 0 <= int(level) <= 3:
                raise ValueError(f"{axis}: 'nuts' needs an integer target level 0-3, got "
                                 f"{level!r}")
            return [nuts_parent(lab, int(level)) for lab in labels]
        if kind == "nace":
            if level not in _NACE_LEVELS:
                raise ValueError(f"{axis}: 'nace' needs a level among {list(_NACE_LEVELS)}, "
                                 f"got {level!r}")
            return [nace_parent(lab, level) for lab in labels]
        raise ValueError(f"{axis}: unknown hierarchy {spec!r}; use 'nuts', 'nace', a mapping "
                         "child->parent or a callable")
    if isinstance(spec, pd.Series):
        spec = spec.to_dict()
    if isinstance(spec, Mapping):
        out = []
        for lab in labels:
            parent = spec.get(lab)
            out.append(None if parent is None or _isna(parent) else str(parent))
        return out
    if callable(spec):
        out = []
        for lab in labels:
            parent = spec(lab)
            out.append(None if parent is None or _isna(parent) else str(parent))
        return out
    raise TypeError(f"{axis}: expected a mapping, a callable, 'nuts'/'nace' or a tuple, not "
                    f"{type(spec).__name__}")


def _hierarchy_codes(spec: Any, cat: pd.Categorical, axis: str, level: Any, unmapped: str
                     ) -> tuple[np.ndarray, pd.Index]:
    """New codes for ``cat`` after mapping; -1 marks rows to drop."""
    labels = cat.categories
    parents = _resolve_mapping(spec, labels, axis, level)
    missing = [lab for lab, p in zip(labels, parents, strict=True) if p is None]
    if missing and unmapped == "raise":
        shown = ", ".join(repr(m) for m in missing[:10])
        hint = ""
        if isinstance(spec, str) or isinstance(spec, tuple):
            hint = (" (codes coarser than the target level or not in the hierarchy; keep one "
                    f"level first, e.g. panel.select({axis}s=lambda c: len(c) == 4), or pass "
                    "unmapped='drop')")
        raise ValueError(f"{len(missing)} {axis} code(s) have no parent: {shown}"
                         f"{' ...' if len(missing) > 10 else ''}{hint}")
    if unmapped not in ("raise", "drop", "keep"):
        raise ValueError(f"unmapped must be 'raise', 'drop' or 'keep', not {unmapped!r}")
    if unmapped == "keep":
        parents = [lab if p is None else p for lab, p in zip(labels, parents, strict=True)]
    # guard against double counting: a parent present in the data together with its children
    children: dict[str, list[str]] = {}
    for lab, p in zip(labels, parents, strict=True):
        if p is not None:
            children.setdefault(p, []).append(lab)
    for p, kids in children.items():
        if p in kids and len(kids) > 1:
            others = [k for k in kids if k != p][:5]
            raise ValueError(f"{axis} {p!r} and its children {others} are both in the panel; "
                             "summing them would count twice. Select one level first with "
                             "Panel.select().")
    new_labels = sorted({p for p in parents if p is not None})
    position = {lab: i for i, lab in enumerate(new_labels)}
    lookup = np.array([position[p] if p is not None else -1 for p in parents] or [-1],
                      dtype=np.int64)
    codes = np.asarray(cat.codes, dtype=np.int64)
    return lookup[codes], pd.Index(new_labels)


# ----------------------------------------------------------------------------------------------
# the Panel
# ----------------------------------------------------------------------------------------------
class Panel:
    """A validated long-format panel of one measure by region, activity and year.

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns ``region`` (str), ``activity`` (str), ``year`` (int), ``value`` (float, NaN =
        missing) and optionally ``flag`` (str: the reason or quality flag, e.g. ``"c"``
        confidential, ``"p"`` provisional, ``"e"`` estimated, ``"d"`` definition differs).
        Importers may add a private ``_row`` column (1-based row in the origin file, header
        counted) and ``_col`` (source column of each value) used only in error messages. Other
        columns are ignored.
    meta : PanelMeta, optional
        What is measured and the classifications used.
    duplicates : {"raise", "sum"}
        What to do with several records for one ``(region, activity, year)`` key. ``"sum"``
        adds them up with the missing-value rule of :meth:`aggregate`.
    known_regions, known_activities : iterable of str, optional
        Code lists to check against (e.g. all NUTS 2021 codes).
    unknown : {"raise", "warn"}
        Unknown codes are problems that raise (default) or an :class:`UnknownCodeWarning`.
    origin : str, optional
        File or object the data come from, named in error messages.
    max_value : float
        Values above this magnitude are rejected (default :data:`MAX_VALUE` = 1e15).

    Raises
    ------
    PanelValidationError
        Once, listing every problem: missing or invalid (formula-looking, control characters)
        codes, non-integer years, non-numeric, infinite, implausibly large or negative values,
        duplicate keys, unknown codes.

    Notes
    -----
    Missing values are kept as ``NaN``; their ``flag`` holds the reason (``"missing"`` when
    none was given). Codes are stripped of surrounding white space. The stored frame is sorted
    by region, activity and year; codes and flags are categoricals.
    """

    __slots__ = ("_frame", "_meta", "_origin")

    def __init__(
        self,
        frame: pd.DataFrame,
        meta: PanelMeta | None = None,
        *,
        duplicates: Literal["raise", "sum"] = "raise",
        known_regions: Iterable[str] | None = None,
        known_activities: Iterable[str] | None = None,
        unknown: Literal["raise", "warn"] = "raise",
        origin: str | None = None,
        max_value: float = MAX_VALUE,
    ) -> None:
        if meta is not None and not isinstance(meta, PanelMeta):
            raise TypeError(f"meta must be a PanelMeta, not {type(meta).__name__}")
        self._frame = _validate(frame, origin=origin, duplicates=duplicates,
                                known_regions=known_regions, known_activities=known_activities,
                                unknown=unknown, max_value=max_value)
        self._meta = meta if meta is not None else PanelMeta()
        self._origin = origin

    @classmethod
    def _from_validated(cls, frame: pd.DataFrame, meta: PanelMeta, origin: str | None) -> Panel:
        panel = cls.__new__(cls)
        panel._frame = frame
        panel._meta = meta
        panel._origin = origin
        return panel

    # -- basic properties ---------------------------------------------------------------------
    @property
    def frame(self) -> pd.DataFrame:
        """Long frame: region, activity (categoricals), year, value, flag. Do not mutate."""
        return self._frame

    @property
    def meta(self) -> PanelMeta:
        """The panel's :class:`PanelMeta`."""
        return self._meta

    @property
    def origin(self) -> str | None:
        """File or object the panel was built from."""
        return self._origin

    @property
    def years(self) -> list[int]:
        """Sorted list of years present."""
        return [int(y) for y in np.unique(self._frame["year"].to_numpy())]

    @property
    def regions(self) -> pd.Index:
        """Sorted region codes present."""
        return pd.Index(self._frame["region"].cat.categories, name="region")

    @property
    def activities(self) -> pd.Index:
        """Sorted activity codes present."""
        return pd.Index(self._frame["activity"].cat.categories, name="activity")

    @property
    def missing(self) -> pd.DataFrame:
        """Records whose value is missing: columns region, activity, year, reason."""
        f = self._frame
        sub = f.loc[f["value"].isna(), ["region", "activity", "year", "flag"]]
        sub = sub.rename(columns={"flag": "reason"}).reset_index(drop=True)
        for name in ("region", "activity", "reason"):
            sub[name] = sub[name].astype(object).astype(str)
        return sub

    def __len__(self) -> int:
        return len(self._frame)

    def __repr__(self) -> str:
        f = self._frame
        years = self.years
        if not years:
            span = "no years"
        elif len(years) == 1:
            span = f"1 year ({years[0]})"
        else:
            span = f"{len(years)} years ({years[0]}-{years[-1]})"
        n_missing = int(f["value"].isna().sum())
        share = f" ({n_missing / len(f):.1%})" if len(f) else ""
        origin = f", origin={self._origin!r}" if self._origin else ""
        return (f"Panel(measure={self._meta.measure!r}, {span}, {len(self.regions):,} regions "
                f"× {len(self.activities):,} activities, {len(f):,} records, "
                f"{n_missing:,} missing{share}{origin})")

    def equals(self, other: object) -> bool:
        """True when ``other`` is a Panel with the same records and metadata."""
        if not isinstance(other, Panel) or self._meta != other._meta:
            return False
        a, b = self._frame, other._frame
        if len(a) != len(b):
            return False
        for col in ("region", "activity", "flag"):
            if not a[col].astype(object).equals(b[col].astype(object)):
                return False
        return bool(np.array_equal(a["year"].to_numpy(), b["year"].to_numpy())
                    and np.array_equal(a["value"].to_numpy(), b["value"].to_numpy(),
                                       equal_nan=True))

    def with_meta(self, **changes: Any) -> Panel:
        """Copy of the panel with some :class:`PanelMeta` fields replaced."""
        return Panel._from_validated(self._frame, replace(self._meta, **changes), self._origin)

    # -- matrices -------------------------------------------------------------------------------
    def matrix(self, year: int | None = None, *, missing: Literal["nan", "zero"] = "nan"
               ) -> pd.DataFrame:
        """Wide region × activity matrix for one year.

        Parameters
        ----------
        year : int, optional
            The year; the latest one when omitted.
        missing : {"nan", "zero"}
            Missing cells (NaN records, or a region-activity pair without a record that year)
            stay NaN or become 0.

        Returns
        -------
        pandas.DataFrame
            Index ``region`` (regions with a record that year), columns ``activity``
            (activities with a record that year), float values.
        """
        if missing not in ("nan", "zero"):
            raise ValueError(f"missing must be 'nan' or 'zero', not {missing!r}")
        years = self.years
        if not years:
            raise ValueError("the panel is empty")
        if year is None:
            year = years[-1]
        elif int(year) not in years:
            raise KeyError(f"year {year} not in panel (years: {years})")
        f = self._frame
        sub = f[f["year"].to_numpy() == int(year)]
        rc = np.asarray(sub["region"].cat.codes)
        ac = np.asarray(sub["activity"].cat.codes)
        r_used = np.unique(rc)
        a_used = np.unique(ac)
        mat = np.full((r_used.size, a_used.size), np.nan)
        mat[np.searchsorted(r_used, rc), np.searchsorted(a_used, ac)] = sub["value"].to_numpy()
        if missing == "zero":
            mat = np.nan_to_num(mat, nan=0.0)
        return pd.DataFrame(
            mat,
            index=pd.Index(f["region"].cat.categories[r_used], name="region"),
            columns=pd.Index(f["activity"].cat.categories[a_used], name="activity"),
        )

    def matrices(self, *, missing: Literal["nan", "zero"] = "nan") -> dict[int, pd.DataFrame]:
        """One :meth:`matrix` per year, keyed by year."""
        return {y: self.matrix(y, missing=missing) for y in self.years}

    @classmethod
    def from_matrix(cls, matrix: pd.DataFrame, year: int, meta: PanelMeta | None = None, *,
                    dropna: bool = True) -> Panel:
        """Build a one-year panel from a wide region × activity matrix.

        ``NaN`` cells are dropped (``dropna=True``) or kept as missing records flagged
        ``"missing"``. Problems are located as in ``matrix.to_csv()`` (row 1 = header).
        """
        if not isinstance(matrix, pd.DataFrame):
            raise TypeError(f"matrix must be a DataFrame, not {type(matrix).__name__}")
        if isinstance(year, bool) or not isinstance(year, int | np.integer):
            raise TypeError(f"year must be an int, not {type(year).__name__}")
        n_rows, n_cols = matrix.shape
        regions = np.repeat(np.asarray(matrix.index.astype(str), dtype=object), n_cols)
        activities = np.tile(np.asarray(matrix.columns.astype(str), dtype=object), n_rows)
        if all(pd.api.types.is_numeric_dtype(t) and not pd.api.types.is_bool_dtype(t)
               for t in matrix.dtypes):
            values: Any = matrix.to_numpy(dtype=np.float64).ravel()
        else:
            values = pd.Series(matrix.to_numpy(dtype=object).ravel(), dtype=object)
        frame = pd.DataFrame({
            "region": regions, "activity": activities,
            "year": np.full(n_rows * n_cols, int(year), dtype=np.int64), "value": values,
            "_row": np.repeat(np.arange(2, n_rows + 2), n_cols),
            "_col": activities,
        })
        if dropna:
            frame = frame[~pd.isna(frame["value"]).to_numpy()]
        return cls(frame, meta, origin="<matrix>")

    # -- selection and aggregation --------------------------------------------------------------
    def select(self, regions: Any = None, activities: Any = None, years: Any = None) -> Panel:
        """Sub-panel of the given regions, activities and years.

        Each argument is a single code (int for years), an iterable of codes, or a predicate
        ``code -> bool``; ``None`` keeps everything. Codes not in the panel are ignored.
        """
        f = self._frame
        mask = np.ones(len(f), dtype=bool)
        for name, spec in (("region", regions), ("activity", activities)):
            if spec is None:
                continue
            cats = f[name].cat.categories
            if callable(spec):
                keep = np.array([bool(spec(c)) for c in cats], dtype=bool)
            else:
                wanted = {spec} if isinstance(spec, str) else {str(s) for s in spec}
                keep = np.array([c in wanted for c in cats], dtype=bool)
            codes = np.asarray(f[name].cat.codes)
            mask &= keep[codes] if keep.size else np.zeros(len(f), dtype=bool)
        if years is not None:
            yv = f["year"].to_numpy()
            if callable(years):
                uniq = np.unique(yv)
                ok = uniq[np.array([bool(years(int(y))) for y in uniq], dtype=bool)]
            elif isinstance(years, int | np.integer):
                ok = np.array([int(years)])
            else:
                ok = np.array([int(y) for y in years])
            mask &= np.isin(yv, ok)
        return Panel._from_validated(_tidy(f[mask]), self._meta, self._origin)

    def aggregate(self, regions: Any = None, activities: Any = None, *, level: Any = None,
                  unmapped: Literal["raise", "drop", "keep"] = "raise") -> Panel:
        """Sum the panel up a region and/or activity hierarchy.

        Parameters
        ----------
        regions, activities : mapping, callable, str or tuple, optional
            A mapping child → parent (dict or Series), a callable ``code -> parent`` (``None``
            for no parent), or a named hierarchy: ``("nuts", L)`` (or ``"nuts"`` with
            ``level=L``) truncates NUTS codes to level L (``DE212 → DE21 → DE2 → DE``);
            ``("nace", "division")`` truncates letter-prefixed NACE codes (``C1011 → C101 →
            C10 → C``). ``None`` leaves the axis as it is.
        level : int or str, optional
            Target level for a named hierarchy given as a plain string.
        unmapped : {"raise", "drop", "keep"}
            Codes without a parent (including codes already coarser than the target level).

        Returns
        -------
        Panel

        Notes
        -----
        Missing-value rule, per aggregate cell with children :math:`c \\in C`:
        value :math:`= \\sum_{c \\in C, x_c\\ \\mathrm{known}} x_c`.

        * all children known: the sum, no flag (children's quality flags such as ``"e"``
          are not propagated);
        * some children missing: the sum of the known ones (a lower bound), flagged
          ``"incomplete"``;
        * all children missing: ``NaN``, with the children's common reason (e.g. ``"c"``) or
          ``"missing"``;
        * a single child: its value and flag unchanged.

        Only records present in the panel count as children: a child without any record for
        that activity and year is invisible. A parent present together with its children raises
        (it would be counted twice).
        """
        f = self._frame
        meta_changes: dict[str, Any] = {}
        region_codes = np.asarray(f["region"].cat.codes, dtype=np.int64)
        region_labels = f["region"].cat.categories
        if regions is not None:
            region_codes, region_labels = _hierarchy_codes(
                regions, f["region"].array, "region", level, unmapped)
            spec = regions[0] if isinstance(regions, tuple) else regions
            lvl = regions[1] if isinstance(regions, tuple) else level
            if isinstance(spec, str) and spec.lower() == "nuts":
                meta_changes["region_level"] = int(lvl)
        activity_codes = np.asarray(f["activity"].cat.codes, dtype=np.int64)
        activity_labels = f["activity"].cat.categories
        if activities is not None:
            activity_codes, activity_labels = _hierarchy_codes(
                activities, f["activity"].array, "activity", level, unmapped)
            spec = activities[0] if isinstance(activities, tuple) else activities
            lvl = activities[1] if isinstance(activities, tuple) else level
            if isinstance(spec, str) and spec.lower() == "nace":
                meta_changes["activity_level"] = str(lvl)
        keep = (region_codes >= 0) & (activity_codes >= 0)
        mapped = pd.DataFrame({
            "region": pd.Categorical.from_codes(region_codes[keep],
                                                pd.Index(list(region_labels))),
            "activity": pd.Categorical.from_codes(activity_codes[keep],
                                                  pd.Index(list(activity_labels))),
            "year": f["year"].to_numpy()[keep],
            "value": f["value"].to_numpy()[keep],
            "flag": f["flag"].array[keep],
        })
        out = _tidy(_group_sum(mapped))
        return Panel._from_validated(out, replace(self._meta, **meta_changes), self._origin)

    # -- persistence ------------------------------------------------------------------------------
    def to_parquet(self, path: str | Path, *, compression: str = "zstd") -> Path:
        """Write the panel to Parquet; metadata go to the file's key-value metadata as JSON."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(self._frame, preserve_index=False)
        payload = json.dumps({"format": "smartspec.panel", "version": 1,
                              "meta": self._meta.to_dict(), "origin": self._origin})
        metadata = dict(table.schema.metadata or {})
        metadata[_PARQUET_KEY] = payload.encode("utf-8")
        path = Path(path)
        pq.write_table(table.replace_schema_metadata(metadata), path, compression=compression)
        return path

    @classmethod
    def read_parquet(cls, path: str | Path) -> Panel:
        """Read a panel written by :meth:`to_parquet` (validated again on reading)."""
        import pyarrow.parquet as pq

        path = Path(path)
        table = pq.read_table(path)
        raw = (table.schema.metadata or {}).get(_PARQUET_KEY)
        if raw is None:
            raise ValueError(f"{str(path)!r} was not written by Panel.to_parquet (no "
                             f"{_PARQUET_KEY.decode()} metadata); use smartspec.data.read()")
        payload = json.loads(raw.decode("utf-8"))
        meta = PanelMeta.from_dict(payload.get("meta") or {})
        frame = table.to_pandas()
        return cls(frame, meta, origin=str(path))
