r"""Partner regions that hold the capabilities a candidate activity is missing.

Pooling capabilities across regions (Balland & Boschma 2021 on complementary inter-regional
linkages; the interregional cooperation of Interreg macro-regional strategies) is modelled as a
union of presences. With :math:`M_r` the region's presence vector and :math:`M_q` a partner's,
the *combined* presence is :math:`\max(M_r, M_q)` and the combined density

.. math:: \omega^{r \cup q}_i = \frac{\sum_j \max(M_{rj}, M_{qj})\,\phi_{ij}}{\sum_j \phi_{ij}}
          \;\geq\; \omega^r_i

(monotone: adding a partner never lowers it). The *partner gain* is
:math:`\omega^{r \cup q}_i - \omega^r_i = \sum_j M_{qj}(1 - M_{rj})\phi_{ij} / \sum_j\phi_{ij}`.

Candidate partners of a region are its neighbours, the other members of the macro-region(s) it
belongs to and any explicitly given regions, restricted to the regions in the data. A candidate
partner *qualifies* for activity :math:`i` when it is specialised (:math:`RCA \geq 1`) in at
least one *gap activity* of :math:`i`: one of the ``k`` activities most related to :math:`i`
in which the region is not specialised. Qualifying partners are ranked by their gain.

References
----------
Balland, P.-A., & Boschma, R. (2021). Complementary interregional linkages and Smart
Specialisation: an empirical study on European regions. *Regional Studies*, 55(6), 1059-1070.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

__all__ = ["combined_density", "partner_candidates", "partner_gain", "rank_partners"]


def _as_presence(v: object, name: str) -> np.ndarray:
    a = np.asarray(v, dtype=float)
    if not np.isin(a, (0.0, 1.0)).all():
        raise ValueError(f"{name} must be a 0/1 presence vector or matrix")
    return a


def combined_density(presence_region: object, presence_partners: object,
                     phi: object) -> np.ndarray:
    r"""Density of every activity for the union of a region's and its partners' presences.

    .. math:: \omega^{\cup}_i = \frac{\sum_j \max(M_{rj}, M_{q_1 j}, \dots)\,\phi_{ij}}
                                     {\sum_j \phi_{ij}}

    Parameters
    ----------
    presence_region : (activities,) 0/1 presence of the region.
    presence_partners : (activities,) or (partners, activities) 0/1 presences; an empty
        (0, activities) matrix gives the region's own density.
    phi : (activities, activities) non-negative proximity.

    Returns
    -------
    ndarray (activities,)
        NaN for an activity without any link.
    """
    m = _as_presence(presence_region, "presence_region")
    q = _as_presence(presence_partners, "presence_partners")
    ph = np.asarray(phi, dtype=float)
    if m.ndim != 1 or ph.shape != (m.size, m.size):
        raise ValueError(f"presence_region must be 1-D and phi square over the same "
                         f"{m.size} activities (got {m.shape} and {ph.shape})")
    q = q.reshape(-1, m.size)
    union = np.maximum(m, q.max(axis=0)) if len(q) else m
    den = ph.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, (ph @ union) / np.where(den > 0, den, 1.0), np.nan)


def partner_gain(presence_region: object, presence_partner: object, phi: object) -> np.ndarray:
    """Combined density minus own density, per activity (>= 0; NaN without links)."""
    own = combined_density(presence_region, np.empty((0, np.size(presence_region))), phi)
    return combined_density(presence_region, presence_partner, phi) - own


def _members(codes: object, name: str) -> list[str]:
    if isinstance(codes, str):
        return [codes]
    if not isinstance(codes, Iterable):
        raise TypeError(f"{name} must be a list of region codes, got {type(codes).__name__}")
    return [str(c) for c in codes]


def partner_candidates(regions: Iterable[str], known: pd.Index, *,
                       neighbours: pd.DataFrame | None = None,
                       macro_region: object = None,
                       partner_regions: object = None) -> dict[str, list[str]]:
    """Candidate partner regions of each region: neighbours ∪ macro-region ∪ explicit partners.

    Parameters
    ----------
    regions : the regions to find partners for.
    known : the regions in the data; candidates outside it are dropped.
    neighbours : DataFrame with columns ``region`` and ``neighbour`` (one row per pair, as
        :func:`smartspec.datasets.neighbours`); pairs are used in both directions.
    macro_region : list of region codes (e.g. the Alpine Space), or a mapping name -> list for
        several macro-regions. The members of a macro-region are candidate partners of every
        *member* (a region outside it gets no partner from it).
    partner_regions : list of region codes that are candidate partners of every region, or a
        mapping region -> list.

    Returns
    -------
    dict region -> sorted list of partner codes (never the region itself).
    """
    known_set = set(map(str, known))
    out: dict[str, set[str]] = {str(r): set() for r in regions}
    if neighbours is not None:
        if not isinstance(neighbours, pd.DataFrame):
            raise TypeError("neighbours must be a DataFrame with columns 'region' and "
                            "'neighbour'")
        lacking = {"region", "neighbour"} - set(neighbours.columns)
        if lacking:
            raise ValueError(f"neighbours: missing column(s) {sorted(lacking)}; got "
                             f"{list(neighbours.columns)}")
        a = neighbours["region"].astype(str).to_numpy()
        b = neighbours["neighbour"].astype(str).to_numpy()
        for r, q in zip(np.concatenate([a, b]), np.concatenate([b, a]), strict=True):
            if r in out:
                out[r].add(q)
    if macro_region is not None:
        groups = (list(macro_region.values()) if isinstance(macro_region, Mapping)
                  else [macro_region])
        for g in groups:
            members = set(_members(g, "macro_region"))
            for r in out:
                if r in members:
                    out[r] |= members
    if partner_regions is not None:
        if isinstance(partner_regions, Mapping):
            for r, qs in partner_regions.items():
                if str(r) in out:
                    out[str(r)] |= set(_members(qs, f"partner_regions[{r!r}]"))
        else:
            common = set(_members(partner_regions, "partner_regions"))
            for r in out:
                out[r] |= common
    return {r: sorted((qs & known_set) - {r}) for r, qs in out.items()}


def rank_partners(presence: np.ndarray, phi: np.ndarray, neighbourhood: np.ndarray,
                  sel: np.ndarray, candidates: list[np.ndarray], n_partners: int
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Best qualifying partners of every selected region for every activity (vectorised).

    Parameters
    ----------
    presence : (all regions, activities) 0/1.
    phi : (activities, activities) proximity.
    neighbourhood : (activities, activities) weights, positive on :math:`N_k(i)` (row ``i``).
    sel : (n_sel,) row positions of the regions to score.
    candidates : list (one per selected region) of arrays of row positions of its candidate
        partners.
    n_partners : how many partners to keep.

    Returns
    -------
    (partners, gains)
        ``partners`` int array (n_sel, activities, n_partners) of row positions, -1 where
        fewer partners qualify, best first (ties keep the candidates' order); ``gains`` float
        array (n_sel, activities, n_partners), NaN where no partner.
    """
    n_sel, p = len(sel), presence.shape[1]
    n_keep = max(int(n_partners), 0)
    parts = np.full((n_sel, p, n_keep), -1, dtype=np.int64)
    gains = np.full((n_sel, p, n_keep), np.nan)
    sizes = np.array([len(c) for c in candidates], dtype=np.int64)
    if n_keep == 0 or sizes.sum() == 0:
        return parts, gains
    pr = np.repeat(np.arange(n_sel), sizes)
    slot = np.concatenate([np.arange(s) for s in sizes])
    pq = np.concatenate([np.asarray(c, dtype=np.int64) for c in candidates])
    add = presence[pq] * (1.0 - presence[sel[pr]])          # max(M_q, M_r) - M_r
    den = phi.sum(axis=1)
    phin = np.divide(phi, den[:, None], out=np.zeros_like(phi), where=den[:, None] > 0)
    gain = add @ phin.T                                       # (pairs, activities)
    qualifies = (add @ (neighbourhood > 0).T.astype(float)) > 0
    q_max = int(sizes.max())
    g = np.full((n_sel, q_max, p), -np.inf)
    g[pr, slot] = np.where(qualifies, gain, -np.inf)
    who = np.full((n_sel, q_max), -1, dtype=np.int64)
    who[pr, slot] = pq
    take = min(n_keep, q_max)
    order = np.argsort(-g, axis=1, kind="stable")[:, :take, :]      # (n_sel, take, p)
    best = np.take_along_axis(g, order, axis=1)
    ids = np.take_along_axis(np.broadcast_to(who[:, :, None], g.shape), order, axis=1)
    ok = np.isfinite(best)
    parts[:, :, :take] = np.where(ok, ids, -1).transpose(0, 2, 1)
    gains[:, :, :take] = np.where(ok, best, np.nan).transpose(0, 2, 1)
    return parts, gains
