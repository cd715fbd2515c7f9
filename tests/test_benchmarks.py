"""The benchmark scripts run (on tiny sizes here; the figures come from full runs)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).parent.parent / "benchmarks"


def run(script: str, *args: str) -> str:
    done = subprocess.run([sys.executable, str(BENCHMARKS / script), *args],
                          capture_output=True, text=True, timeout=300, check=True)
    return done.stdout


def test_consolidation_benchmark_runs() -> None:
    output = run("consolidate.py", "--expenses", "2000", "--clients", "40", "--repeat", "1")
    assert "built 40 clients, 2,000 expenses" in output
    assert "0 problems" in output


def test_render_benchmark_runs() -> None:
    output = run("render.py", "--payers", "60", "--lines", "5")
    assert output.startswith("60 statements, 300 lines, 120 files")
