"""Relatedness between activities: proximity, co-occurrence, density and complexity outlook."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from smartspec.evidence._matrix import (
    LabelledSparse,
    Matrix,
    MissingPolicy,
    as_labelled,
    check_binary,
)

__all__ = [
    "Opportunity",
    "cooccurrence",
    "density",
    "normalise_cooccurrence",
    "opportunity",
    "proximity",
    "relatedness_density",
]

ProximityMethod = Literal["min_conditional", "cosine", "association", "jaccard"]
_PROXIMITY_METHODS = ("min_conditional", "cosine", "association", "jaccard")

#: Work budget (multiply-adds of the sparse co-occurrence product) per column block in the
#: blocked sparse top-k computation; bounds peak memory whatever the size of the input.
BLOCK_WORK = 40_000_000


# --------------------------------------------------------------------------------------------
# normalisation of co-occurrence counts
# --------------------------------------------------------------------------------------------
def _normalise_values(c: np.ndarray, ui: np.ndarray, uj: np.ndarray, n: float,
                      method: str) -> np.ndarray:
    """Elementwise normalisation of co-occurrence counts ``c`` with the two occurrence counts.

    ``ui`` and ``uj`` broadcast against ``c``. Pairs with a zero denominator get 0.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "min_conditional":
            den = np.maximum(ui, uj)
        elif method == "cosine":
            den = np.sqrt(ui * uj)
        elif method == "association":
            den = ui * uj / n if n > 0 else np.zeros(np.broadcast_shapes(ui.shape, uj.shape))
        else:  # jaccard
            den = ui + uj - c
        den = np.broadcast_to(den, np.broadcast_shapes(np.shape(c), np.shape(den)))
        return np.divide(c, den, where=den > 0, out=np.zeros(den.shape))


def _check_method(method: str) -> None:
    if method not in _PROXIMITY_METHODS:
        raise ValueError(f"method must be one of {_PROXIMITY_METHODS}, got {method!r}")


def normalise_cooccurrence(c: pd.DataFrame, method: ProximityMethod = "association", *,
                           n: float | None = None, occurrences: pd.Series | None = None,
                           diagonal: float | None = 0.0) -> pd.DataFrame:
    r"""Turn a symmetric co-occurrence count matrix into a relatedness (similarity) matrix.

    With :math:`C_{ij}` the co-occurrences and :math:`s_i` the occurrences of ``i`` (by default
    the diagonal :math:`C_{ii}`, the number of items that contain ``i``):

    * ``"min_conditional"``: :math:`C_{ij} / \max(s_i, s_j)` (Hidalgo et al. 2007);
    * ``"cosine"``: :math:`C_{ij} / \sqrt{s_i s_j}` (Salton's cosine);
    * ``"association"``: :math:`N C_{ij} / (s_i s_j)`, observed over expected co-occurrence
      under independence, with :math:`N` the number of items (van Eck & Waltman 2009's
      probabilistic association strength; 1 means "as often as chance");
    * ``"jaccard"``: :math:`C_{ij} / (s_i + s_j - C_{ij})`.

    Parameters
    ----------
    c : DataFrame, square and symmetric, non-negative counts.
    method : see above.
    n : number of items (regions, patents ...). Required for ``"association"``.
    occurrences : Series, optional. :math:`s_i`; defaults to the diagonal of ``c``.
    diagonal : float or None. Value written on the diagonal; None keeps the formula's value.

    References
    ----------
    van Eck, N. J., & Waltman, L. (2009). How to normalize cooccurrence data? An analysis of some
    well-known similarity measures. *JASIST*, 60(8), 1635-1651.
    """
    _check_method(method)
    if c.shape[0] != c.shape[1] or not c.index.equals(c.columns):
        raise ValueError("c must be a square matrix with identical row and column labels")
    vals = as_labelled(c, name="c").data
    if sp.issparse(vals):
        vals = vals.toarray()
    s = np.diag(vals).copy() if occurrences is None else \
        occurrences.reindex(c.index).to_numpy(dtype=float)
    if method == "association" and n is None:
        raise ValueError("method='association' needs n, the number of items")
    out = _normalise_values(vals, s[:, None], s[None, :], float(n or 0), method)
    if diagonal is not None:
        np.fill_diagonal(out, diagonal)
    return pd.DataFrame(out, index=c.index, columns=c.columns)


