"""Regional actors of the quadruple helix: records, validation, CSV/Excel import and demo data.

An actor is any organisation that can take part in the development of a transformative activity
(TA): a firm, a university, a research organisation, a cluster organisation, a public authority,
a civil-society or user group, or a financial actor. The record holds no personal data: a
*contact role* ("innovation manager") is stored, never a person's name or address.

Import format (CSV, any of ``, ; TAB`` as delimiter, UTF-8; or the first sheet of an .xlsx)
--------------------------------------------------------------------------------------------
One actor per row, with a header row. Columns (case-insensitive; aliases in brackets):

``name`` (required)
    Organisation name; unique within a region (case- and space-insensitive).
``actor_type`` (``type``; required)
    One of :data:`ACTOR_TYPES` (a few spellings are accepted, see :data:`ACTOR_TYPE_ALIASES`).
``region`` (``nuts``, ``nuts_code``; required)
    NUTS code of the actor's seat, any level (``"AT"``, ``"AT3"``, ``"AT31"``, ``"AT312"``).
``activities`` (``nace``)
    NACE Rev. 2 codes separated by ``;`` or ``|``, in Eurostat form (``"C28"``, ``"C2841"``)
    or official form (``"28"``, ``"28.41"``); stored in Eurostat form.
``technologies``, ``skills``
    Lists separated by ``;`` or ``|``. Skills are ESCO v1.0 skill URIs (checked against
    :func:`smartspec.datasets.esco_skills` and the skill groups) or free-text labels.
``size``
    Persons employed (a non-negative integer), or empty.
``contact_role``
    A role, not a person: e-mail addresses and phone numbers are refused.
``fictional``
    ``true``/``false`` (``yes``/``no``, ``1``/``0``); marks example data.
``id``
    Optional integer identifier (assigned by the workspace store).

Every problem of a file is collected (file, row, column, value) and raised at once as an
:class:`ActorValidationError`; nothing is returned for an invalid file.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from smartspec.data.panel import Problem

__all__ = [
    "ACTOR_COLUMNS",
    "ACTOR_TYPES",
    "ACTOR_TYPE_ALIASES",
    "HELIX",
    "HELIX_TYPES",
    "Actor",
    "ActorValidationError",
    "actors_frame",
    "demo_actors",
    "normalise_actor_type",
    "normalise_nace",
    "read_actors",
    "validate_actor",
    "validate_actors",
]

#: The actor types of the quadruple helix.
ACTOR_TYPES: tuple[str, ...] = (
    "firm",
    "university",
    "research_organisation",
    "cluster_organisation",
    "public_authority",
    "civil_society",
    "finance",
)

#: The four helices (Carayannis & Campbell's quadruple helix: industry, academia, government,
#: civil society).
HELIX_TYPES: tuple[str, ...] = ("industry", "academia", "government", "civil_society")

#: Helix of each actor type. Decisions: a *cluster organisation* counts as **industry** (in the
#: European Cluster Excellence Initiative sense it is a business-led intermediary run for its
#: member firms, even when publicly co-funded); *finance* (banks, venture capital, business
#: angels) counts as industry; universities and research organisations are academia.
HELIX: dict[str, str] = {
    "firm": "industry",
    "finance": "industry",
    "cluster_organisation": "industry",
    "university": "academia",
    "research_organisation": "academia",
    "public_authority": "government",
    "civil_society": "civil_society",
}

#: Other spellings accepted on import (compared lower-case with spaces and dashes as ``_``).
ACTOR_TYPE_ALIASES: dict[str, str] = {
    "company": "firm",
    "enterprise": "firm",
    "business": "firm",
    "sme": "firm",
    "research_organization": "research_organisation",
    "research_institute": "research_organisation",
    "rto": "research_organisation",
    "cluster": "cluster_organisation",
    "cluster_organization": "cluster_organisation",
    "public_body": "public_authority",
    "government": "public_authority",
    "public_administration": "public_authority",
    "civil_society_/_user_group": "civil_society",
    "civil_society_or_user_group": "civil_society",
    "user_group": "civil_society",
    "ngo": "civil_society",
    "association": "civil_society",
    "financial": "finance",
    "investor": "finance",
    "bank": "finance",
}

#: Columns of :func:`actors_frame` and of the import format, in order.
ACTOR_COLUMNS: tuple[str, ...] = (
    "name", "actor_type", "region", "activities", "technologies", "skills", "size",
    "contact_role", "fictional", "id",
)
_REQUIRED = ("name", "actor_type", "region")
_COLUMN_ALIASES: dict[str, str] = {
    "type": "actor_type", "actortype": "actor_type", "kind": "actor_type",
    "nuts": "region", "nuts_code": "region", "nuts_id": "region", "region_code": "region",
    "nace": "activities", "nace_codes": "activities", "activity": "activities",
    "technology": "technologies", "skill": "skills", "esco_skills": "skills",
    "employees": "size", "persons_employed": "size", "staff": "size",
    "contact": "contact_role", "role": "contact_role",
    "organisation": "name", "organization": "name", "actor": "name",
}
_LIST_SPLIT = re.compile(r"[;|\n]")
_NUTS_SHAPE = re.compile(r"^[A-Z]{2}[A-Z0-9]{0,3}$")
_ESCO_PREFIX = "http://data.europa.eu/esco/skill/"
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"\+?\d[\d\s/().-]{6,}\d")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
_TRUE = {"true", "yes", "y", "1", "ja", "oui", "si", "sì", "x"}
_FALSE = {"false", "no", "n", "0", "nein", "non", ""}


@dataclass
class Actor:
    """One regional actor (organisation), with no personal data.

    Attributes
    ----------
    name : organisation name.
    actor_type : one of :data:`ACTOR_TYPES`.
    region : NUTS code of its seat.
    activities : NACE Rev. 2 codes in Eurostat form (``"C28"``, ``"C2841"``).
    technologies : free-text technology keywords.
    skills : ESCO skill URIs or labels.
    size : persons employed, or None when unknown.
    contact_role : the role to contact ("innovation manager"), never a person.
    fictional : True for example data (the shipped demo actors).
    id : identifier given by the workspace store, None before it is stored.
    """

    name: str
    actor_type: str
    region: str
    activities: list[str] = field(default_factory=list)
    technologies: list[str] = field(default_factory=list)
    skills: list[str] = field(default_factory=list)
    size: int | None = None
    contact_role: str = ""
    fictional: bool = False
    id: int | None = None

    @property
    def helix(self) -> str:
        """The actor's helix (:data:`HELIX`)."""
        return HELIX[self.actor_type]

    @property
    def key(self) -> tuple[str, str]:
        """``(region, normalised name)``: unique within a registry."""
        return (self.region, _name_key(self.name))

    def divisions(self) -> list[str]:
        """The actor's activities at NACE division level (``"C2841" -> "C28"``), deduplicated."""
        out: list[str] = []
        for code in self.activities:
            div = _division(code)
            if div not in out:
                out.append(div)
        return out

    def to_dict(self) -> dict[str, Any]:
        """A plain dict (lists copied), e.g. for JSON export."""
        return {f.name: (list(v) if isinstance(v := getattr(self, f.name), list) else v)
                for f in fields(self)}


