"""The import direction of DESIGN.md and docs/architecture.md.

- hub never imports web, integrations or triggers; hub/model.py imports nothing of ours.
- Inside hub, every room (a top-level module or a subpackage) sits on one layer of
  `LAYERS`, and imports only rooms on lower layers: never a sibling on its own layer,
  never a room above it (the fabric importing the registry, say).
- No module imports itself back through a chain of imports, lazy ones included.
"""

import ast
from collections.abc import Collection, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLUGIN_PACKAGES = ("web", "integrations", "triggers")

# Bottom first. A new room gets a layer here (and in docs/architecture.md) before it lands.
LAYERS: tuple[frozenset[str], ...] = tuple(
    frozenset(layer.split())
    for layer in (
        "model errors",
        "inputs",
        "clock located plugins arguments templates domains identity media client colours llm",
        "logthrottle events capfile lock",
        "fabric devices store config",
        "registry",
        "routing leftovers",
        "mesh",
        "dispatch",
        "automations",
        "agents",
        "runtime",
        "cli",
    )
)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def hub_modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted((ROOT / "hub").rglob("*.py"))}


def imported_modules(path: Path, modules: Collection[str] = ()) -> set[str]:
    """Every module `path` imports, at any depth of the file (lazy and TYPE_CHECKING too).
    ``from pkg import name`` imports the module ``pkg.name`` when that is one of `modules`,
    else a name of ``pkg``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                names.add(full if full in modules else node.module)
    return names


def room_of(module: str) -> str | None:
    """``hub.fabric.rpc`` -> ``fabric``; ``hub.registry`` -> ``registry``; ``hub`` -> None."""
    parts = module.split(".")
    return parts[1] if parts[0] == "hub" and len(parts) > 1 else None


def layer_of(room: str) -> int:
    for number, rooms in enumerate(LAYERS):
        if room in rooms:
            return number
    raise LookupError(room)


def hub_imports() -> Iterator[tuple[str, str]]:
    """(importer, imported) for every import between two modules of hub."""
    modules = hub_modules()
    for name, path in modules.items():
        for imported in imported_modules(path, modules):
            if imported in modules and imported != name:
                yield name, imported


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


def test_every_room_has_a_layer() -> None:
    rooms = {room_of(name) for name in hub_modules()} - {None, "__main__"}
    placed = set().union(*LAYERS)
    assert sorted(rooms - placed) == []
    assert sorted(placed - rooms) == []  # no stale entries either


def test_rooms_import_only_lower_layers() -> None:
    offenders = []
    for importer, imported in hub_imports():
        upper, lower = room_of(importer), room_of(imported)
        if upper is None or lower is None or upper == lower:
            continue
        if layer_of(lower) >= layer_of(upper):
            offenders.append(f"{importer} ({upper}, layer {layer_of(upper)}) imports "
                             f"{imported} ({lower}, layer {layer_of(lower)})")
    assert offenders == []


def test_modules_never_import_their_own_package() -> None:
    # Inside a room, modules import each other by full path: going through the package's
    # __init__ would make the room's API and its parts depend on each other.
    offenders = [
        f"{importer} imports {imported}"
        for importer, imported in hub_imports()
        if imported != "hub" and importer.startswith(imported + ".")
    ]
    assert offenders == []


def test_no_import_cycles() -> None:
    graph: dict[str, set[str]] = {}
    for importer, imported in hub_imports():
        # A package's __init__ re-exporting its own modules is not a cycle: the modules
        # inside import each other by full path, never through their package.
        if imported.startswith(importer + "."):
            continue
        graph.setdefault(importer, set()).add(imported)
    cycles: list[str] = []
    done: set[str] = set()

    def visit(module: str, trail: list[str]) -> None:
        if module in trail:
            cycles.append(" -> ".join([*trail[trail.index(module):], module]))
            return
        if module in done:
            return
        for imported in sorted(graph.get(module, ())):
            visit(imported, [*trail, module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])
    assert cycles == []


def test_the_layering_check_sees_a_wrong_way_import(tmp_path: Path) -> None:
    # The check itself can fail: an import up (fabric -> registry) is an offender.
    source = tmp_path / "connection.py"
    source.write_text("def f():\n    from hub.registry import Registry\n")
    assert imported_modules(source, hub_modules()) == {"hub.registry"}
    assert layer_of(room_of("hub.registry") or "") > layer_of(room_of("hub.fabric.x") or "")
