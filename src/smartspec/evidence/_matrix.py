"""Input handling shared by every indicator: labelled matrices, validation and missing values.

Every public indicator in :mod:`smartspec.evidence` accepts

* a wide :class:`pandas.DataFrame` (index = regions, columns = activities), or
* a :class:`LabelledSparse` (a ``scipy.sparse`` matrix with row and column labels), or
* a bare ``scipy.sparse`` matrix or 2-D ``numpy`` array (labels become ``0..n-1``).

:func:`as_labelled` turns any of these into a :class:`Matrix`, checking that the values are
numeric, finite and non-negative and applying the explicit ``missing=`` policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

MissingPolicy = Literal["raise", "zero"]
_MISSING_POLICIES = ("raise", "zero")
_MAX_LISTED = 10


@dataclass(frozen=True)
class LabelledSparse:
    """A ``scipy.sparse`` matrix with row (region) and column (activity) labels.

    Parameters
    ----------
    matrix : scipy.sparse matrix or array, shape (n_regions, n_activities)
    rows, cols : sequence of labels, of matching lengths.
    """

    matrix: sp.sparray | sp.spmatrix
    rows: pd.Index
    cols: pd.Index

    def __post_init__(self) -> None:
        object.__setattr__(self, "rows", pd.Index(self.rows))
        object.__setattr__(self, "cols", pd.Index(self.cols))
        n, p = self.matrix.shape
        if len(self.rows) != n or len(self.cols) != p:
            raise ValueError(
                f"LabelledSparse: matrix shape {self.matrix.shape} does not match "
                f"{len(self.rows)} row labels and {len(self.cols)} column labels"
            )

    @property
    def shape(self) -> tuple[int, int]:
        return self.matrix.shape

    @property
    def T(self) -> LabelledSparse:
        return LabelledSparse(self.matrix.T.tocsr(), self.cols, self.rows)

    def to_frame(self) -> pd.DataFrame:
        """Dense labelled copy (only sensible for small matrices)."""
        return pd.DataFrame(self.matrix.toarray(), index=self.rows, columns=self.cols)


@dataclass(frozen=True)
class Matrix:
    """Validated internal form: float64 data (dense ndarray or CSR) plus labels."""

    data: np.ndarray | sp.csr_array
    rows: pd.Index
    cols: pd.Index

    @property
    def is_sparse(self) -> bool:
        return sp.issparse(self.data)

    @property
    def shape(self) -> tuple[int, int]:
        return self.data.shape

    def wrap(self, values: np.ndarray | sp.sparray, rows: pd.Index | None = None,
             cols: pd.Index | None = None) -> pd.DataFrame | LabelledSparse:
        """Return ``values`` with labels, in the same kind (dense/sparse) as it is."""
        rows = self.rows if rows is None else rows
        cols = self.cols if cols is None else cols
        if sp.issparse(values):
            return LabelledSparse(sp.csr_array(values), rows, cols)
        return pd.DataFrame(values, index=rows, columns=cols)

    def row_series(self, values: np.ndarray, name: str) -> pd.Series:
        return pd.Series(np.asarray(values, dtype=float), index=self.rows, name=name)

    def col_series(self, values: np.ndarray, name: str) -> pd.Series:
        return pd.Series(np.asarray(values, dtype=float), index=self.cols, name=name)

    def row_sums(self) -> np.ndarray:
        return np.asarray(self.data.sum(axis=1)).ravel()

    def col_sums(self) -> np.ndarray:
        return np.asarray(self.data.sum(axis=0)).ravel()


def _listing(labels: list[str], total: int) -> str:
    shown = ", ".join(labels[:_MAX_LISTED])
    more = f" (and {total - _MAX_LISTED} more)" if total > _MAX_LISTED else ""
    return shown + more


def _cells(rows: pd.Index, cols: pd.Index, r: np.ndarray, c: np.ndarray) -> str:
    pairs = [f"({rows[i]!s}, {cols[j]!s})" for i, j in zip(r[:_MAX_LISTED], c[:_MAX_LISTED], strict=False)]
    return _listing(pairs, len(r))


def _bad_cells_error(name: str, what: str, rows: pd.Index, cols: pd.Index,
                     r: np.ndarray, c: np.ndarray) -> ValueError:
    reg = _listing([str(x) for x in pd.unique(rows[r])], len(pd.unique(rows[r])))
    act = _listing([str(x) for x in pd.unique(cols[c])], len(pd.unique(cols[c])))
    return ValueError(
        f"{name}: {len(r)} {what} value(s) at (region, activity) {_cells(rows, cols, r, c)}; "
        f"regions: {reg}; activities: {act}"
    )


def _check_labels(rows: pd.Index, cols: pd.Index, name: str) -> None:
    for axis, labels in (("region (row)", rows), ("activity (column)", cols)):
        if labels.has_duplicates:
            dup = [str(x) for x in labels[labels.duplicated()].unique()]
            raise ValueError(f"{name}: duplicated {axis} labels: {_listing(dup, len(dup))}")


def _dense_from_frame(x: pd.DataFrame, name: str) -> np.ndarray:
    def numeric(dt: object) -> bool:
        return pd.api.types.is_numeric_dtype(dt) or pd.api.types.is_bool_dtype(dt)

    dtypes = x.dtypes
    # each distinct dtype is checked once (a wide frame has hundreds of columns, one dtype)
    bad_cols = [] if all(numeric(dt) for dt in set(dtypes)) else \
        [str(c) for c, dt in zip(x.columns, dtypes, strict=True) if not numeric(dt)]
    if bad_cols:
        # Locate the first offending cells for a helpful message.
        cells = []
        for c in bad_cols[:_MAX_LISTED]:
            coerced = pd.to_numeric(x[c], errors="coerce")
            bad = x.index[coerced.isna() & x[c].notna()]
            cells.extend(f"({r!s}, {c}) = {x.at[r, c]!r}" for r in bad[:3])
        raise ValueError(
            f"{name}: non-numeric values in activities {_listing(bad_cols, len(bad_cols))}; "
            f"first cells: {'; '.join(cells) if cells else 'column dtype is not numeric'}"
        )
    return x.to_numpy(dtype=float, na_value=np.nan)


def as_labelled(x: object, *, name: str = "x", missing: MissingPolicy = "raise",
                allow_sparse: bool = True) -> Matrix:
    """Validate ``x`` and return a :class:`Matrix`.

    Parameters
    ----------
    x : DataFrame, LabelledSparse, scipy.sparse matrix or 2-D array
        Non-negative finite numbers; regions in rows, activities in columns.
    name : str
        Used in error messages (usually the calling function's argument name).
    missing : {"raise", "zero"}
        Policy for missing values (NaN / pandas NA). ``"raise"`` (default) raises a
        ``ValueError`` naming the missing cells; ``"zero"`` treats them as zero (absent).
    allow_sparse : bool
        If False, sparse input is densified (for functions that need dense algebra).

    Raises
    ------
    ValueError
        Negative, non-numeric or infinite values (naming the regions and activities), duplicated
        labels, missing values under ``missing="raise"``, or an unknown policy.
    """
    if missing not in _MISSING_POLICIES:
        raise ValueError(f"missing must be one of {_MISSING_POLICIES}, got {missing!r}")
    if isinstance(x, Matrix):
        return x
    if isinstance(x, LabelledSparse):
        data, rows, cols = x.matrix, x.rows, x.cols
    elif isinstance(x, pd.DataFrame):
        rows, cols = x.index, x.columns
        data = _dense_from_frame(x, name)
    elif sp.issparse(x):
        data = x
        rows, cols = pd.RangeIndex(x.shape[0]), pd.RangeIndex(x.shape[1])
    elif isinstance(x, pd.Series):
        raise TypeError(f"{name}: expected a 2-D region x activity table, got a Series")
    else:
        arr = np.asarray(x)
        if arr.ndim != 2:
            raise ValueError(f"{name}: expected a 2-D region x activity matrix, got {arr.ndim}-D")
        if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
            raise ValueError(f"{name}: non-numeric values (dtype {arr.dtype})")
        data = arr.astype(float)
        rows, cols = pd.RangeIndex(arr.shape[0]), pd.RangeIndex(arr.shape[1])
    rows, cols = pd.Index(rows), pd.Index(cols)
    _check_labels(rows, cols, name)

    if sp.issparse(data):
        data = sp.csr_array(data)
        if not np.issubdtype(data.dtype, np.number) and data.dtype != bool:
            raise ValueError(f"{name}: non-numeric sparse values (dtype {data.dtype})")
        data = data.astype(np.float64) if data.dtype != np.float64 else data.copy()
        data.sum_duplicates()
        vals = data.data
        _validate_values(vals, name, rows, cols, missing,
                         locate=lambda mask: _sparse_positions(data, mask))
        if missing == "zero" and np.isnan(vals).any():
            vals[np.isnan(vals)] = 0.0
        data.eliminate_zeros()
        if not allow_sparse:
            data = data.toarray()
        return Matrix(data, rows, cols)

    data = np.array(data, dtype=np.float64, copy=True)
    _validate_values(data, name, rows, cols, missing, locate=lambda mask: np.nonzero(mask))
    if missing == "zero":
        np.nan_to_num(data, copy=False, nan=0.0, posinf=np.inf, neginf=-np.inf)
    return Matrix(data, rows, cols)


def _sparse_positions(data: sp.csr_array, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    coo = data.tocoo()
    return coo.row[mask], coo.col[mask]


def _validate_values(vals: np.ndarray, name: str, rows: pd.Index, cols: pd.Index,
                     missing: str, locate) -> None:
    inf = np.isinf(vals)
    if inf.any():
        r, c = locate(inf)
        raise _bad_cells_error(name, "infinite", rows, cols, np.asarray(r), np.asarray(c))
    neg = vals < 0
    if neg.any():
        r, c = locate(neg)
        raise _bad_cells_error(name, "negative", rows, cols, np.asarray(r), np.asarray(c))
    if missing == "raise":
        nan = np.isnan(vals)
        if nan.any():
            r, c = locate(nan)
            err = _bad_cells_error(name, "missing", rows, cols, np.asarray(r), np.asarray(c))
            raise ValueError(f"{err} (pass missing='zero' to treat missing cells as zero)")


def check_binary(m: Matrix, name: str = "m") -> None:
    """Raise if ``m`` is not a 0/1 presence matrix."""
    vals = m.data.data if m.is_sparse else m.data
    bad = (vals != 0) & (vals != 1)
    if bad.any():
        if m.is_sparse:
            r, c = _sparse_positions(m.data, bad)
        else:
            r, c = np.nonzero(bad)
        raise _bad_cells_error(name, "non-binary (expected a 0/1 presence matrix)", m.rows,
                               m.cols, np.asarray(r), np.asarray(c))


def zscore(v: np.ndarray, ddof: int = 1) -> np.ndarray:
    """(v - mean(v)) / sd(v, ddof) over the finite entries; NaN entries stay NaN."""
    out = np.full_like(v, np.nan, dtype=float)
    ok = np.isfinite(v)
    if ok.sum() <= ddof:
        return out
    w = v[ok]
    sd = w.std(ddof=ddof)
    out[ok] = (w - w.mean()) / sd if sd > 0 else 0.0
    return out
