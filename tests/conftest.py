"""Shared test fixtures.

Real-world files live in ``../shared/fixtures/real`` beside the checkout (CI has
it there). Tests that need them take the ``real_dir`` fixture, which skips with
a reason when the folder is absent; they are never copied into the project.
"""
from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

PROJECT = Path(__file__).resolve().parents[1]
REAL = Path(os.environ.get("EVALKIT_REAL_FIXTURES", PROJECT.parent / "shared" / "fixtures" / "real"))
SAMPLE = PROJECT / "data_samples" / "exempelkommun"


@pytest.fixture(scope="session")
def real_dir() -> Path:
    if not REAL.is_dir():
        pytest.skip(f"real fixtures not found at {REAL} (CI has ../shared beside the checkout)")
    return REAL


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    return SAMPLE
