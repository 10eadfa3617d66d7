"""Imports run one way (ARCHITECTURE.md): read every module's imports and check the layering rules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from geoaccess.settings import REPO_ROOT

LAYERS = (
    ("geoaccess.errors", "geoaccess.defaults", "geoaccess.weekdays", "geoaccess.settings", "geoaccess._io",
     "geoaccess.attribution", "geoaccess.geometry", "geoaccess.roles", "geoaccess.csv_cells", "geoaccess.bounded_zip",
     "geoaccess.isolation", "geoaccess.downloads", "geoaccess.loaded_once"),
    ("geoaccess.pack",),
    ("geoaccess.geocode", "geoaccess.venues", "geoaccess.places", "geoaccess.endpoints"),
    ("geoaccess.roads",),
    ("geoaccess.transit",),
    ("geoaccess.analysis",),
    ("geoaccess.maps",),
    ("geoaccess.services",),
    ("geoaccess.cli", "geoaccess.web", "geoaccess.__main__"),
)  # fmt: skip
"""Lowest first: a module may import its own layer and the layers below it, never one above."""


def module_name(path: Path) -> str:
    """``web/api.py`` -> ``geoaccess.web.api``; ``geoaccess/roads/__init__.py`` -> ``geoaccess.roads``."""
    relative = path.relative_to(REPO_ROOT).with_suffix("")
    parts = list(relative.parts)
    if parts[0] == "web":
        parts = ["geoaccess", *parts]
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports_of(path: Path, module: str | None = None) -> set[str]:
    """Every module ``path`` imports, anywhere in it (inside functions and ``TYPE_CHECKING`` blocks too);
    relative imports are resolved against ``module``, the importing module's name."""
    found = set()
    package = (module or "").split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            source = ".".join([*base, *([node.module] if node.module else [])])
            found.add(source)
            found |= {f"{source}.{alias.name}" for alias in node.names}  # from geoaccess import cli
    return found


def layer_of(module: str) -> int | None:
    """The layer a geoaccess module belongs to (``None`` for the package itself and for build/)."""
    for number, prefixes in enumerate(LAYERS):
        if any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes):
            return number
    return None


def violations(module: str, imported: set[str]) -> list[str]:
    """The rules ``module`` breaks by importing ``imported``."""
    found = []
    in_cli = module.startswith("geoaccess.cli")
    in_build = module.startswith("geoaccess.build")
    for name in sorted(imported):
        if (name == "click" or name.startswith("click.")) and not in_cli:
            found.append(f"{module} imports click (only geoaccess.cli may)")
        if module.startswith("geoaccess.web") and name.startswith("geoaccess.cli"):
            found.append(f"{module} imports {name} (the web app never imports the CLI)")
        if name.startswith("geoaccess.build") and not (in_build or in_cli):
            found.append(f"{module} imports {name} (build/ is never imported at run time)")
        mine, theirs = layer_of(module), layer_of(name)
        if mine is not None and theirs is not None and theirs > mine:
            found.append(f"{module} (layer {mine}) imports {name} (layer {theirs}): imports run downward only")
    return found


def source_files() -> list[Path]:
    return sorted([*(REPO_ROOT / "geoaccess").rglob("*.py"), *(REPO_ROOT / "web").rglob("*.py")])


def test_every_module_is_in_a_layer_or_in_build() -> None:
    unplaced = [
        module_name(path)
        for path in source_files()
        if layer_of(module_name(path)) is None and not module_name(path).startswith("geoaccess.build")
    ]
    assert unplaced == ["geoaccess"], f"place these modules in a layer of LAYERS: {unplaced}"


def test_imports_run_one_way() -> None:
    problems = [
        problem
        for path in source_files()
        for problem in violations(module_name(path), imports_of(path, module_name(path)))
    ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "module,imported",
    [
        ("geoaccess.web.api", {"geoaccess.cli.maps"}),  # the web app calling CLI modules for its logic
        ("geoaccess.analysis.caseload", {"geoaccess.cli.options"}),  # the library importing the CLI
        ("geoaccess.analysis.chunked", {"click"}),
        ("geoaccess.pack", {"geoaccess.build.writer"}),  # run time importing build time
        ("geoaccess.roads.osm", {"geoaccess.build.writer"}),
        ("geoaccess.maps.builders", {"geoaccess.build.catalogue"}),
        ("geoaccess.transit.planner", {"geoaccess.analysis.measures"}),  # an engine importing upward
        ("geoaccess.roads.router", {"geoaccess.transit.planner"}),
        ("geoaccess.maps.builders", {"geoaccess.services.maps"}),
        ("geoaccess.errors", {"geoaccess.pack"}),
    ],
)
def test_the_rules_catch_each_kind_of_leak(module: str, imported: set[str]) -> None:
    assert violations(module, imported)


def test_the_import_reader_sees_imports_inside_functions_and_relative_ones(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from .db import User\ndef f():\n    from geoaccess.cli import options\n    import click\n", encoding="utf-8"
    )
    found = imports_of(sample, "geoaccess.web.sample")
    assert {"geoaccess.cli", "geoaccess.cli.options", "click", "geoaccess.web.db"} <= found
