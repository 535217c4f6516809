"""smartspec's evidence pipeline against the peer packages, on the same data in the same run.

Peers: Harvard Growth Lab's py-ecomplexity (``ecomplexity``) and Datawheel's
``economic_complexity``. Inputs (see ``_peerdata.py``):

(a) world trade, 226 countries x 785 products, one period;
(b) a 20-period panel built from (a) by a log-normal random walk;
(c) a synthetic NUTS3-like employment panel, 1,166 regions x 600 activities x 20 years;
(d) a sparse 1,200 x 250,000 presence matrix with ~1M non-zeros (smartspec only).

For (a)-(c) every tool gets its own natural input, prepared untimed beforehand (wide DataFrames
for smartspec and economic_complexity, a long DataFrame for py-ecomplexity), and computes
RCA -> presence -> ECI/PCI -> proximity -> density for every year:

* smartspec: ``ev.pipeline(x)`` (all years at once);
* py-ecomplexity: ``ecomplexity(long, cols)`` (its whole pipeline, incl. COI/COG; the optional
  log-supermodularity diagnostic is switched off, which only makes the peer faster);
* economic_complexity: ``rca -> complexity -> proximity -> relatedness`` looped over years;
* floor: bare numpy RCA + one co-occurrence product ``M^T M`` per year.

Timings are medians over repeats run round-robin (one of each tool in turn), so background load
hits every tool alike. Agreement with the peers is checked on (a) and (b) after aligning their
conventions. The last line printed is one JSON object with the headline figures.

Run ``python benchmarks/peers.py`` (``make bench``); ``--quick`` for a small smoke run.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import resource
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import _peerdata as data  # noqa: E402
from smartspec import evidence as ev  # noqa: E402

#: Targets from the project brief; the table marks each figure against them.
TARGETS = {"speedup_vs_py_ecomplexity": 30.0, "speedup_vs_economic_complexity": 8.0,
           "ratio_to_floor": 5.0, "sparse_seconds": 60.0, "sparse_peak_rss_gb": 4.0}
TOP_K = 50
COLS = {"time": "year", "loc": "region", "prod": "activity", "val": "value"}


# --------------------------------------------------------------------------------------------
# configuration
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Sizes:
    """Problem sizes; :data:`FULL` is the benchmark, :data:`QUICK` the smoke run."""

    trade_countries: int | None
    trade_products: int | None
    panel_years: int
    synth: tuple[int, int, int]          # regions, activities, years
    sparse: tuple[int, int, int]         # regions, activities, non-zeros


FULL = Sizes(None, None, 20, (1166, 600, 20), (1200, 250_000, 1_000_000))
QUICK = Sizes(60, 150, 3, (80, 50, 3), (200, 5_000, 20_000))


@dataclass
class Case:
    """One benchmark input in every tool's natural format (prepared before timing)."""

    key: str
    label: str
    x: pd.DataFrame | dict[int, pd.DataFrame]   # smartspec / economic_complexity
    long: pd.DataFrame                          # py-ecomplexity
    stack: np.ndarray                           # floor
    peer_repeats: int
    check: bool                                 # compare values with the peers

    @property
    def frames(self) -> dict[int, pd.DataFrame]:
        return self.x if isinstance(self.x, dict) else {int(self.long["year"].iloc[0]): self.x}

    @property
    def shape(self) -> str:
        t, n, p = self.stack.shape
        return f"{n:,} x {p:,} x {t}"


