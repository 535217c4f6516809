r"""Dynamics of regional specialisation over time: entries, exits, entry prediction, shift-share.

Presence panels
---------------
:func:`entries`, :func:`exits` and :func:`entry_auc` take ``m_by_year``, a panel of 0/1
presence matrices (region x activity, e.g. from :func:`smartspec.evidence.rca.presence`) given as

* a mapping ``year -> matrix`` (DataFrame, LabelledSparse, sparse matrix or array), or
* one DataFrame with a two-level row MultiIndex ``(year, region)`` and activity columns.

Years must be integers. Regions and activities are aligned across years on their union (in
order of first appearance, earliest year first); the
``missing=`` policy says what a region, activity or cell that is not observed in a year means:

``"raise"`` (default)
    Every year must hold the same regions and activities and no missing cell; otherwise a
    ``ValueError`` names what is missing where.
``"zero"``
    Unobserved cells are absent (0).
``"exclude"``
    Unobserved cells are unknown: a transition that starts or ends in one is left out of every
    risk set (NaN in :func:`entries` / :func:`exits`, not counted by :func:`entry_auc`). For the
    densities of :func:`entry_auc` they count as absent.

A horizon :math:`h` is measured in years: the transitions are the pairs of observed years
:math:`(t, t + h)`; start years without a year :math:`t + h` in the panel give no transition.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.stats import rankdata

from smartspec.evidence._matrix import (
    LabelledSparse,
    Matrix,
    MissingPolicy,
    as_labelled,
    check_binary,
)
from smartspec.evidence.relatedness import density, proximity

__all__ = ["EntryAUC", "entries", "entry_auc", "exits", "shift_share"]

PanelMissing = Literal["raise", "zero", "exclude"]
_PANEL_MISSING = ("raise", "zero", "exclude")
_MAX_LISTED = 10


def _listing(labels: Sequence[object]) -> str:
    labels = list(labels)
    shown = ", ".join(str(x) for x in labels[:_MAX_LISTED])
    more = f" (and {len(labels) - _MAX_LISTED} more)" if len(labels) > _MAX_LISTED else ""
    return shown + more


# --------------------------------------------------------------------------------------------
# Panel handling
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Stack:
    """A presence panel aligned on the union of labels: ``values[t, r, i]`` in {0, 1, NaN}."""

    years: list[int]
    regions: pd.Index
    activities: pd.Index
    values: np.ndarray  # (n_years, n_regions, n_activities), NaN = not observed


def _year(y: object, name: str) -> int:
    if isinstance(y, bool) or not isinstance(y, (int, np.integer)):
        raise TypeError(f"{name}: years must be integers, got {y!r} ({type(y).__name__})")
    return int(y)


def _nan_mask(raw: object, m: Matrix) -> np.ndarray:
    """Boolean (n, p) mask of the cells of ``raw`` that are missing (NaN / NA)."""
    if isinstance(raw, pd.DataFrame):
        return raw.isna().to_numpy()
    if isinstance(raw, LabelledSparse) or sp.issparse(raw):
        mat = sp.csr_array(raw.matrix if isinstance(raw, LabelledSparse) else raw).tocoo()
        mask = np.zeros(m.shape, dtype=bool)
        bad = np.isnan(np.asarray(mat.data, dtype=float))
        mask[mat.row[bad], mat.col[bad]] = True
        return mask
    return np.isnan(np.asarray(raw, dtype=float))


def _split_years(m_by_year: object, name: str) -> list[tuple[int, object]]:
    if isinstance(m_by_year, pd.DataFrame):
        if m_by_year.index.nlevels != 2:
            raise ValueError(f"{name}: a DataFrame panel needs a two-level row MultiIndex "
                             f"(year, region), got {m_by_year.index.nlevels} level(s)")
        items = [(y, block.droplevel(0)) for y, block in m_by_year.groupby(level=0, sort=False)]
    elif isinstance(m_by_year, Mapping):
        items = list(m_by_year.items())
    else:
        raise TypeError(f"{name}: expected a mapping year -> presence matrix or a DataFrame with "
                        f"a (year, region) MultiIndex, got {type(m_by_year).__name__}")
    out = sorted(((_year(y, name), block) for y, block in items), key=lambda t: t[0])
    if len({y for y, _ in out}) != len(out):
        raise ValueError(f"{name}: duplicated years")
    if not out:
        raise ValueError(f"{name}: the panel has no years")
    return out


def _stack(m_by_year: object, missing: PanelMissing, name: str = "m_by_year") -> _Stack:
    """Validate a presence panel and align it on the union of regions and activities."""
    if missing not in _PANEL_MISSING:
        raise ValueError(f"missing must be one of {_PANEL_MISSING}, got {missing!r}")
    blocks: list[tuple[int, Matrix, np.ndarray | None]] = []
    for y, raw in _split_years(m_by_year, name):
        label = f"{name}[{y}]"
        m = as_labelled(raw, name=label, missing="raise" if missing == "raise" else "zero",
                        allow_sparse=False)
        check_binary(m, label)
        blocks.append((y, m, _nan_mask(raw, m) if missing == "exclude" else None))

    regions = blocks[0][1].rows.append([b.rows for _, b, _ in blocks[1:]]).unique()
    activities = blocks[0][1].cols.append([b.cols for _, b, _ in blocks[1:]]).unique()
    if missing == "raise":
        problems = []
        for y, m, _ in blocks:
            for what, have, full in (("regions", m.rows, regions),
                                     ("activities", m.cols, activities)):
                lacking = full.difference(have, sort=False)
                if len(lacking):
                    problems.append(f"{len(lacking)} {what} missing in {y}: {_listing(lacking)}")
        if problems:
            raise ValueError(f"{name}: years do not cover the same regions and activities ("
                             + "; ".join(problems[:_MAX_LISTED])
                             + "); pass missing='zero' or missing='exclude' to align them")

    fill = np.nan if missing == "exclude" else 0.0
    values = np.full((len(blocks), len(regions), len(activities)), fill)
    for k, (_, m, nan) in enumerate(blocks):
        ri = regions.get_indexer(m.rows)
        ci = activities.get_indexer(m.cols)
        data = m.data if nan is None else np.where(nan, np.nan, m.data)
        values[k][np.ix_(ri, ci)] = data
    regions = regions.rename("region")
    activities = activities.rename("activity")
    return _Stack([y for y, _, _ in blocks], regions, activities, values)


def _pairs(years: list[int], horizon: int) -> list[tuple[int, int]]:
    """Positions ``(k, l)`` in ``years`` with ``years[l] == years[k] + horizon``."""
    if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) or horizon < 1:
        raise ValueError(f"horizon must be a positive integer number of years, got {horizon!r}")
    pos = {y: k for k, y in enumerate(years)}
    pairs = [(k, pos[y + horizon]) for k, y in enumerate(years) if y + horizon in pos]
    if not pairs:
        raise ValueError(f"no pair of years (t, t + {horizon}) in the panel (years: "
                         f"{_listing(years)})")
    return pairs


def _transitions(st: _Stack, horizon: int, kind: Literal["entry", "exit"]) -> pd.DataFrame:
    pairs = _pairs(st.years, horizon)
    blocks = []
    for k, k_end in pairs:
        a, b = st.values[k], st.values[k_end]
        if kind == "entry":
            blocks.append(np.where(a == 0, b, np.nan))
        else:
            blocks.append(np.where(a == 1, 1.0 - b, np.nan))
    index = pd.MultiIndex.from_product([[st.years[k] for k, _ in pairs], st.regions],
                                       names=["year", "region"])
    return pd.DataFrame(np.concatenate(blocks, axis=0), index=index, columns=st.activities)


def entries(m_by_year: Mapping[int, object] | pd.DataFrame, horizon: int = 1, *,
            missing: PanelMissing = "raise") -> pd.DataFrame:
    r"""Entries of regions into activities between :math:`t` and :math:`t + h`, with risk sets.

    .. math::

        \mathrm{entry}_{ci}(t) = \begin{cases}
            1 & M_{ci}(t) = 0,\ M_{ci}(t+h) = 1 \\
            0 & M_{ci}(t) = 0,\ M_{ci}(t+h) = 0 \\
            \text{NaN} & M_{ci}(t) = 1 \text{ (not at risk of entering)}
        \end{cases}

    Only cells absent at :math:`t` can enter, so the NaN cells are not "non-entries": entry
    rates must be computed over the risk set, e.g. ``entries(...).mean()`` per activity (pandas
    skips NaN) or ``.stack()`` for a tidy table of at-risk cells. This is the dependent variable
    of the relatedness-entry regressions of Hidalgo et al. (2007) and Neffke, Henning & Boschma
    (2011).

    Parameters
    ----------
    m_by_year : mapping year -> presence matrix, or DataFrame with (year, region) rows
        0/1 presence matrices (see the module docstring for the accepted forms).
    horizon : int, default 1
        :math:`h` in years; one transition per observed pair :math:`(t, t + h)`.
    missing : {"raise", "zero", "exclude"}
        Alignment policy across years (see the module docstring). Under ``"exclude"`` a cell
        unobserved at :math:`t` or :math:`t + h` is NaN.

    Returns
    -------
    DataFrame
        Rows: MultiIndex ``(year, region)`` with ``year`` the start year :math:`t`; columns: the
        activities; values 1.0, 0.0 or NaN.

    References
    ----------
    Hidalgo, C. A., Klinger, B., Barabási, A.-L., & Hausmann, R. (2007). The product space
    conditions the development of nations. *Science*, 317(5837), 482-487.

    Neffke, F., Henning, M., & Boschma, R. (2011). How do regions diversify over time? *Economic
    Geography*, 87(3), 237-265.
    """
    return _transitions(_stack(m_by_year, missing), horizon, "entry")


def exits(m_by_year: Mapping[int, object] | pd.DataFrame, horizon: int = 1, *,
          missing: PanelMissing = "raise") -> pd.DataFrame:
    r"""Exits of regions from activities between :math:`t` and :math:`t + h`, with risk sets.

    .. math::

        \mathrm{exit}_{ci}(t) = \begin{cases}
            1 & M_{ci}(t) = 1,\ M_{ci}(t+h) = 0 \\
            0 & M_{ci}(t) = 1,\ M_{ci}(t+h) = 1 \\
            \text{NaN} & M_{ci}(t) = 0 \text{ (not at risk of exiting)}
        \end{cases}

    Parameters and return value as in :func:`entries`.

    References
    ----------
    Neffke, F., Henning, M., & Boschma, R. (2011). How do regions diversify over time? *Economic
    Geography*, 87(3), 237-265.
    """
    return _transitions(_stack(m_by_year, missing), horizon, "exit")


# --------------------------------------------------------------------------------------------
# Entry prediction
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EntryAUC:
    """How well relatedness density at :math:`t` ranked the entries by :math:`t + h`.

    Attributes
    ----------
    auc : float
        Pooled ROC-AUC over every at-risk cell of every start year: the probability that a
        randomly drawn entry had a higher density than a randomly drawn non-entry (ties count
        1/2). 0.5 = no better than chance, 1 = perfect ranking. NaN when there is no entry or
        no non-entry.
    n_entries : int
        Number of entries (positives) evaluated.
    n_at_risk : int
        Number of at-risk cells evaluated (entries + non-entries).
    horizon : int
        :math:`h` in years.
    start_years : tuple of int
        The start years :math:`t` pooled.
    by_region : DataFrame or None
        With ``by="region"``: one row per evaluated region, columns ``auc`` (NaN unless the
        region has both entries and non-entries), ``n_entries`` and ``n_at_risk``, pooled over
        the start years.
    """

    auc: float
    n_entries: int
    n_at_risk: int
    horizon: int
    start_years: tuple[int, ...]
    by_region: pd.DataFrame | None = None


#: Densities are rounded to this many decimals before ranking (ties within rounding noise).
SCORE_DECIMALS = 12


def _auc(score: np.ndarray, positive: np.ndarray) -> float:
    r"""Mann-Whitney AUC :math:`(R_1 - n_1(n_1+1)/2) / (n_1 n_0)` with average ranks for ties."""
    n1 = int(positive.sum())
    n0 = len(positive) - n1
    if n1 == 0 or n0 == 0:
        return float("nan")
    ranks = rankdata(score, method="average")
    return float((ranks[positive].sum() - n1 * (n1 + 1) / 2.0) / (n1 * n0))


def _auc_by_group(score: np.ndarray, positive: np.ndarray, group: np.ndarray,
                  n_groups: int) -> pd.DataFrame:
    """Per-group Mann-Whitney AUC, vectorised through pandas' grouped average ranks."""
    frame = pd.DataFrame({"g": group, "s": score})
    ranks = frame.groupby("g", sort=False)["s"].rank(method="average").to_numpy()
    n = np.bincount(group, minlength=n_groups).astype(float)
    n1 = np.bincount(group, weights=positive.astype(float), minlength=n_groups).astype(float)
    r1 = np.bincount(group, weights=np.where(positive, ranks, 0.0),
                     minlength=n_groups).astype(float)
    n0 = n - n1
    denom = n1 * n0
    auc = np.full(n_groups, np.nan)
    ok = denom > 0
    auc[ok] = (r1[ok] - n1[ok] * (n1[ok] + 1) / 2.0) / denom[ok]
    return pd.DataFrame({"auc": auc, "n_entries": n1.astype(np.int64),
                         "n_at_risk": n.astype(np.int64)})