# --------------------------------------------------------------------------------------------
# proximity
# --------------------------------------------------------------------------------------------
def proximity(m: object, method: ProximityMethod = "min_conditional", diagonal: float | None = 0.0,
              top_k: int | None = None, *, missing: MissingPolicy = "raise"
              ) -> pd.DataFrame | LabelledSparse:
    r"""Proximity (relatedness) between activities from their co-location in regions.

    With :math:`C = M^T M` the co-occurrence counts of the binary presence matrix :math:`M`
    (:math:`C_{ij}` = number of regions specialised in both ``i`` and ``j``), :math:`u_i = C_{ii}`
    the ubiquity and :math:`N` the number of regions (rows of ``m``):

    * ``"min_conditional"`` (default; Hidalgo et al. 2007):
      :math:`\phi_{ij} = C_{ij} / \max(u_i, u_j)`, the minimum of the two conditional
      probabilities :math:`P(i|j)` and :math:`P(j|i)`;
    * ``"cosine"``: :math:`C_{ij} / \sqrt{u_i u_j}`;
    * ``"association"``: :math:`N C_{ij} / (u_i u_j)`, van Eck & Waltman's (2009) association
      strength (observed over expected co-occurrence; 1 = chance level, unbounded above);
    * ``"jaccard"``: :math:`C_{ij} / (u_i + u_j - C_{ij})`.

    Pairs involving an activity with zero ubiquity get 0 (no evidence of relatedness).

    Parameters
    ----------
    m : 0/1 presence matrix (DataFrame, LabelledSparse, sparse matrix or array).
        To get region-region proximity pass the transpose (``m.T``).
    method : see above.
    diagonal : float or None, default 0.0
        Value on the diagonal. 0 excludes self-loops (an activity is not its own neighbour);
        the R package *economiccomplexity* and py-ecomplexity use 1. None keeps the formula's
        own value.
    top_k : int, optional
        Keep, for every activity, only its ``top_k`` strongest links (off-diagonal), and return
        a sparse symmetric matrix holding the union of these links (a link is kept if it is
        among the top ``k`` of either end). Ties at the cut are broken by position. With sparse
        input this is computed in column blocks of bounded work, so a dense activity x activity
        matrix is never materialised (suitable for hundreds of thousands of activities).
    missing : {"raise", "zero"}

    Returns
    -------
    DataFrame (activity x activity), or LabelledSparse when ``top_k`` is given or ``m`` is sparse.

    References
    ----------
    Hidalgo, C. A., Klinger, B., Barabási, A.-L., & Hausmann, R. (2007). The product space
    conditions the development of nations. *Science*, 317(5837), 482-487.
    van Eck, N. J., & Waltman, L. (2009). How to normalize cooccurrence data? *JASIST*, 60(8).
    """
    _check_method(method)
    if top_k is not None and (not isinstance(top_k, int | np.integer) or top_k < 1):
        raise ValueError(f"top_k must be a positive integer or None, got {top_k!r}")
    mat = as_labelled(m, name="m", missing=missing)
    check_binary(mat)
    n = float(mat.shape[0])
    if mat.is_sparse:
        if top_k is not None:
            return _sparse_topk(mat, method, diagonal, int(top_k))
        return _sparse_full(mat, method, diagonal)
    phi = _dense_proximity(mat.data, method, n, diagonal)
    if top_k is not None:
        return LabelledSparse(_topk_dense(phi, int(top_k), diagonal), mat.cols, mat.cols)
    return pd.DataFrame(phi, index=mat.cols, columns=mat.cols)


def _cooc_dense(data: np.ndarray) -> np.ndarray:
    """M^T M for a 0/1 matrix; float32 BLAS is exact for counts below 2**24."""
    if data.shape[0] < 2**24:
        a = data.astype(np.float32)
        return (a.T @ a).astype(np.float64)
    return data.T @ data


