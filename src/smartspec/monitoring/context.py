r"""Context indicators of a TA, computed year by year from the evidence data.

The multi-year evidence of smartspec is the regional accounts' employment by NACE **A*10**
aggregate (:func:`smartspec.datasets.regional_employment`, 1995-2018, NUTS 2016), while TAs are
usually NACE **divisions** (``"C25"``). A TA is followed through the finest aggregate of the data
that contains it (:func:`activity_code`):

1. the TA's own code, when the data has it (division-level data);
2. its NACE section (``C25`` -> ``"C"``, manufacturing, which ``regional_employment`` publishes
   next to the A*10 aggregates);
3. the A*10 aggregate of its section (``D35`` -> ``"B-E"``; see
   :data:`smartspec.discovery.A10_OF_SECTION`).

The activity space (:func:`activity_space`) must not count employment twice: the aggregates
``TOTAL``, ``G-J``, ``K-N`` and ``O-U`` are dropped when their parts are present, and when both
``"C"`` and ``"B-E"`` are there, ``"B-E"`` is replaced by ``"BDE"`` = B-E minus C (mining,
energy, water supply and waste), so that C25 -> ``"C"`` and D35 -> ``"BDE"``.

For every data year :math:`t` (:func:`year_evidence`), with :math:`x_{ra}` the persons employed
(missing cells count as zero):

* **RCA** (location quotient) :math:`RCA_{ra} = (x_{ra}/\sum_b x_{rb}) / (\sum_s x_{sa} /
  \sum_{s,b} x_{sb})`;
* **employment** :math:`x_{ra}` (missing when the cell is not published);
* **relatedness density** :math:`\omega_{ra} = \sum_b M_{rb}\phi_{ab} / \sum_b \phi_{ab}` with
  :math:`M = [RCA \ge 1]` and :math:`\phi` the minimum-conditional-probability proximity of the
  activity space in that year (Hidalgo et al. 2007);
* **ECI** of the region (eigenvector method, z-score; Hausmann, Hidalgo et al. 2014) on the
  same activity space — with ten or so aggregates it measures the *sectoral* sophistication of
  the region only coarsely, so read its changes rather than its level;
* **global growth** of the activity: the compound annual growth of its employment summed over
  the regions observed in both :math:`t` and the previous data year :math:`p`,
  :math:`g_{a,t} = (X_{a,t}/X_{a,p})^{1/(t-p)} - 1`.

Years whose cross-section is thin (fewer regions than ``min_coverage`` times the
best-covered year, e.g. 2018 in ``regional_employment``) give no RCA, density or ECI: with a
different set of regions these would move for reasons that have nothing to do with the TA.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
import warnings
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = [
    "CONTEXT_MEASURES",
    "DERIVED_CODES",
    "YearEvidence",
    "activity_code",
    "activity_space",
    "context_series",
    "evidence_by_year",
    "matrix_checksum",
    "year_evidence",
]

#: The context measures, in display order (the keys of the context indicators).
CONTEXT_MEASURES: tuple[str, ...] = ("rca", "employment", "density", "eci", "global_growth")

#: Aggregates dropped from the activity space when all their parts are present.
_OVERLAPS: dict[str, tuple[str, ...]] = {
    "TOTAL": (),
    "G-J": ("G-I", "J"),
    "K-N": ("K", "L", "M-N"),
    "O-U": ("O-Q", "R-U"),
}
#: Codes made by :func:`activity_space` and what they stand for.
DERIVED_CODES: dict[str, str] = {
    "BDE": "Mining, energy, water supply and waste (NACE B, D, E: B-E minus C)",
}
_SECTION_TO_A10: dict[str, str] = {
    "A": "A", "B": "B-E", "C": "B-E", "D": "B-E", "E": "B-E", "F": "F", "G": "G-I",
    "H": "G-I", "I": "G-I", "J": "J", "K": "K", "L": "L", "M": "M-N", "N": "M-N",
    "O": "O-Q", "P": "O-Q", "Q": "O-Q", "R": "R-U", "S": "R-U", "T": "R-U", "U": "R-U",
}


def activity_space(matrix: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The non-overlapping activity space of a region x activity matrix.

    Returns the matrix (columns as text, same rows) and notes on what was changed. Missing cells
    stay missing (NaN); ``BDE`` is missing where ``B-E`` or ``C`` is.
    """
    x = matrix.copy()
    x.columns = pd.Index([str(c) for c in x.columns], name="activity")
    x.index = pd.Index([str(r) for r in x.index], name="region")
    notes: list[str] = []
    if "TOTAL" in x.columns:
        x = x.drop(columns="TOTAL")
        notes.append("TOTAL dropped (not an activity)")
    cols = set(x.columns)
    for agg, parts in _OVERLAPS.items():
        if agg == "TOTAL":
            continue
        if agg in cols and all(p in cols or (p == "B-E" and "C" in cols) for p in parts):
            x = x.drop(columns=agg)
            notes.append(f"{agg} dropped (its parts are in the data)")
    if "B-E" in x.columns and "C" in x.columns:
        bde = x["B-E"] - x["C"]
        if (bde < -0.5).any():
            bad = list(bde.index[bde < -0.5][:5])
            raise ValueError(f"employment in C exceeds B-E in regions {bad}: the data are not "
                             "consistent")
        x = x.drop(columns="B-E")
        x["BDE"] = bde.clip(lower=0.0)
        notes.append("B-E replaced by BDE = B-E minus C (so that C is not counted twice)")
    return x, notes