class ActorValidationError(ValueError):
    """Invalid actor data. Lists every problem found, each with its file, row and column.

    Attributes
    ----------
    problems : tuple of :class:`smartspec.data.panel.Problem`
    origin : the file or object the data came from.
    """

    max_listed = 30

    def __init__(self, problems: Sequence[Problem], origin: str | None = None) -> None:
        self.problems = tuple(problems)
        self.origin = origin
        name = repr(origin) if origin else "the actor data"
        n = len(self.problems)
        kinds: dict[str, int] = {}
        for p in self.problems:
            kinds[p.kind] = kinds.get(p.kind, 0) + 1
        summary = ", ".join(f"{k} {kind}" for kind, k in kinds.items())
        lines = [f"{name}: {n} problem{'s' if n != 1 else ''} ({summary}):"]
        lines += [f"  - {p}" for p in self.problems[: self.max_listed]]
        if n > self.max_listed:
            lines.append(f"  ... and {n - self.max_listed} more (see .problems)")
        super().__init__("\n".join(lines))

    @property
    def kinds(self) -> set[str]:
        """The kinds of problem found (e.g. ``{"unknown actor type", "duplicate actor"}``)."""
        return {p.kind for p in self.problems}


# --------------------------------------------------------------------------------------------
# normalisation helpers
# --------------------------------------------------------------------------------------------
def _name_key(name: str) -> str:
    return " ".join(str(name).split()).casefold()


