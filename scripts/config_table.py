"""Print the README's configuration table from the settings model (one source of truth)."""

from __future__ import annotations

from app.config import Settings


def table() -> str:
    rows = ["| flag | environment variable | default | meaning |", "|---|---|---|---|"]
    for name, info in Settings.model_fields.items():
        default = info.get_default(call_default_factory=True)
        shown = ",".join(default) if isinstance(default, list) else default
        flag = "--" + name.replace("_", "-")
        if info.annotation is bool:
            flag += f" / --no-{name.replace('_', '-')}"
        shown_text = "(empty)" if shown == "" else f"`{shown}`"
        env = f"DASHBOARD_{name.upper()}"
        rows.append(f"| `{flag}` | `{env}` | {shown_text} | {info.description} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(table())
