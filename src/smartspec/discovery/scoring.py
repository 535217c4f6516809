r"""Sub-scores and composite score of candidate transformative activities.

Every function here is a pure, vectorised map from region x activity arrays (regions in rows,
candidate activities in columns) to sub-scores in :math:`[0, 1]`. They are computed for all
regions at once; :func:`smartspec.discovery.candidates` assembles the inputs and the output.

Notation: :math:`x_{rj}` employment (or any extensive measure) of region :math:`r` in activity
:math:`j`, :math:`RCA_{rj}` its location quotient, :math:`M_{rj} = 1[RCA_{rj} \geq 1]`,
:math:`\phi_{ij}` the proximity between activities (minimum conditional probability, zero
diagonal), :math:`\omega_{ri}` the relatedness density, :math:`N_k(i)` the ``k`` activities most
related to :math:`i` and :math:`s_{rj} = x_{rj} / \sum_l x_{rl}` the employment share.

The six sub-scores (all higher-is-better except ``capability_gap``):

==========================  ===========================================================
``feasibility``             percentile of :math:`\omega_{ri}` among the region's candidates
``value``                   percentile of :math:`PCI_i` among the candidates
``advantage``               :math:`RCA/(1+RCA)`, blended with the RCA trend when known
``momentum``                :math:`\tfrac12 + \tfrac12\tanh(g_i/\tau)`, :math:`g_i` annual growth
``transformative_potential`` percentile of the size-weighted proximity to the specialisations
``capability_gap``          proximity-weighted RCA shortfall over :math:`N_k(i)` (1 = largest)
==========================  ===========================================================

All of them are invariant to multiplying the data by a positive constant (RCA, presence,
proximity, density, shares and growth rates are ratios).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy.stats import rankdata

__all__ = [
    "DEFAULT_WEIGHTS",
    "SUBSCORES",
    "advantage_score",
    "capability_gap",
    "composite_score",
    "feasibility_score",
    "momentum_score",
    "percentile",
    "related_neighbourhood",
    "transformative_potential",
    "validate_weights",
    "value_score",
]

#: The sub-scores, in the order used by the weight vectors.
SUBSCORES: tuple[str, ...] = (
    "feasibility", "value", "advantage", "momentum", "transformative_potential",
    "capability_gap",
)

#: Default weights of the composite score (they sum to 1).
#:
#: * ``feasibility`` 0.25 — relatedness density is the best-documented predictor of which
#:   activities a region enters next (Hidalgo et al. 2007; Neffke, Henning & Boschma 2011;
#:   Balland et al. 2019), so it weighs most.
#: * ``transformative_potential`` 0.20 — the defining trait of a transformative activity: it
#:   connects to, and can transform, the region's existing (large) specialisations.
#: * ``value`` 0.20 — complexity, the second axis of Balland et al. (2019).
#: * ``advantage`` 0.15 — current revealed comparative advantage (and its trend).
#: * ``momentum`` 0.10 — growth of the activity everywhere; often only known at section level.
#: * ``capability_gap`` 0.10 — enters as ``1 - gap``; partly redundant with feasibility, kept
#:   low so that it mainly breaks ties between equally dense candidates.
DEFAULT_WEIGHTS: dict[str, float] = {
    "feasibility": 0.25,
    "value": 0.20,
    "advantage": 0.15,
    "momentum": 0.10,
    "transformative_potential": 0.20,
    "capability_gap": 0.10,
}


def validate_weights(weights: Mapping[str, float] | None) -> dict[str, float]:
    """Complete and check a weight mapping.

    Parameters
    ----------
    weights : mapping sub-score -> weight, or None
        Keys are names from :data:`SUBSCORES`; a key that is left out keeps its
        :data:`DEFAULT_WEIGHTS` value (set it to 0 to drop a sub-score). None means the defaults.

    Returns
    -------
    dict
        All six weights, in :data:`SUBSCORES` order (not normalised).

    Raises
    ------
    ValueError
        Unknown key, negative / non-finite weight, or all weights zero.
    """
    out = dict(DEFAULT_WEIGHTS)
    if weights is None:
        return out
    if not isinstance(weights, Mapping):
        raise TypeError(f"weights must be a mapping sub-score -> weight, got "
                        f"{type(weights).__name__}")
    unknown = [k for k in weights if k not in SUBSCORES]
    if unknown:
        raise ValueError(f"weights: unknown sub-score(s) {unknown}; expected some of "
                         f"{list(SUBSCORES)}")
    for k, v in weights.items():
        try:
            f = float(v)
        except (TypeError, ValueError):
            raise ValueError(f"weights[{k!r}] must be a number, got {v!r}") from None
        if not np.isfinite(f) or f < 0:
            raise ValueError(f"weights[{k!r}] must be finite and >= 0, got {v!r}")
        out[k] = f
    if sum(out.values()) <= 0:
        raise ValueError("weights: at least one weight must be positive")
    return {k: out[k] for k in SUBSCORES}


def percentile(values: np.ndarray, axis: int = 1) -> np.ndarray:
    r"""Percentile rank in :math:`[0, 1]` along ``axis``: :math:`(\mathrm{rank} - 1)/(n - 1)`.

    Ranks are 1-based with ties sharing their average rank, so the lowest value maps to 0, the
    highest to 1 and the median to 0.5. NaN entries stay NaN and are not counted in
    :math:`n`; a slice with a single finite value maps it to 0.5.
    """
    v = np.asarray(values, dtype=float)
    ok = np.isfinite(v)
    if ok.all():
        n = v.shape[axis]
        r = rankdata(v, method="average", axis=axis)
        return (r - 1.0) / (n - 1.0) if n > 1 else np.full_like(v, 0.5)
    filled = np.where(ok, v, np.inf)
    r = rankdata(filled, method="average", axis=axis)
    n = ok.sum(axis=axis, keepdims=True).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(n > 1, (r - 1.0) / np.maximum(n - 1.0, 1.0), 0.5)
    return np.where(ok, out, np.nan)


def feasibility_score(density: np.ndarray) -> np.ndarray:
    r"""Feasibility: percentile of the relatedness density within each region (row).

    .. math:: F_{ri} = \frac{\operatorname{rank}_r(\omega_{ri}) - 1}{n_r - 1}

    where the rank runs over the region's candidate activities (average ranks for ties). The
    density :math:`\omega_{ri} = \sum_j M_{rj}\phi_{ij} / \sum_j \phi_{ij}` (Hidalgo et al.
    2007) is itself in [0, 1] but bunched (0.1–0.6 on EU NUTS2 data); the within-region
    percentile spreads it evenly so that it weighs like the other sub-scores, and reads "more
    feasible than F of the region's other options". Invariant to any rescaling of the data.
    """
    return percentile(density, axis=1)


def value_score(pci: np.ndarray) -> np.ndarray:
    r"""Value: percentile of the activity complexity (PCI) among the candidates (1-D).

    .. math:: V_i = \frac{\operatorname{rank}(PCI_i) - 1}{n - 1}

    The same for every region. Activities with an unknown complexity (NaN) get the neutral
    0.5. Pass a knowledge-complexity index instead of the PCI to score technological value.
    """
    v = percentile(np.asarray(pci, dtype=float)[None, :], axis=1)[0]
    return np.where(np.isfinite(v), v, 0.5)


def advantage_score(rca: np.ndarray, rca_start: np.ndarray | None = None,
                    span: float | None = None, *, trend_weight: float = 0.25,
                    trend_scale: float = 0.05, epsilon: float = 0.05) -> np.ndarray:
    r"""Competitive advantage from the continuous RCA, blended with its trend where known.

    Level: :math:`A^{lvl}_{ri} = RCA_{ri} / (1 + RCA_{ri})` (0 for no activity, 0.5 at
    :math:`RCA = 1`, tends to 1). With a start year :math:`t_0` and a span of :math:`T - t_0`
    years, the annual log change

    .. math:: \Delta_{ri} = \frac{\ln(RCA_{ri,T} + \varepsilon) - \ln(RCA_{ri,t_0} + \varepsilon)}
                                 {T - t_0}

    (:math:`\varepsilon` = ``epsilon`` keeps entries from zero finite) is mapped to
    :math:`A^{tr} = \tfrac12 + \tfrac12\tanh(\Delta/\tau)` with :math:`\tau` = ``trend_scale``
    (an RCA rising by 5 % a year gives 0.88), and

    .. math:: A_{ri} = (1 - \beta) A^{lvl}_{ri} + \beta A^{tr}_{ri},\quad \beta =
              \text{trend\_weight}

    Where the start RCA is unknown (NaN) or no trend is available, :math:`A = A^{lvl}`.
    """
    r = np.nan_to_num(np.asarray(rca, dtype=float), nan=0.0)
    level = r / (1.0 + r)
    if rca_start is None or span is None or span <= 0 or trend_weight == 0:
        return level
    r0 = np.asarray(rca_start, dtype=float)
    ok = np.isfinite(r0)
    with np.errstate(divide="ignore", invalid="ignore"):
        delta = (np.log(r + epsilon) - np.log(np.where(ok, r0, 1.0) + epsilon)) / span
    trend = 0.5 + 0.5 * np.tanh(delta / trend_scale)
    return np.where(ok, (1.0 - trend_weight) * level + trend_weight * trend, level)


def momentum_score(growth: np.ndarray, *, scale: float = 0.03) -> np.ndarray:
    r"""Global momentum from the annual growth rate :math:`g_i` of the activity everywhere.

    .. math:: G_i = \tfrac12 + \tfrac12 \tanh(g_i / \tau),\qquad \tau = \text{scale}

    0.5 is stagnation (and the neutral value for an unknown growth, NaN); growth of 3 % a year
    gives 0.88, a decline of 3 % a year 0.12. An absolute rather than relative mapping: when
    every activity declines, none gets a high momentum.
    """
    g = np.asarray(growth, dtype=float)
    out = 0.5 + 0.5 * np.tanh(g / scale)
    return np.where(np.isfinite(out), out, 0.5)


def related_neighbourhood(phi: np.ndarray, k: int) -> np.ndarray:
    r"""Proximity weights restricted to each activity's ``k`` most related activities.

    Returns :math:`K` (activities x activities) with :math:`K_{ij} = \phi_{ij}` when
    :math:`j \in N_k(i)` (the ``k`` largest :math:`\phi_{ij}`, :math:`j \neq i`, ties broken by
    column order) and 0 otherwise. Zero proximities are never neighbours.
    """
    p = phi.shape[0]
    k_eff = int(min(k, p - 1))
    out = np.zeros_like(phi, dtype=float)
    if k_eff <= 0:
        return out
    work = np.array(phi, dtype=float)
    np.fill_diagonal(work, -np.inf)
    idx = np.argsort(-work, axis=1, kind="stable")[:, :k_eff]
    rows = np.repeat(np.arange(p), k_eff)
    vals = work[rows, idx.ravel()]
    keep = vals > 0
    out[rows[keep], idx.ravel()[keep]] = vals[keep]
    return out


def transformative_potential(presence: np.ndarray, shares: np.ndarray,
                             phi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""Size-weighted proximity of each activity to the region's specialisations.

    .. math:: T^{raw}_{ri} = \frac{\sum_j M_{rj}\, s_{rj}\, \phi_{ij}}{\sum_j M_{rj}\, s_{rj}}

    the average proximity between activity :math:`i` and the activities the region is
    specialised in, each weighted by its employment share :math:`s_{rj}`: high when ``i`` is
    close to the region's *large* specialisations, i.e. when developing it can transform
    industries that matter for the regional economy. Unlike the density, it is normalised by
    the region's specialisations, not by the activity's links. With a zero diagonal an existing
    specialisation does not count its own weight. A region without specialisations gets 0.

    Returns
    -------
    (raw, score)
        ``raw`` in [0, 1] (the proximities are), and ``score``, its percentile within each
        region (row), as for :func:`feasibility_score`.
    """
    w = presence * shares
    den = w.sum(axis=1, keepdims=True)
    num = w @ phi.T
    raw = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
    return raw, percentile(raw, axis=1)