def _phi_for(phi: object, year: int, m_t: pd.DataFrame, activities: pd.Index,
             method: str) -> pd.DataFrame:
    if phi is None:
        return proximity(m_t, method=method)
    if isinstance(phi, Mapping):
        if year not in phi:
            raise ValueError(f"phi: no proximity matrix for start year {year} (have "
                             f"{_listing(sorted(phi))})")
        phi = phi[year]
    if isinstance(phi, LabelledSparse):
        phi = phi.to_frame()
    if not isinstance(phi, pd.DataFrame):
        raise TypeError("phi: expected an activity x activity DataFrame, a mapping start year -> "
                        f"DataFrame, or None, got {type(phi).__name__}")
    lacking = [a for a in activities if a not in phi.index or a not in phi.columns]
    if lacking:
        raise ValueError(f"phi ({year}): {len(lacking)} activities of the panel are missing from "
                         f"the proximity matrix: {_listing(lacking)}")
    return phi.loc[activities, activities]


def entry_auc(m_by_year: Mapping[int, object] | pd.DataFrame,
              phi: pd.DataFrame | Mapping[int, pd.DataFrame] | None = None, horizon: int = 1, *,
              by: Literal["region"] | None = None,
              region: Hashable | Sequence[Hashable] | None = None,
              method: str = "min_conditional",
              missing: PanelMissing = "raise") -> EntryAUC:
    r"""ROC-AUC of relatedness density at :math:`t` as a predictor of entry by :math:`t + h`.

    For each start year :math:`t` the density of every region-activity cell is computed from
    :math:`M(t)` (see :func:`smartspec.evidence.relatedness.density`),

    .. math::

        \omega_{ci}(t) = \frac{\sum_j M_{cj}(t)\, \varphi_{ij}}{\sum_j \varphi_{ij}},

    and used to score the cells at risk of entering (:math:`M_{ci}(t) = 0`, see
    :func:`entries`). Over the pooled at-risk cells of all start years, with :math:`n_1` entries,
    :math:`n_0` non-entries and :math:`R_1` the sum of the entries' ranks (average ranks for ties),

    .. math::

        AUC = \frac{R_1 - n_1 (n_1 + 1) / 2}{n_1 n_0},

    the Mann-Whitney :math:`U` statistic scaled to :math:`[0, 1]` (Hanley & McNeil 1982): the
    probability that an entry out-scored a non-entry, ties counting 1/2. That relatedness
    density predicts entry is the central finding of Hidalgo et al. (2007) and, for EU regions,
    Balland et al. (2019).

    Parameters
    ----------
    m_by_year : mapping year -> presence matrix, or DataFrame with (year, region) rows
        0/1 presence panel (see the module docstring).
    phi : DataFrame, mapping start year -> DataFrame, or None
        Activity x activity proximity :math:`\varphi`. None (default) recomputes it from
        :math:`M(t)` of every start year with
        :func:`smartspec.evidence.relatedness.proximity` (``method``; its default diagonal 0).
        A single DataFrame is used for every start year; it must cover every activity of the
        panel (extra activities are ignored).
    horizon : int, default 1
        :math:`h` in years.
    by : {None, "region"}
        ``"region"`` also returns the AUC of every evaluated region (pooled over start years),
        which says how well relatedness anticipated that region's own diversification.
    region : label or sequence of labels, optional
        Evaluate only these regions. Densities (and proximities) are still computed from all
        regions.
    method : str, default "min_conditional"
        Proximity method when ``phi`` is None.
    missing : {"raise", "zero", "exclude"}
        Alignment policy across years (see the module docstring).

    Returns
    -------
    EntryAUC
        ``auc``, ``n_entries``, ``n_at_risk``, ``horizon``, ``start_years`` and, with
        ``by="region"``, ``by_region``. At-risk cells with an undefined (non-finite) density, e.g.
        an activity with no proximity to any other, are left out of every count. Densities
        are rounded to ``SCORE_DECIMALS`` (12) decimals before ranking, so values that are
        equal in exact arithmetic tie.

    References
    ----------
    Balland, P.-A., Boschma, R., Crespo, J., & Rigby, D. L. (2019). Smart specialization policy
    in the European Union: relatedness, knowledge complexity and regional diversification.
    *Regional Studies*, 53(9), 1252-1268.

    Hanley, J. A., & McNeil, B. J. (1982). The meaning and use of the area under a receiver
    operating characteristic (ROC) curve. *Radiology*, 143(1), 29-36.

    Hidalgo, C. A., Klinger, B., Barabási, A.-L., & Hausmann, R. (2007). The product space
    conditions the development of nations. *Science*, 317(5837), 482-487.
    """
    if by not in (None, "region"):
        raise ValueError(f"by must be None or 'region', got {by!r}")
    st = _stack(m_by_year, missing)
    pairs = _pairs(st.years, horizon)

    keep = np.ones(len(st.regions), dtype=bool)
    if region is not None:
        wanted = pd.Index(list(region) if pd.api.types.is_list_like(region) else [region])
        unknown = wanted.difference(st.regions, sort=False)
        if len(unknown):
            raise ValueError(f"region: {len(unknown)} unknown region(s): {_listing(unknown)}")
        keep = st.regions.isin(wanted)

    scores, positive, rows = [], [], []
    for k, k_end in pairs:
        a, b = st.values[k], st.values[k_end]
        m_t = pd.DataFrame(np.nan_to_num(a, nan=0.0), index=st.regions, columns=st.activities)
        phi_t = _phi_for(phi, st.years[k], m_t, st.activities, method)
        dens = density(m_t, phi_t)
        if isinstance(dens, LabelledSparse):
            dens = dens.to_frame()
        d = dens.reindex(index=st.regions, columns=st.activities).to_numpy(dtype=float)
        # Densities that are equal in exact arithmetic can differ in the last bits (different
        # summation orders); rounding makes them tie, so the AUC does not depend on rounding noise.
        d = np.round(d, SCORE_DECIMALS)
        at_risk = (a == 0) & ~np.isnan(b) & np.isfinite(d) & keep[:, None]
        r, c = np.nonzero(at_risk)
        scores.append(d[r, c])
        positive.append(b[r, c] == 1)
        rows.append(r)
    score = np.concatenate(scores)
    pos = np.concatenate(positive)
    row = np.concatenate(rows).astype(np.intp)

    by_region = None
    if by == "region":
        per = _auc_by_group(score, pos, row, len(st.regions))
        per.index = st.regions
        by_region = per.loc[keep]
    return EntryAUC(auc=_auc(score, pos), n_entries=int(pos.sum()), n_at_risk=int(len(pos)),
                    horizon=int(horizon), start_years=tuple(st.years[k] for k, _ in pairs),
                    by_region=by_region)


