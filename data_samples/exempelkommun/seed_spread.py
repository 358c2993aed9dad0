"""How much do the realised effects vary from draw to draw? (justifies the test tolerances)

Runs :func:`generate.generate` for several seeds (into a temporary folder) and prints, for every
quantity the test checks, the mean and standard deviation across seeds. Takes ~4 s per seed:

    .venv/bin/python data_samples/exempelkommun/seed_spread.py 20
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate as g  # noqa: E402


def spread(n_seeds: int = 20, first_seed: int = 1) -> pd.DataFrame:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(first_seed, first_seed + n_seeds):
            rows.append(g.generate(tmp, seed=seed)["truth"])
    frame = pd.DataFrame(rows)
    return frame.agg(["mean", "std", "min", "max"]).T


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    with pd.option_context("display.width", 200, "display.max_rows", 100):
        print(spread(n).round(3))
