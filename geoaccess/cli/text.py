"""Plain-text renderings of results for the terminal (JSON is the machine form)."""

from __future__ import annotations

from typing import Any

from geoaccess.transit.planner import BASIS_WORDS
from geoaccess.transit.roundtrip import assumptions_line


def provenance_lines(provenance: dict[str, Any]) -> list[str]:
    """Where a result came from, and MODELLED where it is."""
    lines = []
    network = provenance.get("walk_network") or provenance
    if "timetable" in provenance:
        table = provenance["timetable"]
        lines.append(
            f"timetable: {table.get('timetable')} ({table.get('source')}, "
            f"{table.get('valid_from')} to {table.get('valid_to')})"
            + ("; MODELLED: see data/SOURCES.md" if table.get("modelled") else "")
        )
    if "detour_factor" in network:  # no walk network: straight lines (geoaccess.roads.router.StraightLineWalker)
        lines.append(f"walks: MODELLED, {network['note']}")
        return lines
    what = {"drive": "car network", "walk": "walk network"}.get(network.get("mode", ""), "network")
    lines.append(f"{what}: {network.get('network')} ({network.get('source', '')}, {network.get('date', '')})")
    calibration = network.get("calibration")
    if calibration:
        lines.append(
            ("MODELLED " if network.get("modelled") else "")
            + f"{what}: {calibration['relation']}; median error {calibration['median_abs_pct_error']}% "
            f"against {calibration['pairs']} reference car times"
        )
    elif network.get("mode") == "drive":
        lines.append(("MODELLED " if network.get("modelled") else "") + f"{what}: car minutes not calibrated")
    elif network.get("modelled"):
        lines.append(f"MODELLED {what}")
    return lines


def legs_lines(itinerary: dict[str, Any]) -> list[str]:
    """One line per leg, a modelled trip's basis in brackets."""
    lines = []
    for leg in itinerary["legs"]:
        what = "walk" if leg["mode"] == "walk" else f"{leg['mode']} {leg.get('route', '')} ({leg.get('operator', '')})"
        basis = f" [{BASIS_WORDS.get(leg['basis'], leg['basis'])}]" if leg.get("basis") else ""
        lines.append(f"    {leg['depart']}-{leg['arrive']}  {what}: {leg['from']} -> {leg['to']}{basis}")
    return lines


def caveat_lines(answer: dict[str, Any], indent: str = "  ") -> list[str]:
    """The assumed times an answer rests on, and why there is no journey where there is none."""
    line = assumptions_line(answer.get("assumptions") or [])
    lines = [] if line is None else [indent + line]
    if answer.get("dead_end"):
        lines.append(f"{indent}why:")
        lines += [f"{indent}  - {reason}" for reason in answer["dead_end"]["why"]]
    return lines


def journey_text(result: dict[str, Any]) -> str:
    """A journey for the terminal."""
    if "legs" in result:
        lines = [
            f"{result['from']['label']} -> {result['to']['label']} by public transport on "
            f"{result['weekday']} {result['date']}: leave {result['depart']}, arrive {result['arrive']} "
            f"({result['minutes']:.0f} min, {result['changes']} change(s))"
        ]
        lines += legs_lines(result) + caveat_lines(result)
    elif result.get("minutes") is None:
        lines = [f"{result['from']['label']} -> {result['to']['label']}: no journey found"]
    else:
        lines = [
            f"{result['from']['label']} -> {result['to']['label']} by {result['mode']}: "
            f"{result['minutes']:.0f} min, {result['km']:.1f} km"
        ]
        if result.get("path", {}).get("via"):
            lines.append(f"  via {', '.join(result['path']['via'][:12])}")
    return "\n".join(lines + ["  " + line for line in provenance_lines(result["provenance"])])


def roundtrip_text(result: dict[str, Any]) -> str:
    """A session round trip (or a week of them) for the terminal."""
    lines = []
    for day in result["days"]:
        verdict = "works" if day["feasible"] else "does NOT work"
        lines.append(
            f"{day['weekday'].title()} {day['date']}, session {day['session']['start']}-"
            f"{day['session']['end']}: {verdict}" + (f" ({'; '.join(day['flag_text'])})" if day["flag_text"] else "")
        )
        for label, key in (("there", "outbound"), ("home", "return")):
            trip = day[key]
            if trip is None:
                lines.append(f"  {label}: none")
                continue
            lines.append(
                f"  {label}: leave {trip['depart']}, arrive {trip['arrive']} ({trip['minutes']:.0f} min, "
                f"{trip['changes']} change(s))"
            )
            lines += legs_lines(trip)
        lines += caveat_lines(day)
    return "\n".join(lines + provenance_lines(result["provenance"]))
