"""``geoaccess caseload check|synth``: validate a caseload file; write the synthetic demonstration caseload.

Register with ``main.add_command(caseload)``. pandas and the pack load only when a command runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from geoaccess.cli.options import emit_json, json_option, reports_errors

DEFAULT_SEED = 2017  # geoaccess.analysis.synthetic.DEFAULT_SEED, without importing pandas at start-up


@click.group()
def caseload() -> None:
    """Check a caseload file, or write the synthetic demonstration caseload."""


@caseload.command("check")
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--report",
    "report_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write the problems as CSV (row, reason, message).",
)
@json_option
@reports_errors
def caseload_check(path: Path, report_path: Path | None, as_json: bool) -> None:
    """Check a caseload (.csv or .xlsx): counts, and every row that cannot be used, by row number.

    Exit 0 when at least one row is usable (problems are listed); 2 when the file
    is refused or no row is usable. Messages never repeat a postcode.
    """
    from geoaccess.analysis.caseload import CaseloadError, read_caseload, write_report

    if report_path is not None and not report_path.parent.is_dir():
        raise CaseloadError(f"cannot write {report_path}: folder {report_path.parent} does not exist")
    result = read_caseload(path)
    summary = result.summary()
    if report_path is not None:
        write_report(result, report_path)
    problems = result.problems.sort_values("row", kind="stable")
    if as_json:
        emit_json(
            {
                **summary,
                "report": str(report_path) if report_path else None,
                "problem_rows": problems.to_dict(orient="records"),
            }
        )
    else:
        click.echo(_summary_text(summary, str(path)))
        for row in problems.itertuples(index=False):
            click.echo(f"  row {row.row:>6}  {row.reason:<16} {row.message}")
        if report_path is not None:
            click.echo(f"problems written to {report_path}")
    if summary["usable"] == 0:
        raise CaseloadError(f"{path.name}: no usable rows ({summary['rows_read']} read, every one has a problem)")


@caseload.command("synth")
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="CSV file to write (id, postcode, requirement, sex); FILE.meta.json is written beside it.",
)
@click.option("--seed", default=DEFAULT_SEED, show_default=True, type=int, help="Random seed.")
@json_option
@reports_errors
def caseload_synth(out: Path, seed: int, as_json: bool) -> None:
    """Write a SYNTHETIC Cumbrian caseload at the 2017 inspection's scale (no real people)."""
    from geoaccess.analysis.synthetic import synthetic_caseload, write_synthetic_csv
    from geoaccess.errors import BadInput

    if not out.parent.is_dir():
        raise BadInput(f"cannot write {out}: folder {out.parent} does not exist")
    if out.suffix.lower() != ".csv":
        raise BadInput(f"cannot write {out}: use a .csv file name")
    result = synthetic_caseload(seed=seed)
    meta_path = write_synthetic_csv(result, out)
    summary = result.summary()
    if as_json:
        emit_json(
            {
                "file": str(out),
                "meta": str(meta_path),
                "synthetic": True,
                "seed": seed,
                "people": summary["usable"],
                "by_district": summary["by_district"],
                "by_requirement": summary["by_requirement"],
                "women_share": summary["women_share"],
                "assumptions": result.meta["assumptions"],
            }
        )
        return
    groups = result.meta["groups"]
    click.echo(
        f"wrote {summary['usable']} SYNTHETIC people (CRC {groups['CRC']['cases']}, "
        f"NPS {groups['NPS']['cases']}; seed {seed}) to {out}; assumptions in {meta_path.name}"
    )


def _summary_text(summary: dict[str, Any], name: str) -> str:
    lines = [
        f"{name}{' (SYNTHETIC)' if summary['synthetic'] else ''}: {summary['rows_read']} row(s) read, "
        f"{summary['usable']} usable, {summary['rows_with_problems']} with problems"
    ]
    problems = {k: v for k, v in summary["problems"].items() if v}
    if problems:
        lines.append("problems: " + ", ".join(f"{k} {v}" for k, v in problems.items()))
    if summary["by_district"]:
        lines.append("by district: " + ", ".join(f"{k} {v}" for k, v in summary["by_district"].items()))
    if summary["by_requirement"]:
        lines.append("by requirement: " + ", ".join(f"{k} {v}" for k, v in summary["by_requirement"].items()))
    if summary["women_share"] is not None:
        lines.append(
            f"women: {summary['women']} of {summary['sex_recorded']} with sex recorded ({summary['women_share']:.1%})"
        )
    if summary["ignored_columns"]:
        lines.append("ignored columns (not read): " + ", ".join(summary["ignored_columns"]))
    lines.extend(f"warning: {w}" for w in summary["warnings"])
    return "\n".join(lines)
