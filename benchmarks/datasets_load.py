"""Load time of every shipped dataset: first call (parse the file) and cached call.

Run ``python benchmarks/datasets_load.py [--repeat N]``. Each dataset is timed in the same
process after clearing the caches, so the first call includes reading and parsing the Parquet
file and building the panel; the cached call is the median of ``N`` further calls. The target
is a cached call under 1 s (in practice a few milliseconds).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from smartspec import datasets

LOADERS: dict[str, Callable[[], Any]] = {
    "sbs_employment": datasets.sbs_employment,
    "sbs_employment(include_obsolete)": lambda: datasets.sbs_employment(include_obsolete=True),
    "regional_employment(level=2)": datasets.regional_employment,
    "regional_employment(level=3, total)": lambda: datasets.regional_employment(
        3, include_total=True
    ),
    "context_indicators": datasets.context_indicators,
    "nace(all)": lambda: datasets.nace("all"),
    "nace_hierarchy(class->section)": lambda: datasets.nace_hierarchy("class", "section"),
    "esco_occupations": datasets.esco_occupations,
    "esco_skills": datasets.esco_skills,
    "esco_skill_hierarchy": datasets.esco_skill_hierarchy,
    "esco_isco_groups": datasets.esco_isco_groups,
    "esco_occupation_skills_sample": datasets.esco_occupation_skills_sample,
    "trade_hs2": datasets.trade_hs2,
    "catalogue": datasets.catalogue,
}


def _time(func: Callable[[], Any]) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="cached calls per dataset")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    own = [p for p in datasets.files_dir().iterdir() if not p.name.startswith(("nuts_", "geo_"))]
    size = sum(p.stat().st_size for p in own)
    print(f"shipped dataset files (excluding nuts_*/geo_*): {len(own)} files, "
          f"{size / 2**20:.2f} MiB")
    print(f"{'dataset':<38} {'first call':>12} {'cached call':>12}")
    worst = 0.0
    for name, loader in LOADERS.items():
        datasets.clear_cache()
        first = _time(loader)
        cached = statistics.median(_time(loader) for _ in range(args.repeat))
        worst = max(worst, cached)
        print(f"{name:<38} {first * 1000:>10.1f}ms {cached * 1000:>10.2f}ms")
    verdict = "OK" if worst < 1.0 else "TOO SLOW"
    print(f"slowest cached call: {worst * 1000:.2f} ms (target < 1000 ms): {verdict}")
    return 0 if worst < 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