def _dense_proximity(data: np.ndarray, method: str, n: float, diagonal: float | None
                     ) -> np.ndarray:
    c = _cooc_dense(data)
    u = np.diag(c).copy()
    phi = _normalise_values(c, u[:, None], u[None, :], n, method)
    if diagonal is not None:
        np.fill_diagonal(phi, diagonal)
    return phi


def _symmetric_union(rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, p: int,
                     diagonal: float | None) -> sp.csr_array:
    """Union of directed top-k links as a symmetric CSR matrix (values are symmetric)."""
    a = sp.coo_array((vals, (rows, cols)), shape=(p, p)).tocsr()
    out = a.maximum(a.T).tocsr()
    if diagonal:
        out = (out + sp.diags_array(np.full(p, float(diagonal)))).tocsr()
    out.sort_indices()
    return out


def _topk_dense(phi: np.ndarray, k: int, diagonal: float | None) -> sp.csr_array:
    p = phi.shape[0]
    work = phi.copy()
    np.fill_diagonal(work, -np.inf)
    k_eff = min(k, p - 1)
    if k_eff <= 0:
        return _symmetric_union(np.array([], int), np.array([], int), np.array([]), p, diagonal)
    idx = np.argsort(-work, axis=1, kind="stable")[:, :k_eff]
    rows = np.repeat(np.arange(p), k_eff)
    cols = idx.ravel()
    vals = work[rows, cols]
    keep = vals > 0
    return _symmetric_union(rows[keep], cols[keep], vals[keep], p, diagonal)


def _sparse_full(mat: Matrix, method: str, diagonal: float | None) -> LabelledSparse:
    x = mat.data.astype(np.float32)
    c = sp.csr_array(x.T @ x).astype(np.float64)
    u = np.asarray(mat.col_sums())
    coo = c.tocoo()
    vals = _normalise_values(coo.data, u[coo.row], u[coo.col], float(mat.shape[0]), method)
    if diagonal is not None:
        off = coo.row != coo.col
        rows = np.concatenate([coo.row[off], np.arange(c.shape[0])])
        cols = np.concatenate([coo.col[off], np.arange(c.shape[0])])
        vals = np.concatenate([vals[off], np.full(c.shape[0], float(diagonal))])
    else:
        rows, cols = coo.row, coo.col
    out = sp.csr_array((vals, (rows, cols)), shape=c.shape)
    out.eliminate_zeros()
    out.sort_indices()
    return LabelledSparse(out, mat.cols, mat.cols)


def _row_blocks(work: np.ndarray, budget: float) -> list[tuple[int, int]]:
    """Split rows into contiguous blocks whose summed work stays near ``budget``."""
    cum = np.cumsum(work)
    bounds = [0]
    while bounds[-1] < len(work):
        start = bounds[-1]
        base = cum[start - 1] if start else 0.0
        stop = int(np.searchsorted(cum, base + budget, side="right"))
        bounds.append(max(stop, start + 1))
    return list(pairwise(bounds))


def _topk_per_row(indptr: np.ndarray, vals: np.ndarray, k: int) -> np.ndarray:
    """Positions (into ``vals``) of the ``k`` largest positive entries of every CSR row.

    Rows with at most ``k`` entries are kept whole in one vectorised step; longer rows are
    partitioned one by one (``argpartition`` is linear in the row length). Ties at the cut are
    resolved by ``argpartition``'s order.
    """
    counts = np.diff(indptr)
    row_of = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    parts = [np.flatnonzero((counts <= k)[row_of] & (vals > 0))]
    for i in np.flatnonzero(counts > k):
        s, e = indptr[i], indptr[i + 1]
        v = vals[s:e]
        sel = np.argpartition(v, -k)[-k:]
        parts.append(s + sel[v[sel] > 0])
    return np.concatenate(parts)


def _normalise_stored(c: np.ndarray, ui: np.ndarray, uj: np.ndarray, n: float,
                      method: str) -> np.ndarray:
    """:func:`_normalise_values` for stored (positive) co-occurrences, in place on ``uj``.

    A stored :math:`C_{ij} > 0` implies :math:`u_i, u_j \\geq C_{ij} > 0`, so no denominator is
    zero and the guards of the general function can be skipped.
    """
    if method == "min_conditional":
        den = np.maximum(uj, ui, out=uj)
    elif method == "cosine":
        den = np.sqrt(np.multiply(uj, ui, out=uj), out=uj)
    elif method == "association":
        den = np.multiply(uj, ui / n, out=uj)
    else:  # jaccard
        den = np.subtract(np.add(uj, ui, out=uj), c, out=uj)
    return np.divide(c, den, out=den)


