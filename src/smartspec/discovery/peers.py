r"""Peer regions: structurally similar regions and geographic neighbours.

Structural similarity is the cosine similarity of the regions' specialisation profiles. By
default the profiles are the *revealed symmetric comparative advantage* (Dalum, Laursen &
Villumsen 1998; Laursen 2015),

.. math:: RSCA_{ri} = \frac{RCA_{ri} - 1}{RCA_{ri} + 1} \in [-1, 1),

which is centred on the reference structure (an activity at the average share scores 0) and
bounded, so that a single very large RCA does not dominate the profile, and both shared
specialisations and shared under-specialisations count. The cosine of two RSCA profiles lies in
:math:`[-1, 1]`: 1 for identical profiles, about 0 for unrelated ones, negative for mirror
images. Alternatives: ``"log1p"`` (cosine of :math:`\log(1 + RCA)`, in :math:`[0, 1]` since the
profiles are non-negative) and ``"rca"`` (cosine of the raw RCA, in :math:`[0, 1]`; dominated by
the largest RCAs). Activities with an undefined RCA (no employment anywhere) count as 0 after the
transform.

References
----------
Dalum, B., Laursen, K., & Villumsen, G. (1998). Structural change in OECD export specialisation
patterns: de-specialisation and 'stickiness'. *International Review of Applied Economics*, 12(3),
423-443.

Laursen, K. (2015). Revealed comparative advantage and the alternatives as measures of
international specialization. *Eurasian Business Review*, 5(1), 99-115.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

__all__ = ["SIMILARITY_TRANSFORMS", "neighbour_regions", "profile_vectors", "similarity_to",
           "structural_peers"]

SimilarityTransform = Literal["rsca", "log1p", "rca"]
SIMILARITY_TRANSFORMS = ("rsca", "log1p", "rca")


def profile_vectors(rca: pd.DataFrame, transform: SimilarityTransform = "rsca") -> pd.DataFrame:
    """Unit-length specialisation profiles (one row per region) for cosine similarity.

    Parameters
    ----------
    rca : DataFrame (regions x activities) of RCA values (NaN = undefined, counted as 0 after
        the transform).
    transform : {"rsca", "log1p", "rca"}
        See the module docstring.

    Returns
    -------
    DataFrame
        Same labels; each row divided by its Euclidean norm (rows with norm 0 stay 0).
    """
    if transform not in SIMILARITY_TRANSFORMS:
        raise ValueError(f"transform must be one of {SIMILARITY_TRANSFORMS}, got {transform!r}")
    if not isinstance(rca, pd.DataFrame):
        raise TypeError(f"rca: expected a region x activity DataFrame, got {type(rca).__name__}")
    r = rca.to_numpy(dtype=float, na_value=np.nan)
    if np.any(r[np.isfinite(r)] < 0):
        raise ValueError("rca: RCA values must be non-negative")
    if transform == "rsca":
        v = (r - 1.0) / (r + 1.0)
    elif transform == "log1p":
        v = np.log1p(r)
    else:
        v = r.copy()
    v = np.where(np.isfinite(v), v, 0.0)
    norm = np.linalg.norm(v, axis=1)
    v = np.divide(v, norm[:, None], out=np.zeros_like(v), where=norm[:, None] > 0)
    return pd.DataFrame(v, index=rca.index, columns=rca.columns)


def similarity_to(vectors: pd.DataFrame, region: str) -> pd.Series:
    """Cosine similarity of every region's profile to ``region``'s (from :func:`profile_vectors`).

    Values are clipped to :math:`[-1, 1]` against rounding. ``region`` itself gets 1 (or 0 if
    its profile is all zero).
    """
    if region not in vectors.index:
        raise KeyError(f"region {region!r} has no specialisation profile")
    v = vectors.to_numpy()
    sim = np.clip(v @ v[vectors.index.get_loc(region)], -1.0, 1.0)
    return pd.Series(sim, index=vectors.index, name="similarity")


def structural_peers(similarity: pd.Series, region: str, n: int = 8, *,
                     candidates: pd.Index | None = None) -> pd.Series:
    """The ``n`` regions most similar to ``region`` (itself excluded), most similar first.

    Parameters
    ----------
    similarity : Series over regions (from :func:`similarity_to`).
    region : the focal region (excluded).
    n : number of peers (non-negative integer).
    candidates : optional subset of regions to choose from (e.g. one country).

    Ties are broken by region code, so the result is deterministic.
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n!r}")
    s = similarity.drop(index=region, errors="ignore").dropna()
    if candidates is not None:
        s = s[s.index.isin(candidates)]
    frame = pd.DataFrame({"similarity": s.to_numpy(), "code": s.index.astype(str)},
                         index=s.index)
    frame = frame.sort_values(["similarity", "code"], ascending=[False, True], kind="stable")
    return frame["similarity"].head(int(n))


def neighbour_regions(neighbours: pd.DataFrame, region: str) -> pd.DataFrame:
    """The regions adjacent to ``region`` in a table of pairs.

    Parameters
    ----------
    neighbours : DataFrame
        Columns ``region`` and ``neighbour`` (one row per ordered or unordered pair), optionally
        ``cross_border``, ``shared_border_km`` and ``centroid_distance_km`` (as returned by
        :func:`smartspec.datasets.neighbours`).
    region : the focal region.

    Returns
    -------
    DataFrame
        Index: the neighbouring regions (sorted by code, each once); the optional columns that
        are present.
    """
    if not isinstance(neighbours, pd.DataFrame):
        raise TypeError("neighbours: expected a DataFrame of pairs, got "
                        f"{type(neighbours).__name__}")
    lacking = [c for c in ("region", "neighbour") if c not in neighbours.columns]
    if lacking:
        raise ValueError(f"neighbours: missing column(s) {lacking}; columns are "
                         f"{list(neighbours.columns)}")
    extra = [c for c in ("cross_border", "shared_border_km", "centroid_distance_km")
             if c in neighbours.columns]
    reg = neighbours["region"].astype(str)
    nb = neighbours["neighbour"].astype(str)
    fwd = neighbours.loc[(reg == region).to_numpy(), ["neighbour", *extra]]
    bwd = neighbours.loc[(nb == region).to_numpy(), ["region", *extra]].rename(
        columns={"region": "neighbour"})
    out = pd.concat([fwd, bwd], ignore_index=True)
    out["neighbour"] = out["neighbour"].astype(str)
    out = out[out["neighbour"] != region].drop_duplicates("neighbour")
    out = out.sort_values("neighbour", kind="stable").set_index("neighbour")
    out.index.name = "region"
    return out