# --------------------------------------------------------------------------------------------
# Shift-share
# --------------------------------------------------------------------------------------------


def _aligned_pair(x_start: object, x_end: object, missing: MissingPolicy,
                  ) -> tuple[pd.Index, pd.Index, sp.csr_array, sp.csr_array]:
    m0 = as_labelled(x_start, name="x_start", missing=missing)
    m1 = as_labelled(x_end, name="x_end", missing=missing)
    rows = m0.rows.append(m1.rows).unique()
    cols = m0.cols.append(m1.cols).unique()
    if missing == "raise":
        problems = []
        for name, m in (("x_start", m0), ("x_end", m1)):
            for what, have, full in (("regions", m.rows, rows), ("activities", m.cols, cols)):
                lacking = full.difference(have, sort=False)
                if len(lacking):
                    problems.append(f"{len(lacking)} {what} missing from {name}: "
                                    f"{_listing(lacking)}")
        if problems:
            raise ValueError("shift_share: x_start and x_end must cover the same regions and "
                             "activities (" + "; ".join(problems)
                             + "); pass missing='zero' to treat absent ones as zero")

    def aligned(m: Matrix) -> sp.csr_array:
        coo = sp.coo_array(m.data)
        ri = rows.get_indexer(m.rows)[coo.row]
        ci = cols.get_indexer(m.cols)[coo.col]
        out = sp.csr_array((coo.data, (ri, ci)), shape=(len(rows), len(cols)))
        out.eliminate_zeros()
        return out

    return rows, cols, aligned(m0), aligned(m1)