@dataclass
class CaseResult:
    key: str
    label: str
    shape: str
    seconds: dict[str, float] = field(default_factory=dict)
    repeats: dict[str, int] = field(default_factory=dict)
    diffs: dict[tuple[str, str], float] = field(default_factory=dict)   # (peer, quantity)
    notes: list[str] = field(default_factory=list)

    def ratio(self, a: str, b: str) -> float | None:
        if a in self.seconds and b in self.seconds and self.seconds[b] > 0:
            return self.seconds[a] / self.seconds[b]
        return None


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# peers
# --------------------------------------------------------------------------------------------
def load_peers() -> dict[str, ModuleType]:
    """The peer packages that are importable, by name."""
    peers: dict[str, ModuleType] = {}
    for name in ("ecomplexity", "economic_complexity"):
        try:
            peers[name] = __import__(name)
        except ImportError:
            continue
    return peers


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence the peers' prints, warnings and log messages."""
    level = logging.getLogger("economic_complexity").level
    logging.getLogger("economic_complexity").setLevel(logging.CRITICAL)
    try:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logging.getLogger("economic_complexity").setLevel(level)


class _NumpyWritableDiagonal:
    """numpy namespace whose ``fill_diagonal`` first unlocks a read-only pandas view.

    economic_complexity's ``proximity`` ends with ``np.fill_diagonal(phi.values, 0)`` on a frame
    it has just created. Under pandas >= 3 (copy-on-write) ``.values`` is a read-only view and
    the call raises; under pandas 2 it wrote in place. Unlocking that fresh, unshared array
    restores the author's behaviour without changing the computation or its cost.
    """

    def __getattr__(self, name: str) -> Any:
        return getattr(np, name)

    @staticmethod
    def fill_diagonal(a: np.ndarray, val: Any, wrap: bool = False) -> None:
        if not a.flags.writeable:
            a.flags.writeable = True
        np.fill_diagonal(a, val, wrap)


def patch_economic_complexity(mod: ModuleType) -> bool:
    """Apply :class:`_NumpyWritableDiagonal` where needed; True if a patch was applied."""
    if pd.DataFrame(np.zeros((2, 2))).values.flags.writeable:
        return False
    ps = sys.modules[f"{mod.__name__}.product_space"]
    if not isinstance(ps.np, _NumpyWritableDiagonal):
        ps.np = _NumpyWritableDiagonal()
    return True


# --------------------------------------------------------------------------------------------
# the timed runs
# --------------------------------------------------------------------------------------------
def run_smartspec(case: Case) -> ev.PipelineResult:
    return ev.pipeline(case.x)


def run_floor(case: Case) -> None:
    """Bare numpy: RCA, presence and one co-occurrence product per year."""
    with np.errstate(divide="ignore", invalid="ignore"):
        for x in case.stack:
            r = x / x.sum(axis=1, keepdims=True) / (x.sum(axis=0) / x.sum())
            m = (r >= 1).astype(np.float64)
            m.T @ m


def run_py_ecomplexity(case: Case, mod: ModuleType) -> pd.DataFrame:
    with quiet():
        return mod.ecomplexity(case.long, COLS, check_logsupermodularity=False, verbose=False)


def run_economic_complexity(case: Case, mod: ModuleType) -> dict[int, tuple]:
    out = {}
    with quiet():
        for year, wide in case.frames.items():
            r = mod.rca(wide)
            eci, pci = mod.complexity(r)
            phi = mod.proximity(r)
            dens = mod.relatedness(r, proximities=phi)
            out[year] = (eci, pci, phi, dens)
    return out


def time_round_robin(runners: Mapping[str, tuple[Callable[[], Any], int]], keep: bool = True
                     ) -> tuple[dict[str, float], dict[str, Any]]:
    """Median wall time of each runner; repeats interleaved so load hits all alike.

    Returns ``(median seconds, last return value)`` by runner name; the return values are
    dropped straight away unless ``keep``.
    """
    times: dict[str, list[float]] = {k: [] for k in runners}
    last: dict[str, Any] = {}
    for i in range(max(n for _, n in runners.values())):
        for name, (fn, n) in runners.items():
            if i < n:
                last[name] = None  # free the previous output first
                t0 = time.perf_counter()
                out = fn()
                times[name].append(time.perf_counter() - t0)
                last[name] = out if keep else None
                del out
    return {k: float(np.median(v)) for k, v in times.items()}, last


