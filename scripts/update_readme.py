"""Rewrite the README's configuration table from the settings model."""

from __future__ import annotations

from pathlib import Path

from scripts.config_table import table

START, END = "<!-- config-table:start -->", "<!-- config-table:end -->"


def main() -> None:
    path = Path(__file__).resolve().parent.parent / "README.md"
    text = path.read_text("utf-8")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    path.write_text(f"{head}{START}\n{table()}\n{END}{tail}", "utf-8")


if __name__ == "__main__":
    main()
