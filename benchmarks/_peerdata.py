"""Reproducible inputs for ``benchmarks/peers.py`` (smartspec against the peer packages).

Four inputs, all deterministic given their seed:

(a) :func:`world_trade_wide` - the R package *economiccomplexity*'s world trade table
    (226 countries x 785 SITC products, average of 1998-2000), one period.
(b) :func:`perturbed_panel` - a panel built from (a) by a multiplicative log-normal random walk
    per cell, same labels.
(c) :func:`synthetic_regional_panel` - a NUTS3-like employment panel (1,166 regions x 600
    activities x 20 years) from a latent capability model.
(d) :func:`sparse_presence` - a sparse 0/1 region x activity matrix with heavy-tailed activity
    popularity (1,200 x 250,000, about 1 million non-zeros).

Helpers turn a panel (mapping year -> wide DataFrame) into the other tools' natural formats:
:func:`to_long` (py-ecomplexity) and :func:`to_stack` (the bare numpy floor).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

__all__ = [
    "WORLD_TRADE_FILE",
    "read_world_trade",
    "perturbed_panel",
    "sparse_presence",
    "synthetic_regional_panel",
    "to_long",
    "to_stack",
    "world_trade_wide",
]

ROOT = Path(__file__).resolve().parents[1]
WORLD_TRADE_FILE = "world_trade_avg_1998_to_2000.csv"
#: Searched in this order: the compressed copy shipped with the tests, then the shared data.
WORLD_TRADE_PATHS = (
    ROOT / "tests" / "data" / f"{WORLD_TRADE_FILE}.gz",
    Path("/work/shared/data/validation/economiccomplexity_R") / WORLD_TRADE_FILE,
)


# --------------------------------------------------------------------------------------------
# (a) world trade
# --------------------------------------------------------------------------------------------
def read_world_trade(path: str | Path | None = None) -> pd.DataFrame:
    """Long world trade table with columns ``country``, ``product`` (str, leading zeros kept)
    and ``value`` (float).

    Parameters
    ----------
    path : optional explicit file; by default the first of :data:`WORLD_TRADE_PATHS` that exists.

    Raises
    ------
    FileNotFoundError
        If no copy of the file is found (the list of places searched is in the message).
    ValueError
        If the file lacks one of the three columns.
    """
    candidates = [Path(path)] if path is not None else list(WORLD_TRADE_PATHS)
    found = next((p for p in candidates if p.exists()), None)
    if found is None:
        raise FileNotFoundError(
            f"world trade data not found; looked for {', '.join(str(p) for p in candidates)}"
        )
    frame = pd.read_csv(found, dtype={"country": str, "product": str})
    missing = {"country", "product", "value"} - set(frame.columns)
    if missing:
        raise ValueError(f"{found}: missing column(s) {sorted(missing)}; "
                         f"columns are {list(frame.columns)}")
    frame["value"] = frame["value"].astype(np.float64)
    return frame


def world_trade_wide(path: str | Path | None = None, *, n_countries: int | None = None,
                     n_products: int | None = None) -> pd.DataFrame:
    """Input (a): the world trade table as a wide country x product DataFrame.

    ``n_countries`` / ``n_products`` keep only the largest exporters / most traded products
    (for the quick mode); labels are sorted.
    """
    long = read_world_trade(path)
    wide = long.pivot_table(index="country", columns="product", values="value",
                            aggfunc="sum", fill_value=0.0)
    wide.index = pd.Index(wide.index.astype(str), name="region")
    wide.columns = pd.Index(wide.columns.astype(str), name="activity")
    if n_countries is not None:
        keep = wide.sum(axis=1).nlargest(n_countries).index.sort_values()
        wide = wide.loc[keep]
    if n_products is not None:
        keep = wide.sum(axis=0).nlargest(n_products).index.sort_values()
        wide = wide.loc[:, keep]
    return wide.astype(np.float64)


# --------------------------------------------------------------------------------------------
# (b) perturbed panel
# --------------------------------------------------------------------------------------------
def perturbed_panel(base: pd.DataFrame, n_years: int = 20, *, sigma: float = 0.1,
                    first_year: int = 2000, seed: int = 2024) -> dict[int, pd.DataFrame]:
    r"""Input (b): a panel of ``n_years`` periods built from one wide table.

    .. math:: x_{ri,t} = x_{ri} \exp(W_{ri,t}), \quad W_{ri,t_0} = 0, \quad
              W_{ri,t} = W_{ri,t-1} + \varepsilon_{ri,t}, \ \varepsilon \sim N(0, \sigma^2)

    so the first year is the base table itself and every cell follows its own log-normal random
    walk; zeros stay zero. Labels are those of ``base``.
    """
    if n_years < 1:
        raise ValueError(f"n_years must be >= 1, got {n_years}")
    rng = np.random.default_rng(seed)
    x = base.to_numpy(dtype=np.float64)
    steps = rng.normal(0.0, sigma, size=(n_years - 1, *x.shape))
    walk = np.concatenate([np.zeros((1, *x.shape)), np.cumsum(steps, axis=0)])
    return {
        first_year + t: pd.DataFrame(x * np.exp(walk[t]), index=base.index.copy(),
                                     columns=base.columns.copy())
        for t in range(n_years)
    }


# --------------------------------------------------------------------------------------------
# (c) synthetic NUTS3-like employment panel
# --------------------------------------------------------------------------------------------
def _zscore(v: np.ndarray) -> np.ndarray:
    return (v - v.mean()) / v.std()


def synthetic_regional_panel(n_regions: int = 1166, n_activities: int = 600, n_years: int = 20,
                             *, beta: float = 2.0, first_year: int = 2000, seed: int = 7
                             ) -> dict[int, pd.DataFrame]:
    r"""Input (c): an employment-like panel from a latent capability model.

    Region ``r`` has a total employment :math:`S_r` (log-normal, median 60,000, :math:`\sigma=1`,
    like NUTS3 regions) and a capability :math:`c_r` (standard normal, correlated 0.5 with
    :math:`\log S_r`); activity ``i`` has a size :math:`s_i` (log-normal, :math:`\sigma=1.5`) and
    a complexity :math:`q_i` (standard normal). Expected employment is

    .. math:: \lambda_{ri,t} = S_{r,t}\,
              \frac{s_{i,t}\, e^{\beta \tanh(c_{r,t} - q_i)}}
                   {\sum_j s_{j,t}\, e^{\beta \tanh(c_{r,t} - q_j)}}\, \eta_{ri,t}

    with yearly random-walk drifts of :math:`\log S_r` (sd 0.02), :math:`\log s_i` (sd 0.03) and
    :math:`c_r` (sd 0.05), and cell noise :math:`\eta` log-normal (sd 0.2). The observed value
    is a Poisson count with mean :math:`\lambda`, so small regions have zeros in small
    activities. Capable regions employ people in complex activities as well as simple ones,
    weak regions mostly in simple ones, which gives the nested presence of real data.
    """
    rng = np.random.default_rng(seed)
    n, p = n_regions, n_activities
    log_size = np.log(60_000.0) + rng.normal(0.0, 1.0, n)
    cap = 0.5 * _zscore(log_size) + np.sqrt(0.75) * rng.standard_normal(n)
    log_act = rng.normal(0.0, 1.5, p)
    cx = rng.standard_normal(p)
    regions = pd.Index([f"R{r:04d}" for r in range(n)], name="region")
    acts = pd.Index([f"A{i:03d}" for i in range(p)], name="activity")
    out: dict[int, pd.DataFrame] = {}
    for t in range(n_years):
        if t:
            log_size = log_size + rng.normal(0.0, 0.02, n)
            log_act = log_act + rng.normal(0.0, 0.03, p)
            cap = cap + rng.normal(0.0, 0.05, n)
        w = np.exp(log_act[None, :] + beta * np.tanh(cap[:, None] - cx[None, :]))
        w *= np.exp(rng.normal(0.0, 0.2, (n, p)))
        lam = np.exp(log_size)[:, None] * w / w.sum(axis=1, keepdims=True)
        counts = rng.poisson(lam).astype(np.float64)
        out[first_year + t] = pd.DataFrame(counts, index=regions.copy(), columns=acts.copy())
    return out


# --------------------------------------------------------------------------------------------
# (d) sparse presence matrix
# --------------------------------------------------------------------------------------------
def sparse_presence(n_regions: int = 1200, n_activities: int = 250_000, nnz: int = 1_000_000,
                    *, sigma: float = 1.5, region_sigma: float = 0.5, seed: int = 11
                    ) -> tuple[sp.csr_array, pd.Index, pd.Index]:
    """Input (d): a sparse 0/1 region x activity matrix with exactly ``nnz`` ones.

    Cells are drawn independently with probability proportional to ``a_i * b_r``, where the
    activity popularity ``a_i`` is log-normal with sd ``sigma`` (heavy-tailed: a few activities
    are present almost everywhere, most in a handful of regions) and the region weight ``b_r``
    log-normal with sd ``region_sigma``; duplicates are dropped and draws repeated until ``nnz``
    distinct cells are reached. Returns ``(matrix, region_labels, activity_labels)``.
    """
    if nnz > n_regions * n_activities // 2:
        raise ValueError("nnz must be at most half of the cells")
    rng = np.random.default_rng(seed)
    pa = rng.lognormal(0.0, sigma, n_activities)
    pa /= pa.sum()
    pr = rng.lognormal(0.0, region_sigma, n_regions)
    pr /= pr.sum()
    keys = np.empty(0, dtype=np.int64)
    while keys.size < nnz:
        draw = int((nnz - keys.size) * 1.2) + 1000
        r = rng.choice(n_regions, size=draw, p=pr)
        a = rng.choice(n_activities, size=draw, p=pa)
        keys = np.unique(np.concatenate([keys, r.astype(np.int64) * n_activities + a]))
    keys = np.sort(rng.choice(keys, size=nnz, replace=False))
    rows, cols = np.divmod(keys, n_activities)
    m = sp.csr_array((np.ones(nnz), (rows, cols)), shape=(n_regions, n_activities))
    return (m, pd.Index([f"R{r:04d}" for r in range(n_regions)], name="region"),
            pd.Index([f"S{i:06d}" for i in range(n_activities)], name="activity"))


# --------------------------------------------------------------------------------------------
# format conversions (done untimed, before the timings)
# --------------------------------------------------------------------------------------------
def to_long(panel: Mapping[int, pd.DataFrame] | pd.DataFrame, year: int = 2000) -> pd.DataFrame:
    """Long (year, region, activity, value) table with the zero cells left out (py-ecomplexity's
    input format). A single DataFrame is labelled ``year``."""
    if isinstance(panel, pd.DataFrame):
        panel = {year: panel}
    parts = []
    for y, wide in panel.items():
        x = wide.to_numpy(dtype=np.float64)
        r, c = np.nonzero(x)
        parts.append(pd.DataFrame({
            "year": np.full(r.size, y, dtype=np.int64),
            "region": wide.index.to_numpy(dtype=object)[r].astype(str),
            "activity": wide.columns.to_numpy(dtype=object)[c].astype(str),
            "value": x[r, c],
        }))
    return pd.concat(parts, ignore_index=True)


def to_stack(panel: Mapping[int, pd.DataFrame] | pd.DataFrame) -> np.ndarray:
    """(years, regions, activities) float64 array, years in sorted order."""
    if isinstance(panel, pd.DataFrame):
        return panel.to_numpy(dtype=np.float64)[None]
    return np.stack([panel[y].to_numpy(dtype=np.float64) for y in sorted(panel)])