# --------------------------------------------------------------------------------------------
# agreement with the peers
# --------------------------------------------------------------------------------------------
def max_abs_diff(a: np.ndarray, b: np.ndarray) -> float:
    """Largest |a - b| over the cells where both are finite (NaN if there are none)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} vs {b.shape}")
    ok = np.isfinite(a) & np.isfinite(b)
    return float(np.max(np.abs(a[ok] - b[ok]))) if ok.any() else float("nan")


def _z(v: np.ndarray, ddof: int) -> np.ndarray:
    return (v - np.nanmean(v)) / np.nanstd(v, ddof=ddof)


def _sign(ref: np.ndarray, other: np.ndarray) -> float:
    ok = np.isfinite(ref) & np.isfinite(other)
    return 1.0 if np.dot(ref[ok] - ref[ok].mean(), other[ok] - other[ok].mean()) >= 0 else -1.0


def _signs(signs: set[float]) -> str:
    return "/".join("+" if v > 0 else "-" for v in sorted(signs, reverse=True))


def compare_py_ecomplexity(case: Case, out: pd.DataFrame, mod: ModuleType,
                           proximity_years: int = 3) -> tuple[dict[str, float], list[str]]:
    """py-ecomplexity's conventions: proximity diagonal 1, ECI z-scored with ddof 0, PCI scaled
    by ECI's mean and sd (so it is re-standardised here). Its proximity comes from its
    ``proximity()`` function, for the first, middle and last years."""
    res = ev.pipeline(case.x, diagonal=1.0, ddof=0)
    years = res.years if res.years != [None] else [int(case.long["year"].iloc[0])]
    idx = out.set_index(["year", "region", "activity"]).sort_index()
    diffs = {"eci": 0.0, "pci": 0.0, "density": 0.0, "proximity": 0.0}
    signs = set()
    for t, year in enumerate(years):
        sub = idx.xs(year, level="year")
        eci = sub["eci"].groupby(level="region").first().reindex(res.regions).to_numpy(float)
        pci = sub["pci"].groupby(level="activity").first().reindex(res.activities)
        s = _sign(res.eci.iloc[t].to_numpy(), eci)
        signs.add(s)
        diffs["eci"] = max(diffs["eci"], max_abs_diff(res.eci.iloc[t], s * eci))
        diffs["pci"] = max(diffs["pci"], max_abs_diff(res.pci.iloc[t],
                                                      s * _z(pci.to_numpy(float), 0)))
        dens = sub["density"].unstack("activity").reindex(index=res.regions,
                                                            columns=res.activities)
        diffs["density"] = max(diffs["density"], max_abs_diff(res.density[t], dens))
    chosen = sorted({years[0], years[len(years) // 2], years[-1]})[:proximity_years]
    with quiet():
        prox = mod.proximity(case.long[case.long["year"].isin(chosen)], COLS)
    for year in chosen:
        t = years.index(year)
        sub = prox[prox["year"] == year]
        phi = sub.pivot(index="activity_1", columns="activity_2", values="proximity")
        phi = phi.reindex(index=res.activities, columns=res.activities)
        diffs["proximity"] = max(diffs["proximity"], max_abs_diff(res.proximity[t], phi))
    notes = [f"py-ecomplexity: ECI sign {_signs(signs)}; proximity compared in years {chosen}"]
    return diffs, notes


def reflections_extended(m: np.ndarray, iterations: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """economic_complexity's reflections recursion (unnormalised iterates, ``k_c,I-2`` and
    ``k_p,I-1``) in extended precision (``np.longdouble``), z-scored with ddof 1: a reference
    that shows which side of a disagreement is rounding error."""
    mm = np.asarray(m, dtype=np.longdouble)
    kc0, kp0 = mm.sum(axis=1), mm.sum(axis=0)
    kc, kp = kc0.copy(), kp0.copy()
    for i in range(1, iterations):
        kc_prev, kp_prev = kc, kp
        kp = mm.T @ kc_prev / kp0
        if i < iterations - 1:
            kc = mm @ kp_prev / kc0
    return _z(kc, 1).astype(np.float64), _z(kp, 1).astype(np.float64)


def compare_economic_complexity(case: Case, out: dict[int, tuple]
                                ) -> tuple[dict[str, float], list[str]]:
    """economic_complexity's conventions: proximity diagonal 0 (= smartspec's default), density
    over the whole proximity matrix, ECI/PCI by the method of reflections (20 iterations,
    k_c,18 and k_p,19) z-scored with ddof 1. ECI/PCI are compared with smartspec's
    ``complexity(method="reflections", iterations=20)``; the gap to smartspec's eigenvector
    ECI (the converged value, what ``pipeline`` returns) is reported separately."""
    res = ev.pipeline(case.x, diagonal=0.0, ddof=1)
    years = list(out)
    diffs = {"eci": 0.0, "pci": 0.0, "density": 0.0, "proximity": 0.0,
             "eci_eigenvector_gap": 0.0}
    signs = set()
    for t, year in enumerate(years):
        eci, pci, phi, dens = out[year]
        refl = ev.complexity(res.frame("presence", res.years[t]), method="reflections",
                             iterations=20, ddof=1)
        e = eci.reindex(res.regions).to_numpy(float)
        s = _sign(refl.eci.to_numpy(), e)
        signs.add(s)
        diffs["eci"] = max(diffs["eci"], max_abs_diff(refl.eci, s * e))
        diffs["pci"] = max(diffs["pci"], max_abs_diff(
            refl.pci, s * pci.reindex(res.activities).to_numpy(float)))
        diffs["eci_eigenvector_gap"] = max(diffs["eci_eigenvector_gap"],
                                           max_abs_diff(res.eci.iloc[t], s * e))
        diffs["proximity"] = max(diffs["proximity"], max_abs_diff(
            res.proximity[t], phi.reindex(index=res.activities, columns=res.activities)))
        diffs["density"] = max(diffs["density"], max_abs_diff(
            res.density[t], dens.reindex(index=res.regions, columns=res.activities)))
    # Which side carries the rounding error: both against an extended-precision reference.
    eci, pci = out[years[0]][:2]
    refl = ev.complexity(res.frame("presence", res.years[0]), method="reflections",
                         iterations=20, ddof=1)
    ref_e, ref_p = reflections_extended(res.presence[0])
    s0 = _sign(ref_e, eci.reindex(res.regions).to_numpy(float))
    peer_err = max(max_abs_diff(ref_e, s0 * eci.reindex(res.regions).to_numpy(float)),
                   max_abs_diff(ref_p, s0 * pci.reindex(res.activities).to_numpy(float)))
    own_err = max(max_abs_diff(ref_e, refl.eci), max_abs_diff(ref_p, refl.pci))
    notes = [f"economic_complexity: ECI sign {_signs(signs)}; against the same 20 reflections in "
             f"extended precision ({years[0]}): economic_complexity {peer_err:.1e}, "
             f"smartspec {own_err:.1e}"]
    return diffs, notes


# --------------------------------------------------------------------------------------------
# cases
# --------------------------------------------------------------------------------------------
def iter_cases(sizes: Sizes, peer_repeats: int, large_peer_repeats: int) -> Iterator[Case]:
    """The three dense inputs, each in every tool's format, built one at a time (the formats
    are prepared here, before any timing; a case is freed before the next one is built)."""
    wide = data.world_trade_wide(n_countries=sizes.trade_countries,
                                 n_products=sizes.trade_products)
    yield _case("a", "world trade", wide, peer_repeats, True)
    yield _case("b", "trade panel", data.perturbed_panel(wide, sizes.panel_years), peer_repeats,
                True)
    n, p, t = sizes.synth
    yield _case("c", "NUTS3-like", data.synthetic_regional_panel(n, p, t), large_peer_repeats,
                False)


def _case(key: str, label: str, x: pd.DataFrame | dict[int, pd.DataFrame], repeats: int,
          check: bool) -> Case:
    return Case(key, label, x, data.to_long(x), data.to_stack(x), repeats, check)


def bench_case(case: Case, peers: Mapping[str, ModuleType], repeats: int) -> CaseResult:
    res = CaseResult(case.key, case.label, case.shape)
    runners: dict[str, tuple[Callable[[], Any], int]] = {
        "smartspec": (lambda: run_smartspec(case), repeats),
        "floor": (lambda: run_floor(case), repeats),
    }
    if "ecomplexity" in peers:
        runners["py-ecomplexity"] = (lambda: run_py_ecomplexity(case, peers["ecomplexity"]),
                                     case.peer_repeats)
    if "economic_complexity" in peers:
        runners["economic_complexity"] = (
            lambda: run_economic_complexity(case, peers["economic_complexity"]),
            case.peer_repeats)
    _log(f"({case.key}) {case.label} [{case.shape}]: timing {', '.join(runners)}")
    res.seconds, last = time_round_robin(runners, keep=case.check)
    res.repeats = {k: n for k, (_, n) in runners.items()}
    if case.check:
        if "py-ecomplexity" in last:
            d, notes = compare_py_ecomplexity(case, last["py-ecomplexity"], peers["ecomplexity"])
            res.diffs.update({("py-ecomplexity", k): v for k, v in d.items()})
            res.notes += [f"({case.key}) {n}" for n in notes]
        if "economic_complexity" in last:
            d, notes = compare_economic_complexity(case, last["economic_complexity"])
            res.diffs.update({("economic_complexity", k): v for k, v in d.items()})
            res.notes += [f"({case.key}) {n}" for n in notes]
    return res


def warm_up(case: Case, peers: Mapping[str, ModuleType]) -> None:
    """One untimed call of every tool (imports, BLAS threads, first-call caches)."""
    run_smartspec(case)
    run_floor(case)
    if "ecomplexity" in peers:
        run_py_ecomplexity(case, peers["ecomplexity"])
    if "economic_complexity" in peers:
        run_economic_complexity(case, peers["economic_complexity"])


# --------------------------------------------------------------------------------------------
# (d) sparse top-k proximity, in a child process
# --------------------------------------------------------------------------------------------
def peak_rss_gb() -> float:
    """Peak resident set size of this process in GB (10^9 bytes).

    Linux: ``VmHWM`` from /proc/self/status, which starts afresh at ``exec`` (``ru_maxrss`` does
    not: it keeps the peak of the forking parent). Elsewhere: ``ru_maxrss``.
    """
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024 / 1e9
    except OSError:
        pass
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 1e9


@contextlib.contextmanager
def blas_threads(n: int | None) -> Iterator[None]:
    """Limit the BLAS thread pools to ``n`` threads (no-op for None)."""
    if n is None:
        yield
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise SystemExit("--threads needs the threadpoolctl package") from exc
    with threadpool_limits(limits=n, user_api="blas"):
        yield


def sparse_job(n_regions: int, n_activities: int, nnz: int, top_k: int = TOP_K
               ) -> dict[str, float]:
    """Build input (d) and time ``ev.proximity(..., top_k=top_k)`` on it (in this process)."""
    m, rows, cols = data.sparse_presence(n_regions, n_activities, nnz)
    x = ev.LabelledSparse(m, rows, cols)
    before = peak_rss_gb()
    t0 = time.perf_counter()
    phi = ev.proximity(x, top_k=top_k)
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "peak_rss_gb": peak_rss_gb(), "rss_before_gb": before,
            "links": int(phi.matrix.nnz), "input_nnz": int(m.nnz)}


def run_sparse(n_regions: int, n_activities: int, nnz: int, top_k: int = TOP_K
               ) -> dict[str, float]:
    """:func:`sparse_job` in a fresh Python process, so that its peak RSS is its own.

    The child's own peak RSS (interpreter, imports, input and the top-k job; see
    :func:`peak_rss_gb`) is reported as ``peak_rss_gb``, and the peak just before the timed call
    as ``rss_before_gb``.
    """
    cmd = [sys.executable, str(Path(__file__).resolve()), "--sparse-child",
           str(n_regions), str(n_activities), str(nnz), str(top_k)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"sparse benchmark child failed ({proc.returncode}):\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------------
def _fmt_s(v: float | None) -> str:
    if v is None:
        return "-"
    return f"{v * 1000:.1f} ms" if v < 1 else f"{v:.2f} s"


def _fmt_x(v: float | None, target: float | None = None, higher: bool = True) -> str:
    if v is None:
        return "-"
    mark = ""
    if target is not None:
        mark = " ok" if (v >= target if higher else v <= target) else " MISS"
    return f"{v:.1f}x{mark}"


def summary(results: list[CaseResult], sparse: dict[str, float] | None) -> dict[str, Any]:
    """The headline figures (the JSON line)."""

    def per_case(a: str, b: str) -> dict[str, float | None]:
        out = {}
        for r in results:
            v = r.ratio(a, b)
            out[r.key] = None if v is None else round(v, 2)
        return out

    diffs = [v for r in results for (peer, q), v in r.diffs.items()
             if q != "eci_eigenvector_gap" and np.isfinite(v)]
    return {
        "speedup_vs_py_ecomplexity": per_case("py-ecomplexity", "smartspec"),
        "speedup_vs_economic_complexity": per_case("economic_complexity", "smartspec"),
        "ratio_to_floor": per_case("smartspec", "floor"),
        "max_abs_diff_vs_peers": float(max(diffs)) if diffs else None,
        "sparse_seconds": None if sparse is None else round(sparse["seconds"], 2),
        "sparse_peak_rss_gb": None if sparse is None else round(sparse["peak_rss_gb"], 3),
    }


def render(results: list[CaseResult], sparse: dict[str, float] | None,
           peers: Mapping[str, ModuleType], notes: list[str]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(file=sys.stdout, width=120)
    t = Table(title="Evidence pipeline (RCA, presence, ECI/PCI, proximity, density): median "
                    "wall time /repeats")
    for col in ("case", "n x p x years", "smartspec", "floor", "py-ecomplexity",
                "econ-complexity", "x py-ecx", "x econ-cx", "/ floor"):
        t.add_column(col, justify="left" if col.startswith(("case", "n x")) else "right")
    for r in results:
        cells = [f"{_fmt_s(r.seconds.get(k))} /{r.repeats[k]}" if k in r.repeats else "-"
                 for k in ("smartspec", "floor", "py-ecomplexity", "economic_complexity")]
        t.add_row(
            f"({r.key}) {r.label}", r.shape, *cells,
            _fmt_x(r.ratio("py-ecomplexity", "smartspec"), 30.0),
            _fmt_x(r.ratio("economic_complexity", "smartspec"), 8.0),
            _fmt_x(r.ratio("smartspec", "floor"), 5.0, higher=False),
        )
    console.print(t)
    console.print("Targets: x py-ecx >= 30, x econ-cx >= 8 (peer time / smartspec time), "
                  "smartspec / floor <= 5.")
    checked = [r for r in results if r.diffs]
    if checked:
        d = Table(title="Agreement with the peers after aligning conventions (max |diff|)")
        d.add_column("case")
        d.add_column("peer")
        for q in ("eci", "pci", "proximity", "density", "eci_eigenvector_gap"):
            d.add_column(q, justify="right")
        for r in checked:
            for peer in ("py-ecomplexity", "economic_complexity"):
                if (peer, "eci") in r.diffs:
                    d.add_row(f"({r.key})", peer, *(
                        f"{r.diffs[(peer, q)]:.1e}" if (peer, q) in r.diffs else "-"
                        for q in ("eci", "pci", "proximity", "density",
                                  "eci_eigenvector_gap")))
        console.print(d)
    if sparse is not None:
        console.print(
            f"(d) sparse top-{TOP_K} proximity, {sparse['input_nnz']:,} non-zeros: "
            f"{sparse['seconds']:.2f} s (target < 60 s), peak RSS {sparse['peak_rss_gb']:.2f} GB "
            f"(target < 4 GB; {sparse['rss_before_gb']:.2f} GB before the call), "
            f"{sparse['links']:,} links kept. The peers cannot run it: they need dense "
            "activity x activity matrices (250,000^2 x 8 B = 500 GB).")
    for note in notes + [n for r in results for n in r.notes]:
        console.print(f"- {note}")
    missing = {"ecomplexity", "economic_complexity"} - set(peers)
    if missing:
        console.print(f"- peers not run (not installed or skipped): {', '.join(sorted(missing))}")


# --------------------------------------------------------------------------------------------
# entry point
# --------------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    p.add_argument("--skip-sparse", action="store_true", help="skip input (d)")
    p.add_argument("--skip-peers", action="store_true", help="time smartspec and the floor only")
    p.add_argument("--repeats", type=int, default=None,
                   help="repeats for smartspec and the floor (default 7; 2 with --quick)")
    p.add_argument("--peer-repeats", type=int, default=None,
                   help="repeats for the peers on (a) and (b) (default 3; 1 with --quick)")
    p.add_argument("--large-peer-repeats", type=int, default=None,
                   help="repeats for the peers on (c) (default 2; 1 with --quick)")
    p.add_argument("--threads", type=int, default=None,
                   help="limit BLAS threads for every tool (needs threadpoolctl); default: "
                        "the BLAS default")
    p.add_argument("--sparse-child", nargs=4, type=int, metavar=("N", "P", "NNZ", "K"),
                   help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.repeats is None:
        args.repeats = 2 if args.quick else 7
    if args.peer_repeats is None:
        args.peer_repeats = 1 if args.quick else 3
    if args.large_peer_repeats is None:
        args.large_peer_repeats = 1 if args.quick else 2
    for name in ("repeats", "peer_repeats", "large_peer_repeats"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be >= 1")
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    if args.sparse_child:
        print(json.dumps(sparse_job(*args.sparse_child)))
        return {}
    t_start = time.perf_counter()
    sizes = QUICK if args.quick else FULL
    peers = {} if args.skip_peers else load_peers()
    notes = []
    if "economic_complexity" in peers and patch_economic_complexity(peers["economic_complexity"]):
        notes.append("economic_complexity.proximity writes into a read-only pandas>=3 view; "
                     "its np.fill_diagonal is given a writeable array (same computation)")
    if "economic_complexity" in peers:
        notes.append("economic_complexity's ECI/PCI are 20-step reflections (k_c,18, k_p,19, "
                     "ddof 1): compared with smartspec's complexity(method='reflections'); "
                     "'eci_eigenvector_gap' = distance to smartspec's converged eigenvector ECI "
                     "(not counted in max_abs_diff_vs_peers)")
        notes.append("proximity/density are compared with pipeline(diagonal=1, ddof=0) for "
                     "py-ecomplexity and pipeline(diagonal=0, ddof=1) for economic_complexity")
    notes.append("py-ecomplexity run with check_logsupermodularity=False (a diagnostic, not an "
                 "indicator; leaving it on would only slow the peer)")
    results = []
    with blas_threads(args.threads):
        for case in iter_cases(sizes, args.peer_repeats, args.large_peer_repeats):
            if not results:
                warm_up(case, peers)
            results.append(bench_case(case, peers, args.repeats))
            del case
    sparse = None
    if not args.skip_sparse:
        _log("(d) sparse top-k proximity in a child process ...")
        sparse = run_sparse(*sizes.sparse)
    render(results, sparse, peers, notes)
    print(f"total benchmark time {time.perf_counter() - t_start:.0f} s", flush=True)
    out = summary(results, sparse)
    print(json.dumps(out), flush=True)
    return out


if __name__ == "__main__":
    main()
