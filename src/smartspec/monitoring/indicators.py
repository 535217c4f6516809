r"""Monitoring indicators of a transformative activity (TA): definitions, targets, observations.

Three kinds of indicator follow a TA (Gianelle & Kleibrink 2015):

* **context** indicators describe the TA's economic environment and are *computed* from the
  evidence data (:mod:`smartspec.monitoring.context`): RCA, employment, relatedness density,
  the region's ECI and the global growth of the activity;
* **output** indicators measure what the implementation produced (:mod:`smartspec.monitoring.
  outputs`): actions completed, consortium size, projects funded, budget committed and spent,
  partners engaged;
* **result** indicators measure the expected change: new firms, employment or patents in the
  TA, co-funding leveraged, progress towards critical mass. They are recorded by the users.

Each indicator has a baseline (value, year), a target (value, year) and a direction (is higher
or lower better?). The *target path* is the straight line from baseline to target:

.. math:: \hat v(t) = v_0 + (v_1 - v_0)\,\frac{t - t_0}{t_1 - t_0}, \qquad t_0 \le t \le t_1,

equal to :math:`v_0` before :math:`t_0` and to :math:`v_1` after :math:`t_1`.

References
----------
Gianelle, C. & Kleibrink, A. (2015). *Monitoring Mechanisms for Smart Specialisation
Strategies*. S3 Policy Brief Series 13/2015, European Commission, JRC-IPTS, Seville.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

__all__ = [
    "DIRECTIONS",
    "INDICATOR_KINDS",
    "MIN_YEAR",
    "STANDARD_INDICATORS",
    "Indicator",
    "IndicatorError",
    "Observation",
    "ObservationError",
    "canonical_unit",
    "parse_observations_csv",
    "progress_towards_target",
    "standard_indicators",
    "validate_observation",
]

#: Kinds of indicator (Gianelle & Kleibrink 2015).
INDICATOR_KINDS: tuple[str, ...] = ("context", "output", "result")
#: Which way an indicator should move.
DIRECTIONS: tuple[str, ...] = ("higher", "lower")
#: Earliest year an observation may have (the regional accounts start in 1995).
MIN_YEAR = 1950
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,79}$")
#: Spellings of units taken as the same unit (compared case-insensitively).
UNIT_ALIASES: dict[str, str] = {
    "eur": "EUR", "euro": "EUR", "euros": "EUR", "€": "EUR",
    "count": "count", "number": "count", "#": "count", "n": "count",
    "persons": "persons", "person": "persons", "people": "persons", "employees": "persons",
    "ratio": "ratio", "index": "index", "share": "share",
    "growth rate": "growth rate", "%": "percent", "percent": "percent",
}


class IndicatorError(ValueError):
    """An indicator definition is invalid."""


class ObservationError(ValueError):
    """An observation is refused (the message says which value and why)."""


def canonical_unit(unit: object) -> str:
    """The unit in canonical spelling (``"€"`` and ``"euro"`` are ``"EUR"``); ``""`` if none."""
    text = " ".join(str(unit or "").split())
    return UNIT_ALIASES.get(text.lower(), text)


def _number(value: object, what: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise IndicatorError(f"{what} must be a number, got {value!r}")
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise IndicatorError(f"{what} must be a number, got {value!r}") from None
    if not math.isfinite(x):
        raise IndicatorError(f"{what} must be finite, got {value!r}")
    return x


def _year(value: object, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise IndicatorError(f"{what} must be a year, got {value!r}")
    try:
        y = float(value)
    except ValueError:
        raise IndicatorError(f"{what} must be a year, got {value!r}") from None
    if not y.is_integer() or not MIN_YEAR <= y <= 2100:
        raise IndicatorError(f"{what} must be a year between {MIN_YEAR} and 2100, got {value!r}")
    return int(y)


@dataclass(frozen=True)
class Indicator:
    """Definition of a monitoring indicator of a TA.

    Attributes
    ----------
    key : identifier, lower case (``"rca"``, ``"budget_committed"``).
    kind : ``"context"``, ``"output"`` or ``"result"``.
    name : display name.
    unit : unit of the values (``"ratio"``, ``"persons"``, ``"EUR"``, ``"count"`` ...).
    direction : ``"higher"`` (default) or ``"lower"``: which way is better.
    definition : what is measured and how.
    source : where the values come from.
    baseline_value, baseline_year : the starting point.
    target_value, target_year : the goal; the target path runs linearly from the baseline.
    computed : values computed by smartspec (context from data, output from the store); users
        cannot record computed *context* values by hand.
    parameters : how a computed indicator is computed (``{"measure": "rca"}`` ...).
    """

    key: str
    kind: str
    name: str
    unit: str = ""
    direction: str = "higher"
    definition: str = ""
    source: str = ""
    baseline_value: float | None = None
    baseline_year: int | None = None
    target_value: float | None = None
    target_year: int | None = None
    computed: bool = False
    parameters: Mapping[str, Any] = field(default_factory=dict)

    def validated(self) -> Indicator:
        """A checked copy (numbers as float, years as int, unit canonical).

        Raises
        ------
        IndicatorError
            Bad key, kind, direction, a non-numeric value, a year outside 1950-2100, a baseline
            year not before the target year, or a target without a baseline.
        """
        key = str(self.key).strip()
        if not _KEY.match(key):
            raise IndicatorError(f"indicator key {self.key!r} must be lower-case letters, digits "
                                 "and '_' (starting with a letter, at most 80 characters)")
        where = f"indicator {key!r}"
        if self.kind not in INDICATOR_KINDS:
            raise IndicatorError(f"{where}: kind must be one of {', '.join(INDICATOR_KINDS)}, "
                                 f"got {self.kind!r}")
        if self.direction not in DIRECTIONS:
            raise IndicatorError(f"{where}: direction must be 'higher' or 'lower', got "
                                 f"{self.direction!r}")
        name = " ".join(str(self.name or "").split())
        if not name:
            raise IndicatorError(f"{where}: a name is required")
        out = replace(
            self, key=key, name=name, unit=canonical_unit(self.unit),
            baseline_value=_number(self.baseline_value, f"{where}: baseline value"),
            baseline_year=_year(self.baseline_year, f"{where}: baseline year"),
            target_value=_number(self.target_value, f"{where}: target value"),
            target_year=_year(self.target_year, f"{where}: target year"),
            parameters=dict(self.parameters or {}), computed=bool(self.computed))
        if (out.baseline_value is None) != (out.baseline_year is None):
            raise IndicatorError(f"{where}: give both the baseline value and its year (or "
                                 "neither)")
        if (out.target_value is None) != (out.target_year is None):
            raise IndicatorError(f"{where}: give both the target value and its year (or neither)")
        if out.target_year is not None and out.baseline_year is None:
            raise IndicatorError(f"{where}: a target needs a baseline (value and year) to draw "
                                 "the target path from")
        if (out.target_year is not None and out.baseline_year is not None
                and out.baseline_year >= out.target_year):
            raise IndicatorError(f"{where}: the baseline year ({out.baseline_year}) must be "
                                 f"before the target year ({out.target_year})")
        return out

    @property
    def has_target(self) -> bool:
        """Baseline and target are both set (a target path exists)."""
        return None not in (self.baseline_value, self.baseline_year, self.target_value,
                            self.target_year)

    def expected(self, year: int) -> float | None:
        r"""The value on the linear target path in ``year`` (None without a target).

        .. math:: \hat v(t) = v_0 + (v_1 - v_0) \cdot \mathrm{clip}\left(
                  \frac{t - t_0}{t_1 - t_0}, 0, 1\right)
        """
        if not self.has_target:
            return None
        v0, v1 = float(self.baseline_value), float(self.target_value)  # type: ignore[arg-type]
        t0, t1 = int(self.baseline_year), int(self.target_year)  # type: ignore[arg-type]
        share = min(1.0, max(0.0, (int(year) - t0) / (t1 - t0)))
        return v0 + (v1 - v0) * share

    def to_dict(self) -> dict[str, Any]:
        """Plain values (JSON-safe)."""
        out = asdict(self)
        out["parameters"] = dict(self.parameters)
        return out


def progress_towards_target(indicator: Indicator, year: int, value: float) -> dict[str, float]:
    r"""How far an observation is along the target path.

    Returns ``planned`` (:math:`(\hat v(t) - v_0)/(v_1 - v_0)`, the share of the planned
    change due by ``year``), ``achieved`` (:math:`(v - v_0)/(v_1 - v_0)`, the share achieved;
    the sign convention makes "better" positive whatever the direction) and ``expected``
    (:math:`\hat v(t)`).

    Raises
    ------
    ValueError
        The indicator has no target, or its target equals its baseline.
    """
    if not indicator.has_target:
        raise ValueError(f"indicator {indicator.key!r} has no baseline and target")
    v0 = float(indicator.baseline_value)  # type: ignore[arg-type]
    v1 = float(indicator.target_value)  # type: ignore[arg-type]
    if v1 == v0:
        raise ValueError(f"indicator {indicator.key!r}: the target equals the baseline "
                         f"({v0:g}); there is no change to track")
    expected = indicator.expected(year)
    assert expected is not None
    return {"expected": expected, "planned": (expected - v0) / (v1 - v0),
            "achieved": (float(value) - v0) / (v1 - v0)}


# ---------------------------------------------------------------------------------------------
# the standard indicators of a TA
# ---------------------------------------------------------------------------------------------
_DATA = "computed by smartspec from the imported evidence data (see monitoring_data_years)"
_STORE = "computed by smartspec from the workspace's actions and consortia"
_USER = "recorded by the managing authority or the TA's stakeholders"

#: The indicators every TA gets (:func:`standard_indicators`); targets are set per TA.
STANDARD_INDICATORS: tuple[Indicator, ...] = (
    # context: computed from the evidence data, one value per data year
    Indicator("rca", "context", "Revealed comparative advantage (location quotient)", "ratio",
              definition="RCA of the region in the TA's activity (its aggregate in the data, "
                         "e.g. NACE section C for division C25): the activity's share of the "
                         "region's employment over its share of employment in all regions. "
                         "At least 1 means the region is specialised.",
              source=_DATA, computed=True, parameters={"measure": "rca"}),
    Indicator("employment", "context", "Persons employed in the TA's activity", "persons",
              definition="Persons employed in the region in the TA's activity (aggregate).",
              source=_DATA, computed=True, parameters={"measure": "employment"}),
    Indicator("density", "context", "Relatedness density", "share",
              definition="Share of the activities related to the TA's activity (weighted by "
                         "proximity, minimum conditional probability of co-specialisation "
                         "across all regions) in which the region is specialised (RCA >= 1).",
              source=_DATA, computed=True, parameters={"measure": "density"}),
    Indicator("eci", "context", "Economic complexity of the region (ECI)", "index",
              definition="Economic complexity index of the region (eigenvector method, "
                         "z-score over all regions) on the same activity classification.",
              source=_DATA, computed=True, parameters={"measure": "eci"}),
    Indicator("global_growth", "context", "Growth of the activity in all regions",
              "growth rate",
              definition="Annual growth of employment in the TA's activity summed over all "
                         "regions of the data (regions observed in both years), compounded "
                         "per year since the previous data year.",
              source=_DATA, computed=True, parameters={"measure": "global_growth"}),
    # output: derived from the store
    Indicator("actions_completed", "output", "Actions completed", "count",
              definition="Actions of the TA's strategy with status 'done'.",
              source=_STORE, computed=True, parameters={"measure": "actions_completed"}),
    Indicator("consortium_size", "output", "Consortium size", "count",
              definition="Members of the TA's most recent consortium.",
              source=_STORE, computed=True, parameters={"measure": "consortium_size"}),
    Indicator("projects_funded", "output", "Projects funded", "count",
              definition="Actions of the TA, not cancelled, with committed funding (> 0 EUR).",
              source=_STORE, computed=True, parameters={"measure": "projects_funded"}),
    Indicator("budget_committed", "output", "Budget committed", "EUR",
              definition="Funding committed to the TA's actions that are not cancelled.",
              source=_STORE, computed=True, parameters={"measure": "budget_committed"}),
    Indicator("budget_spent", "output", "Budget spent", "EUR",
              definition="Money spent on the TA's actions (cancelled ones included).",
              source=_STORE, computed=True, parameters={"measure": "budget_spent"}),
    Indicator("partners_engaged", "output", "Partners engaged", "count",
              definition="Distinct actors owning or taking part in an action of the TA that is "
                         "in progress or done.",
              source=_STORE, computed=True, parameters={"measure": "partners_engaged"}),
    # result: recorded by the users
    Indicator("new_firms", "result", "New firms in the TA", "count",
              definition="Firms created (or attracted) in the region in the TA's activity "
                         "during the year.", source=_USER),
    Indicator("employment_ta", "result", "Employment in the TA (division level)", "persons",
              definition="Persons employed in the region in the TA's own activity (e.g. the "
                         "NACE division), from business statistics or a survey.", source=_USER),
    Indicator("patents", "result", "Patent applications in the TA", "count",
              definition="Patent applications by the region's inventors in technologies of "
                         "the TA during the year.", source=_USER),
    Indicator("cofunding_leveraged", "result", "Co-funding leveraged", "EUR",
              definition="Private and other public money committed to the TA's actions on top "
                         "of the programme's funds (cumulative).", source=_USER),
    Indicator("critical_mass_ratio", "result", "Progress to critical mass", "ratio",
              definition="Employment capacity of the TA over the size-star threshold (90th "
                         "percentile across regions, European Cluster Observatory); 1 = "
                         "critical mass reached (see smartspec.implementation.critical_mass).",
              source=_USER),
)


def standard_indicators(kinds: Iterable[str] = INDICATOR_KINDS) -> list[Indicator]:
    """Copies of :data:`STANDARD_INDICATORS` of the given kinds."""
    wanted = set(kinds)
    unknown = wanted - set(INDICATOR_KINDS)
    if unknown:
        raise ValueError(f"unknown indicator kinds {sorted(unknown)}; use {INDICATOR_KINDS}")
    return [replace(i, parameters=dict(i.parameters)) for i in STANDARD_INDICATORS
            if i.kind in wanted]


# ---------------------------------------------------------------------------------------------
# observations
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Observation:
    """A checked observation of an indicator."""

    key: str
    year: int
    value: float
    unit: str
    note: str = ""
    source: str = ""


def _close_keys(key: str, known: Iterable[str]) -> str:
    import difflib

    keys = sorted(known)
    close = difflib.get_close_matches(key, keys, n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    return f"known indicators: {', '.join(keys) or 'none'}{hint}"


def validate_observation(indicators: Mapping[str, Indicator], key: object, year: object,
                         value: object, unit: object = None, *, note: object = "",
                         source: object = "", max_year: int | None = None,
                         min_year: int = MIN_YEAR, where: str = "",
                         allow_computed: bool = False) -> Observation:
    """Check one observation against the TA's indicator definitions.

    Parameters
    ----------
    indicators : the TA's indicators by key.
    key, year, value, unit : the observation; an empty ``unit`` means the indicator's unit.
    max_year : latest allowed year (default: the current year: nothing is observed in the
        future).
    min_year : earliest allowed year.
    where : prefix of the error messages (``"observations.csv, row 4"``).
    allow_computed : accept values of computed *context* indicators (used by the
        recomputation itself; users import a data year instead).

    Raises
    ------
    ObservationError
        Unknown indicator, a computed context indicator, a non-numeric or non-finite value, a
        year that is not an integer or outside ``[min_year, max_year]``, or a unit that is not
        the indicator's unit. The message names the place, the value and the rule.
    """
    prefix = f"{where}: " if where else ""
    k = str(key if key is not None else "").strip()
    if k not in indicators:
        raise ObservationError(f"{prefix}unknown indicator {k!r} ({_close_keys(k, indicators)})")
    ind = indicators[k]
    if ind.computed and ind.kind == "context" and not allow_computed:
        raise ObservationError(f"{prefix}indicator {k!r} is a context indicator computed from "
                               "the evidence data; import a new data year instead of recording "
                               "values by hand")
    last = dt.date.today().year if max_year is None else int(max_year)
    y: float
    if isinstance(year, bool):
        raise ObservationError(f"{prefix}indicator {k!r}: year must be an integer, got {year!r}")
    try:
        y = float(str(year).strip()) if isinstance(year, str) else float(year)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ObservationError(f"{prefix}indicator {k!r}: year must be an integer, got "
                               f"{year!r}") from None
    if not math.isfinite(y) or not y.is_integer():
        raise ObservationError(f"{prefix}indicator {k!r}: year must be an integer, got {year!r}")
    if not min_year <= y <= last:
        raise ObservationError(f"{prefix}indicator {k!r}: year {int(y)} is out of range "
                               f"({min_year}-{last}; observations cannot lie in the future)")
    if isinstance(value, bool) or value is None:
        raise ObservationError(f"{prefix}indicator {k!r} ({int(y)}): value must be a number, "
                               f"got {value!r}")
    try:
        number = float(str(value).strip().replace(",", "")) if isinstance(value, str) \
            else float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ObservationError(f"{prefix}indicator {k!r} ({int(y)}): value must be a number, "
                               f"got {value!r}") from None
    if not math.isfinite(number):
        raise ObservationError(f"{prefix}indicator {k!r} ({int(y)}): value must be finite, got "
                               f"{value!r}")
    given = canonical_unit(unit)
    if given and ind.unit and given != ind.unit:
        raise ObservationError(f"{prefix}indicator {k!r} ({int(y)}): unit {str(unit)!r} does "
                               f"not match the indicator's unit {ind.unit!r}")
    return Observation(key=k, year=int(y), value=number, unit=ind.unit or given,
                       note=" ".join(str(note or "").split()),
                       source=" ".join(str(source or "").split()))


#: Column names accepted in an observations CSV (lower case) -> field.
_CSV_COLUMNS = {"indicator": "key", "key": "key", "indicator_key": "key", "year": "year",
                "value": "value", "unit": "unit", "note": "note", "source": "source",
                "ta": "ta", "activity": "ta"}


def parse_observations_csv(source: str | os.PathLike[str] | io.IOBase | bytes,
                           *, origin: str | None = None) -> list[dict[str, Any]]:
    """Read an observations CSV into raw rows (validated later, per TA).

    Columns (header row, any order, case-insensitive): ``indicator`` (or ``key``), ``year``,
    ``value``, optional ``unit``, ``note``, ``source`` and ``ta`` (the TA's activity code; needed
    when the file holds several TAs). Comma, semicolon or tab separated (sniffed); UTF-8 with
    or without BOM.

    Returns
    -------
    list of dict
        ``{"row": <line number in the file>, "key", "year", "value", "unit", "note", "source",
        "ta"}`` with the raw text values.

    Raises
    ------
    ObservationError
        Unreadable file, no header, a missing required column, an unknown column.
    """
    if isinstance(source, bytes):
        text, name = source.decode("utf-8-sig"), origin or "<bytes>"
    elif isinstance(source, str | os.PathLike) and not (isinstance(source, str)
                                                       and "\n" in source):
        path = Path(source)
        name = origin or str(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise ObservationError(f"{name}: cannot read the file: {exc}") from exc
    elif isinstance(source, str):
        text, name = source.lstrip("\ufeff"), origin or "<text>"
    else:
        raw = source.read()
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else str(raw)
        name = origin or getattr(source, "name", "<stream>")
    if not text.strip():
        raise ObservationError(f"{name}: the file is empty")
    try:
        dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = next(reader)
    fields: list[str | None] = []
    for col in header:
        name_l = col.strip().lower()
        if name_l not in _CSV_COLUMNS:
            raise ObservationError(f"{name}: unknown column {col.strip()!r}; use indicator, "
                                   "year, value and optionally unit, note, source, ta")
        fields.append(_CSV_COLUMNS[name_l])
    missing = [c for c in ("key", "year", "value") if c not in fields]
    if missing:
        label = {"key": "indicator", "year": "year", "value": "value"}
        raise ObservationError(f"{name}: missing column(s) {', '.join(label[m] for m in missing)}"
                               f" (header: {', '.join(header)})")
    rows: list[dict[str, Any]] = []
    for line, record in enumerate(reader, start=2):
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != len(fields):
            raise ObservationError(f"{name}, row {line}: {len(record)} values for "
                                   f"{len(fields)} columns")
        row: dict[str, Any] = {"row": line, "unit": "", "note": "", "source": "", "ta": None}
        for f, cell in zip(fields, record, strict=True):
            row[f] = cell.strip() if f != "ta" else (cell.strip() or None)  # type: ignore[index]
        rows.append(row)
    if not rows:
        raise ObservationError(f"{name}: no observations after the header")
    return rows


def indicator_map(indicators: Sequence[Indicator]) -> dict[str, Indicator]:
    """Indicators by key (refuses duplicates)."""
    out: dict[str, Indicator] = {}
    for ind in indicators:
        if ind.key in out:
            raise IndicatorError(f"indicator {ind.key!r} is defined twice")
        out[ind.key] = ind
    return out
