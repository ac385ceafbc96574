"""The benchmark table in Markdown, and the README section made from ``results.json``.

``python -m benchmarks.readme [RESULTS]`` rewrites the README between its benchmark
markers from a results file (default ``benchmarks/results.json``); ``python -m benchmarks
--readme`` does the same right after a run. tests/test_readme.py checks that the README's
table is the one this module renders from the committed results, so the two never drift.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.common import ROOT, Figure, fmt

README = ROOT / "README.md"
RESULTS = ROOT / "benchmarks" / "results.json"
START, END = "<!-- benchmarks:start -->", "<!-- benchmarks:end -->"


def table(figures: Iterable[Figure]) -> str:
    """The figures as a Markdown table."""
    head = "| area | figure | value | baseline (same run) | ratio | target | met | note |"
    lines = [head, "|---|---|---|---|---|---|---|---|"]
    for f in figures:
        base = f"{f.baseline}: {fmt(f.baseline_value)}" if f.baseline else ""
        ratio = "" if f.ratio is None else f"{f.ratio:.2f}x"
        met = "" if f.met is None else ("yes" if f.met else "**NO**")
        lines.append(
            f"| {f.area} | {f.name} | {fmt(f.value)} {f.unit} | {base} | {ratio} | {f.target} "
            f"| {met} | {f.note} |"
        )
    return "\n".join(lines)


def section(results: Mapping[str, Any]) -> str:
    """What goes between the README's markers: which run, on what, then the table."""
    m = results["machine"]
    load = ", ".join(f"{x:g}" for x in m["loadavg_at_start"])
    seconds = results["seconds"]
    mode = "--quick" if results["mode"] == "quick" else "(full run)"
    cpu = results.get("cpu", {})
    steal = ""
    if "total" in cpu:
        worst = max((k for k in cpu if k != "total"), key=lambda k: cpu[k]["steal_percent"])
        steal = (
            f" CPU time stolen by the hypervisor for other guests: "
            f"{cpu['total']['steal_percent']:g} % over the run, most in {worst} "
            f"({cpu[worst]['steal_percent']:g} %)."
        )
    lines = [
        f"`python -m benchmarks {mode}` of {_when(results['when'])}: "
        f"{m['nproc']} cores ({m['cpu']}), Python {m['python']}, load average {load} at the "
        f"start; {seconds['total']:.0f} s in all "
        f"({', '.join(f'{k} {v:.0f} s' for k, v in seconds.items() if k != 'total')}).{steal}",
        "",
        table(Figure(**f) for f in results["figures"]),
    ]
    errors = results.get("errors") or {}
    if errors:
        lines += ["", *(f"- `{area}` failed in this run: {err}" for area, err in errors.items())]
    return "\n".join(lines)


def _when(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def expected_readme(readme: str, results: Mapping[str, Any]) -> str:
    """``readme`` with its benchmark section rendered from ``results``."""
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{section(results)}\n{END}{tail}"


def update(results_path: Path = RESULTS, readme_path: Path = README) -> None:
    results = json.loads(results_path.read_text("utf-8"))
    readme_path.write_text(expected_readme(readme_path.read_text("utf-8"), results), "utf-8")


if __name__ == "__main__":
    update(Path(sys.argv[1]) if len(sys.argv) > 1 else RESULTS)