def _sparse_topk(mat: Matrix, method: str, diagonal: float | None, k: int) -> LabelledSparse:
    """Blocked top-k proximity for a sparse presence matrix (never forms the p x p matrix).

    Rows of :math:`C = M^T M` are computed a block of activities at a time as
    ``M^T[block] @ M``, with blocks sized by their multiply-add work so that peak memory is
    bounded whatever the popularity of the activities. Links are ranked in float32 and the kept
    links' exact values recomputed in float64. Two blocks run at once (the sparse product and the
    array arithmetic release the GIL).
    """
    x = sp.csr_array(mat.data, dtype=np.float32)
    xt = sp.csr_array(x.T, dtype=np.float32)
    n, p = x.shape
    u = np.asarray(mat.col_sums())
    u32 = u.astype(np.float32)
    d = np.asarray(mat.row_sums())
    # Work of row j of C: the summed diversity of the regions where activity j is present.
    work = np.asarray(xt @ d.astype(np.float32)).ravel().astype(np.float64)

    def run(block: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        a, b = block
        cb = xt[a:b] @ x
        counts = np.diff(cb.indptr)
        rows = np.repeat(np.arange(a, b, dtype=np.int32), counts)
        cols = cb.indices
        vals = _normalise_stored(cb.data, np.repeat(u32[a:b], counts), u32[cols], float(n),
                                 method)
        vals[cols == rows] = 0.0  # no self-links
        pos = _topk_per_row(cb.indptr, vals, k)
        # Counts are exact in float32 (< 2**24); only the ranking used float32 ratios.
        return rows[pos], cols[pos], cb.data[pos].astype(np.float64)

    blocks = _row_blocks(work, BLOCK_WORK)
    with ThreadPoolExecutor(max_workers=2) as pool:
        parts = list(pool.map(run, blocks))
    rows = np.concatenate([r for r, _, _ in parts]).astype(np.int64)
    cols = np.concatenate([c for _, c, _ in parts]).astype(np.int64)
    cij = np.concatenate([v for _, _, v in parts])
    vals = _normalise_values(cij, u[rows], u[cols], float(n), method)
    # The matrix is symmetric: the union with the transpose keeps every link that is in the
    # top k of either end.
    out = _symmetric_union(rows, cols, vals, p, diagonal)
    return LabelledSparse(out, mat.cols, mat.cols)


# --------------------------------------------------------------------------------------------
# co-occurrence from item-level pairs
# --------------------------------------------------------------------------------------------
def cooccurrence(pairs: pd.DataFrame, item: str = "item", activity: str = "activity", *,
                 sparse: bool | None = None) -> pd.DataFrame | LabelledSparse:
    r"""Activity x activity co-occurrence counts from item-level pairs.

    Each row of ``pairs`` says that an item (a patent, a firm, a project ...) belongs to an
    activity (a technology class, an industry ...). Duplicated pairs count once. With the binary
    item x activity incidence matrix :math:`B`,

    .. math:: C = B^T B, \qquad C_{ij} = \#\{\text{items in both } i \text{ and } j\},

    so the diagonal :math:`C_{ii}` is the number of items in activity ``i``. This is how Balland
    et al. (2019) measure technological relatedness from patents that list several CPC classes;
    normalise it with :func:`normalise_cooccurrence` (e.g. association strength).

    Parameters
    ----------
    pairs : DataFrame with the two columns named by ``item`` and ``activity``.
    sparse : bool, optional. Return a LabelledSparse; default: when there are more than 2,000
        activities.

    References
    ----------
    Balland, P.-A., Boschma, R., Crespo, J., & Rigby, D. L. (2019). Smart specialization policy in
    the European Union: relatedness, knowledge complexity and regional diversification. *Regional
    Studies*, 53(9), 1252-1268.
    """
    missing_cols = [c for c in (item, activity) if c not in pairs.columns]
    if missing_cols:
        raise ValueError(f"pairs: missing column(s) {missing_cols}; columns are {list(pairs.columns)}")
    sub = pairs[[item, activity]]
    nulls = sub.isna().any(axis=1)
    if nulls.any():
        rows = list(sub.index[nulls][:10])
        raise ValueError(f"pairs: {int(nulls.sum())} row(s) with a missing {item} or {activity}: {rows}")
    sub = sub.drop_duplicates()
    items = pd.Categorical(sub[item])
    acts = pd.Categorical(sub[activity])
    b = sp.csr_array(
        (np.ones(len(sub), dtype=np.float32), (items.codes, acts.codes)),
        shape=(len(items.categories), len(acts.categories)),
    )
    c = sp.csr_array(b.T @ b)
    labels = pd.Index(acts.categories, name=activity)
    if sparse is None:
        sparse = len(labels) > 2000
    if sparse:
        return LabelledSparse(c.astype(np.int64), labels, labels)
    return pd.DataFrame(c.toarray().astype(np.int64), index=labels, columns=labels.copy())


# --------------------------------------------------------------------------------------------
# density
# --------------------------------------------------------------------------------------------
def _phi_aligned(phi: object, cols: pd.Index) -> np.ndarray | sp.csr_array:
    """Proximity values with rows and columns in the order of ``cols`` (the activities)."""
    if isinstance(phi, pd.DataFrame):
        missing = cols.difference(phi.index).union(cols.difference(phi.columns))
        if len(missing):
            raise ValueError(f"phi has no row/column for activities {list(missing[:10])}")
        vals = phi.reindex(index=cols, columns=cols).to_numpy(dtype=float)
        if not np.isfinite(vals).all() or (vals < 0).any():
            raise ValueError("phi must hold finite non-negative proximities")
        return vals
    if isinstance(phi, LabelledSparse):
        if not (phi.rows.equals(cols) and phi.cols.equals(cols)):
            pos_r, pos_c = phi.rows.get_indexer(cols), phi.cols.get_indexer(cols)
            if (pos_r < 0).any() or (pos_c < 0).any():
                raise ValueError("phi does not cover every activity of m")
            return sp.csr_array(phi.matrix)[pos_r][:, pos_c]
        return sp.csr_array(phi.matrix)
    arr = phi if sp.issparse(phi) else np.asarray(phi, dtype=float)
    if arr.shape != (len(cols), len(cols)):
        raise ValueError(f"phi has shape {arr.shape}, expected {(len(cols), len(cols))}")
    return sp.csr_array(arr) if sp.issparse(arr) else arr


def _density_values(mdata: np.ndarray | sp.csr_array, phi: np.ndarray | sp.csr_array
                    ) -> np.ndarray | sp.csr_array:
    colsum = np.asarray(phi.sum(axis=0)).ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = np.where(colsum > 0, 1.0 / colsum, np.nan)
    num = mdata @ phi
    if sp.issparse(num):
        num = sp.csr_array(num)
        if not sp.issparse(mdata):
            return num.toarray() * inv[None, :]
        coo_cols = num.indices
        num.data = num.data * inv[coo_cols]
        return num
    return np.asarray(num) * inv[None, :]


def density(m: object, phi: object, *, missing: MissingPolicy = "raise"
            ) -> pd.DataFrame | LabelledSparse:
    r"""Relatedness density of each activity in each region (Hidalgo et al. 2007).

    .. math:: \omega_{ri} = \frac{\sum_j M_{rj}\,\phi_{ij}}{\sum_j \phi_{ij}} \in [0, 1]

    the share of the activity's relatedness mass that falls on activities the region is already
    specialised in. The sums run over all activities, so ``phi``'s diagonal counts: with
    ``diagonal=1`` (as in py-ecomplexity) an activity the region already has adds to its own
    density; with the default ``diagonal=0`` only other activities count.

    Parameters
    ----------
    m : 0/1 presence matrix (regions x activities).
    phi : proximity (DataFrame or LabelledSparse from :func:`proximity`, labelled by the
        activities of ``m``; or an aligned array).

    Returns
    -------
    DataFrame (regions x activities), or LabelledSparse when ``m`` is sparse. Activities with no
    link at all (:math:`\sum_j \phi_{ij} = 0`) get NaN (dense) / no entry (sparse).

    References
    ----------
    Hidalgo, C. A., Klinger, B., Barabási, A.-L., & Hausmann, R. (2007). The product space
    conditions the development of nations. *Science*, 317(5837), 482-487.
    """
    mat = as_labelled(m, name="m", missing=missing)
    check_binary(mat)
    ph = _phi_aligned(phi, mat.cols)
    return mat.wrap(_density_values(mat.data, ph))


def relatedness_density(m: object, phi: object, *, missing: MissingPolicy = "raise"
                        ) -> pd.DataFrame | LabelledSparse:
    r"""Relatedness density in percent, :math:`RD_{ri} = 100\,\omega_{ri}` (Balland et al. 2019).

    See :func:`density` for :math:`\omega`.

    References
    ----------
    Balland, P.-A., Boschma, R., Crespo, J., & Rigby, D. L. (2019). Smart specialization policy in
    the European Union. *Regional Studies*, 53(9), 1252-1268.
    """
    out = density(m, phi, missing=missing)
    if isinstance(out, LabelledSparse):
        return LabelledSparse(out.matrix * 100.0, out.rows, out.cols)
    return out * 100.0


# --------------------------------------------------------------------------------------------
# complexity outlook
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Opportunity:
    """Complexity outlook: ``coi`` (Series over regions), ``cog`` (regions x activities)."""

    coi: pd.Series
    cog: pd.DataFrame


def opportunity(m: object, phi: object, pci: pd.Series, *,
                missing: MissingPolicy = "raise") -> Opportunity:
    r"""Complexity outlook index (COI) and complexity outlook gain (COG).

    With density :math:`\omega_{ri}` (:func:`density`), i.e. one minus the Atlas' distance
    :math:`d_{ri}`:

    .. math::

        COI_r = \sum_i \omega_{ri} (1 - M_{ri})\, PCI_i

        COG_{ri} = \sum_j \frac{\phi_{ij}}{\sum_k \phi_{kj}} (1 - M_{rj})\, PCI_j
                   - \omega_{ri}\, PCI_i

    COI measures how many complex activities are near a region's current capabilities; COG how
    much a new activity ``i`` would improve that outlook. COG is meaningful for activities the
    region does not yet have (:math:`M_{ri} = 0`). Activities whose PCI is NaN are ignored in
    the sums (and get a NaN COG).

    Parameters
    ----------
    m : 0/1 presence matrix (dense).
    phi : proximity between the activities of ``m``.
    pci : Series over the activities (e.g. ``complexity(m).pci``).

    References
    ----------
    Hausmann, R., Hidalgo, C. A., Bustos, S., Coscia, M., Simoes, A., & Yildirim, M. A. (2014).
    *The Atlas of Economic Complexity: Mapping Paths to Prosperity*. MIT Press.
    """
    mat = as_labelled(m, name="m", missing=missing, allow_sparse=False)
    check_binary(mat)
    ph = _phi_aligned(phi, mat.cols)
    ph = ph.toarray() if sp.issparse(ph) else ph
    if not isinstance(pci, pd.Series):
        raise TypeError("pci must be a Series indexed by activity")
    missing_acts = mat.cols.difference(pci.index)
    if len(missing_acts):
        raise ValueError(f"pci has no value for activities {list(missing_acts[:10])}")
    q = pci.reindex(mat.cols).to_numpy(dtype=float)
    ok = np.isfinite(q)
    q0 = np.where(ok, q, 0.0)
    mm = mat.data
    dens = _density_values(mm, ph)
    dens0 = np.nan_to_num(dens, nan=0.0)
    absent = 1.0 - mm
    coi = (dens0 * absent * q0[None, :]).sum(axis=1)
    colsum = ph.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(colsum > 0, q0 / colsum, 0.0)
    cog = (absent * w[None, :]) @ ph.T - dens0 * q0[None, :]
    cog[:, ~ok] = np.nan
    return Opportunity(
        coi=mat.row_series(coi, "coi"),
        cog=pd.DataFrame(cog, index=mat.rows, columns=mat.cols),
    )