def _reference_groups(national: object, rows: pd.Index) -> tuple[np.ndarray, int]:
    if national is None:
        return np.zeros(len(rows), dtype=np.intp), 1
    if isinstance(national, str):
        if national != "nuts":
            raise ValueError(f"national: the only string accepted is 'nuts', got {national!r}")
        groups = pd.Series([str(r)[:2] for r in rows], index=rows, dtype=object)
    else:
        if isinstance(national, Mapping):
            national = pd.Series(national, dtype=object)
        if not isinstance(national, pd.Series):
            raise TypeError("national: expected None, 'nuts' or a mapping region -> reference "
                            f"group, got {type(national).__name__}")
        if national.index.has_duplicates:
            dup = national.index[national.index.duplicated()].unique()
            raise ValueError(f"national: duplicated regions: {_listing(dup)}")
        groups = national.reindex(rows)
    unmapped = rows[groups.isna().to_numpy()]
    if len(unmapped):
        raise ValueError(f"national: {len(unmapped)} regions have no reference group: "
                         f"{_listing(unmapped)}")
    codes, uniques = pd.factorize(groups.astype(object), sort=False)
    return codes.astype(np.intp), len(uniques)


def shift_share(x_start: object, x_end: object, national: object = None, *,
                cells: bool = False, missing: MissingPolicy = "raise") -> pd.DataFrame:
    r"""Classic shift-share decomposition of the change of employment (or any extensive measure).

    With :math:`e_{ri}^0, e_{ri}^1` the value of activity :math:`i` in region :math:`r` at the
    start and the end, and :math:`E_i^0, E_i^1, E^0, E^1` the totals of the reference economy
    (by activity and overall), let :math:`G = E^1 / E^0 - 1` be the reference growth rate,
    :math:`g_i = E_i^1 / E_i^0 - 1` the reference growth of activity :math:`i` and
    :math:`g_{ri} = e_{ri}^1 / e_{ri}^0 - 1`. Following Dunn (1960),

    .. math::

        e_{ri}^1 - e_{ri}^0 = \underbrace{e_{ri}^0 G}_{\text{national}}
            + \underbrace{e_{ri}^0 (g_i - G)}_{\text{industry mix}}
            + \underbrace{e_{ri}^0 (g_{ri} - g_i)}_{\text{competitive}}.

    The competitive (regional) share is computed as the residual
    :math:`e_{ri}^1 - e_{ri}^0 (1 + g_i)`, equal to :math:`e_{ri}^0 (g_{ri} - g_i)` when
    :math:`e_{ri}^0 > 0`, so the three components add up to the actual change in every cell
    (up to floating-point rounding). No Esteban-Marquillas homothetic split is made.

    Conventions:

    * a cell with :math:`e_{ri}^0 = 0` (new activity in the region) has zero national and
      industry-mix components; its whole change is competitive;
    * an activity whose reference total is zero at the start (:math:`E_i^0 = 0`) has no defined
      growth rate; every region then has :math:`e_{ri}^0 = 0`, so the rule above applies;
    * a reference economy with :math:`E^0 = 0` likewise puts all change into the competitive
      component.

    Parameters
    ----------
    x_start, x_end : DataFrame (regions x activities), LabelledSparse, sparse matrix or 2-D array
        Non-negative values at the start and end of the period.
    national : None, "nuts", mapping or Series region -> group
        The reference economy. None (default): the sum of all regions of ``x_start`` /
        ``x_end``. A mapping: each region is compared with the sum of the regions of its group
        (e.g. its country), so :math:`G` and :math:`g_i` are the growth rates of that group.
        ``"nuts"``: the group is the first two characters of the region code (the NUTS country
        code). Every region of the input must have a group.
    cells : bool, default False
        False: one row per region. True: one row per (region, activity) cell with a positive
        value at the start or the end (cells zero at both dates have all components zero and are
        omitted).
    missing : {"raise", "zero"}
        Missing values raise (default) or count as zero. With ``"zero"`` regions and activities
        present in only one of ``x_start`` and ``x_end`` are aligned on the union and count as
        zero where absent; with ``"raise"`` the two must have the same labels.

    Returns
    -------
    DataFrame
        Columns ``start``, ``end``, ``change``, ``national``, ``industry_mix``, ``competitive``,
        indexed by region (or by a ``(region, activity)`` MultiIndex with ``cells=True``);
        ``national + industry_mix + competitive == change == end - start``.

    References
    ----------
    Dunn, E. S. (1960). A statistical and analytical technique for regional analysis. *Papers in
    Regional Science*, 6(1), 97-112.

    Esteban-Marquillas, J. M. (1972). A reinterpretation of shift-share analysis. *Regional and
    Urban Economics*, 2(3), 249-255 (the extension not applied here).
    """
    rows, cols, e0, e1 = _aligned_pair(x_start, x_end, missing)
    n, p = len(rows), len(cols)
    grp, n_groups = _reference_groups(national, rows)

    # Reference totals per group (groups x activities) and their growth rates.
    agg = sp.csr_array((np.ones(n), (grp, np.arange(n))), shape=(n_groups, n))
    ref0 = np.asarray((agg @ e0).toarray())
    ref1 = np.asarray((agg @ e1).toarray())
    tot0, tot1 = ref0.sum(axis=1), ref1.sum(axis=1)
    big_g = np.zeros(n_groups)
    np.divide(tot1 - tot0, tot0, out=big_g, where=tot0 > 0)
    g_act = np.zeros((n_groups, p))  # unused where E_i^0 = 0: every e_ri^0 is 0 there
    np.divide(ref1 - ref0, ref0, out=g_act, where=ref0 > 0)

    # National and industry-mix terms live on the positive start cells only.
    c0 = e0.tocoo()
    r0, k0, v0 = c0.row.astype(np.intp), c0.col.astype(np.intp), c0.data
    nat_cell = v0 * big_g[grp[r0]]
    mix_cell = v0 * (g_act[grp[r0], k0] - big_g[grp[r0]])

    start_r = np.asarray(e0.sum(axis=1)).ravel()
    end_r = np.asarray(e1.sum(axis=1)).ravel()
    if not cells:
        change = end_r - start_r
        nat = np.bincount(r0, weights=nat_cell, minlength=n).astype(float)
        mix = np.bincount(r0, weights=mix_cell, minlength=n).astype(float)
        out = pd.DataFrame({"start": start_r, "end": end_r, "change": change, "national": nat,
                            "industry_mix": mix, "competitive": change - nat - mix}, index=rows)
        out.index.name = rows.name if rows.name is not None else "region"
        return out

    support = ((e0 + e1) > 0).tocoo()
    order = np.lexsort((support.col, support.row))
    rs, ks = support.row[order].astype(np.intp), support.col[order].astype(np.intp)
    flat = rs.astype(np.int64) * p + ks  # sorted keys of the support cells
    c1 = e1.tocoo()
    pos0 = np.searchsorted(flat, r0.astype(np.int64) * p + k0)  # positive cells are all in it
    pos1 = np.searchsorted(flat, c1.row.astype(np.int64) * p + c1.col)
    start, end, nat, mix = (np.zeros(len(flat)) for _ in range(4))
    start[pos0] = v0
    end[pos1] = c1.data
    nat[pos0] = nat_cell
    mix[pos0] = mix_cell
    change = end - start
    index = pd.MultiIndex.from_arrays([rows[rs], cols[ks]], names=["region", "activity"])
    return pd.DataFrame({"start": start, "end": end, "change": change, "national": nat,
                         "industry_mix": mix, "competitive": change - nat - mix}, index=index)
