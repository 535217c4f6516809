r"""Robustness of the candidate ranking to the choice of weights (Monte Carlo).

The composite score depends on weights that are a policy choice. To show how much a candidate's
place depends on them, weight vectors are drawn around the chosen weights from a Dirichlet
distribution,

.. math:: w^{(d)} \sim \mathrm{Dirichlet}(c\, \bar w), \qquad \bar w = w / \textstyle\sum w,

with concentration :math:`c` (larger = tighter around :math:`\bar w`; each weight's standard
deviation is :math:`\sqrt{\bar w_s(1-\bar w_s)/(c+1)}`, e.g. 0.09 for a weight of 0.2 with the
default :math:`c = 20`). Sub-scores with zero weight stay at zero. For every draw the composite
is recomputed for all regions and candidates at once, and

.. math:: p^{top\,k}_{ri} = \frac{1}{D}\sum_d 1\big[S^{(d)}_{ri} \geq S^{(d)}_{r,(k)}\big]

is the share of draws in which candidate :math:`i` is among the region's top :math:`k`
(:math:`S_{r,(k)}` the k-th largest score; ties at the cut count as in). The same draws are used
for every region (common random numbers), and the draws are reproducible from ``seed``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["p_top_k", "weight_draws"]

#: Largest number of (region x activity x draw) scores held in memory at once.
CHUNK_CELLS = 4_000_000


def weight_draws(weights: np.ndarray, n_draws: int, *, concentration: float = 20.0,
                 seed: int | np.random.Generator | None = 0) -> np.ndarray:
    """Dirichlet weight draws around ``weights``, shape (len(weights), n_draws).

    Columns sum to 1; entries of zero weight stay 0.
    """
    w = np.asarray(weights, dtype=float)
    if w.ndim != 1 or (w < 0).any() or not np.isfinite(w).all() or w.sum() <= 0:
        raise ValueError("weights must be a 1-D vector of finite non-negative numbers with a "
                         "positive sum")
    if not isinstance(n_draws, int | np.integer) or n_draws < 1:
        raise ValueError(f"n_draws must be a positive integer, got {n_draws!r}")
    if not np.isfinite(concentration) or concentration <= 0:
        raise ValueError(f"concentration must be positive, got {concentration!r}")
    rng = np.random.default_rng(seed)
    pos = w > 0
    out = np.zeros((w.size, int(n_draws)))
    if pos.sum() == 1:
        out[pos] = 1.0
        return out
    alpha = concentration * w[pos] / w.sum()
    out[pos] = rng.dirichlet(alpha, size=int(n_draws)).T
    return out


def p_top_k(benefit: np.ndarray, draws: np.ndarray, k: int) -> np.ndarray:
    """Share of weight draws in which each candidate is in its region's top ``k``.

    Parameters
    ----------
    benefit : (regions, activities, sub-scores) benefit sub-scores (capability gap already
        turned into ``1 - gap``), all finite.
    draws : (sub-scores, draws) weight vectors, columns summing to 1 (see
        :func:`weight_draws`).
    k : size of the top.

    Returns
    -------
    ndarray (regions, activities) in [0, 1].
    """
    if not isinstance(k, int | np.integer) or k < 1:
        raise ValueError(f"top_k must be a positive integer, got {k!r}")
    n, p, _ = benefit.shape
    if k >= p:
        return np.ones((n, p))
    d = draws.shape[1]
    w = draws.astype(np.float32)
    b = benefit.astype(np.float32)
    out = np.empty((n, p))
    step = max(1, CHUNK_CELLS // max(p * d, 1))
    for a in range(0, n, step):
        s = b[a:a + step] @ w                                   # (chunk, p, draws)
        cut = np.partition(s, p - k, axis=1)[:, p - k, :]       # k-th largest per draw
        out[a:a + step] = (s >= cut[:, None, :]).mean(axis=2)
    return out
