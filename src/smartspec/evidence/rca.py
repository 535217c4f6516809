"""Revealed comparative advantage (location quotient), presence, diversity and ubiquity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from smartspec.evidence._matrix import LabelledSparse, Matrix, MissingPolicy, as_labelled

__all__ = ["diversity", "presence", "rca", "ubiquity"]


def _rca_values(m: Matrix) -> np.ndarray | sp.csr_array:
    """RCA of a validated matrix; rows/columns with zero total give NaN (dense) or no entry."""
    row = m.row_sums()
    col = m.col_sums()
    total = row.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_row = np.where(row > 0, 1.0 / row, np.nan)
        inv_col = np.where(col > 0, total / col, np.nan) if total > 0 else np.full_like(col, np.nan)
        if m.is_sparse:
            # Only stored (positive) entries; their row and column totals are positive.
            out = m.data.copy()
            coo_rows = np.repeat(np.arange(out.shape[0]), np.diff(out.indptr))
            out.data = out.data * inv_row[coo_rows] * inv_col[out.indices]
            return out
        return m.data * inv_row[:, None] * inv_col[None, :]


def rca(x: object, *, missing: MissingPolicy = "raise") -> pd.DataFrame | LabelledSparse:
    r"""Continuous Balassa revealed comparative advantage (location quotient).

    .. math::

        RCA_{ri} = \frac{x_{ri} / \sum_j x_{rj}}{\sum_s x_{si} / \sum_{s,j} x_{sj}}

    With employment data this is the location quotient (LQ) of regional science; with exports it
    is Balassa's index of revealed comparative advantage.

    Parameters
    ----------
    x : DataFrame (regions x activities), LabelledSparse, sparse matrix or 2-D array
        Non-negative, finite values (employment, exports, patents ...).
    missing : {"raise", "zero"}
        Missing values raise (default) or count as zero.

    Returns
    -------
    DataFrame or LabelledSparse
        Same labels and kind as the input. Regions (rows) or activities (columns) whose total is
        zero have an undefined RCA: NaN in dense output; no stored entry in sparse output.

    Notes
    -----
    RCA is invariant to multiplying the whole matrix by a positive constant.

    References
    ----------
    Balassa, B. (1965). Trade liberalisation and "revealed" comparative advantage. *The
    Manchester School*, 33(2), 99-123.
    """
    m = as_labelled(x, name="x", missing=missing)
    return m.wrap(_rca_values(m))


def presence(x: object, threshold: float = 1.0, *,
             missing: MissingPolicy = "raise") -> pd.DataFrame | LabelledSparse:
    r"""Binary presence (specialisation) matrix :math:`M_{ri} = 1[RCA_{ri} \geq \theta]`.

    Parameters
    ----------
    x : DataFrame, LabelledSparse, sparse matrix or 2-D array
        Raw non-negative values; the RCA is computed from them (see :func:`rca`).
    threshold : float, default 1.0
        :math:`\theta`. The conventional cut-off is 1 (Hidalgo et al. 2007). Must be positive.
    missing : {"raise", "zero"}

    Returns
    -------
    DataFrame of int8 (0/1) or LabelledSparse of 0/1 floats.
        Cells with undefined RCA (empty region or activity) are 0.

    References
    ----------
    Hidalgo, C. A., Klinger, B., Barabási, A.-L., & Hausmann, R. (2007). The product space
    conditions the development of nations. *Science*, 317(5837), 482-487.
    """
    if not np.isfinite(threshold) or threshold <= 0:
        raise ValueError(f"threshold must be a positive finite number, got {threshold!r}")
    m = as_labelled(x, name="x", missing=missing)
    r = _rca_values(m)
    if sp.issparse(r):
        out = r.copy()
        out.data = (out.data >= threshold).astype(np.float64)
        out.eliminate_zeros()
        return m.wrap(out)
    with np.errstate(invalid="ignore"):
        return m.wrap((r >= threshold).astype(np.int8))


def diversity(m: object, *, missing: MissingPolicy = "raise") -> pd.Series:
    r"""Diversity :math:`k_{r,0} = \sum_i M_{ri}`: the number of activities a region is present in.

    ``m`` is a presence matrix (see :func:`presence`); any non-negative matrix is summed by row.

    References
    ----------
    Hidalgo, C. A., & Hausmann, R. (2009). The building blocks of economic complexity. *PNAS*,
    106(26), 10570-10575.
    """
    mm = as_labelled(m, name="m", missing=missing)
    return mm.row_series(mm.row_sums(), "diversity")


def ubiquity(m: object, *, missing: MissingPolicy = "raise") -> pd.Series:
    r"""Ubiquity :math:`k_{i,0} = \sum_r M_{ri}`: the number of regions present in an activity.

    References
    ----------
    Hidalgo, C. A., & Hausmann, R. (2009). The building blocks of economic complexity. *PNAS*,
    106(26), 10570-10575.
    """
    mm = as_labelled(m, name="m", missing=missing)
    return mm.col_series(mm.col_sums(), "ubiquity")
