"""The standard evidence pipeline over one period or a whole panel, batched across years.

RCA -> presence -> ECI/PCI -> proximity -> density, computed for every year at once on a
(years x regions x activities) stack: the elementwise steps are vectorised over the stack and
the matrix products run as batched BLAS calls, instead of looping over years in Python.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from smartspec.evidence._matrix import as_labelled, zscore
from smartspec.evidence.complexity import _eigenvector, _fix_sign
from smartspec.evidence.relatedness import _normalise_values

__all__ = ["PipelineResult", "pipeline"]

#: Rows of the proximity matrix normalised at a time (keeps the temporary denominator small).
_PROXIMITY_BLOCK = 64


@dataclass(frozen=True)
class PipelineResult:
    """Outputs of :func:`pipeline`, one slice per year.

    Attributes
    ----------
    years : list of the period labels.
    regions, activities : the labels shared by all years.
    rca : ndarray (years, regions, activities). NaN where undefined.
    presence : ndarray of int8 (years, regions, activities).
    eci : DataFrame (years x regions). pci : DataFrame (years x activities).
    proximity : ndarray (years, activities, activities).
    density : ndarray (years, regions, activities).
    """

    years: list
    regions: pd.Index
    activities: pd.Index
    rca: np.ndarray
    presence: np.ndarray
    eci: pd.DataFrame
    pci: pd.DataFrame
    proximity: np.ndarray
    density: np.ndarray

    def _pos(self, year: object | None) -> int:
        if year is None:
            return len(self.years) - 1
        try:
            return self.years.index(year)
        except ValueError:
            raise KeyError(f"year {year!r} not in {self.years}") from None

    def frame(self, name: Literal["rca", "presence", "density"], year: object | None = None
              ) -> pd.DataFrame:
        """A region x activity slice as a labelled DataFrame (latest year by default)."""
        if name not in ("rca", "presence", "density"):
            raise ValueError("name must be 'rca', 'presence' or 'density'")
        return pd.DataFrame(getattr(self, name)[self._pos(year)], index=self.regions,
                            columns=self.activities)

    def proximity_frame(self, year: object | None = None) -> pd.DataFrame:
        return pd.DataFrame(self.proximity[self._pos(year)], index=self.activities,
                            columns=self.activities)


def _stack(x: object) -> tuple[list, pd.Index, pd.Index, np.ndarray, bool]:
    """Validate and stack the input into a (years, regions, activities) float64 array.

    The last value says whether the stack already holds the RCA (the fast path computes it
    slice by slice while each slice is still in the cache).
    """
    if not isinstance(x, Mapping):
        m = as_labelled(x, name="x", allow_sparse=False)
        return [None], m.rows, m.cols, m.data[None, :, :], False
    if not x:
        raise ValueError("x: empty mapping of years")
    years = sorted(x)
    frames = [x[y] for y in years]
    fast = _stack_aligned_frames(frames)
    if fast is not None:
        return years, frames[0].index, frames[0].columns, fast, True
    mats = [as_labelled(x[y], name=f"x[{y!r}]") for y in years]
    rows = mats[0].rows
    cols = mats[0].cols
    for m in mats[1:]:
        rows = rows.union(m.rows, sort=False) if not m.rows.equals(rows) else rows
        cols = cols.union(m.cols, sort=False) if not m.cols.equals(cols) else cols
    stack = np.zeros((len(years), len(rows), len(cols)))
    for i, m in enumerate(mats):
        dense = m.data.toarray() if m.is_sparse else m.data
        if m.rows.equals(rows) and m.cols.equals(cols):
            stack[i] = dense
        else:
            ri, ci = rows.get_indexer(m.rows), cols.get_indexer(m.cols)
            stack[i][np.ix_(ri, ci)] = dense
    return years, rows, cols, stack, False


def _stack_aligned_frames(frames: list) -> np.ndarray | None:
    """Fast path: numeric DataFrames with identical labels -> the stack of their RCA.

    Each year is copied, checked and turned into its RCA in one sweep while its slice is in
    the cache (:func:`_rca_slice_inplace`). Returns None when the
    fast path does not apply or the values are not clean (negative, missing, infinite): the
    caller then validates year by year, which names the bad cells.
    """
    first = frames[0]
    if not all(isinstance(f, pd.DataFrame) for f in frames):
        return None
    if first.index.has_duplicates or first.columns.has_duplicates:
        return None
    for f in frames:
        if not (f.index.equals(first.index) and f.columns.equals(first.columns)):
            return None
        if not all(pd.api.types.is_numeric_dtype(dt) for dt in set(f.dtypes)):
            return None
    stack = np.empty((len(frames), *first.shape))
    if stack.size == 0:
        return stack
    for i, f in enumerate(frames):
        s = stack[i]
        s[...] = f.to_numpy(dtype=np.float64, na_value=np.nan)
        with np.errstate(invalid="ignore", over="ignore"):
            row = s.sum(axis=1)
            if not (s.min() >= 0 and np.isfinite(row).all()):
                return None
        _rca_slice_inplace(s, row)
    return stack


def _rca_slice_inplace(s: np.ndarray, row: np.ndarray) -> None:
    """RCA of one (regions x activities) slice, written over it; ``row`` = its row sums."""
    col = s.sum(axis=0)
    tot = row.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        s *= (1.0 / row)[:, None]
        s *= (tot / col)[None, :]


def _batched_rca_inplace(x: np.ndarray) -> np.ndarray:
    """RCA of every year of the stack, written over ``x`` (a private copy of the input)."""
    for s in x:
        _rca_slice_inplace(s, s.sum(axis=1))
    return x


def _eci_one(mm: np.ndarray, d: np.ndarray, u: np.ndarray, ddof: int, v0: np.ndarray | None
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Standardised ECI/PCI of one float64 presence slice (NaN for empty rows/columns).

    ``mm`` must be the caller's private copy: it is overwritten. Returns the symmetric-form
    eigenvector too, to warm-start the next year.
    """
    kr, kc = d > 0, u > 0
    eci = np.full(mm.shape[0], np.nan)
    pci = np.full(mm.shape[1], np.nan)
    if kr.sum() < 2 or kc.sum() < 2:
        return eci, pci, None
    sub = mm if (kr.all() and kc.all()) else mm[np.ix_(kr, kc)]
    x, q, _, y = _eigenvector(sub, d[kr], u[kc], v0, overwrite_m=True)
    x, q = _fix_sign(x, q, d[kr])
    eci[kr], pci[kc] = zscore(x, ddof), zscore(q, ddof)
    return eci, pci, y


