"""Read a caseload (CSV or XLSX): one row per person on probation, a postcode each.

A caseload is criminal-justice personal data, so the tool keeps the minimum:

- Only four columns are read: ``postcode`` (required), ``id`` (a pseudonymous
  person id), ``requirement`` and ``sex`` (headings matched case-insensitively,
  trimmed, with the aliases in :data:`COLUMN_ALIASES`). Other columns are
  ignored and named in the summary.
- A file with a column that looks like names, street addresses, dates of
  birth or another direct identifier (NOMIS, CRN, PNC, National Insurance
  number, phone, email) is refused whole (:class:`CaseloadError`), naming the
  columns to remove; nothing is read from it.
- Each postcode is geocoded and then dropped: a person is kept as lon/lat,
  LSOA, district, council and postcode sector (``"CA1 1"``), never the full
  postcode.
- A file written by ``geoaccess caseload synth`` (with its ``FILE.csv.meta.json``
  saying ``"synthetic": true``) reads back labelled synthetic.
- Nothing is dropped silently. A row with a problem is left out of
  :attr:`Caseload.people` and listed in :attr:`Caseload.problems` with its
  spreadsheet row number (the heading is row 1) and a reason code from
  :data:`REASONS`. Messages never repeat the postcode or any other cell: the
  row number identifies the row to the person who owns the file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from geoaccess.analysis.caseload_files import CaseloadError as CaseloadError
from geoaccess.analysis.caseload_files import Rows, read_table
from geoaccess.errors import OutsideArea, PostcodeError
from geoaccess.geocode import Location, geocode_postcode, normalise_postcode
from geoaccess.pack import Pack, load_pack

REASONS = {
    "missing": "the postcode is empty",
    "malformed": "the postcode is not a well-formed UK postcode",
    "terminated": "the postcode is no longer in use",
    "not_current": "the postcode is not a current postcode in an area the pack covers in full",
    "outside_area": "the postcode is outside the pack's area",
    "duplicate_id": "the id is used on an earlier row",
    "bad_requirement": "the requirement is not recognised",
    "bad_sex": "the sex is not recognised",
}
# Accepted spellings, compared after lower-casing and reducing punctuation to single spaces.
REQUIREMENT_ALIASES = {
    "bbr": "BBR",
    "building better relationships": "BBR",
    "tsp": "TSP",
    "thinking skills": "TSP",
    "thinking skills programme": "TSP",
    "thinking skills program": "TSP",
    "nsogp": "NSOGP",
    "sogp": "NSOGP",
    "northumbria": "NSOGP",
    "sex offender group": "NSOGP",
    "sex offender group programme": "NSOGP",
    "northumbria sex offender group programme": "NSOGP",
    "upw": "UPW",
    "unpaid work": "UPW",
    "community payback": "UPW",
    "reporting": "REPORTING",
    "office reporting": "REPORTING",
    "supervision": "REPORTING",
}
SEX_ALIASES = {"f": "F", "female": "F", "woman": "F", "m": "M", "male": "M", "man": "M"}
# Recorded "not known" values: kept as an empty sex, not a problem (the person still counts).
SEX_NOT_KNOWN = {
    "u",
    "x",
    "unknown",
    "not known",
    "not stated",
    "not recorded",
    "other",
    "prefer not to say",
    "n a",
    "na",
}
COLUMN_ALIASES = {
    "postcode": (
        "postcode",
        "post code",
        "postal code",
        "pcode",
        "home postcode",
        "address postcode",
        "postcode of residence",
    ),
    "id": ("id", "person id", "pseudonymous id", "pseudo id", "pseudonym", "anon id", "anonymised id"),
    "requirement": (
        "requirement",
        "requirement type",
        "programme",
        "program",
        "programme name",
        "requirement name",
        "intervention",
    ),
    "sex": ("sex", "gender"),
}
# Headings refused outright. Words match whole words of the heading; fragments match anywhere in it
# with spaces removed ("FirstName", "date_of_birth", "AddressLine1", "E-mail").
REFUSED_WORDS = {
    "name": "names",
    "names": "names",
    "initials": "names",
    "alias": "names",
    "house": "street addresses",
    "road": "street addresses",
    "flat": "street addresses",
    "born": "dates of birth",
    "crn": "direct identifiers",
    "pnc": "direct identifiers",
    "nino": "direct identifiers",
    "nhs": "direct identifiers",
    "mobile": "direct identifiers",
    "tel": "direct identifiers",
    "cro": "direct identifiers",
    "passport": "direct identifiers",
}
REFUSED_FRAGMENTS = {
    "surname": "names",
    "forename": "names",
    "firstname": "names",
    "lastname": "names",
    "fullname": "names",
    "givenname": "names",
    "familyname": "names",
    "middlename": "names",
    "address": "street addresses",
    "street": "street addresses",
    "addrline": "street addresses",
    "housenumber": "street addresses",
    "birth": "dates of birth",
    "dob": "dates of birth",
    "nomis": "direct identifiers",
    "nationalinsurance": "direct identifiers",
    "phone": "direct identifiers",
    "email": "direct identifiers",
    "prisonnumber": "direct identifiers",
    "nhsnumber": "direct identifiers",
}
PEOPLE_COLUMNS = (
    "person_id",
    "lon",
    "lat",
    "lsoa21",
    "district",
    "council",
    "postcode_sector",
    "requirement",
    "sex",
    "synthetic",
)
PROBLEM_COLUMNS = ("row", "reason", "message")
# Ids shaped like case reference, prison or police numbers (CRN "A123456", NOMIS "A1234BC", PNC "2001/123456A").
_DIRECT_ID_SHAPES = re.compile(r"^(?:[A-Z]\d{6}|[A-Z]\d{4}[A-Z]{2}|\d{2,4}/\d{1,7}[A-Z])$")


@dataclass
class Caseload:
    """People who can be measured, and the rows that could not be used.

    ``people`` has one row per usable person: ``person_id`` (the id given, else
    ``"row-N"``), ``lon``, ``lat``, ``lsoa21``, ``district``, ``council``,
    ``postcode_sector``, ``requirement`` (one of :data:`geoaccess.venues.REQUIREMENTS`, or
    missing), ``sex`` (``"F"``, ``"M"`` or missing) and ``synthetic``.
    ``problems`` has ``row``, ``reason`` (a key of :data:`REASONS`) and
    ``message``, one line per problem (a row may have several).
    """

    people: pd.DataFrame
    problems: pd.DataFrame
    rows_read: int = 0
    source: str = ""
    ignored_columns: list[str] = field(default_factory=list[Any])
    warnings: list[str] = field(default_factory=list[Any])
    meta: dict[str, Any] = field(default_factory=dict[str, Any])
    # Full postcodes, kept only for a synthetic caseload (real postcodes, no real people) so it can be
    # written out and read back; read_caseload never keeps them.
    postcodes: pd.Series | None = None

    @property
    def synthetic(self) -> bool:
        """True when every person is synthetic (a demonstration caseload)."""
        return bool(self.meta.get("synthetic")) or bool(len(self.people) and self.people["synthetic"].all())

    def summary(self) -> dict[str, Any]:
        """Counts for a validation report: rows, usable people, problems, districts, requirements, sex."""
        people = self.people
        sex_known = people["sex"].isin(["F", "M"])
        women = int((people["sex"] == "F").sum())
        by_reason = {reason: 0 for reason in REASONS}
        by_reason.update(self.problems["reason"].value_counts().to_dict())
        requirement = people["requirement"].fillna("unspecified")
        return {
            "file": self.source,
            "synthetic": self.synthetic,
            "rows_read": self.rows_read,
            "usable": len(people),
            "rows_with_problems": int(self.problems["row"].nunique()),
            "problems": {k: int(v) for k, v in by_reason.items()},
            "by_district": {k: int(v) for k, v in people["district"].value_counts().sort_index().items()},
            "by_council": {k: int(v) for k, v in people["council"].value_counts().sort_index().items()},
            "by_requirement": {k: int(v) for k, v in requirement.value_counts().sort_index().items()},
            "sex_recorded": int(sex_known.sum()),
            "women": women,
            "women_share": round(women / int(sex_known.sum()), 4) if sex_known.any() else None,
            "ignored_columns": list(self.ignored_columns),
            "warnings": list(self.warnings),
        }


def read_caseload(path: Path, pack: Pack | None = None) -> Caseload:
    """Read, check and geocode a caseload file (``.csv`` in UTF-8, or ``.xlsx``).

    Raises :class:`CaseloadError` when the file is missing, unreadable, has no
    postcode column or has a column that looks like a direct identifier.
    Row-level problems do not raise: they are listed in ``Caseload.problems``.
    """
    path = Path(path)
    if not path.is_file():
        raise CaseloadError(f"caseload file not found: {path}")
    header, rows = read_table(path)
    columns, ignored = _match_columns(path.name, header)
    result = _check_rows(path.name, columns, len(header), ignored, rows, pack or load_pack())
    sidecar = _synthetic_sidecar(path)
    if sidecar is not None:
        result.people["synthetic"] = True
        result.meta = {**sidecar, "synthetic": True}
    return result


def write_report(caseload: Caseload, path: Path) -> None:
    """Write the problems as CSV (``row,reason,message``); a temporary file renamed into place."""
    from geoaccess._io import write_atomically
    from geoaccess.csv_cells import neutralise_csv_frame

    problems = neutralise_csv_frame(caseload.problems.loc[:, list(PROBLEM_COLUMNS)])
    write_atomically(Path(path), lambda partial: problems.to_csv(partial, index=False, encoding="utf-8"))


def _synthetic_sidecar(path: Path) -> dict[str, Any] | None:
    """The ``FILE.meta.json`` written by ``geoaccess caseload synth`` beside FILE, if it says synthetic."""
    sidecar = path.with_name(f"{path.name}.meta.json")
    if not sidecar.is_file():
        return None
    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(meta, dict) or meta.get("synthetic") is not True:
        return None
    keep = ("seed", "source", "assumptions", "groups", "requirement_shares", "women_share")
    return {key: meta[key] for key in keep if key in meta}


# --- columns -------------------------------------------------------------------------------------


def _heading_key(text: str) -> str:
    """``" Post_Code "`` -> ``"post code"``: lower case, punctuation and runs of spaces to one space."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", str(text).lower()).split())


