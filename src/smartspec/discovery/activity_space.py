r"""The activity space: the proximity network of activities, its backbone and a cached layout.

The layout follows the *product space* of Hidalgo, Klinger, Barabási & Hausmann (2007):

1. the **maximum spanning tree** of the proximity network :math:`\varphi` keeps every activity
   connected through its strongest links;
2. the strongest remaining links are added until the network has an average degree of
   ``avg_degree`` (4 by default, the convention of the product space and of the Atlas of
   Economic Complexity, Hausmann et al. 2014);
3. the nodes are placed by a force-directed layout (Fruchterman & Reingold 1991, as implemented
   by :func:`networkx.spring_layout`) in which a link pulls its two ends together in proportion
   to the proximity. The layout is seeded, hence deterministic.

Computing the layout is the only slow step (tens to hundreds of milliseconds), so it is done
once per proximity matrix: :func:`activity_space_layout` memoises it in memory, keyed by a hash
of the matrix and of the settings, and also keeps it on disk as a small JSON file in the cache
directory (``$SMARTSPEC_CACHE_DIR``, default ``~/.cache/smartspec``), so that a new process reuses
it. The disk cache can be switched off with ``cache_dir=False``.

References
----------
Hidalgo, C. A., Klinger, B., Barabási, A.-L., & Hausmann, R. (2007). The product space conditions
the development of nations. *Science*, 317(5837), 482-487.

Hausmann, R., Hidalgo, C. A., Bustos, S., Coscia, M., Simoes, A., & Yildirim, M. A. (2014). *The
Atlas of Economic Complexity: Mapping Paths to Prosperity*. MIT Press.

Fruchterman, T. M. J., & Reingold, E. M. (1991). Graph drawing by force-directed placement.
*Software: Practice and Experience*, 21(11), 1129-1164.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "ActivitySpace",
    "Layout",
    "activity_space",
    "activity_space_layout",
    "resolve_cache_dir",
    "clear_layout_cache",
]

#: Bump when the layout algorithm changes, so that stale disk caches are not reused.
LAYOUT_VERSION = 1
#: Number of layouts kept in memory.
MEMORY_CACHE_SIZE = 16
#: Environment variable naming the on-disk cache directory.
CACHE_ENV = "SMARTSPEC_CACHE_DIR"

_MEMORY: OrderedDict[str, Layout] = OrderedDict()
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Layout:
    """A region-independent layout of the activity space (shared through the cache: read only).

    Attributes
    ----------
    positions : DataFrame indexed by activity, columns ``x`` and ``y`` in :math:`[-1, 1]`.
    edges : DataFrame with columns ``source``, ``target``, ``proximity`` and ``backbone``
        (True for the links of the maximum spanning tree), strongest link first.
    key : str
        Hash of the proximity matrix and the settings (names the disk cache file).
    origin : {"computed", "disk"}
        Whether this object was computed in this process or read from the disk cache.
    """

    positions: pd.DataFrame
    edges: pd.DataFrame
    key: str
    origin: str


@dataclass(frozen=True)
class ActivitySpace:
    """The activity space as seen from one region.

    Attributes
    ----------
    nodes : DataFrame
        One row per activity (index and column ``activity``) with ``label``, ``x``, ``y`` (the
        cached layout), ``ubiquity`` (number of regions with RCA >= 1), ``pci``, ``present``
        (True where the region has RCA >= 1), ``rca`` (the region's RCA, NaN when undefined),
        ``degree`` (links drawn) and, when given, ``density`` (the region's relatedness density).
    edges : DataFrame
        ``source``, ``target``, ``proximity``, ``backbone``: the links drawn.
    key : str
        Key of the layout (see :class:`Layout`).
    """

    nodes: pd.DataFrame
    edges: pd.DataFrame
    key: str

    @property
    def present(self) -> pd.Index:
        """Activities in which the region is specialised (highlighted on the network)."""
        return self.nodes.index[self.nodes["present"].to_numpy(dtype=bool)]


# --------------------------------------------------------------------------------------------
# cache handling
# --------------------------------------------------------------------------------------------
def resolve_cache_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """The on-disk cache directory: ``path``, else ``$SMARTSPEC_CACHE_DIR``, else
    ``~/.cache/smartspec``. It is not created here."""
    if path is not None:
        return Path(path)
    env = os.environ.get(CACHE_ENV)
    return Path(env) if env else Path.home() / ".cache" / "smartspec"


def clear_layout_cache() -> None:
    """Forget the layouts memoised in memory (the disk cache is left alone)."""
    with _LOCK:
        _MEMORY.clear()


def _validated_phi(phi: object) -> pd.DataFrame:
    if hasattr(phi, "to_frame") and not isinstance(phi, pd.DataFrame | pd.Series):
        phi = phi.to_frame()  # LabelledSparse
    if not isinstance(phi, pd.DataFrame):
        raise TypeError("phi: expected an activity x activity DataFrame (e.g. from "
                        f"smartspec.evidence.proximity), got {type(phi).__name__}")
    if phi.shape[0] != phi.shape[1] or not phi.index.equals(phi.columns):
        raise ValueError(f"phi: expected a square matrix with identical row and column labels, "
                         f"got shape {phi.shape}")
    if phi.index.has_duplicates:
        dup = [str(a) for a in phi.index[phi.index.duplicated()].unique()[:10]]
        raise ValueError(f"phi: duplicated activity labels: {', '.join(dup)}")
    vals = phi.to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(vals) | (vals < 0)
    if bad.any():
        r, c = np.nonzero(bad)
        cells = ", ".join(f"({phi.index[i]}, {phi.columns[j]})" for i, j in zip(r[:5], c[:5],
                                                                               strict=False))
        raise ValueError(f"phi: {len(r)} missing, infinite or negative proximities at {cells}")
    return pd.DataFrame(vals, index=phi.index.astype(str), columns=phi.columns.astype(str))


def _key(phi: pd.DataFrame, avg_degree: float, seed: int, iterations: int) -> str:
    import networkx as nx

    h = hashlib.sha256()
    vals = np.ascontiguousarray(np.round(phi.to_numpy(dtype=float), 12))
    h.update(vals.tobytes())
    h.update("\x1f".join(phi.index).encode())
    nx_version = ".".join(nx.__version__.split(".")[:2])
    h.update(json.dumps([LAYOUT_VERSION, float(avg_degree), int(seed), int(iterations),
                         nx_version]).encode())
    return h.hexdigest()[:24]


def _read_disk(path: Path, key: str, activities: pd.Index) -> Layout | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("key") != key or data.get("activities") != list(activities):
            return None
        pos = pd.DataFrame({"x": np.asarray(data["x"], dtype=float),
                            "y": np.asarray(data["y"], dtype=float)},
                           index=pd.Index(data["activities"], name="activity"))
        e = data["edges"]
        edges = pd.DataFrame({
            "source": pd.Series([r[0] for r in e], dtype=object).astype(str),
            "target": pd.Series([r[1] for r in e], dtype=object).astype(str),
            "proximity": np.asarray([r[2] for r in e], dtype=float),
            "backbone": np.asarray([r[3] for r in e], dtype=bool),
        })
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None  # unreadable or foreign file: recompute
    return Layout(pos, edges, key, "disk")


def _write_disk(path: Path, layout: Layout) -> None:
    """Atomic best-effort write; a read-only or full disk only costs the cache."""
    data = {
        "key": layout.key,
        "version": LAYOUT_VERSION,
        "activities": [str(a) for a in layout.positions.index],
        "x": [float(v) for v in layout.positions["x"]],
        "y": [float(v) for v in layout.positions["y"]],
        "edges": [[str(s), str(t), float(p), bool(b)] for s, t, p, b in
                  layout.edges[["source", "target", "proximity", "backbone"]].itertuples(
                      index=False, name=None)],
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass


# --------------------------------------------------------------------------------------------
# backbone and layout
# --------------------------------------------------------------------------------------------
def _backbone(phi: pd.DataFrame, avg_degree: float) -> pd.DataFrame:
    """Maximum spanning tree plus the strongest other links up to ``avg_degree``."""
    import networkx as nx

    vals = phi.to_numpy()
    sym = np.maximum(vals, vals.T)
    labels = list(phi.index)
    iu, ju = np.triu_indices(len(labels), k=1)
    w = sym[iu, ju]
    keep = w > 0
    iu, ju, w = iu[keep], ju[keep], w[keep]
    # Strongest first; ties by position, so the result does not depend on hashing.
    order = np.lexsort((ju, iu, -w))
    iu, ju, w = iu[order], ju[order], w[order]

    g = nx.Graph()
    g.add_nodes_from(range(len(labels)))
    g.add_weighted_edges_from(zip(iu.tolist(), ju.tolist(), w.tolist(), strict=True),
                              weight="proximity")
    tree = nx.maximum_spanning_tree(g, weight="proximity")
    in_tree = {(min(a, b), max(a, b)) for a, b in tree.edges()}
    backbone = np.array([(a, b) in in_tree for a, b in zip(iu.tolist(), ju.tolist(),
                                                            strict=True)], dtype=bool)
    connected = int(np.count_nonzero(sym.sum(axis=0) > 0))
    target = int(round(avg_degree * connected / 2.0))
    n_extra = max(0, target - int(backbone.sum()))
    extra = np.flatnonzero(~backbone)[:n_extra]
    chosen = np.sort(np.concatenate([np.flatnonzero(backbone), extra]))
    return pd.DataFrame({
        "source": pd.Series([labels[i] for i in iu[chosen]], dtype=object).astype(str),
        "target": pd.Series([labels[j] for j in ju[chosen]], dtype=object).astype(str),
        "proximity": w[chosen],
        "backbone": backbone[chosen],
    })


def _positions(labels: pd.Index, edges: pd.DataFrame, seed: int, iterations: int
               ) -> pd.DataFrame:
    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from(labels)
    g.add_weighted_edges_from(
        edges[["source", "target", "proximity"]].itertuples(index=False, name=None),
        weight="proximity")
    if len(labels) == 1:
        xy = np.zeros((1, 2))
    else:
        pos = nx.spring_layout(g, weight="proximity", seed=int(seed), iterations=int(iterations))
        xy = np.array([pos[a] for a in labels], dtype=float)
        xy -= xy.mean(axis=0)
        span = np.abs(xy).max()
        if span > 0:
            xy /= span
    return pd.DataFrame({"x": np.round(xy[:, 0], 10), "y": np.round(xy[:, 1], 10)},
                        index=pd.Index(labels, name="activity"))


def activity_space_layout(phi: object, *, avg_degree: float = 4.0, seed: int = 0,
                          iterations: int = 200,
                          cache_dir: str | os.PathLike[str] | bool | None = None) -> Layout:
    """Backbone and force-directed layout of a proximity matrix, computed once and cached.

    Parameters
    ----------
    phi : DataFrame (activity x activity)
        Symmetric, finite, non-negative proximities (e.g. :func:`smartspec.evidence.proximity`);
        the diagonal is ignored. An asymmetric matrix is symmetrised with the elementwise maximum.
    avg_degree : float, default 4
        Target average degree of the drawn network (maximum spanning tree, then the strongest
        other links). The tree is always kept whole.
    seed : int, default 0
        Seed of the force-directed layout (the result is deterministic).
    iterations : int, default 200
        Iterations of the force-directed layout.
    cache_dir : path, bool or None
        Directory of the disk cache. None (default): ``$SMARTSPEC_CACHE_DIR`` or
        ``~/.cache/smartspec``; False: no disk cache (memory only); True: same as None.

    Returns
    -------
    Layout
        The same object for the same matrix and settings while it is in the memory cache.
    """
    if not np.isfinite(avg_degree) or avg_degree < 0:
        raise ValueError(f"avg_degree must be a non-negative number, got {avg_degree!r}")
    if isinstance(iterations, bool) or not isinstance(iterations, int | np.integer) \
            or iterations < 1:
        raise ValueError(f"iterations must be a positive integer, got {iterations!r}")
    ph = _validated_phi(phi)
    if len(ph) == 0:
        raise ValueError("phi: the proximity matrix is empty")
    key = _key(ph, avg_degree, seed, iterations)
    with _LOCK:
        hit = _MEMORY.get(key)
        if hit is not None:
            _MEMORY.move_to_end(key)
            return hit
    path = None
    if cache_dir is not False:
        folder = resolve_cache_dir(None if cache_dir is True else cache_dir)
        path = folder / f"activity_space-{key}.json"
    layout = _read_disk(path, key, ph.index) if path is not None and path.exists() else None
    if layout is None:
        edges = _backbone(ph, avg_degree)
        layout = Layout(_positions(ph.index, edges, seed, iterations), edges, key, "computed")
        if path is not None:
            _write_disk(path, layout)
    with _LOCK:
        _MEMORY[key] = layout
        while len(_MEMORY) > MEMORY_CACHE_SIZE:
            _MEMORY.popitem(last=False)
    return layout


def _series(values: object, index: pd.Index, name: str) -> pd.Series:
    if values is None:
        return pd.Series(np.nan, index=index, name=name)
    if isinstance(values, Mapping):
        values = pd.Series(values, dtype=object)
    if not isinstance(values, pd.Series):
        raise TypeError(f"{name}: expected a Series indexed by activity, got "
                        f"{type(values).__name__}")
    return values.reindex(index).rename(name)


def activity_space(phi: object, *, labels: pd.Series | Mapping[str, str] | None = None,
                   ubiquity: pd.Series | None = None, pci: pd.Series | None = None,
                   presence: pd.Series | None = None, rca: pd.Series | None = None,
                   density: pd.Series | None = None, avg_degree: float = 4.0, seed: int = 0,
                   iterations: int = 200,
                   cache_dir: str | os.PathLike[str] | bool | None = None) -> ActivitySpace:
    """The activity space with one region's specialisations flagged.

    Parameters
    ----------
    phi : DataFrame
        Activity x activity proximity (see :func:`activity_space_layout`).
    labels, ubiquity, pci : Series indexed by activity, optional
        Node attributes (activity names, number of regions specialised, complexity).
    presence : Series indexed by activity, optional
        The region's 0/1 specialisation (RCA >= 1); ``present`` is False where missing.
    rca, density : Series indexed by activity, optional
        The region's RCA and relatedness density.
    avg_degree, seed, iterations, cache_dir
        Layout settings, see :func:`activity_space_layout`.

    Returns
    -------
    ActivitySpace
        Fresh node and edge tables around the cached layout.

    Examples
    --------
    >>> import pandas as pd
    >>> phi = pd.DataFrame([[0, .8, .1], [.8, 0, .3], [.1, .3, 0]],
    ...                    index=list("abc"), columns=list("abc"))
    >>> space = activity_space(phi, presence=pd.Series({"a": 1, "b": 0, "c": 0}),
    ...                        cache_dir=False)
    >>> list(space.present)
    ['a']
    >>> len(space.edges)  # the spanning tree a-b, b-c, then the strongest other link a-c
    3
    """
    layout = activity_space_layout(phi, avg_degree=avg_degree, seed=seed, iterations=iterations,
                                   cache_dir=cache_dir)
    idx = layout.positions.index
    lab = _series(labels, idx, "label")
    lab = lab.where(lab.notna(), pd.Series(idx, index=idx)).astype(str)
    pres = _series(presence, idx, "present")
    present = pd.to_numeric(pres, errors="coerce").fillna(0).to_numpy() >= 1
    edges = layout.edges.copy()
    degree = pd.concat([edges["source"], edges["target"]]).value_counts().reindex(idx).fillna(0)
    nodes = pd.DataFrame({
        "activity": pd.Series(idx, index=idx, dtype=object).astype(str),
        "label": lab,
        "x": layout.positions["x"],
        "y": layout.positions["y"],
        "ubiquity": pd.to_numeric(_series(ubiquity, idx, "ubiquity"), errors="coerce"),
        "pci": pd.to_numeric(_series(pci, idx, "pci"), errors="coerce"),
        "present": present,
        "rca": pd.to_numeric(_series(rca, idx, "rca"), errors="coerce"),
        "degree": degree.astype(np.int64),
    }, index=idx)
    if density is not None:
        nodes["density"] = pd.to_numeric(_series(density, idx, "density"), errors="coerce")
    return ActivitySpace(nodes=nodes, edges=edges, key=layout.key)
