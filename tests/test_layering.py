"""The import direction of DESIGN.md: hub never imports web, integrations or triggers, and
hub/model.py imports nothing else of the project."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLUGIN_PACKAGES = ("web", "integrations", "triggers")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_hub_never_imports_plugins() -> None:
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in sorted((ROOT / "hub").rglob("*.py"))
        for name in imported_modules(path)
        if name.split(".")[0] in PLUGIN_PACKAGES
    ]
    assert offenders == []


def test_model_imports_nothing_of_ours() -> None:
    names = imported_modules(ROOT / "hub" / "model.py")
    assert not [n for n in names if n.split(".")[0] in ("hub", *PLUGIN_PACKAGES)]
