"""Where geoaccess finds its data pack and writes its outputs.

One place for paths, so the library, the CLI and the web app agree.
``GEOACCESS_DATA`` overrides the data folder (the one holding ``cumbria/``);
``GEOACCESS_PACK`` names the pack inside it (default ``cumbria``).
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

DEFAULT_PACK = "cumbria"
REPO_ROOT = Path(__file__).resolve().parent.parent


def data_root() -> Path:
    """Folder holding the data packs: the checkout's ``data/`` or the installed copy."""
    override = os.environ.get("GEOACCESS_DATA")
    if override:
        return Path(override)
    if (REPO_ROOT / "pyproject.toml").is_file() and (REPO_ROOT / "data").is_dir():
        return REPO_ROOT / "data"  # running from a checkout (or an editable install)
    # The installed copy of data/: package-dir maps it to geoaccess.packs (see pyproject.toml),
    # which mypy cannot follow, so it is imported by name.
    packs = importlib.import_module("geoaccess.packs")
    return Path(packs.__path__[0])


def pack_dir(name: str | None = None) -> Path:
    """Folder of the named data pack (default: ``GEOACCESS_PACK`` or ``cumbria``)."""
    return data_root() / (name or os.environ.get("GEOACCESS_PACK", DEFAULT_PACK))


def cache_root() -> Path:
    """geoaccess's cache folder: ``$GEOACCESS_CACHE``, else ``$XDG_CACHE_HOME/geoaccess`` (~/.cache)."""
    if override := os.environ.get("GEOACCESS_CACHE"):
        return Path(override)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "geoaccess"
