"""Every CSS class the pages put on an element is defined somewhere the page loads.

NiceGUI runs with ``tailwind=False`` (see ``app/pages/static/utilities.css``): a Tailwind
class that is not in that stylesheet silently does nothing. This scans the classes the code
sets (``.classes(...)``, class strings in Python, the class names the page scripts build
elements with) against the class selectors of the page's own stylesheets, Quasar's and
NiceGUI's. The dashboard's own ``dash-*`` names are left out: they are styled in
``dashboard.css`` or are hooks that scripts and tests find elements by.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import nicegui

from app.pages.assets import STATIC_DIR, STYLES

APP = Path(__file__).resolve().parents[2] / "app"
NICEGUI_STATIC = Path(nicegui.__file__).parent / "static"
FRAMEWORK_CSS = ("quasar.unimportant.prod.css", "quasar.important.prod.css", "nicegui.css")

SELECTOR = re.compile(r"\.((?:\\.|[A-Za-z0-9_-])+)")
QUOTED = re.compile(r"[\"']([^\"'`$]*)[\"']")
JS_CLASSES = (
    re.compile(r"\bel\([\"'][a-z]+[\"'],\s*([\"'][^\"']*[\"'])"),  # dom.js: el(tag, classes)
    re.compile(r"className\s*=\s*([\"'][^\"']*[\"'])"),
    re.compile(r"classList\.(?:add|toggle)\(([^)]*)\)"),  # every quoted argument
)
PROPS_CLASS = re.compile(r"\bclass=[\"']([^\"']*)[\"']")


def defined(css: str) -> set[str]:
    """Class names a stylesheet has selectors for (``sm\\:px-4`` -> ``sm:px-4``)."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    css = re.sub(r"url\([^)]*\)", "", css)
    return {re.sub(r"\\(.)", r"\1", m.group(1)) for m in SELECTOR.finditer(css)}


def _strings(node: ast.AST) -> Iterator[str]:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            yield sub.value


def python_classes(source: str) -> set[str]:
    """Classes set by ``.classes(...)`` (not ``remove=``) or held in a ``*class*`` name."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        values: list[ast.AST] = []
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr == "classes":
                values += node.args
                values += [k.value for k in node.keywords if k.arg != "remove"]
            elif node.func.attr == "props":  # .props('class="..."')
                for text in (t for a in node.args for t in _strings(a)):
                    found.update(c for m in PROPS_CLASS.finditer(text) for c in m.group(1).split())
        elif isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any("class" in getattr(t, "id", getattr(t, "attr", "")).lower() for t in targets):
                values.append(node.value)
        for value in values:
            found.update(t for s in _strings(value) for t in s.split())
    return found


def js_classes(source: str) -> set[str]:
    return {
        token
        for pattern in JS_CLASSES
        for match in pattern.finditer(source)
        for quoted in QUOTED.finditer(match.group(1))
        for token in quoted.group(1).split()
    }


def used() -> dict[str, str]:
    """Every static class token the code sets -> one file that sets it."""
    where: dict[str, str] = {}
    for path in sorted(APP.rglob("*.py")):
        for token in python_classes(path.read_text(encoding="utf-8")):
            where.setdefault(token, str(path.relative_to(APP)))
    for path in sorted(STATIC_DIR.glob("*.js")):
        for token in js_classes(path.read_text(encoding="utf-8")):
            where.setdefault(token, str(path.relative_to(APP)))
    return {t: f for t, f in where.items() if "{" not in t and "$" not in t}


def available() -> set[str]:
    names: set[str] = set()
    for name in STYLES:
        names |= defined((STATIC_DIR / name).read_text(encoding="utf-8"))
    for name in FRAMEWORK_CSS:
        names |= defined((NICEGUI_STATIC / name).read_text(encoding="utf-8"))
    return names


def test_every_class_the_pages_set_is_defined() -> None:
    classes = used()
    assert {"w-full", "sm:px-4", "dash-cell", "no-wrap"} <= set(classes)  # the scan sees them
    # dash-* are the dashboard's own names: styled in dashboard.css, or hooks for scripts/tests
    missing = {
        t: f for t, f in classes.items() if not t.startswith("dash-") and t not in available()
    }
    assert not missing, f"classes no stylesheet defines (add them to utilities.css): {missing}"


def test_the_scan_reads_escaped_selectors_and_skips_comments() -> None:
    css = "/* .ghost */ .sm\\:px-4 { } .min-w-\\[9rem\\] { } a.b:hover, .c > .d { }"
    assert defined(css) == {"sm:px-4", "min-w-[9rem]", "b", "c", "d"}
    code = 'x.classes("a b", remove="gone"); classes = "c"; y.classes(add="d")'
    code += "; z.props('dense class=\"p q\"')"
    assert python_classes(code) == {"a", "b", "c", "d", "p", "q"}
    js = "el('div', 'e f', 1); n.className = \"g\"; n.classList.add(\"h\", 'i')"
    assert js_classes(js) == {"e", "f", "g", "h", "i"}


def test_a_tailwind_class_not_in_the_stylesheet_would_be_reported() -> None:
    assert "mt-4" not in available()  # Tailwind's, but not defined: using it must fail above
    assert "w-full" in available()