def activity_code(activity: str, codes: Iterable[str]) -> str:
    """The code that follows ``activity`` (a TA's code) in an activity space.

    Parameters
    ----------
    activity : the TA's activity, e.g. a NACE division ``"C25"``.
    codes : the columns of the activity space (after :func:`activity_space`).

    Returns
    -------
    str
        ``activity`` itself if present; else its NACE section letter (``"C"``); else the A*10
        aggregate of the section (``"B-E"``, or ``"BDE"`` for B, D and E when B-E was split).

    Raises
    ------
    ValueError
        No code of the data contains the activity.

    Examples
    --------
    >>> activity_code("C25", ["A", "BDE", "C", "F", "G-I"])
    'C'
    >>> activity_code("D35", ["A", "BDE", "C", "F"])
    'BDE'
    >>> activity_code("J62", ["A", "B-E", "J"])
    'J'
    """
    known = [str(c) for c in codes]
    have = set(known)
    code = str(activity).strip().upper()
    if code in have:
        return code
    letter = code[:1]
    if letter in have:
        return letter
    agg = _SECTION_TO_A10.get(letter)
    if agg == "B-E" and "BDE" in have and letter in ("B", "D", "E"):
        return "BDE"
    if agg is not None and agg in have:
        return agg
    raise ValueError(f"activity {activity!r} is not covered by the data (activities: "
                     f"{', '.join(known[:15])}{' ...' if len(known) > 15 else ''}); import data "
                     "at the TA's level or at NACE section / A*10 level")


