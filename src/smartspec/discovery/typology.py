r"""Typologies of candidate activities: Balland quadrant and Foray mode of change.

Both are rules on a region x activity grid, vectorised over regions.

Quadrant (Balland et al. 2019)
    Relatedness density (x axis: how close the activity is to what the region does) against
    complexity (y axis: how valuable it is). Each axis is split at a quantile (default the
    median) of the region's candidate activities; "high" means strictly above it:

    ====================================  ==========================================
    high relatedness / high complexity    low risk, high benefit (the "ideal" corner)
    low relatedness / high complexity     high risk, high benefit
    high relatedness / low complexity     low risk, low benefit
    low relatedness / low complexity      high risk, low benefit
    ====================================  ==========================================

Mode of structural change (Foray 2015, ch. 4)
    ``modernisation``
        :math:`RCA_{ri} \geq 1`: the region is already specialised; the transformative activity
        upgrades an existing sector (new technologies applied to it).
    ``transition``
        :math:`RCA_{ri} < 1`, high density (strictly above the split quantile), and the related local
        industries decline (their annual growth below ``decline_threshold``, default -0.5 % a
        year, so that a near-flat trend does not count as a decline): a new
        activity grows out of the capabilities of an industrial base in decline.
    ``diversification``
        :math:`RCA_{ri} < 1`, high density, related local industries stable or growing — or
        their trend is unknown (single-year data without a ``history``): synergies between an
        existing and a new activity. A transition needs evidence of decline, so without a trend
        the candidate is not called one; the ``related_trend`` column is then NaN.
    ``radical foundation``
        :math:`RCA_{ri} < 1` and low density: a new activity with few related capabilities
        in the region, built largely from scratch.

References
----------
Balland, P.-A., Boschma, R., Crespo, J., & Rigby, D. L. (2019). Smart specialization policy in
the European Union: relatedness, knowledge complexity and regional diversification. *Regional
Studies*, 53(9), 1252-1268.
Foray, D. (2015). *Smart Specialisation: Opportunities and Challenges for Regional Innovation
Policy*. Routledge (Regions and Cities 79).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "MODES",
    "MODE_DESCRIPTIONS",
    "QUADRANTS",
    "QUADRANT_READINGS",
    "foray_mode",
    "high_density",
    "quadrant",
]

#: Quadrant labels keyed by (high relatedness, high complexity).
QUADRANTS: dict[tuple[bool, bool], str] = {
    (True, True): "high relatedness / high complexity",
    (False, True): "low relatedness / high complexity",
    (True, False): "high relatedness / low complexity",
    (False, False): "low relatedness / low complexity",
}
#: Plain-language reading of each quadrant (Balland et al. 2019, fig. 2).
QUADRANT_READINGS: dict[str, str] = {
    QUADRANTS[(True, True)]: "low risk, high benefit",
    QUADRANTS[(False, True)]: "high risk, high benefit",
    QUADRANTS[(True, False)]: "low risk, low benefit",
    QUADRANTS[(False, False)]: "high risk, low benefit",
}
_UNKNOWN_COMPLEXITY = {True: "high relatedness / complexity unknown",
                       False: "low relatedness / complexity unknown"}

#: The four modes of Foray (2015).
MODES: tuple[str, ...] = ("modernisation", "transition", "diversification",
                          "radical foundation")
#: One-line descriptions used in explanations.
MODE_DESCRIPTIONS: dict[str, str] = {
    "modernisation": "upgrading an industry in which the region is already specialised",
    "transition": "a new activity growing out of related local industries that are declining",
    "diversification": "a new activity next to related local industries that are stable or "
                       "growing",
    "radical foundation": "few related capabilities in the region yet: a new domain built "
                          "largely from scratch",
}


def _check_split(split: float) -> float:
    s = float(split)
    if not 0.0 < s < 1.0:
        raise ValueError(f"split must be a quantile strictly between 0 and 1, got {split!r}")
    return s


def high_density(density: np.ndarray, split: float = 0.5) -> np.ndarray:
    """Boolean (regions, activities): density strictly above the region's ``split`` quantile.

    The quantile (linear interpolation) is taken over each region's candidate activities.
    "Strictly above" keeps ties at the cut (e.g. many zero densities) on the low side.
    """
    s = _check_split(split)
    d = np.asarray(density, dtype=float)
    cut = np.quantile(d, s, axis=1, keepdims=True)
    return d > cut


def quadrant(density: np.ndarray, pci: np.ndarray, split: float = 0.5) -> np.ndarray:
    """Balland quadrant label of every (region, activity) cell.

    Parameters
    ----------
    density : (regions, activities) relatedness density of the candidates.
    pci : (activities,) complexity of the candidates (NaN = unknown).
    split : quantile at which both axes are split (0.5 = median).

    Returns
    -------
    ndarray of str, shape (regions, activities)
        Labels from :data:`QUADRANTS`; ``"... / complexity unknown"`` where the PCI is NaN.
    """
    s = _check_split(split)
    hi_d = high_density(density, s)
    q = np.asarray(pci, dtype=float)
    ok = np.isfinite(q)
    cut = np.quantile(q[ok], s) if ok.any() else np.nan
    hi_c = np.broadcast_to(ok & (np.where(ok, q, -np.inf) > cut), hi_d.shape)
    labels = np.where(hi_d, np.where(hi_c, QUADRANTS[(True, True)], QUADRANTS[(True, False)]),
                      np.where(hi_c, QUADRANTS[(False, True)], QUADRANTS[(False, False)]))
    if not ok.all():
        unk = np.broadcast_to(~ok, hi_d.shape)
        labels = np.where(unk, np.where(hi_d, _UNKNOWN_COMPLEXITY[True],
                                        _UNKNOWN_COMPLEXITY[False]), labels)
    return labels.astype(object)


def foray_mode(rca: np.ndarray, density: np.ndarray, related_trend: np.ndarray | None = None,
               *, split: float = 0.5, decline_threshold: float = -0.005) -> np.ndarray:
    """Foray (2015) mode of change of every (region, activity) cell (rules in the module doc).

    Parameters
    ----------
    rca : (regions, activities) continuous RCA (NaN = 0).
    density : (regions, activities) relatedness density.
    related_trend : (regions, activities) annual growth of the related local industries, NaN
        where unknown; None when no trend is available at all.
    split : density quantile separating high from low density (as for :func:`quadrant`).
    decline_threshold : related industries are "declining" when their annual growth is below
        this value (default -0.005: shrinking by more than 0.5 % a year).
    """
    r = np.nan_to_num(np.asarray(rca, dtype=float), nan=0.0)
    hi = high_density(density, split)
    if related_trend is None:
        declining = np.zeros_like(hi)
    else:
        t = np.asarray(related_trend, dtype=float)
        declining = np.isfinite(t) & (np.where(np.isfinite(t), t, 0.0) < decline_threshold)
    out = np.where(r >= 1.0, "modernisation",
                   np.where(hi, np.where(declining, "transition", "diversification"),
                            "radical foundation"))
    return out.astype(object)
