"""The shipped data pack: intact, attributed, small, and rebuildable from the raw sources."""

from __future__ import annotations

import json
import shutil

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner

from geoaccess.build import build_pack, geography
from geoaccess.build.catalogue import SOURCES
from geoaccess.cli.main import main
from geoaccess.errors import DataPackError
from geoaccess.pack import Pack
from geoaccess.settings import data_root

MAX_PACK_BYTES = 40 * 1024 * 1024


def test_shipped_pack_matches_its_manifest(pack):
    assert pack.verify() == []


def test_manifest_gives_each_file_source_licence_date_rows_and_hash(pack):
    for entry in pack.manifest["files"]:
        assert entry["sources"] and entry["licences"] and entry["dates"], entry["file"]
        assert len(entry["sha256"]) == 64
        if entry["file"].endswith(".parquet"):
            assert len(pd.read_parquet(pack.path / entry["file"])) == entry["rows"], entry["file"]
        elif entry["file"].endswith("network.json"):
            meta = json.loads((pack.path / entry["file"]).read_text())
            assert meta["provenance"]["modelled"] is True
        elif entry["file"].endswith("timetable/provenance.json"):
            assert json.loads((pack.path / entry["file"]).read_text())["modelled"] is True
        else:
            features = json.loads((pack.path / entry["file"]).read_text())["features"]
            assert len(features) == entry["rows"]


def test_pack_stays_small(pack):
    size = sum(p.stat().st_size for p in pack.path.rglob("*") if p.is_file())
    assert size < MAX_PACK_BYTES


def test_sources_md_carries_every_attribution(pack):
    for text in (pack.path / "SOURCES.md", data_root() / "SOURCES.md"):
        body = text.read_text(encoding="utf-8")
        for source in pack.manifest["sources"].values():
            assert source["attribution"] in body
        assert "Contains OS data © Crown copyright and database right 2025" in body
        assert "© OpenStreetMap contributors" in body


def test_pack_tables_hold_what_the_app_needs(pack):
    assert pack.lsoas["population"].sum() == 1_297_546  # Census 2021, the nine councils
    assert set(pack.districts["district"]) >= {
        "Allerdale",
        "Barrow-in-Furness",
        "Carlisle",
        "Copeland",
        "Eden",
        "South Lakeland",
        "Preston",
    }
    assert pack.districts["in_cumbria"].sum() == 6
    assert len(pack.land) == 1 and pack.land.geometry.iloc[0].is_valid
    assert {"CAR", "PNR", "BIF", "KEN", "PRE", "WKG"} <= set(pack.stations["crs"])
    assert pack.stations.set_index("crs").loc["CAR", "atco"] == "9100CARLILE"
    assert pack.stops["atco"].is_unique and pack.stops[["lon", "lat"]].notna().all().all()


def test_missing_pack_is_a_clear_error(tmp_path):
    with pytest.raises(DataPackError, match="manifest.json is missing"):
        _ = Pack(tmp_path).manifest


def test_damaged_file_is_reported(tmp_path, pack):
    copy = tmp_path / "cumbria"
    shutil.copytree(pack.path, copy)
    (copy / "stops.parquet").write_bytes(b"damaged")
    (copy / "land.parquet").unlink()
    assert sorted(Pack(copy).verify()) == ["land.parquet: missing", "stops.parquet: sha256 differs from the manifest"]


def test_source_folder_without_data_is_refused(tmp_path):
    with pytest.raises(DataPackError, match="needs data/ and facts/"):
        build_pack(tmp_path, tmp_path / "out")


def test_missing_source_file_is_named(tmp_path, shared_source):
    partial = tmp_path / "shared"
    (partial / "data").mkdir(parents=True)
    (partial / "facts").mkdir()
    with pytest.raises(DataPackError, match="source file missing: .*codepoint_open"):
        build_pack(partial, tmp_path / "out")


@pytest.mark.slow
def test_failed_build_leaves_the_old_pack_untouched(tmp_path, shared_source, pack, monkeypatch):
    target = tmp_path / "cumbria"
    shutil.copytree(pack.path, target)
    before = {p: p.read_bytes() for p in target.rglob("*") if p.is_file()}

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(geography, "sectors", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        build_pack(shared_source, target)
    assert {p: p.read_bytes() for p in target.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cumbria"]  # no staging folder left


@pytest.mark.slow
def test_rebuild_matches_the_shipped_manifest(tmp_path, shared_source, pack):
    result = CliRunner().invoke(main, ["data", "build", "--source", str(shared_source), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "SOURCES.md").is_file()
    manifest = json.loads((tmp_path / "cumbria" / "manifest.json").read_text())
    shipped = pack.manifest
    assert manifest["sources"] == shipped["sources"]
    assert [e["file"] for e in manifest["files"]] == [e["file"] for e in shipped["files"]]
    for new, old in zip(manifest["files"], shipped["files"], strict=True):
        for key in ("rows", "columns", "sources", "licences", "dates", "description"):
            assert new[key] == old[key], (new["file"], key)
        if new["sha256"] != old["sha256"]:  # other library versions may encode bytes differently
            _assert_same_content(tmp_path / "cumbria" / new["file"], pack.path / old["file"])


def _assert_same_content(rebuilt, shipped):
    if rebuilt.suffix == ".geojson":
        assert json.loads(rebuilt.read_text()) == json.loads(shipped.read_text()), rebuilt.name
        return
    new, old = pd.read_parquet(rebuilt), pd.read_parquet(shipped)
    if "geometry" in new.columns:
        new, old = gpd.read_parquet(rebuilt), gpd.read_parquet(shipped)
        assert new.geometry.geom_equals_exact(old.geometry, tolerance=1e-6).all(), rebuilt.name
        new, old = new.drop(columns="geometry"), old.drop(columns="geometry")
    pd.testing.assert_frame_equal(pd.DataFrame(new), pd.DataFrame(old))


def test_sources_table_names_licences_and_dates():
    for source in SOURCES.values():
        assert source.licence and source.attribution and source.date, source.key
