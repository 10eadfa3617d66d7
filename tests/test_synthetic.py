"""The synthetic demonstration caseload: the inspection's scale, where adults live, reproducible, labelled."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from geoaccess.analysis.caseload import PEOPLE_COLUMNS, read_caseload
from geoaccess.analysis.synthetic import (
    ASSUMPTIONS,
    CRC_REQUIREMENT_SHARES,
    CUMBRIAN_COUNCILS,
    DEFAULT_SEED,
    NPS_REQUIREMENT_SHARES,
    synthetic_caseload,
    synthetic_csv_frame,
    write_synthetic_csv,
)
from geoaccess.cli.caseload import caseload
from geoaccess.errors import BadInput


@pytest.fixture(scope="module")
def synth(pack):
    return synthetic_caseload(pack)


def test_scale_ids_and_labels(synth):
    people = synth.people
    assert list(people.columns) == list(PEOPLE_COLUMNS)
    assert len(people) == 2161 == 1533 + 628
    assert people["person_id"].iloc[0] == "SYN-00001" and people["person_id"].iloc[-1] == "SYN-02161"
    assert people["person_id"].is_unique
    assert people["synthetic"].all()
    assert synth.problems.empty
    meta = synth.meta
    assert meta["synthetic"] is True and meta["seed"] == 2017
    assert meta["source"] == (
        "Census 2021 adults by LSOA; Code-Point Open postcodes; HMI Probation 2017 caseload figures"
    )
    assert meta["assumptions"] == ASSUMPTIONS
    assert any("MAPPA" in a and "undercount" in a for a in meta["assumptions"])
    assert meta["requirement_shares"] == {"CRC": CRC_REQUIREMENT_SHARES, "NPS": NPS_REQUIREMENT_SHARES}
    assert meta["groups"]["CRC"]["last_id"] == "SYN-01533" and meta["groups"]["NPS"]["first_id"] == "SYN-01534"
    assert synth.summary()["synthetic"] is True


def test_women_and_requirement_shares(synth):
    crc, nps = synth.people.iloc[:1533], synth.people.iloc[1533:]
    assert (crc["sex"] == "F").mean() == pytest.approx(0.158, abs=0.005)
    assert (nps["sex"] == "F").mean() == pytest.approx(0.06, abs=0.005)
    assert crc["sex"].isin(["F", "M"]).all() and nps["sex"].isin(["F", "M"]).all()
    for group, shares in ((crc, CRC_REQUIREMENT_SHARES), (nps, NPS_REQUIREMENT_SHARES)):
        got = group["requirement"].value_counts(normalize=True)
        assert set(got.index) == set(shares)
        for code, share in shares.items():
            assert got[code] == pytest.approx(share, abs=0.001)
    assert "NSOGP" not in set(crc["requirement"]) and "UPW" not in set(nps["requirement"])


def test_everyone_lives_at_a_real_postcode_in_a_cumbrian_lsoa(synth, pack):
    people = synth.people
    cumbrian = pack.lsoas.loc[pack.lsoas["council"].isin(CUMBRIAN_COUNCILS), "lsoa21"]
    assert people["lsoa21"].isin(cumbrian).all()
    assert people["council"].isin(CUMBRIAN_COUNCILS).all()
    postcodes = pack.postcodes.loc[synth.postcodes.str.replace(" ", "", regex=False)]
    assert (postcodes["lsoa21"].to_numpy() == people["lsoa21"].to_numpy()).all()
    assert np.allclose(postcodes["lon"].to_numpy(), people["lon"].to_numpy())
    assert (postcodes["postcode"].str[:-2].to_numpy() == people["postcode_sector"].to_numpy()).all()
    assert people["lsoa21"].nunique() > 250  # spread over most of Cumbria's 319 LSOAs


def test_districts_follow_the_adult_population(synth, pack):
    lsoas = pack.lsoas.loc[pack.lsoas["council"].isin(CUMBRIAN_COUNCILS)]
    expected = lsoas.groupby("district")["adults_16_plus"].sum()
    expected = expected / expected.sum()
    got = synth.people["district"].value_counts(normalize=True).reindex(expected.index, fill_value=0)
    assert (got - expected).abs().max() < 0.02
    # chi-square goodness of fit, 5 degrees of freedom: 11.07 is the 95% point
    counts = synth.people["district"].value_counts().reindex(expected.index, fill_value=0)
    chi2 = (((counts - expected * len(synth.people)) ** 2) / (expected * len(synth.people))).sum()
    assert chi2 < 11.07


def test_seeded_and_reproducible(synth, pack):
    again = synthetic_caseload(pack, seed=2017)
    pd.testing.assert_frame_equal(again.people, synth.people)
    pd.testing.assert_series_equal(again.postcodes, synth.postcodes)
    other = synthetic_caseload(pack, seed=7)
    assert not other.people[["lon", "lat"]].equals(synth.people[["lon", "lat"]])
    assert other.meta["seed"] == 7


def test_other_sizes_and_bad_arguments(pack):
    small = synthetic_caseload(pack, crc_cases=10, nps_cases=0, women_share=0.5)
    assert len(small.people) == 10 and (small.people["sex"] == "F").sum() == 5
    with pytest.raises(BadInput):
        synthetic_caseload(pack, crc_cases=-1)
    with pytest.raises(BadInput):
        synthetic_caseload(pack, women_share=1.5)


def test_written_csv_reads_back_whole(synth, pack, tmp_path):
    out = tmp_path / "synthetic.csv"
    meta_path = write_synthetic_csv(synth, out)
    assert meta_path.name == "synthetic.csv.meta.json"
    frame = pd.read_csv(out, dtype=str)
    assert list(frame.columns) == ["id", "postcode", "requirement", "sex"]
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    assert meta["synthetic"] is True and meta["seed"] == 2017 and meta["assumptions"] == ASSUMPTIONS
    back = read_caseload(out, pack)
    assert back.problems.empty and len(back.people) == 2161
    assert back.people["synthetic"].all() and back.meta["synthetic"] is True  # labelled by the sidecar
    assert back.meta["seed"] == 2017 and back.postcodes is None
    columns = ["person_id", "lsoa21", "district", "council", "postcode_sector", "requirement", "sex"]
    pd.testing.assert_frame_equal(back.people[columns], synth.people[columns])
    assert np.allclose(back.people[["lon", "lat"]], synth.people[["lon", "lat"]])


def test_real_caseload_postcodes_are_never_written(pack, tmp_path):
    path = tmp_path / "real.csv"
    path.write_text("postcode\nCA1 1HZ\n", encoding="utf-8")
    with pytest.raises(BadInput, match="only a synthetic caseload"):
        synthetic_csv_frame(read_caseload(path, pack))


def test_cli_synth_then_check_round_trip(tmp_path):
    from geoaccess.cli.caseload import DEFAULT_SEED as CLI_DEFAULT_SEED

    assert CLI_DEFAULT_SEED == DEFAULT_SEED
    out = tmp_path / "demo.csv"
    runner = CliRunner()
    made = runner.invoke(caseload, ["synth", "--out", str(out), "--seed", "11", "--json"])
    assert made.exit_code == 0, made.output
    payload = json.loads(made.output)
    assert payload["synthetic"] is True and payload["people"] == 2161 and payload["seed"] == 11
    assert (tmp_path / "demo.csv.meta.json").is_file()
    checked = runner.invoke(caseload, ["check", str(out), "--json"])
    assert checked.exit_code == 0, checked.output
    summary = json.loads(checked.output)
    assert summary["rows_read"] == summary["usable"] == 2161
    assert summary["rows_with_problems"] == 0 and summary["synthetic"] is True
    assert summary["by_district"] == payload["by_district"]
    text = runner.invoke(caseload, ["synth", "--out", str(tmp_path / "demo2.csv")])
    assert text.exit_code == 0 and "SYNTHETIC" in text.output
    bad = runner.invoke(caseload, ["synth", "--out", str(tmp_path / "missing" / "x.csv")])
    assert bad.exit_code == 2