def _refusal(key: str) -> str | None:
    """What a heading looks like (``"names"``...) if it must be refused, else None."""
    for word in key.split():
        if word in REFUSED_WORDS:
            return REFUSED_WORDS[word]
    compact = key.replace(" ", "")
    for fragment, kind in REFUSED_FRAGMENTS.items():
        if fragment in compact:
            return kind
    return None


def _match_columns(file_name: str, header: list[str]) -> tuple[dict[str, int], list[str]]:
    """Map each field (postcode, id, requirement, sex) to its column index; refuse identifying columns."""
    alias_to_field = {alias: name for name, aliases in COLUMN_ALIASES.items() for alias in aliases}
    columns: dict[str, int] = {}
    refused: list[tuple[str, str]] = []
    ignored: list[str] = []
    for index, heading in enumerate(header):
        label = " ".join(str(heading).split())
        key = _heading_key(heading)
        if not key:
            ignored.append(f"(unnamed column {index + 1})")
            continue
        name = alias_to_field.get(key)
        if name is not None:
            if name in columns:
                raise CaseloadError(
                    f"{file_name}: two columns give the {name} ('{header[columns[name]].strip()}' "
                    f"and '{label}'); keep one"
                )
            columns[name] = index
            continue
        kind = _refusal(key)
        if kind is not None:
            refused.append((label, kind))
        else:
            ignored.append(label)
    if refused:
        names = ", ".join(f"'{label}'" for label, _ in refused)
        kinds = sorted({kind for _, kind in refused})
        raise CaseloadError(
            f"{file_name} is refused: column(s) {names} look like {' and '.join(kinds)}. "
            "A caseload is criminal-justice personal data and geoaccess keeps the minimum: "
            "a postcode per person, and optionally a pseudonymous id, requirement and sex. "
            f"Remove {names} from the file and try again; nothing has been read from it."
        )
    if "postcode" not in columns:
        found = ", ".join(f"'{' '.join(str(h).split())}'" for h in header if str(h).strip()) or "none"
        raise CaseloadError(
            f"{file_name}: no postcode column; the first row must be the column headings, with one of "
            f"{', '.join(COLUMN_ALIASES['postcode'])} (headings found: {found})"
        )
    return columns, ignored