def matrix_checksum(matrix: pd.DataFrame) -> str:
    """SHA-256 of a region x activity matrix in canonical form (sorted labels, values rounded
    to 1e-9, missing as null): the same data give the same checksum."""
    x = matrix.copy()
    x.index = [str(r) for r in x.index]
    x.columns = [str(c) for c in x.columns]
    x = x.sort_index().sort_index(axis=1)
    values = [[None if not math.isfinite(v) else round(float(v), 9) for v in row]
              for row in x.to_numpy(dtype=float)]
    doc = json.dumps({"r": list(x.index), "c": list(x.columns), "v": values},
                     separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(doc.encode()).hexdigest()


@dataclass(frozen=True)
class YearEvidence:
    """The context indicators of every region and activity in one data year.

    ``x`` holds the employment (NaN = not published); ``rca``, ``density`` are regions x
    activities, ``eci`` is over regions (regions without employment are absent). ``notes``
    says what was dropped or derived.
    """

    year: int
    x: pd.DataFrame
    rca: pd.DataFrame
    density: pd.DataFrame
    eci: pd.Series
    notes: tuple[str, ...] = field(default=())
    #: The year's cross-section is thin: its RCA, density and ECI are not used.
    thin: bool = False

    @property
    def n_regions(self) -> int:
        """Regions with employment data."""
        return int(len(self.rca.index))


_CACHE: OrderedDict[str, YearEvidence] = OrderedDict()
_CACHE_SIZE = 64
_CACHE_LOCK = threading.Lock()


def year_evidence(matrix: pd.DataFrame, year: int, *, regions: Iterable[str] | None = None,
                  cache_key: str | None = None) -> YearEvidence:
    """RCA, relatedness density and ECI of one year's region x activity matrix.

    Parameters
    ----------
    matrix : persons employed (or another size measure), regions x activities; NaN = missing.
    year : the data year.
    regions : compute RCA, density and ECI over these regions only (a balanced set, see
        :func:`evidence_by_year`); ``x`` keeps every region.
    cache_key : a key identifying the matrix and the regions; results are kept in a small
        in-process cache under it.

    Raises
    ------
    ValueError
        Negative or non-numeric values, fewer than 2 regions or activities with data.
    """
    if cache_key is not None:
        with _CACHE_LOCK:
            if cache_key in _CACHE:
                _CACHE.move_to_end(cache_key)
                return _CACHE[cache_key]
    from smartspec.evidence import complexity, density, proximity, rca

    x, notes = activity_space(matrix)
    try:
        values = x.astype(float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"data year {year}: values must be numeric ({exc})") from None
    if (values < 0).to_numpy().any():
        bad = values.stack()
        bad = bad[bad < 0].index[:5].tolist()
        raise ValueError(f"data year {year}: negative values at {bad}")
    filled = values.fillna(0.0)
    keep = filled.sum(axis=1) > 0
    if regions is not None:
        keep &= filled.index.isin(pd.Index([str(r) for r in regions]))
    filled = filled.loc[keep]
    filled = filled.loc[:, filled.sum(axis=0) > 0]
    if filled.shape[0] < 2 or filled.shape[1] < 2:
        raise ValueError(f"data year {year}: at least 2 regions and 2 activities with data are "
                         f"needed, got {filled.shape[0]} x {filled.shape[1]}")
    r = rca(filled)
    m = (r >= 1.0).astype(float)
    phi = proximity(m)
    dens = density(m, phi)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            eci = complexity(m).eci
        notes.extend(f"ECI {year}: {w.message}" for w in caught)
    except (ValueError, np.linalg.LinAlgError) as exc:
        eci = pd.Series(np.nan, index=filled.index, name="eci")
        notes.append(f"ECI {year} not computed: {exc}")
    ev = YearEvidence(year=int(year), x=values.loc[values.fillna(0.0).sum(axis=1) > 0],
                      rca=r, density=dens, eci=eci, notes=tuple(notes))
    if cache_key is not None:
        with _CACHE_LOCK:
            _CACHE[cache_key] = ev
            while len(_CACHE) > _CACHE_SIZE:
                _CACHE.popitem(last=False)
    return ev


def evidence_by_year(matrices: Mapping[int, pd.DataFrame], *,
                     checksums: Mapping[int, str] | None = None,
                     min_coverage: float = 0.8) -> dict[int, YearEvidence]:
    """:class:`YearEvidence` of every year, on a balanced set of regions.

    The regions kept are those with data in every *well-covered* year (at least
    ``min_coverage`` times as many regions as the best-covered year), so that RCA, density and
    ECI move only because the regions' structures move, not because regions enter or leave the
    data. Thin years are computed over the regions they have and flagged ``thin``.

    Parameters
    ----------
    matrices : data year -> region x activity matrix.
    checksums : data year -> :func:`matrix_checksum` of the matrix (enables the cache).
    min_coverage : see above.
    """
    if not 0.0 < float(min_coverage) <= 1.0:
        raise ValueError(f"min_coverage must be within (0, 1], got {min_coverage!r}")
    if not matrices:
        raise ValueError("no data years: import at least one data year first")
    present = {int(y): {str(r) for r, v in m.notna().any(axis=1).items() if v}
               for y, m in matrices.items()}
    best = max(len(v) for v in present.values())
    good = [y for y, v in present.items() if len(v) >= min_coverage * best]
    common = set.intersection(*(present[y] for y in good))
    digest = hashlib.sha256(",".join(sorted(common)).encode()).hexdigest()[:16]
    out: dict[int, YearEvidence] = {}
    for y in sorted(present):
        thin = y not in good
        key = None
        if checksums is not None and y in checksums:
            key = f"{checksums[y]}:{'thin' if thin else digest}"
        ev = year_evidence(matrices[y], y, regions=None if thin else common, cache_key=key)
        if thin:
            ev = YearEvidence(year=ev.year, x=ev.x, rca=ev.rca, density=ev.density, eci=ev.eci,
                              notes=ev.notes, thin=True)
        out[y] = ev
    return out


def _value(frame: pd.DataFrame, region: str, code: str) -> float:
    if region not in frame.index or code not in frame.columns:
        return float("nan")
    v = frame.at[region, code]
    return float(v) if v is not None and not pd.isna(v) else float("nan")


def context_series(evidence: Mapping[int, YearEvidence], region: str, activity: str
                   ) -> pd.DataFrame:
    """The context indicators of a TA, one row per data year.

    Parameters
    ----------
    evidence : data year -> :class:`YearEvidence` (all years of one dataset, e.g. from
        :func:`evidence_by_year`); thin years give no RCA, density or ECI.
    region : the home region (a row of the data).
    activity : the TA's activity (mapped with :func:`activity_code`).

    Returns
    -------
    DataFrame
        Index ``year``; columns :data:`CONTEXT_MEASURES` (NaN where unknown). ``attrs``:
        ``code`` (the activity followed), ``notes`` (list of str).

    Raises
    ------
    ValueError
        No data, the activity is not covered, or the region is in no year of the data.
    """
    if not evidence:
        raise ValueError("no data years: import at least one data year first")
    years = sorted(int(y) for y in evidence)
    code = activity_code(activity, evidence[years[-1]].x.columns)
    region = str(region)
    rows: list[dict[str, float]] = []
    notes: list[str] = []
    thin: list[int] = []
    absent: list[int] = []
    previous: YearEvidence | None = None
    for y in years:
        ev = evidence[y]
        row = dict.fromkeys(CONTEXT_MEASURES, float("nan"))
        if code not in ev.x.columns:
            notes.append(f"{y}: activity {code} not in the data")
        else:
            if region in ev.x.index:
                row["employment"] = _value(ev.x, region, code)
                if not ev.thin and region in ev.rca.index:
                    row["rca"] = _value(ev.rca, region, code)
                    row["density"] = _value(ev.density, region, code)
                    row["eci"] = float(ev.eci.get(region, np.nan))
                elif ev.thin:
                    thin.append(y)
            else:
                absent.append(y)
            if previous is not None and code in previous.x.columns:
                a = previous.x[code]
                b = ev.x[code]
                both = a.index.intersection(b.index)
                a, b = a.reindex(both), b.reindex(both)
                ok = a.notna() & b.notna()
                t0, t1 = float(a[ok].sum()), float(b[ok].sum())
                if t0 > 0 and ok.any():
                    row["global_growth"] = (t1 / t0) ** (1.0 / (y - previous.year)) - 1.0
        rows.append(row)
        previous = ev
    if len(absent) == len(years):
        raise ValueError(f"region {region!r} is in none of the data years {years[0]}-"
                         f"{years[-1]} (the data may use another NUTS version)")
    if thin:
        notes.append(f"RCA, density and ECI not computed for {', '.join(map(str, thin))}: "
                     "too few regions have data in these years")
    if absent:
        notes.append(f"region {region} has no data in {', '.join(map(str, absent))}")
    out = pd.DataFrame(rows, index=pd.Index(years, name="year"), columns=list(CONTEXT_MEASURES))
    out.attrs["code"] = code
    out.attrs["notes"] = notes
    return out
