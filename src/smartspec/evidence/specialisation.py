r"""Specialisation and diversification indices of regional activity structures.

One function, :func:`specialisation_indices`, returns per region

* the Krugman specialisation index and the Hoover coefficient (distance of the region's activity
  shares from a reference structure),
* the Herfindahl-Hirschman concentration index and Shannon entropy of the region's shares, and,
  given an activity hierarchy,
* the unrelated and related variety of Frenken, Van Oort & Verburg (2007), which decompose the
  entropy exactly: ``entropy = unrelated_variety + related_variety``.

All indices are functions of the shares :math:`s_{ri} = x_{ri} / x_{r\cdot}` only, so they are
invariant to multiplying ``x`` (or one region's row) by a positive constant.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping

import numpy as np
import pandas as pd

from smartspec.evidence._matrix import Matrix, MissingPolicy, as_labelled

__all__ = ["specialisation_indices"]

_MAX_LISTED = 10

Hierarchy = Mapping[Hashable, Hashable] | pd.Series | Callable[[Hashable], Hashable]


def _listing(labels: list[object]) -> str:
    shown = ", ".join(str(x) for x in labels[:_MAX_LISTED])
    more = f" (and {len(labels) - _MAX_LISTED} more)" if len(labels) > _MAX_LISTED else ""
    return shown + more


def _triplets(m: Matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row index, column index and value of every strictly positive cell."""
    if m.is_sparse:
        coo = m.data.tocoo()
        keep = coo.data > 0
        return (coo.row[keep].astype(np.intp), coo.col[keep].astype(np.intp),
                np.asarray(coo.data[keep], dtype=float))
    r, c = np.nonzero(m.data > 0)
    return r, c, m.data[r, c]


def _reference_totals(reference: object, cols: pd.Index) -> np.ndarray:
    """Validate ``reference`` (activity -> total) and align it on ``cols``."""
    if isinstance(reference, Mapping):
        reference = pd.Series(reference, dtype=object)
    if not isinstance(reference, pd.Series):
        raise TypeError("reference: expected a pandas Series (or mapping) of totals indexed by "
                        f"activity, got {type(reference).__name__}")
    if reference.index.has_duplicates:
        dup = list(reference.index[reference.index.duplicated()].unique())
        raise ValueError(f"reference: duplicated activities: {_listing(dup)}")
    absent = [c for c in cols if c not in reference.index]
    if absent:
        raise ValueError(f"reference: no total for {len(absent)} activities of x: "
                         f"{_listing(absent)}")
    ref = pd.to_numeric(reference.reindex(cols), errors="coerce").to_numpy(dtype=float,
                                                                             na_value=np.nan)
    bad = ~np.isfinite(ref) | (ref < 0)
    if bad.any():
        raise ValueError("reference: totals must be finite, non-negative numbers; bad values for "
                         f"activities {_listing(list(cols[bad]))}")
    if ref.sum() <= 0:
        raise ValueError("reference: totals sum to zero over the activities of x; reference "
                         "shares are undefined")
    return ref


def _group_codes(hierarchy: Hierarchy, cols: pd.Index) -> np.ndarray:
    """Integer group code of every activity in ``cols`` (raising on unmapped activities)."""
    if callable(hierarchy) and not isinstance(hierarchy, (Mapping, pd.Series)):
        groups = pd.Series([hierarchy(c) for c in cols], index=cols, dtype=object)
    else:
        if isinstance(hierarchy, Mapping):
            hierarchy = pd.Series(hierarchy, dtype=object)
        if not isinstance(hierarchy, pd.Series):
            raise TypeError("hierarchy: expected a mapping activity -> group (dict or Series) or "
                            f"a callable, got {type(hierarchy).__name__}")
        if hierarchy.index.has_duplicates:
            dup = list(hierarchy.index[hierarchy.index.duplicated()].unique())
            raise ValueError(f"hierarchy: duplicated activities: {_listing(dup)}")
        groups = hierarchy.reindex(cols)
    unknown = list(cols[groups.isna().to_numpy()])
    if unknown:
        raise ValueError(f"hierarchy: {len(unknown)} activities of x have no group: "
                         f"{_listing(unknown)}")
    codes, _ = pd.factorize(groups.astype(object), sort=False)
    return codes.astype(np.intp)


