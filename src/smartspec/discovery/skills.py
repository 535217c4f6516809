r"""The capability gap expressed in skills, from a user-supplied activity x skill matrix.

The embedded data have no industry–skill crosswalk, so the matrix comes from the user: e.g.
ESCO skills weighted by how often the occupations employed in each NACE division require them
(from a labour-force or online-job-ads occupation x industry table joined to ESCO's
occupation–skill relations), or any expert table. Rows are activity codes (as in the panel),
columns skill identifiers (ESCO skill URIs or labels), values non-negative weights.

Rules, with :math:`W_{js} \geq 0` the weight of skill :math:`s` in activity :math:`j`:

* the region *has* skill :math:`s` when at least one of its specialisations uses it:
  :math:`H_{rs} = 1[\sum_j M_{rj}\,1[W_{js} > 0] > 0]`;
* the activities candidate :math:`i` still needs are its *gap activities* — the activities of
  :math:`N_k(i)` (its ``k`` most related) in which the region is not specialised, weighted by
  :math:`\phi_{ij}` — and, when the region is not specialised in :math:`i`, the candidate itself
  (weight 1);
* the importance of a missing skill is
  :math:`I_{ris} = (1 - H_{rs}) \big(1[M_{ri}=0]\,W_{is} + \sum_{j \in N_k(i)}
  \phi_{ij}(1 - M_{rj}) W_{js}\big)`; skills with :math:`I > 0` are the skill gaps, most
  important first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from smartspec.data.panel import Panel

__all__ = ["align_skills", "skill_gap_lists", "skill_gaps"]

#: Largest number of (region x activity x skill) cells held in memory at once.
CHUNK_CELLS = 4_000_000


def align_skills(skills: pd.DataFrame, activities: pd.Index, *,
                 name: str = "skills") -> np.ndarray:
    """Validate an activity x skill matrix and align its rows on ``activities``.

    Activities of the panel without a row get zeros (no known skills); rows for activities
    that are not in the panel are ignored.

    Raises
    ------
    ValueError
        Not numeric, negative or non-finite weights (naming the cells), duplicated activity
        rows or skill columns, or no activity in common with the panel.
    """
    if not isinstance(skills, pd.DataFrame):
        raise TypeError(f"{name}: expected an activity x skill DataFrame, got "
                        f"{type(skills).__name__}")
    if skills.index.has_duplicates:
        dup = list(skills.index[skills.index.duplicated()].unique()[:10])
        raise ValueError(f"{name}: duplicated activity rows {dup}")
    if skills.columns.has_duplicates:
        dup = list(skills.columns[skills.columns.duplicated()].unique()[:10])
        raise ValueError(f"{name}: duplicated skill columns {dup}")
    bad = [c for c in skills.columns if not pd.api.types.is_numeric_dtype(skills[c])]
    if bad:
        raise ValueError(f"{name}: non-numeric weights in skill column(s) {bad[:10]}")
    vals = skills.to_numpy(dtype=float, na_value=np.nan)
    wrong = ~np.isfinite(vals) | (vals < 0)
    if wrong.any():
        r, c = np.nonzero(wrong)
        cells = ", ".join(f"({skills.index[i]}, {skills.columns[j]}) = {vals[i, j]}"
                          for i, j in zip(r[:5], c[:5], strict=True))
        raise ValueError(f"{name}: {len(r)} weight(s) missing, negative or infinite: {cells}")
    idx = pd.Index(skills.index.astype(str))
    pos = idx.get_indexer(pd.Index(activities).astype(str))
    if (pos < 0).all():
        raise ValueError(f"{name}: no row matches an activity of the panel (rows e.g. "
                         f"{list(idx[:5])}, activities e.g. {list(activities[:5])})")
    out = np.zeros((len(activities), skills.shape[1]))
    out[pos >= 0] = vals[pos[pos >= 0]]
    return out


def _importance(presence: np.ndarray, neighbourhood: np.ndarray, w: np.ndarray,
                rows: np.ndarray) -> np.ndarray:
    """(len(rows), activities, skills) importance of the missing skills (module formula)."""
    m = presence[rows]                                             # (n, p)
    has = (m @ (w > 0).astype(float)) > 0                          # (n, s)
    need = neighbourhood[None, :, :] * (1.0 - m)[:, None, :]       # (n, p, p)
    idx = np.arange(m.shape[1])
    need[:, idx, idx] = 1.0 - m                                    # the candidate itself
    return (need @ w) * (~has)[:, None, :]


def skill_gap_lists(presence: np.ndarray, neighbourhood: np.ndarray, w: np.ndarray,
                    sel: np.ndarray, n_skills: int) -> tuple[np.ndarray, np.ndarray]:
    """Top ``n_skills`` missing skills for every selected region and activity (vectorised).

    Returns ``(skill, importance)`` arrays of shape (n_sel, activities, n_skills): column
    positions in ``w`` (-1 where fewer skills are missing) and their importance (NaN there).
    """
    n_sel, p = len(sel), presence.shape[1]
    s = w.shape[1]
    n = int(min(n_skills, s))
    idx_out = np.full((n_sel, p, max(n, 0)), -1, dtype=np.int64)
    imp_out = np.full((n_sel, p, max(n, 0)), np.nan)
    if n <= 0:
        return idx_out, imp_out
    step = max(1, CHUNK_CELLS // max(p * max(s, p), 1))
    for a in range(0, n_sel, step):
        imp = _importance(presence, neighbourhood, w, sel[a:a + step])
        if n < s:
            part = np.argpartition(-imp, n - 1, axis=2)[:, :, :n]
        else:
            part = np.broadcast_to(np.arange(s), imp.shape).copy()
        vals = np.take_along_axis(imp, part, axis=2)
        order = np.argsort(-vals, axis=2, kind="stable")
        part = np.take_along_axis(part, order, axis=2)
        vals = np.take_along_axis(vals, order, axis=2)
        ok = vals > 0
        idx_out[a:a + step] = np.where(ok, part, -1)
        imp_out[a:a + step] = np.where(ok, vals, np.nan)
    return idx_out, imp_out


def skill_gaps(region: str, activity: str, *, panel: Panel | pd.DataFrame,
               skills: pd.DataFrame, skill_labels: pd.Series | None = None, k: int = 10,
               top: int | None = 10, year: int | None = None) -> pd.DataFrame:
    """Skills that candidate ``activity`` needs in ``region`` and the region lacks.

    Parameters
    ----------
    region, activity : codes as in the panel.
    panel : the Panel (or a wide region x activity DataFrame) the candidates come from.
    skills : activity x skill weights (see the module documentation).
    skill_labels : Series skill identifier -> label (e.g. ESCO preferred labels), optional.
    k : size of the related-activity neighbourhood :math:`N_k(i)`.
    top : number of skills returned (None = all missing skills).
    year : panel year (latest by default).

    Returns
    -------
    DataFrame indexed by ``skill`` with columns ``label``, ``importance`` and ``needed_by``
    (the gap activities — and the candidate itself — that use the skill, most related first),
    sorted by importance.
    """
    from smartspec.discovery.candidates import prepare

    base = prepare(panel, year=year, k=k, compute_pci=False)
    r = base.region_position(region)
    i = base.activity_position(activity)
    w = align_skills(skills, base.activities)
    imp = _importance(base.presence, base.neighbourhood, w, np.array([r]))[0, i]
    order = np.argsort(-imp, kind="stable")
    order = order[imp[order] > 0]
    if top is not None:
        order = order[:top]
    m = base.presence[r]
    users = np.flatnonzero((base.neighbourhood[i] > 0) & (m == 0))
    users = users[np.argsort(-base.neighbourhood[i, users], kind="stable")]
    if m[i] == 0:
        users = np.concatenate([[i], users])
    cols = pd.Index(skills.columns)
    needed = [[str(base.activities[j]) for j in users if w[j, s] > 0] for s in order]
    lab = (skill_labels.reindex(cols[order]).to_numpy() if skill_labels is not None
           else np.asarray(cols[order], dtype=object))
    return pd.DataFrame({"label": lab, "importance": imp[order], "needed_by": needed},
                        index=pd.Index(cols[order], name="skill"))
