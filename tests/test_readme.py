"""The README stays true: its configuration table is the settings model's, its benchmark
table the committed run's."""

from __future__ import annotations

import json
import re
from pathlib import Path

from benchmarks.readme import README, RESULTS, expected_readme
from scripts.config_table import table

ROOT = Path(__file__).resolve().parent.parent


def test_readme_configuration_table_matches_settings() -> None:
    """Every setting appears in the README's table with its current default and meaning."""
    readme = (ROOT / "README.md").read_text("utf-8")
    start = readme.index("<!-- config-table:start -->") + len("<!-- config-table:start -->")
    end = readme.index("<!-- config-table:end -->")
    assert readme[start:end].strip() == table(), "run: python -m scripts.update_readme"


def test_readme_commands_name_real_entry_points() -> None:
    """The two commands of the quick start point at files that exist."""
    readme = (ROOT / "README.md").read_text("utf-8")
    assert "bash scripts/test.sh" in readme and (ROOT / "scripts" / "test.sh").exists()
    assert ".venv/bin/python -m app" in readme and (ROOT / "app" / "__main__.py").exists()


def test_readme_benchmark_table_is_the_committed_run() -> None:
    """The README's benchmark table is rendered from benchmarks/results.json, unedited."""
    readme = README.read_text("utf-8")
    results = json.loads(RESULTS.read_text("utf-8"))
    assert readme == expected_readme(readme, results), "run: python -m benchmarks.readme"


def test_readme_images_and_local_links_exist() -> None:
    """Every screenshot and file the README links to is in the repository."""
    readme = (ROOT / "README.md").read_text("utf-8")
    targets = re.findall(r"\]\(((?:docs|deploy|scripts|benchmarks|app|tests)/[^)#\s]+)\)", readme)
    assert any(t.endswith(".png") for t in targets), "the README shows a screenshot"
    missing = [t for t in targets if not (ROOT / t).exists()]
    assert not missing, f"the README links to missing files: {missing}"