def capability_gap(rca: np.ndarray, neighbourhood: np.ndarray) -> np.ndarray:
    r"""Proximity-weighted capability shortfall among each activity's most related activities.

    .. math:: \Gamma_{ri} = \frac{\sum_{j \in N_k(i)} \phi_{ij}\,(1 - \min(RCA_{rj}, 1))}
                                 {\sum_{j \in N_k(i)} \phi_{ij}}

    1 when the region has none of the ``k`` activities most related to ``i``, 0 when it is
    specialised in all of them. It differs from :math:`1 - \omega_{ri}`: it looks only at the
    closest activities, and uses the continuous RCA so that a near-specialisation (RCA 0.9)
    counts as a small gap. An activity with no related activity at all gets 1.

    Parameters
    ----------
    rca : (regions, activities) continuous RCA, NaN treated as 0.
    neighbourhood : :func:`related_neighbourhood` output (activities x activities).
    """
    short = 1.0 - np.minimum(np.nan_to_num(rca, nan=0.0), 1.0)
    den = neighbourhood.sum(axis=1)
    num = short @ neighbourhood.T
    gap = np.divide(num, den[None, :], out=np.ones_like(num), where=den[None, :] > 0)
    return np.clip(gap, 0.0, 1.0)  # a weighted mean of values in [0, 1], up to rounding


def composite_score(benefit: np.ndarray, weights: np.ndarray) -> np.ndarray:
    r"""Weighted mean of the benefit sub-scores, in [0, 1].

    .. math:: S_{ri} = \frac{\sum_s w_s B_{ri,s}}{\sum_s w_s}

    where :math:`B` are the sub-scores with ``capability_gap`` replaced by ``1 - gap`` (last
    axis in :data:`SUBSCORES` order). ``weights`` may be a vector (one score) or a matrix
    (sub-scores x draws, one score per draw on the last axis).
    """
    w = np.asarray(weights, dtype=float)
    return np.clip(benefit @ (w / w.sum(axis=0)), 0.0, 1.0)
