"""A non-editable install carries the library, the web app and the default pack."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from geoaccess.settings import REPO_ROOT


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory) -> set[str]:
    out = tmp_path_factory.mktemp("wheel")
    # setuptools' build/ and geoaccess.egg-info/ go to this test's folder, not the checkout: the checkout's
    # build/lib keeps modules deleted since (they would ride along in the wheel), and another run of the
    # suite (or a pip install .) in the same tree would share those folders with this one
    scratch = tmp_path_factory.mktemp("setuptools")
    extra = scratch / "setup.cfg"
    extra.write_text(f"[build]\nbuild_base = {scratch / 'build'}\n[egg_info]\negg_base = {scratch}\n", encoding="utf-8")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(REPO_ROOT),
        ],
        check=True,
        capture_output=True,
        env={**os.environ, "DIST_EXTRA_CONFIG": str(extra)},
    )
    (wheel,) = out.glob("geoaccess-*.whl")
    return set(zipfile.ZipFile(wheel).namelist())


def _tracked(folder: str) -> list[Path]:
    listed = subprocess.run(["git", "ls-files", folder], cwd=REPO_ROOT, capture_output=True, text=True)
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    # the wheel is built from the working tree: a tracked file deleted there (not yet committed) is not expected
    return [Path(line) for line in listed.stdout.splitlines() if (REPO_ROOT / line).exists()]


@pytest.mark.slow
def test_wheel_holds_every_module_and_package_file(wheel_names):
    expected = {f"geoaccess/{p.relative_to('geoaccess')}" for p in _tracked("geoaccess")}
    expected |= {f"geoaccess/web/{p.relative_to('web')}" for p in _tracked("web")}
    expected |= {f"geoaccess/packs/{p.relative_to('data')}" for p in _tracked("data")}
    assert expected - wheel_names == set()
