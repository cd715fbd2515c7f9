"""The benchmark scripts run (on tiny sizes here; the figures come from full runs)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import BENCHMARKS


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


def test_pipeline_benchmark_runs_on_a_small_s(tmp_path: Path) -> None:
    output = run("pipeline.py", "S", "--scale", "0.02", "--root", str(tmp_path),
                 "--reference", "full")
    assert "inbox inbox_S_x0.02: 5 workbooks" in output
    for stage in ("read", "validate", "load", "consolidate", "render HTML", "render Excel",
                  "end to end", "re-run"):
        assert f"{stage:>14} " in output
    assert ("re-run after one small file: read ['payments_extra.xlsx'], rendered 3 statements, "
            "6 statement files changed (only those of the 3 payers it touches)") in output
    assert "ledgerflow end to end is" in output and "hand-made stack" in output
