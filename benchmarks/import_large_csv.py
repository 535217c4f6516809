"""Benchmark: import a 10-million-row long CSV with :func:`smartspec.data.read`.

Generates a reproducible long CSV (regions × activities × years, seed 20150101, about 5 % of
values missing with a flag) in a temporary directory, imports it in a fresh Python process and
prints wall time and peak resident memory (``ru_maxrss`` of that process) as a table followed by
one JSON line.

Usage::

    python benchmarks/import_large_csv.py [--rows 10000000] [--keep DIR]

The import process starts from a clean interpreter, so its peak RSS covers only smartspec, its
imports (pandas, pyarrow, duckdb) and the import itself, not the CSV generation.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

SEED = 20150101

_CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
import smartspec.data as sd
baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t1 = time.perf_counter()
panel, report = sd.read(sys.argv[1])
t2 = time.perf_counter()
m = panel.matrix()
t3 = time.perf_counter()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({
    "records": len(panel), "regions": len(panel.regions), "activities": len(panel.activities),
    "years": len(panel.years), "missing": int(panel.frame["value"].isna().sum()),
    "engine": report.engine, "import_s": round(t2 - t1, 2), "matrix_s": round(t3 - t2, 2),
    "startup_s": round(t1 - t0, 2), "baseline_rss_mb": round(baseline / 1024, 1),
    "peak_rss_mb": round(peak / 1024, 1),
    "frame_mb": round(panel.frame.memory_usage(deep=True).sum() / 2**20, 1),
    "matrix_shape": list(m.shape),
}))
"""


def shape_for(rows: int) -> tuple[int, int, int]:
    """Regions, activities and years whose product is ``rows`` (20 years, 500 activities)."""
    years, activities = 20, 500
    regions = max(1, rows // (years * activities))
    return regions, activities, years


def generate(path: Path, rows: int, seed: int = SEED) -> int:
    """Write a long CSV with header region,activity,year,value,flag; returns the row count."""
    n_regions, n_activities, n_years = shape_for(rows)
    rng = np.random.default_rng(seed)
    regions = np.array([f"R{i:05d}" for i in range(n_regions)], dtype=object)
    activities = np.array([f"A{j:03d}" for j in range(n_activities)], dtype=object)
    schema = pa.schema([("region", pa.string()), ("activity", pa.string()),
                        ("year", pa.int32()), ("value", pa.float64()), ("flag", pa.string())])
    written = 0
    with pacsv.CSVWriter(path, schema) as writer:
        for y in range(n_years):
            n = n_regions * n_activities
            values = rng.integers(0, 200_000, size=n).astype(np.float64)
            missing = rng.random(n) < 0.05
            values[missing] = np.nan
            flags = np.where(missing, "c", None)
            estimated = ~missing & (rng.random(n) < 0.02)
            flags[estimated] = "e"
            batch = pa.record_batch([
                pa.array(np.repeat(regions, n_activities)),
                pa.array(np.tile(activities, n_regions)),
                pa.array(np.full(n, 2000 + y, dtype=np.int32)),
                pa.array(values, from_pandas=True),
                pa.array(flags),
            ], schema=schema)
            writer.write_batch(batch)
            written += n
    return written


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--keep", type=Path, default=None,
                        help="write the CSV into this folder and keep it")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "large_long.csv"
        t0 = time.perf_counter()
        rows = generate(path, args.rows)
        gen_s = time.perf_counter() - t0
        size_mb = path.stat().st_size / 2**20
        t1 = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", _CHILD, str(path)], capture_output=True,
                             text=True, check=False)
        wall = time.perf_counter() - t1
        if out.returncode != 0:
            print(out.stderr, file=sys.stderr)
            raise SystemExit(out.returncode)
        result = json.loads(out.stdout.strip().splitlines()[-1])
    result.update({"rows": rows, "csv_mb": round(size_mb, 1), "generate_s": round(gen_s, 2),
                   "process_wall_s": round(wall, 2)})
    table = [("rows", f"{rows:,}"), ("CSV size", f"{size_mb:,.0f} MB"),
             ("engine", result["engine"]), ("records", f"{result['records']:,}"),
             ("missing", f"{result['missing']:,}"),
             ("import wall time", f"{result['import_s']:.2f} s"),
             ("matrix() wall time", f"{result['matrix_s']:.2f} s"),
             ("process wall time", f"{wall:.2f} s"),
             ("baseline RSS (imports)", f"{result['baseline_rss_mb']:,.0f} MB"),
             ("peak RSS", f"{result['peak_rss_mb']:,.0f} MB"),
             ("panel frame in memory", f"{result['frame_mb']:,.0f} MB")]
    width = max(len(k) for k, _ in table)
    for k, v in table:
        print(f"{k:<{width}}  {v}")
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