def specialisation_indices(x: object, hierarchy: Hierarchy | None = None, *,
                           reference: pd.Series | Mapping[Hashable, float] | None = None,
                           base: float = 2, missing: MissingPolicy = "raise") -> pd.DataFrame:
    r"""Krugman, Hoover, Herfindahl-Hirschman, entropy and (un)related variety per region.

    With :math:`s_{ri} = x_{ri} / \sum_j x_{rj}` the share of activity :math:`i` in region
    :math:`r` and :math:`s_i` the reference share of activity :math:`i`:

    ``krugman``
        Krugman specialisation index :math:`K_r = \sum_i |s_{ri} - s_i|`, in :math:`[0, 2)`
        (Krugman 1991; Midelfart-Knarvik et al. 2000).
    ``hoover``
        Hoover coefficient of specialisation :math:`H_r = \tfrac12 \sum_i |s_{ri} - s_i|
        = K_r / 2`, in :math:`[0, 1)`: the share of the region's activity that would have to be
        reallocated to match the reference structure (Hoover 1936).
    ``hhi``
        Herfindahl-Hirschman index :math:`\sum_i s_{ri}^2`, in :math:`[1/N, 1]` for :math:`N`
        activities (Hirschman 1945; Herfindahl 1950).
    ``entropy``
        Shannon entropy :math:`E_r = -\sum_i s_{ri} \log_b s_{ri}` with :math:`0 \log 0 = 0`
        (Shannon 1948), in :math:`[0, \log_b N]`. Higher = more diversified.

    With ``hierarchy`` (activity -> group :math:`g`, e.g. NACE division -> section), writing
    :math:`p_i = s_{ri}` and :math:`P_g = \sum_{i \in g} p_i` (Frenken, Van Oort & Verburg 2007):

    ``unrelated_variety``
        :math:`UV_r = \sum_g P_g \log_b (1 / P_g)`, the entropy between groups.
    ``related_variety``
        :math:`RV_r = \sum_g P_g H_g` with :math:`H_g = \sum_{i \in g} (p_i / P_g)
        \log_b (P_g / p_i)`, the weighted entropy within groups.

    By the entropy decomposition theorem (Theil 1972) :math:`E_r = UV_r + RV_r`; both terms are
    computed directly, so the identity holds up to floating-point rounding.

    Parameters
    ----------
    x : DataFrame (regions x activities), LabelledSparse, sparse matrix or 2-D array
        Non-negative, finite values (employment, value added, patents, exports ...).
    hierarchy : dict, Series or callable, optional
        Maps every activity (column) of ``x`` to its group; a callable is applied to each
        activity label (e.g. ``lambda code: code[0]``). Entries for activities absent from ``x``
        are ignored; activities of ``x`` without a group raise ``ValueError`` listing them.
    reference : Series or mapping activity -> total, optional
        Reference totals defining :math:`s_i = T_i / \sum_j T_j` for the Krugman and Hoover
        indices (e.g. EU-27 or national employment by activity). Every activity of ``x`` needs a
        finite, non-negative total; totals of activities absent from ``x`` are ignored, so the
        shares are taken over the same activities as the regional shares. Default: the
        activity structure of all regions in ``x`` together, :math:`T_i = \sum_r x_{ri}`.
    base : float, default 2
        Base :math:`b` of the logarithms in the entropy measures. Base 2 (bits) follows Frenken,
        Van Oort & Verburg (2007); use ``numpy.e`` for nats. Changing base rescales the three
        entropy columns by the same constant.
    missing : {"raise", "zero"}
        Missing values in ``x`` raise (default) or count as zero.

    Returns
    -------
    DataFrame
        Indexed like the rows of ``x``; columns ``krugman``, ``hoover``, ``hhi``, ``entropy`` and,
        with ``hierarchy``, ``unrelated_variety`` and ``related_variety``. Regions whose total is
        zero have undefined shares and get a row of NaN. When ``reference`` is None and every
        region is empty the reference shares are undefined too (all NaN).

    Raises
    ------
    ValueError
        Invalid ``x`` (negative, non-numeric, infinite or missing values: see
        :func:`smartspec.evidence._matrix.as_labelled`), unmapped activities, an invalid
        ``reference`` or ``base``.

    References
    ----------
    Frenken, K., Van Oort, F., & Verburg, T. (2007). Related variety, unrelated variety and
    regional economic growth. *Regional Studies*, 41(5), 685-697.

    Herfindahl, O. C. (1950). *Concentration in the steel industry*. PhD thesis, Columbia
    University. Hirschman, A. O. (1945). *National power and the structure of foreign trade*.
    University of California Press.

    Hoover, E. M. (1936). The measurement of industrial localization. *The Review of Economics
    and Statistics*, 18(4), 162-171.

    Krugman, P. (1991). *Geography and Trade*. MIT Press.

    Midelfart-Knarvik, K. H., Overman, H. G., Redding, S. J., & Venables, A. J. (2000). The
    location of European industry. *European Economy, Economic Papers* 142, European Commission.

    Shannon, C. E. (1948). A mathematical theory of communication. *Bell System Technical
    Journal*, 27(3), 379-423. Theil, H. (1972). *Statistical Decomposition Analysis*.
    North-Holland.

    Examples
    --------
    >>> import pandas as pd
    >>> x = pd.DataFrame({"A1": [2, 1], "A2": [2, 1], "B1": [0, 2]}, index=["r1", "r2"])
    >>> specialisation_indices(x, {"A1": "A", "A2": "A", "B1": "B"}).round(3)
        krugman  hoover    hhi  entropy  unrelated_variety  related_variety
    r1      0.5    0.25  0.500      1.0                0.0              1.0
    r2      0.5    0.25  0.375      1.5                1.0              0.5
    """
    base = float(base)
    if not np.isfinite(base) or base <= 0 or base == 1:
        raise ValueError(f"base must be a positive finite number other than 1, got {base!r}")
    m = as_labelled(x, name="x", missing=missing)
    n = m.shape[0]
    log_b = np.log(base)

    totals = m.row_sums()
    empty = ~(totals > 0)
    r, c, v = _triplets(m)
    s = v / totals[r]  # every stored cell lies in a region with a positive total

    def per_region(weights: np.ndarray) -> np.ndarray:
        out = np.bincount(r, weights=weights, minlength=n).astype(float)
        out[empty] = np.nan
        return out

    ref_tot = m.col_sums() if reference is None else _reference_totals(reference, m.cols)
    ref_sum = ref_tot.sum()
    if ref_sum > 0:
        ref = ref_tot / ref_sum
        # sum_i |s_ri - s_i| = sum over the region's positive cells of (|s_ri - s_i| - s_i)
        #                      + sum_i s_i   (cells with s_ri = 0 contribute s_i).
        krugman = per_region(np.abs(s - ref[c]) - ref[c]) + ref.sum()
        krugman = np.maximum(krugman, 0.0)  # clip -1e-16 rounding on identical structures
    else:  # reference=None and every region is empty
        krugman = np.full(n, np.nan)

    cols: dict[str, np.ndarray] = {
        "krugman": krugman,
        "hoover": 0.5 * krugman,
        "hhi": per_region(s * s),
        "entropy": per_region(-s * np.log(s)) / log_b,
    }

    if hierarchy is not None:
        g = _group_codes(hierarchy, m.cols)
        k = int(g.max()) + 1 if len(g) else 1
        key = r.astype(np.int64) * k + g[c]
        uniq, inv = np.unique(key, return_inverse=True)
        big_p = np.bincount(inv, weights=s)  # P_g of each (region, group) with P_g > 0
        uv = np.bincount((uniq // k).astype(np.intp), weights=-big_p * np.log(big_p),
                         minlength=n).astype(float)
        uv[empty] = np.nan
        cols["unrelated_variety"] = uv / log_b
        # sum_g P_g H_g = sum_i p_i log(P_g(i) / p_i)
        cols["related_variety"] = per_region(s * (np.log(big_p[inv]) - np.log(s))) / log_b

    return pd.DataFrame(cols, index=m.rows)
