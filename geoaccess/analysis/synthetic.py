"""A synthetic demonstration caseload for Cumbria at the scale HM Inspectorate of Probation reported (2017).

No real person is in it. People are placed at real postcodes, sampled in
proportion to where adults live (Census 2021), and labelled synthetic in every
row (``synthetic`` column, ``SYN-`` ids) and in ``Caseload.meta``. The
requirement mix and the NPS share of women are assumptions, listed in
:data:`ASSUMPTIONS` and returned in the caseload's metadata.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from geoaccess.analysis.caseload import Caseload, people_frame, problems_frame
from geoaccess.errors import BadInput
from geoaccess.pack import CUMBRIAN_COUNCILS, Pack, load_pack

DEFAULT_SEED = 2017
CRC_CASES = 1533  # HMI Probation (2017): CRC caseload for Cumbrian service users, incl. the hub
CRC_WOMEN_SHARE = 0.158  # HMI Probation (2017): 15.8% of those are female
NPS_CASES = 628  # HMI Probation (2017): MAPPA-eligible offenders managed by the NPS in Cumbria
NPS_WOMEN_SHARE = 0.06  # ASSUMED: the report says only that the NPS had few women on its caseload
# ASSUMED requirement mixes (the report gives none): one requirement per person, exact shares.
CRC_REQUIREMENT_SHARES = {"UPW": 0.45, "BBR": 0.15, "TSP": 0.10, "REPORTING": 0.30}
NPS_REQUIREMENT_SHARES = {"NSOGP": 0.25, "BBR": 0.15, "TSP": 0.15, "REPORTING": 0.45}
SOURCE = "Census 2021 adults by LSOA; Code-Point Open postcodes; HMI Probation 2017 caseload figures"
ASSUMPTIONS = [
    "Synthetic: no real person is in this caseload; positions are real postcodes chosen at random.",
    "People live where adults (16+, Census 2021) live: LSOAs are sampled in proportion to their adult "
    "population, for CRC and NPS cases alike (real caseloads are more concentrated in deprived areas).",
    "Within an LSOA each person is placed at a postcode chosen uniformly at random among its live "
    "Code-Point Open postcodes (those positioned within a building where the LSOA has any).",
    "NPS cases: the report gives only the 628 MAPPA-eligible people the NPS managed in Cumbria, so the "
    "NPS caseload is undercounted.",
    "NPS women share assumed 6% (the report says only that the NPS had few women on its caseload).",
    "One requirement per person. CRC mix assumed: UPW 45%, BBR 15%, TSP 10%, REPORTING 30%. NPS mix "
    "assumed: NSOGP 25%, BBR 15%, TSP 15%, REPORTING 45%. The report gives no requirement mix.",
    "Shares are applied exactly (counts rounded by largest remainder), then assigned to people at random.",
]


def synthetic_caseload(
    pack: Pack | None = None,
    *,
    seed: int = DEFAULT_SEED,
    crc_cases: int = CRC_CASES,
    women_share: float = CRC_WOMEN_SHARE,
    nps_cases: int = NPS_CASES,
) -> Caseload:
    """A synthetic Cumbrian caseload at the inspection's scale, reproducible from ``seed``.

    ``crc_cases`` people (default 1,533, the CRC's Cumbrian caseload in HMI
    Probation's 2017 report) of whom ``women_share`` (15.8%) are women, then
    ``nps_cases`` NPS people (default 628). The report cites only the 628
    MAPPA-eligible people the NPS managed in Cumbria, so this undercounts the
    NPS caseload. NPS women share: 6%, an assumption.

    Each person lives in a Cumbrian LSOA (councils Cumberland and Westmorland
    and Furness) drawn in proportion to its Census 2021 adult (16+) population,
    at a live postcode drawn at random within it. Requirements follow the
    ASSUMED shares in :data:`CRC_REQUIREMENT_SHARES` and
    :data:`NPS_REQUIREMENT_SHARES` (the report gives no mix); every assumption
    is listed in :data:`ASSUMPTIONS` and in ``meta["assumptions"]``.

    Ids run ``SYN-00001``... (CRC people first, then NPS, as ``meta["groups"]``
    says); ``synthetic`` is true on every row; ``Caseload.postcodes`` holds the
    sampled postcodes (real postcodes, no real people) so the caseload can be
    written out with :func:`write_synthetic_csv`. The same seed gives identical
    frames (numpy ``default_rng``).
    """
    if crc_cases < 0 or nps_cases < 0:
        raise BadInput("case counts cannot be negative")
    if not 0.0 <= women_share <= 1.0:
        raise BadInput("the women share must be between 0 and 1")
    pack = pack or load_pack()
    rng = np.random.default_rng(seed)
    total = crc_cases + nps_cases

    lsoas = pack.lsoas
    lsoas = lsoas.loc[lsoas["council"].isin(CUMBRIAN_COUNCILS), ["lsoa21", "adults_16_plus"]]
    lsoas = lsoas.sort_values("lsoa21").reset_index(drop=True)
    weights = lsoas["adults_16_plus"].to_numpy(dtype=float)
    if len(lsoas) == 0 or weights.sum() <= 0:
        raise BadInput("the pack has no Cumbrian LSOAs with adult population to sample from")
    postcodes = _candidate_postcodes(pack, lsoas["lsoa21"])
    starts = np.searchsorted(postcodes["lsoa21"].to_numpy(), lsoas["lsoa21"].to_numpy(), side="left")
    ends = np.searchsorted(postcodes["lsoa21"].to_numpy(), lsoas["lsoa21"].to_numpy(), side="right")
    if np.any(ends <= starts):
        raise BadInput("the pack has a Cumbrian LSOA without any live postcode to place people at")

    chosen_lsoa = rng.choice(len(lsoas), size=total, p=weights / weights.sum())
    counts = ends[chosen_lsoa] - starts[chosen_lsoa]
    rows = starts[chosen_lsoa] + np.minimum((rng.random(total) * counts).astype(np.int64), counts - 1)
    placed = postcodes.iloc[rows].reset_index(drop=True)

    requirement = np.concatenate(
        [_exact_labels(rng, crc_cases, CRC_REQUIREMENT_SHARES), _exact_labels(rng, nps_cases, NPS_REQUIREMENT_SHARES)]
    )
    sex = np.concatenate(
        [
            _exact_labels(rng, crc_cases, {"F": women_share, "M": 1 - women_share}),
            _exact_labels(rng, nps_cases, {"F": NPS_WOMEN_SHARE, "M": 1 - NPS_WOMEN_SHARE}),
        ]
    )
    ids = [f"SYN-{i:05d}" for i in range(1, total + 1)]
    people = people_frame(
        {
            "person_id": ids,
            "lon": placed["lon"].to_numpy(),
            "lat": placed["lat"].to_numpy(),
            "lsoa21": placed["lsoa21"].to_numpy(),
            "district": placed["district"].to_numpy(),
            "council": placed["council"].to_numpy(),
            "postcode_sector": placed["postcode"].str[:-2].to_numpy(),
            "requirement": requirement.astype(str),
            "sex": sex.astype(str),
            "synthetic": np.ones(total, dtype=bool),
        }
    )
    meta = {
        "synthetic": True,
        "seed": seed,
        "source": SOURCE,
        "assumptions": list(ASSUMPTIONS),
        "groups": {
            "CRC": {
                "cases": crc_cases,
                "first_id": ids[0] if crc_cases else None,
                "last_id": ids[crc_cases - 1] if crc_cases else None,
                "women_share": women_share,
                "requirement_shares": dict(CRC_REQUIREMENT_SHARES),
                "basis": "HMI Probation (2017): CRC caseload for Cumbrian service users, 15.8% female",
            },
            "NPS": {
                "cases": nps_cases,
                "first_id": ids[crc_cases] if nps_cases else None,
                "last_id": ids[-1] if nps_cases else None,
                "women_share": NPS_WOMEN_SHARE,
                "requirement_shares": dict(NPS_REQUIREMENT_SHARES),
                "basis": "HMI Probation (2017): 628 MAPPA-eligible people managed by the NPS in Cumbria "
                "(undercounts the NPS caseload); women share assumed",
            },
        },
        "requirement_shares": {"CRC": dict(CRC_REQUIREMENT_SHARES), "NPS": dict(NPS_REQUIREMENT_SHARES)},
        "women_share": {"CRC": women_share, "NPS": NPS_WOMEN_SHARE},
        "councils": list(CUMBRIAN_COUNCILS),
    }
    return Caseload(
        people=people,
        problems=problems_frame([]),
        rows_read=total,
        source=f"synthetic caseload (seed {seed})",
        meta=meta,
        postcodes=placed["postcode"].astype("str").rename("postcode"),
    )


def synthetic_csv_frame(caseload: Caseload) -> pd.DataFrame:
    """The synthetic caseload as rows ``id, postcode, requirement, sex`` (readable by ``read_caseload``)."""
    if not caseload.meta.get("synthetic") or caseload.postcodes is None:
        raise BadInput(
            "only a synthetic caseload can be written with its postcodes; a real caseload's postcodes are never kept"
        )
    people = caseload.people
    return pd.DataFrame(
        {
            "id": people["person_id"],
            "postcode": caseload.postcodes.to_numpy(),
            "requirement": people["requirement"],
            "sex": people["sex"],
        }
    )


def write_synthetic_csv(caseload: Caseload, path: Path) -> Path:
    """Write ``FILE.csv`` (id, postcode, requirement, sex) and ``FILE.csv.meta.json`` beside it.

    Both are written to temporary files and renamed into place. Returns the
    metadata path. The metadata says ``"synthetic": true`` with the seed, the
    sources and every assumption.
    """
    from geoaccess._io import write_atomically

    path = Path(path)
    frame = synthetic_csv_frame(caseload)
    meta_path = path.with_name(f"{path.name}.meta.json")
    meta = {**caseload.meta, "file": path.name, "rows": len(frame), "columns": list(frame.columns)}
    write_atomically(path, lambda partial: frame.to_csv(partial, index=False, encoding="utf-8"))
    write_atomically(meta_path, lambda partial: partial.write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8"))
    return meta_path


def _candidate_postcodes(pack: Pack, lsoa_codes: pd.Series) -> pd.DataFrame:
    """Live postcodes in the given LSOAs, sorted by LSOA then postcode; within-building ones where an LSOA has any."""
    frame = pack.postcodes.loc[
        pack.postcodes["lsoa21"].isin(lsoa_codes),
        ["postcode", "lon", "lat", "lsoa21", "district", "council", "quality"],
    ]
    frame = frame.reset_index(drop=True)
    precise = frame["quality"] == 10  # Code-Point Open: positioned within a building of the postcode
    has_precise = precise.groupby(frame["lsoa21"]).transform("any")
    frame = frame.loc[precise | ~has_precise]
    return frame.sort_values(["lsoa21", "postcode"]).reset_index(drop=True)


def _exact_labels(rng: np.random.Generator, n: int, shares: dict[str, float]) -> np.ndarray:
    """``n`` labels with counts matching ``shares`` exactly (largest remainder), in random order."""
    if n == 0:
        return np.array([], dtype=object)
    labels = list(shares)
    raw = np.array([shares[label] for label in labels], dtype=float)
    raw = raw / raw.sum() * n
    counts = np.floor(raw).astype(int)
    remainder = n - counts.sum()
    if remainder:
        order = np.argsort(-(raw - counts), kind="stable")
        counts[order[:remainder]] += 1
    return rng.permutation(np.repeat(np.array(labels, dtype=object), counts))