def _division(code: str) -> str:
    """Eurostat-form NACE code at division level (a section or division is returned as is)."""
    return code[:3] if len(code) > 3 else code


@lru_cache(maxsize=1)
def _nace_lookup() -> dict[str, str]:
    from smartspec.datasets import nace

    table = nace()
    lookup = {str(c).upper(): str(c) for c in table["code_eurostat"]}
    for official, eurostat in zip(table["code"], table["code_eurostat"], strict=True):
        lookup.setdefault(str(official).upper(), str(eurostat))
    return lookup


def normalise_nace(code: str) -> str | None:
    """The Eurostat form of a NACE Rev. 2 code, or None when the code is unknown.

    Examples
    --------
    >>> normalise_nace("28.41"), normalise_nace("c28"), normalise_nace("C99")
    ('C2841', 'C28', None)
    """
    return _nace_lookup().get(str(code).strip().upper())


def normalise_actor_type(value: str) -> str | None:
    """The canonical actor type for a spelling, or None when it is not recognised.

    >>> normalise_actor_type("Research organisation")
    'research_organisation'
    """
    key = re.sub(r"[\s\-]+", "_", str(value).strip().lower())
    if key in ACTOR_TYPES:
        return key
    return ACTOR_TYPE_ALIASES.get(key)


@lru_cache(maxsize=1)
def _esco_uris() -> frozenset[str]:
    from smartspec.datasets import esco_skill_hierarchy, esco_skills

    return frozenset(esco_skills()["uri"]) | frozenset(esco_skill_hierarchy()["uri"])


def _split_list(value: Any) -> list[str]:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return []
    if isinstance(value, list | tuple | set):
        items = [str(v) for v in value]
    else:
        items = _LIST_SPLIT.split(str(value))
    out: list[str] = []
    for item in items:
        item = item.strip()
        if item and item not in out:
            out.append(item)
    return out


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, list | tuple | set | dict):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _text(value: Any) -> str:
    return "" if _is_missing(value) else str(value).strip()


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------
class _Problems:
    def __init__(self, origin: str | None) -> None:
        self.origin = origin
        self.items: list[Problem] = []

    def add(self, kind: str, message: str, row: int | None = None, column: str | None = None,
            value: Any = None) -> None:
        self.items.append(Problem(kind, message, self.origin, row, column,
                                  None if value is None else str(value)))


def _check_text_cell(text: str, column: str, row: int | None, problems: _Problems) -> None:
    if text.startswith(_FORMULA):
        problems.add("formula cell", "formula-looking cell rejected (a leading '=', '+', '-' "
                     "or '@' makes spreadsheets execute it)", row, column, text)
    elif any(ord(ch) < 32 and ch not in "\n" for ch in text) or "\ufffd" in text:
        problems.add("bad characters", "cell contains control or replacement characters "
                     "(binary data or a wrong encoding?)", row, column, text)