# --- rows ----------------------------------------------------------------------------------------


def _check_rows(
    file_name: str,
    columns: dict[str, int],
    headings: int,
    ignored: list[str],
    rows: Rows,
    pack: Pack,
) -> Caseload:
    people: list[dict[str, Any]] = []
    problems: list[dict[str, Any]] = []
    first_row_of_id: dict[str, int] = {}
    suspicious_ids = 0
    long_rows = 0

    def cell(cells: list[str], name: str) -> str:
        index = columns.get(name)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    for number, cells in rows:
        if any(c.strip() for c in cells[headings:]):
            long_rows += 1
        row_problems: list[tuple[str, str]] = []
        given_id = cell(cells, "id")
        if given_id:
            if _DIRECT_ID_SHAPES.match(given_id.upper()):
                suspicious_ids += 1
            if given_id in first_row_of_id:
                row_problems.append(
                    (
                        "duplicate_id",
                        f"the id is already used on row {first_row_of_id[given_id]}; "
                        "ids must be unique (this row is left out)",
                    )
                )
            else:
                first_row_of_id[given_id] = number
        location, postcode_problem = _locate(cell(cells, "postcode"), pack)
        if postcode_problem:
            row_problems.insert(0, postcode_problem)
        requirement, requirement_problem = _requirement(cell(cells, "requirement"))
        if requirement_problem:
            row_problems.append(requirement_problem)
        sex, sex_problem = _sex(cell(cells, "sex"))
        if sex_problem:
            row_problems.append(sex_problem)
        if row_problems or location is None or location.postcode is None:
            problems.extend({"row": number, "reason": r, "message": m} for r, m in row_problems)
            continue
        people.append(
            {
                "person_id": given_id or f"row-{number}",
                "lon": location.lon,
                "lat": location.lat,
                "lsoa21": location.lsoa21,
                "district": location.district,
                "council": location.council,
                "postcode_sector": location.postcode[:-2],
                "requirement": requirement,
                "sex": sex,
                "synthetic": False,
            }
        )

    warnings = []
    if suspicious_ids:
        warnings.append(
            f"{suspicious_ids} id(s) look like case reference, prison or police numbers "
            "(CRN, NOMIS, PNC): use pseudonymous ids instead"
        )
    if long_rows:
        warnings.append(f"{long_rows} row(s) have cells beyond the last column heading; those cells were ignored")
    return Caseload(
        people=people_frame(people),
        problems=problems_frame(problems),
        rows_read=len(rows),
        source=file_name,
        ignored_columns=ignored,
        warnings=warnings,
        meta={"synthetic": False},
    )


