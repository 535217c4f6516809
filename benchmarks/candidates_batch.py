"""Time ``smartspec.discovery.candidates`` on the embedded Eurostat SBS data.

Run ``python benchmarks/candidates_batch.py [--repeat N] [--draws D]``. Timed, after loading the
inputs (the datasets are not part of the clock):

* **batch**: every NUTS2 region of ``datasets.sbs_employment()`` (about 285 regions x 68 NACE
  divisions) in one call, with neighbours and the Alpine Space as partner sources, NACE labels,
  explanations and the Monte Carlo robustness (``n_draws`` weight draws, 500 by default);
* **one region**: the same for AT31 only (the indicators are still computed for all regions).

The target is a batch under 2 s. The script prints the median of ``N`` runs of each, then one
JSON line with the headline figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from smartspec import datasets
from smartspec.discovery import candidates


def _median_time(func, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each call")
    parser.add_argument("--draws", type=int, default=500, help="Monte Carlo weight draws")
    parser.add_argument("--region", default="AT31", help="region of the one-region call")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    panel = datasets.sbs_employment()
    kwargs = dict(
        labels=datasets.nace("en").set_index("code_eurostat")["label"],
        neighbours=datasets.neighbours(2),
        macro_region=list(datasets.alpine_space(2).index),
        n_draws=args.draws,
    )
    candidates(panel, args.region, **kwargs)  # warm-up (imports, first BLAS calls)
    batch_s, batch = _median_time(lambda: candidates(panel, None, **kwargs), args.repeat)
    one_s, one = _median_time(lambda: candidates(panel, args.region, **kwargs), args.repeat)
    n_regions = batch.index.get_level_values(0).nunique()
    n_acts = len(one)
    print(f"candidates, all regions ({n_regions} x {n_acts}, {args.draws} draws): "
          f"{batch_s:.3f} s (median of {args.repeat})")
    print(f"candidates, one region ({args.region}):{'':>20} {one_s:.3f} s")
    print("top 5 of", args.region + ":", ", ".join(one.index[:5]))
    print(json.dumps({
        "benchmark": "candidates_batch", "regions": int(n_regions), "activities": int(n_acts),
        "n_draws": args.draws, "batch_seconds": round(batch_s, 4),
        "one_region_seconds": round(one_s, 4), "target_seconds": 2.0,
        "meets_target": bool(batch_s < 2.0),
    }))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