def _parse_record(record: Mapping[str, Any], row: int | None, problems: _Problems,
                  known_regions: frozenset[str] | None) -> Actor | None:
    """Parse one raw record into an :class:`Actor`, adding every problem to ``problems``."""
    before = len(problems.items)
    name = _text(record.get("name"))
    if not name:
        problems.add("missing name", "every actor needs a name", row, "name")
    else:
        _check_text_cell(name, "name", row, problems)

    raw_type = _text(record.get("actor_type"))
    actor_type = normalise_actor_type(raw_type) if raw_type else None
    if actor_type is None:
        problems.add("unknown actor type",
                     f"actor type must be one of {', '.join(ACTOR_TYPES)}", row, "actor_type",
                     raw_type)

    region = _text(record.get("region")).upper()
    if not _NUTS_SHAPE.match(region):
        problems.add("bad NUTS code", "region must be a NUTS code: two letters for the country "
                     "then up to three letters or digits (e.g. 'AT31', 'AT312')", row, "region",
                     region)
    elif known_regions is not None and region not in known_regions:
        problems.add("unknown region", "region is not a known NUTS code", row, "region", region)

    activities: list[str] = []
    for code in _split_list(record.get("activities")):
        norm = normalise_nace(code)
        if norm is None:
            problems.add("unknown NACE code", "not a NACE Rev. 2 code (use e.g. 'C28' or "
                         "'28.41')", row, "activities", code)
        elif norm not in activities:
            activities.append(norm)

    technologies = _split_list(record.get("technologies"))
    for tech in technologies:
        _check_text_cell(tech, "technologies", row, problems)
    skills = _split_list(record.get("skills"))
    for skill in skills:
        if skill.startswith(_ESCO_PREFIX):
            if skill not in _esco_uris():
                problems.add("unknown ESCO skill", "URI is not an ESCO v1.0 skill or skill "
                             "group", row, "skills", skill)
        else:
            _check_text_cell(skill, "skills", row, problems)

    size: int | None = None
    raw_size = record.get("size")
    if not _is_missing(raw_size) and _text(raw_size) != "":
        try:
            number = float(str(raw_size).strip().replace("_", ""))
        except ValueError:
            problems.add("bad size", "size must be a whole number of persons employed", row,
                         "size", raw_size)
        else:
            if number < 0:
                problems.add("negative size", "size (persons employed) cannot be negative",
                             row, "size", raw_size)
            elif number != int(number):
                problems.add("bad size", "size must be a whole number of persons employed",
                             row, "size", raw_size)
            else:
                size = int(number)

    contact_role = _text(record.get("contact_role"))
    if contact_role:
        if _EMAIL.search(contact_role) or _PHONE.search(contact_role):
            problems.add("personal data", "contact_role names a role (e.g. 'innovation "
                         "manager'); e-mail addresses and phone numbers are not stored", row,
                         "contact_role", contact_role)
        else:
            _check_text_cell(contact_role, "contact_role", row, problems)

    raw_fictional = record.get("fictional")
    fictional = False
    if isinstance(raw_fictional, bool):
        fictional = raw_fictional
    else:
        flag = _text(raw_fictional).lower()
        if flag in _TRUE:
            fictional = True
        elif flag not in _FALSE:
            problems.add("bad flag", "fictional must be true or false", row, "fictional",
                         raw_fictional)

    actor_id: int | None = None
    raw_id = record.get("id")
    if not _is_missing(raw_id) and _text(raw_id) != "":
        try:
            number = float(str(raw_id))
            if number != int(number) or number < 0:
                raise ValueError
            actor_id = int(number)
        except ValueError:
            problems.add("bad id", "id must be a non-negative integer", row, "id", raw_id)

    if len(problems.items) > before or actor_type is None:
        return None
    return Actor(name=" ".join(name.split()), actor_type=actor_type, region=region,
                 activities=activities, technologies=technologies, skills=skills, size=size,
                 contact_role=contact_role, fictional=fictional, id=actor_id)


def _check_duplicates(names: Sequence[tuple[str, str, int | None]], problems: _Problems) -> None:
    """``names``: (region, name, row) triples."""
    first: dict[tuple[str, str], int | None] = {}
    for region, name, row in names:
        if not name:
            continue
        key = (region, _name_key(name))
        if key in first:
            where = f"row {first[key]}" if first[key] is not None else "an earlier record"
            problems.add("duplicate actor", f"actor name already used in region {region} "
                         f"(first at {where}); names must be unique within a region", row,
                         "name", name)
        else:
            first[key] = row


def _canonical_columns(columns: Iterable[Any]) -> dict[str, str]:
    """Map original column names to canonical ones (unknown columns are ignored)."""
    out: dict[str, str] = {}
    for col in columns:
        key = re.sub(r"[\s\-]+", "_", str(col).strip().lower())
        canon = key if key in ACTOR_COLUMNS else _COLUMN_ALIASES.get(key)
        if canon is not None and canon not in out.values():
            out[str(col)] = canon
    return out