def _locate(text: str, pack: Pack) -> tuple[Location | None, tuple[str, str] | None]:
    """(Location, None) or (None, (reason, message)); messages never repeat the postcode."""
    if not text:
        return None, ("missing", "the postcode is empty")
    try:
        postcode = normalise_postcode(text)
    except PostcodeError as exc:
        return None, ("malformed", str(exc))
    try:
        return geocode_postcode(postcode, pack), None
    except OutsideArea as exc:
        return None, ("outside_area", str(exc))
    except PostcodeError as exc:
        if postcode.replace(" ", "") in pack.postcodes_terminated.index:
            return None, ("terminated", str(exc))
        return None, ("not_current", str(exc))


def _requirement(text: str) -> tuple[str | None, tuple[str, str] | None]:
    if not text:
        return None, None
    code = REQUIREMENT_ALIASES.get(_heading_key(text))
    if code is None:
        return None, (
            "bad_requirement",
            "the requirement is not recognised: give one of BBR, TSP, NSOGP (or 'sex offender group', "
            "'SOGP', 'Northumbria'), UPW (or 'unpaid work', 'community payback'), REPORTING "
            "(or 'office reporting', 'supervision'), one per row, or leave it empty",
        )
    return code, None


def _sex(text: str) -> tuple[str | None, tuple[str, str] | None]:
    key = _heading_key(text)
    if not key or key in SEX_NOT_KNOWN:
        return None, None
    sex = SEX_ALIASES.get(key)
    if sex is None:
        return None, (
            "bad_sex",
            "the sex is not recognised: give F or M (or female/male, woman/man), or leave it empty if not known",
        )
    return sex, None


def people_frame(data: list[dict[str, Any]] | dict[str, Any]) -> pd.DataFrame:
    """A ``people`` frame with the documented columns and dtypes, from records or a dict of columns."""
    frame = pd.DataFrame(data, columns=list(PEOPLE_COLUMNS))
    for name in ("person_id", "lsoa21", "district", "council", "postcode_sector", "requirement", "sex"):
        frame[name] = frame[name].astype("str")
    frame["lon"] = frame["lon"].astype(float)
    frame["lat"] = frame["lat"].astype(float)
    frame["synthetic"] = frame["synthetic"].astype(bool)
    return frame


def problems_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    """A ``problems`` frame (row, reason, message) from records."""
    frame = pd.DataFrame(records, columns=list(PROBLEM_COLUMNS))
    frame["row"] = frame["row"].astype("int64")
    frame["reason"] = frame["reason"].astype("str")
    frame["message"] = frame["message"].astype("str")
    return frame
