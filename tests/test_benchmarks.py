"""The benchmark harness runs on this machine and writes results the README can show.

Only the two offline areas run here (about 30 s): the browser areas would add two minutes
and compete with the browser tests for the two cores. Nothing here checks a speed target:
benchmarks inform, a slow machine must not fail the build. What is checked is that every
figure is measured, with its same-run baseline, and that the README table renders from it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.readme import END, START, expected_readme

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.timeout(240)
def test_quick_offline_areas_measure_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--only", "ingest,history", "--out", out],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=220,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads(out.read_text("utf-8"))
    assert results["mode"] == "quick" and results["errors"] == {}
    names = [f["name"] for f in results["figures"]]
    for size in (1, 10, 100, 1000):
        assert f"frames of {size}: app pipeline" in names
    assert "7 days of 50 streams: fetch+parse+store" in names
    for figure in results["figures"]:
        assert figure["value"] and figure["value"] > 0, figure
        assert figure["baseline_value"] and figure["baseline_value"] > 0, figure
    by_name = {f["name"]: f for f in results["figures"]}
    # Against the naive pipeline the app wins by 20-50x; 2x leaves room for any machine.
    assert by_name["frames of 100: vs naive (5,000 events)"]["ratio"] > 2
    assert by_name["frames of 100: app pipeline"]["ratio"] <= 1.05  # a fraction of the ceiling
    readme = f"intro\n{START}\nstale table\n{END}\nrest\n"
    rendered = expected_readme(readme, results)
    assert rendered.startswith("intro\n") and rendered.endswith(f"{END}\nrest\n")
    assert "frames of 100: app pipeline" in rendered and "stale table" not in rendered