def validate_actors(df: pd.DataFrame, origin: str | None = None, *,
                    known_regions: Iterable[str] | None = None,
                    rows: Sequence[int] | None = None,
                    existing: Iterable[Actor] = ()) -> list[Actor]:
    """Validate a table of actors and return them as :class:`Actor` records.

    Parameters
    ----------
    df : DataFrame
        One actor per row, columns as described in the module docstring (aliases accepted,
        unknown columns ignored). List columns may hold Python lists or ``;``-separated text.
    origin : str, optional
        Name of the file or source, used in error messages.
    known_regions : iterable of str, optional
        If given, regions must be among these codes (besides having the NUTS shape).
    rows : sequence of int, optional
        Row number of each record in its file (default: ``i + 2``, the line a text editor
        shows for a file with one header line).
    existing : iterable of Actor
        Actors already registered; a new actor with the same name in the same region is a
        duplicate.

    Returns
    -------
    list of Actor

    Raises
    ------
    ActorValidationError
        Listing every problem: missing columns, empty names, unknown actor types, bad NUTS
        codes, unknown NACE codes, unknown ESCO URIs, negative or non-integer sizes,
        personal data in the contact role, duplicate names within a region, formula cells.
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"df must be a pandas DataFrame, got {type(df).__name__}")
    problems = _Problems(origin)
    mapping = _canonical_columns(df.columns)
    missing = [c for c in _REQUIRED if c not in mapping.values()]
    if missing:
        problems.add("missing column", f"required column(s) {', '.join(map(repr, missing))} "
                     f"not found; columns present: {', '.join(map(str, df.columns)) or 'none'}")
        raise ActorValidationError(problems.items, origin)
    if rows is None:
        rows = [i + 2 for i in range(len(df))]
    elif len(rows) != len(df):
        raise ValueError("rows must have one entry per record of df")
    frame = df.rename(columns=mapping)[list(dict.fromkeys(mapping.values()))]
    regions_known = None if known_regions is None else frozenset(map(str, known_regions))
    actors: list[Actor] = []
    names: list[tuple[str, str, int | None]] = [
        (a.region, a.name, None) for a in existing
    ]
    for row, record in zip(rows, frame.to_dict("records"), strict=True):
        actor = _parse_record(record, row, problems, regions_known)
        names.append((_text(record.get("region")).upper(), _text(record.get("name")), row))
        if actor is not None:
            actors.append(actor)
    _check_duplicates(names, problems)
    if problems.items:
        raise ActorValidationError(problems.items, origin)
    return actors


def validate_actor(actor: Actor, *, existing: Iterable[Actor] = (),
                   known_regions: Iterable[str] | None = None) -> Actor:
    """Validate one :class:`Actor` (e.g. from a form) against the rules of the import.

    Returns a normalised copy (canonical type, Eurostat NACE codes, upper-case region).
    ``existing`` are the actors already registered (the actor itself, same ``id``, is skipped).

    Raises
    ------
    ActorValidationError
    """
    if not isinstance(actor, Actor):
        raise TypeError(f"expected an Actor, got {type(actor).__name__}")
    others = [a for a in existing if actor.id is None or a.id != actor.id]
    frame = pd.DataFrame([{**actor.to_dict()}], columns=list(ACTOR_COLUMNS))
    return validate_actors(frame, origin=f"actor {actor.name!r}", rows=[None],  # type: ignore[list-item]
                           existing=others, known_regions=known_regions)[0]


# --------------------------------------------------------------------------------------------
# reading files
# --------------------------------------------------------------------------------------------
def _decode(data: bytes, origin: str) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ActorValidationError([Problem("malformed CSV", "file is neither UTF-8 nor "
                                        "Windows-1252 text", origin)], origin)


def _sniff(header: str) -> str:
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    return max(counts, key=lambda d: (counts[d], d == ","))


def _read_csv(data: bytes, origin: str) -> tuple[pd.DataFrame, list[int]]:
    text = _decode(data, origin)
    if "\x00" in text:
        raise ActorValidationError([Problem("malformed CSV", "file contains NUL bytes: not a "
                                            "text CSV file", origin)], origin)
    lines = text.splitlines()
    first = next((ln for ln in lines if ln.strip()), None)
    if first is None:
        raise ActorValidationError([Problem("malformed CSV", "file is empty", origin)], origin)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff(first), strict=True)
    problems = _Problems(origin)
    header: list[str] | None = None
    records: list[list[str]] = []
    rows: list[int] = []
    try:
        for rec in reader:
            if not any(cell.strip() for cell in rec):
                continue
            if header is None:
                header = [c.strip() for c in rec]
                continue
            if len(rec) != len(header):
                extra = [c for c in rec[len(header):] if c.strip()]
                if len(rec) < len(header) or extra:
                    problems.add("malformed CSV", f"expected {len(header)} fields as in the "
                                 f"header, found {len(rec)} (a missing or extra delimiter, or "
                                 "an unquoted delimiter inside a value?)", reader.line_num)
                    continue
                rec = rec[: len(header)]
            records.append(rec)
            rows.append(reader.line_num)
    except csv.Error as exc:
        problems.add("malformed CSV", f"cannot parse the CSV: {exc} (an unclosed quote?)",
                     reader.line_num)
    if header is not None and len(set(header)) != len(header):
        problems.add("malformed CSV", "duplicate column names in the header", 1)
    if problems.items:
        raise ActorValidationError(problems.items, origin)
    assert header is not None
    return pd.DataFrame(records, columns=header, dtype=object), rows


def _read_excel(path: Path, origin: str) -> tuple[pd.DataFrame, list[int]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises various errors for damaged files
        raise ActorValidationError([Problem("malformed Excel", f"cannot open the workbook: "
                                            f"{exc}", origin)], origin) from exc
    try:
        sheet = book.worksheets[0]
        header: list[str] | None = None
        records: list[list[Any]] = []
        rows: list[int] = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if not any(v is not None and str(v).strip() for v in values):
                continue
            if header is None:
                header = [str(v).strip() if v is not None else "" for v in values]
                continue
            records.append(list(values[: len(header)]) + [None] * (len(header) - len(values)))
            rows.append(number)
    finally:
        book.close()
    if header is None:
        raise ActorValidationError([Problem("malformed Excel", "the first sheet is empty",
                                            origin)], origin)
    return pd.DataFrame(records, columns=header, dtype=object), rows


def read_actors(path: str | Path, *, known_regions: Iterable[str] | None = None,
                existing: Iterable[Actor] = ()) -> list[Actor]:
    """Read and validate actors from a CSV (``.csv``, ``.txt``, ``.tsv``) or Excel (``.xlsx``) file.

    Parameters
    ----------
    path : the file.
    known_regions, existing : see :func:`validate_actors`.

    Returns
    -------
    list of Actor

    Raises
    ------
    ActorValidationError
        Malformed files (wrong number of fields, unclosed quotes, binary content) and every
        invalid record, with the file name, row and column.
    FileNotFoundError
    """
    path = Path(path)
    origin = str(path)
    if not path.is_file():
        raise FileNotFoundError(f"actor file not found: {origin}")
    data = path.read_bytes()
    if path.suffix.lower() in (".xlsx", ".xlsm") or data[:4] == b"PK\x03\x04":
        frame, rows = _read_excel(path, origin)
    else:
        frame, rows = _read_csv(data, origin)
    return validate_actors(frame, origin=origin, rows=rows, known_regions=known_regions,
                           existing=existing)


# --------------------------------------------------------------------------------------------
# tables and demo data
# --------------------------------------------------------------------------------------------
def actors_frame(actors: Iterable[Actor]) -> pd.DataFrame:
    """A DataFrame with one row per actor (columns :data:`ACTOR_COLUMNS` plus ``helix``).

    List fields are kept as Python lists; :func:`validate_actors` reads the frame back.
    """
    records = [{**a.to_dict(), "helix": a.helix} for a in actors]
    return pd.DataFrame(records, columns=[*ACTOR_COLUMNS, "helix"])


@lru_cache(maxsize=1)
def _demo_registry() -> tuple[Actor, ...]:
    data = resources.files("smartspec.strategy").joinpath("catalogues/demo_actors.csv")
    with resources.as_file(data) as path:
        return tuple(read_actors(path))


def demo_actors(region: str = "AT31") -> list[Actor]:
    """Shipped demo actors around an Alpine region, **all fictional** (``fictional=True``).

    The registry (``strategy/catalogues/demo_actors.csv``) holds 36 invented organisations in
    Oberösterreich (AT31) and its partner regions Niederösterreich (AT12), Salzburg (AT32),
    Schwaben (DE27) and Oberbayern (DE21), across every actor type. Every name ends with
    "(fictional)". Their NACE activities are plausible for the region's real specialisations,
    and their skills are real ESCO v1.0 skill URIs; sizes are invented.

    Parameters
    ----------
    region : str, default "AT31"
        The home region. The demo data are written for AT31; for another region the home
        actors are relocated to it (the partner actors keep their regions), so that any
        region can be demonstrated.

    Returns
    -------
    list of Actor
    """
    actors = [Actor(**{**a.to_dict()}) for a in _demo_registry()]
    region = str(region).strip().upper()
    if not _NUTS_SHAPE.match(region):
        raise ValueError(f"region must be a NUTS code such as 'AT31', got {region!r}")
    if region != "AT31":
        actors = [
            Actor(**{**a.to_dict(), "region": region}) if a.region == "AT31" else a
            for a in actors
        ]
    return actors