def pipeline(x: object, *, threshold: float = 1.0, proximity_method: str = "min_conditional",
             diagonal: float | None = 0.0, ddof: int = 1) -> PipelineResult:
    r"""RCA, presence, ECI/PCI (eigenvector method), proximity and density for every year.

    Each step follows the single-matrix functions of :mod:`smartspec.evidence` exactly
    (:func:`~smartspec.evidence.rca`, :func:`~smartspec.evidence.presence`,
    :func:`~smartspec.evidence.complexity` with ``method="eigenvector"``,
    :func:`~smartspec.evidence.proximity` and :func:`~smartspec.evidence.density`); see their
    docstrings for the formulas and sources. Years are processed together on a stacked array.

    Parameters
    ----------
    x : DataFrame (one period) or mapping year -> DataFrame (a panel). Regions and activities
        missing from a year are treated as zero in that year.
    threshold : RCA cut-off for presence.
    proximity_method, diagonal : as in :func:`~smartspec.evidence.proximity`.
    ddof : as in :func:`~smartspec.evidence.complexity`.
    """
    years, rows, cols, stack, is_rca = _stack(x)
    n_years, n, p = stack.shape
    # The stack is always a private copy (see _stack), so the RCA can overwrite it: one large
    # array less to allocate and page in.
    r = stack if is_rca else _batched_rca_inplace(stack)
    with np.errstate(invalid="ignore"):
        mb = r >= threshold
    m = mb.view(np.int8)
    phi = np.empty((n_years, p, p))
    dens = np.empty((n_years, n, p))
    eci = np.empty((n_years, n))
    pci = np.empty((n_years, p))

    scratch = threading.local()

    def buffers() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        # each worker thread reuses its own work arrays from year to year
        found = getattr(scratch, "arrays", None)
        if found is None:
            found = scratch.arrays = (np.empty((n, p), np.float32),
                                      np.empty((p, p), np.float32), np.empty((n, p)))
        return found

    def one_year(t: int) -> None:
        # float32 for the exact co-occurrence counts (sgemm, exact below 2**24), float64 for
        # proximity, density and the eigenvector. Fresh large temporaries are avoided: on
        # virtual machines the page faults of a new multi-megabyte array cost as much as its
        # arithmetic. So each thread reuses its work arrays, the counts go straight into
        # phi[t], and density is scaled in place.
        m32, cooc, m64 = buffers()
        np.copyto(m32, mb[t])
        np.matmul(m32.T, m32, out=cooc)
        u = np.diag(cooc).astype(np.float64)
        phi_t = phi[t]
        if proximity_method == "min_conditional":
            # counts are integers: a zero max(u_i, u_j) has a zero count, so dividing by
            # max(u_i, u_j, 1) gives _normalise_values's result without a mask. Row blocks
            # keep the denominator small.
            u1 = np.maximum(u, 1.0)
            for lo in range(0, p, _PROXIMITY_BLOCK):
                hi = min(p, lo + _PROXIMITY_BLOCK)
                den = np.maximum(u1[lo:hi, None], u1[None, :])
                np.divide(cooc[lo:hi], den, out=phi_t[lo:hi])
        else:
            phi_t[...] = _normalise_values(cooc.astype(np.float64), u[:, None], u[None, :],
                                           float(n), proximity_method)
        if diagonal is not None:
            np.fill_diagonal(phi_t, diagonal)
        colsum = phi_t.sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            inv = np.where(colsum > 0, 1.0 / colsum, np.nan)
        np.copyto(m64, mb[t])
        dens_t = dens[t]
        np.matmul(m64, phi_t, out=dens_t)
        dens_t *= inv[None, :]
        eci[t], pci[t], _ = _eci_one(m64, m64.sum(axis=1), u, ddof, None)

    # Years are independent: they run in parallel threads (BLAS and numpy release the GIL),
    # each with single-threaded BLAS. On matrices of this size, that is faster than one year
    # at a time with multi-threaded BLAS, whose synchronisation dominates.
    workers = max(1, min(n_years, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                         else (os.cpu_count() or 1)))
    if workers == 1:  # one period (or one core): let BLAS use its own threads
        for t in range(n_years):
            one_year(t)
    else:
        with threadpool_limits(limits=1, user_api="blas"), \
                ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(one_year, range(n_years)))
    label = "year"
    return PipelineResult(
        years=list(years), regions=rows, activities=cols, rca=r, presence=m,
        eci=pd.DataFrame(eci, index=pd.Index(years, name=label), columns=rows),
        pci=pd.DataFrame(pci, index=pd.Index(years, name=label), columns=cols),
        proximity=phi, density=dens,
    )
