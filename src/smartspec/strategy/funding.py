"""Funding instruments: the catalogue, user-defined entries and matching to actions.

The shipped catalogue (``strategy/catalogues/funding_instruments.json``) covers EU programmes of
2021-2027: Horizon Europe (Pillar I MSCA, Pillar II RIA/IA/CSA across its six clusters, Pillar III
EIC Pathfinder/Transition/Accelerator, European Innovation Ecosystems, EIT), Interreg Alpine
Space, ERDF regional programmes and I3, Digital Europe and the EDIHs, Erasmus+ (CoVE,
cooperation partnerships), LIFE, the Single Market Programme's cluster partnerships and
Eurostars. It records eligibility **facts only**: where a figure varies by call or could not be
stated with certainty it is ``None``, to be filled in by the user, never guessed.

National and regional schemes are added by the user (:func:`load_funding_catalogue` with
``extra=``: a CSV, JSON or Excel file, a DataFrame or records); they are marked
``user_defined=True``.

Geographic scope
----------------
``geographic_scope`` is either a list of country codes / NUTS prefixes (``["AT", "DE2",
"ITC1"]``: a region is covered when its code starts with one of them) or one of the words
``"EU"`` (EU-27 Member States), ``"EU+associated"`` (Member States and the programme's associated
countries: a non-EU region is then *possibly* eligible, with a caveat, since association
agreements change) or any other text (always a caveat: check the scope yourself).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from smartspec.data.panel import Problem
from smartspec.strategy.actions import ACTION_TYPES, Action
from smartspec.strategy.actors import ACTOR_TYPES, Actor

__all__ = [
    "EU27",
    "FUNDING_SCOPES",
    "FundingCatalogueError",
    "FundingInstrument",
    "funding_frame",
    "load_funding_catalogue",
    "match_funding",
]

#: Scope classes of an instrument.
FUNDING_SCOPES: tuple[str, ...] = ("EU", "national", "regional", "transnational")

#: EU-27 Member States (Eurostat country codes; Greece is "EL").
EU27: frozenset[str] = frozenset(
    "AT BE BG CY CZ DE DK EE EL ES FI FR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split()
)


@dataclass
class FundingInstrument:
    """One funding instrument with its eligibility rules (``None`` = not set / varies by call).

    Attributes
    ----------
    key : unique identifier (``"he_p2_ria"``).
    name, programme : names.
    scope : ``"EU"``, ``"national"``, ``"regional"`` or ``"transnational"``.
    eligible_actor_types : actor types that may apply (:data:`~smartspec.strategy.actors.ACTOR_TYPES`).
    trl_min, trl_max : technology readiness levels (1-9) addressed, or None.
    geographic_scope : see the module docstring.
    min_consortium : minimum number of partner entities, or None.
    min_countries : minimum number of different countries among the partners, or None.
    cofunding_rate : typical share of eligible costs funded (0-1), or None.
    action_types : action types (:data:`~smartspec.strategy.actions.ACTION_TYPES`) it can fund.
    url, notes : reference and remarks.
    user_defined : True for entries added by the user.
    """

    key: str
    name: str
    programme: str = ""
    scope: str = "EU"
    eligible_actor_types: tuple[str, ...] = ACTOR_TYPES
    trl_min: int | None = None
    trl_max: int | None = None
    geographic_scope: str | list[str] = "EU"
    min_consortium: int | None = None
    cofunding_rate: float | None = None
    action_types: tuple[str, ...] = field(default_factory=tuple)
    url: str | None = None
    notes: str = ""
    user_defined: bool = False
    min_countries: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict (tuples as lists)."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = list(value) if isinstance(value, tuple | list) else value
        return out


class FundingCatalogueError(ValueError):
    """Invalid funding instrument entries (every problem listed, with its row and field)."""

    def __init__(self, problems: Sequence[Problem], origin: str | None = None) -> None:
        self.problems = tuple(problems)
        self.origin = origin
        lines = [f"{origin!r}: " if origin else ""]
        lines[0] += f"{len(self.problems)} problem(s) in the funding instruments:"
        lines += [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))


# --------------------------------------------------------------------------------------------
# loading and validation
# --------------------------------------------------------------------------------------------
def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def _as_list(value: Any) -> list[str]:
    if _missing(value):
        return []
    if isinstance(value, list | tuple | set):
        return [str(v).strip() for v in value if str(v).strip()]
    return [v.strip() for v in str(value).replace("|", ";").split(";") if v.strip()]


def _parse_entry(raw: Mapping[str, Any], row: int | None, origin: str | None,
                 problems: list[Problem], user_defined: bool) -> FundingInstrument | None:
    before = len(problems)

    def add(kind: str, message: str, column: str, value: Any = None) -> None:
        problems.append(Problem(kind, message, origin, row, column,
                                None if value is None else str(value)))

    names = {f.name for f in fields(FundingInstrument)}
    for key in raw:
        if key not in names:
            add("unknown field", f"unknown field; fields are {', '.join(sorted(names))}",
                str(key))
    key = "" if _missing(raw.get("key")) else str(raw["key"]).strip()
    name = "" if _missing(raw.get("name")) else str(raw["name"]).strip()
    if not key:
        add("missing key", "every instrument needs a unique key", "key")
    if not name:
        add("missing name", "every instrument needs a name", "name")
    scope = "EU" if _missing(raw.get("scope")) else str(raw["scope"]).strip()
    if scope not in FUNDING_SCOPES:
        add("bad scope", f"scope must be one of {', '.join(FUNDING_SCOPES)}", "scope", scope)
    actor_types = tuple(_as_list(raw.get("eligible_actor_types"))) or ACTOR_TYPES
    for t in actor_types:
        if t not in ACTOR_TYPES:
            add("unknown actor type", f"actor types are {', '.join(ACTOR_TYPES)}",
                "eligible_actor_types", t)
    action_types = tuple(_as_list(raw.get("action_types")))
    for t in action_types:
        if t not in ACTION_TYPES:
            add("unknown action type", f"action types are {', '.join(ACTION_TYPES)}",
                "action_types", t)
    ints: dict[str, int | None] = {}
    for col, low, high in (("trl_min", 1, 9), ("trl_max", 1, 9), ("min_consortium", 1, 10_000),
                           ("min_countries", 1, 100)):
        value = raw.get(col)
        if _missing(value):
            ints[col] = None
            continue
        try:
            number = float(value)
            if number != int(number) or not low <= number <= high:
                raise ValueError
            ints[col] = int(number)
        except (TypeError, ValueError):
            add("bad number", f"must be a whole number from {low} to {high}", col, value)
    if (ints.get("trl_min") is not None and ints.get("trl_max") is not None
            and ints["trl_min"] > ints["trl_max"]):  # type: ignore[operator]
        add("bad TRL range", "trl_min is above trl_max", "trl_min", raw.get("trl_min"))
    rate: float | None = None
    if not _missing(raw.get("cofunding_rate")):
        try:
            text = str(raw["cofunding_rate"]).strip()
            rate = float(text.rstrip("%")) / (100 if text.endswith("%") else 1)
            if not 0 <= rate <= 1:
                raise ValueError
        except ValueError:
            add("bad rate", "cofunding_rate must be a share from 0 to 1 (or a percentage "
                "like '70%')", "cofunding_rate", raw.get("cofunding_rate"))
    geo_raw = raw.get("geographic_scope")
    if isinstance(geo_raw, list | tuple):
        geo: str | list[str] = [str(g).strip().upper() for g in geo_raw if str(g).strip()]
    elif _missing(geo_raw):
        geo = "EU"
    else:
        text = str(geo_raw).strip()
        geo = ([g.upper() for g in _as_list(text)] if ";" in text or "|" in text
               or (text.isupper() and text not in ("EU", "EU+ASSOCIATED") and " " not in text)
               else text)
    if len(problems) > before:
        return None
    flag = raw.get("user_defined")
    return FundingInstrument(
        key=key, name=name,
        programme="" if _missing(raw.get("programme")) else str(raw["programme"]),
        scope=scope, eligible_actor_types=actor_types, trl_min=ints["trl_min"],
        trl_max=ints["trl_max"], geographic_scope=geo, min_consortium=ints["min_consortium"],
        cofunding_rate=rate, action_types=action_types,
        url=None if _missing(raw.get("url")) else str(raw["url"]),
        notes="" if _missing(raw.get("notes")) else str(raw["notes"]),
        user_defined=user_defined or (str(flag).lower() in ("true", "1", "yes")
                                      if not _missing(flag) else False),
        min_countries=ints["min_countries"],
    )


def _records_from(extra: Any) -> tuple[list[dict[str, Any]], list[int | None], str | None]:
    if isinstance(extra, str | Path):
        path = Path(extra)
        origin = str(path)
        if not path.is_file():
            raise FileNotFoundError(f"funding catalogue not found: {origin}")
        suffix = path.suffix.lower()
        if suffix == ".json":
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except json.JSONDecodeError as exc:
                raise FundingCatalogueError([Problem("malformed JSON", str(exc), origin,
                                                     exc.lineno)], origin) from exc
            records = data["instruments"] if isinstance(data, dict) else data
            return list(records), [None] * len(records), origin
        if suffix in (".xlsx", ".xlsm"):
            frame = pd.read_excel(path, dtype=object)
        else:
            try:
                frame = pd.read_csv(path, dtype=str, keep_default_na=False, sep=None,
                                    engine="python")
            except pd.errors.ParserError as exc:
                raise FundingCatalogueError([Problem("malformed CSV", str(exc), origin)],
                                            origin) from exc
        return (frame.to_dict("records"), [i + 2 for i in range(len(frame))], origin)
    if isinstance(extra, pd.DataFrame):
        return extra.to_dict("records"), [i + 2 for i in range(len(extra))], None
    if isinstance(extra, FundingInstrument):
        extra = [extra]
    records = [e.to_dict() if isinstance(e, FundingInstrument) else dict(e) for e in extra]
    return records, [i + 1 for i in range(len(records))], None


def _parse_all(records: Sequence[Mapping[str, Any]], rows: Sequence[int | None],
               origin: str | None, user_defined: bool) -> list[FundingInstrument]:
    problems: list[Problem] = []
    out: list[tuple[FundingInstrument, int | None]] = []
    for rec, row in zip(records, rows, strict=True):
        inst = _parse_entry(rec, row, origin, problems, user_defined)
        if inst is not None:
            out.append((inst, row))
    seen: set[str] = set()
    for inst, row in out:
        if inst.key in seen:
            problems.append(Problem("duplicate key", "instrument keys must be unique", origin,
                                    row, "key", inst.key))
        seen.add(inst.key)
    if problems:
        raise FundingCatalogueError(problems, origin)
    return [inst for inst, _ in out]


@lru_cache(maxsize=1)
def _shipped() -> tuple[FundingInstrument, ...]:
    data = resources.files("smartspec.strategy").joinpath(
        "catalogues/funding_instruments.json").read_text(encoding="utf-8")
    records = json.loads(data)["instruments"]
    return tuple(_parse_all(records, list(range(1, len(records) + 1)),
                            "funding_instruments.json", False))


def load_funding_catalogue(extra: Any = None, *, replace: bool = False,
                           shipped: bool = True) -> list[FundingInstrument]:
    """The funding catalogue: the shipped EU instruments plus user-defined entries.

    Parameters
    ----------
    extra : path (CSV, JSON, .xlsx), DataFrame, FundingInstrument or iterable of dicts/instruments
        User entries (national or regional schemes, or corrections). List fields
        (``eligible_actor_types``, ``action_types``, a ``geographic_scope`` list) are written
        ``;``-separated in CSV/Excel. They are marked ``user_defined=True``.
    replace : bool, default False
        Let an extra entry replace a shipped one with the same ``key`` (otherwise a duplicate
        key is an error).
    shipped : bool, default True
        Include the shipped EU instruments.

    Returns
    -------
    list of FundingInstrument (fresh copies; edit them freely).

    Raises
    ------
    FundingCatalogueError
        Every invalid entry (unknown actor/action types, TRL out of 1-9 or inverted, rates
        outside 0-1, duplicate keys, unknown fields, malformed files), with row and field.
    """
    base = [FundingInstrument(**_copy_fields(i)) for i in _shipped()] if shipped else []
    if extra is None:
        return base
    records, rows, origin = _records_from(extra)
    added = _parse_all(records, rows, origin, True)
    keys = {i.key: n for n, i in enumerate(base)}
    problems = []
    for inst, row in zip(added, rows, strict=False):
        if inst.key in keys:
            if replace:
                base[keys[inst.key]] = inst
                continue
            problems.append(Problem("duplicate key", "key already used by a shipped "
                                    "instrument (pass replace=True to override it)", origin, row,
                                    "key", inst.key))
        else:
            base.append(inst)
    if problems:
        raise FundingCatalogueError(problems, origin)
    return base


def _copy_fields(inst: FundingInstrument) -> dict[str, Any]:
    values = {f.name: getattr(inst, f.name) for f in fields(inst)}
    if isinstance(values["geographic_scope"], list):
        values["geographic_scope"] = list(values["geographic_scope"])
    return values


def funding_frame(instruments: Iterable[FundingInstrument]) -> pd.DataFrame:
    """The catalogue as a table, one row per instrument."""
    return pd.DataFrame([i.to_dict() for i in instruments],
                        columns=[f.name for f in fields(FundingInstrument)])


# --------------------------------------------------------------------------------------------
# matching
# --------------------------------------------------------------------------------------------
def _country(region: str) -> str:
    return region[:2].upper()


def _region_check(inst: FundingInstrument, region: str) -> tuple[bool, str, bool]:
    """(eligible, reason, caveat) for a NUTS region."""
    geo = inst.geographic_scope
    code = region.upper()
    if isinstance(geo, list):
        hit = next((g for g in geo if code.startswith(g)), None)
        if hit is not None:
            return True, f"region {code} is in the instrument's area ({hit})", False
        # a coarser region may contain part of the area (e.g. DE for an area listing DE2)
        if any(g.startswith(code) for g in geo):
            return True, (f"part of {code} is in the instrument's area "
                          f"({', '.join(g for g in geo if g.startswith(code))})"), True
        return False, f"region {code} is outside the instrument's area", False
    if geo == "EU":
        if _country(code) in EU27:
            return True, f"{code} is in an EU Member State", False
        return False, f"{code} is not in an EU Member State", False
    if geo == "EU+associated":
        if _country(code) in EU27:
            return True, f"{code} is in an EU Member State", False
        return True, (f"{code} is outside the EU: eligible only if its country is associated "
                      "to the programme (check the current association status)"), True
    return True, f"geographic scope '{geo}': check that {code} qualifies", True


def _countries(members: Sequence[Actor]) -> set[str]:
    return {_country(a.region) for a in members}


def match_funding(action: Action | str, consortium: Sequence[Actor] | None = None,
                  region: str | None = None, *, trl: int | None = None,
                  catalogue: Sequence[FundingInstrument] | None = None,
                  include_ineligible: bool = False) -> pd.DataFrame:
    """Rank funding instruments for an action, with the reasons for each.

    An instrument is considered when its ``action_types`` include the action's type. Each
    eligibility rule that can be checked is checked, and its outcome becomes a reason:

    * **region** (if ``region`` or a consortium is given): the region, or the consortium's
      home region (its most frequent region), lies in the geographic scope;
    * **actor types**: at least one consortium member has an eligible type;
    * **consortium size**: ``len(consortium) >= min_consortium``;
    * **countries**: the members come from at least ``min_countries`` countries;
    * **TRL**: ``trl`` lies within ``[trl_min, trl_max]``.

    Rules that cannot be checked (no consortium, unset figures, an "EU+associated" scope for
    a non-EU region) give *caveats*, not failures.

    Ranking: eligible instruments first; then by score = share of checked rules passed
    + 0.15 if the instrument is specific to the region (a list of areas that contains it, or a
    user-defined national/regional scheme covering it) + 0.1 x co-funding rate (when known)
    − 0.05 per caveat.

    Parameters
    ----------
    action : Action or action type (str)
    consortium : list of Actor, optional
    region : NUTS code, optional
    trl : int, optional
        The action's technology readiness level at start.
    catalogue : list of FundingInstrument, optional
        Default :func:`load_funding_catalogue`.
    include_ineligible : bool, default False
        Keep instruments that fail a rule (with the failure among the reasons).

    Returns
    -------
    pandas.DataFrame
        Columns ``key, name, programme, scope, eligible, score, cofunding_rate, reasons``
        (list of str), ``caveats`` (list of str), ``user_defined``; best first.
    """
    action_type = action if isinstance(action, str) else action.action_type
    if action_type not in ACTION_TYPES:
        raise ValueError(f"unknown action type {action_type!r}; types are "
                         f"{', '.join(ACTION_TYPES)}")
    if trl is not None and (not isinstance(trl, int) or not 1 <= trl <= 9):
        raise ValueError(f"trl must be an integer from 1 to 9, got {trl!r}")
    members = list(consortium or [])
    instruments = list(catalogue) if catalogue is not None else load_funding_catalogue()
    if region is None and members:
        counts: dict[str, int] = {}
        for a in members:
            counts[a.region] = counts.get(a.region, 0) + 1
        region = max(counts, key=lambda r: (counts[r], r))
    rows = []
    for inst in instruments:
        if action_type not in inst.action_types:
            continue
        reasons = [f"funds '{action_type}' actions"]
        caveats: list[str] = []
        checks: list[bool] = []
        specific = False
        if region is not None:
            ok, why, caveat = _region_check(inst, region)
            checks.append(ok)
            (caveats if caveat else reasons).append(why if ok or caveat else f"NOT: {why}")
            if ok and isinstance(inst.geographic_scope, list) and not caveat:
                specific = True
            if ok and inst.user_defined and inst.scope in ("national", "regional"):
                specific = True
        if members:
            types = {a.actor_type for a in members}
            eligible_types = types & set(inst.eligible_actor_types)
            ok = bool(eligible_types)
            checks.append(ok)
            reasons.append(f"eligible actor types present: {', '.join(sorted(eligible_types))}"
                           if ok else "NOT: no consortium member has an eligible actor type "
                           f"({', '.join(inst.eligible_actor_types)})")
            if inst.min_consortium is not None:
                ok = len(members) >= inst.min_consortium
                checks.append(ok)
                reasons.append(f"{'' if ok else 'NOT: '}consortium of {len(members)} "
                               f"{'meets' if ok else 'is below'} the minimum of "
                               f"{inst.min_consortium} entities")
            if inst.min_countries is not None:
                n = len(_countries(members))
                ok = n >= inst.min_countries
                checks.append(ok)
                reasons.append(f"{'' if ok else 'NOT: '}partners from {n} "
                               f"countr{'y' if n == 1 else 'ies'} "
                               f"({'meets' if ok else 'below'} the minimum of "
                               f"{inst.min_countries})")
        elif inst.min_consortium is not None and inst.min_consortium > 1:
            caveats.append(f"needs a consortium of at least {inst.min_consortium} entities"
                           + (f" from {inst.min_countries} countries"
                              if inst.min_countries else ""))
        if trl is not None:
            if inst.trl_min is None and inst.trl_max is None:
                caveats.append("TRL range not set for this instrument (varies by call)")
            else:
                low = inst.trl_min or 1
                high = inst.trl_max or 9
                ok = low <= trl <= high
                checks.append(ok)
                reasons.append(f"{'' if ok else 'NOT: '}TRL {trl} "
                               f"{'within' if ok else 'outside'} {low}-{high}")
        if inst.cofunding_rate is not None:
            reasons.append(f"typical co-funding rate {inst.cofunding_rate:.0%}")
        else:
            caveats.append("co-funding rate not set (see the call)")
        eligible = all(checks)
        if not eligible and not include_ineligible:
            continue
        passed = sum(checks) / len(checks) if checks else 1.0
        score = (passed + (0.15 if specific else 0.0)
                 + 0.1 * (inst.cofunding_rate or 0.0) - 0.05 * len(caveats))
        rows.append({
            "key": inst.key, "name": inst.name, "programme": inst.programme,
            "scope": inst.scope, "eligible": eligible, "score": round(score, 4),
            "cofunding_rate": inst.cofunding_rate, "reasons": reasons, "caveats": caveats,
            "user_defined": inst.user_defined,
        })
    columns = ["key", "name", "programme", "scope", "eligible", "score", "cofunding_rate",
               "reasons", "caveats", "user_defined"]
    frame = pd.DataFrame(rows, columns=columns)
    if frame.empty:
        return frame
    frame = frame.sort_values(["eligible", "score", "key"], ascending=[False, False, True],
                              kind="stable")
    return frame.reset_index(drop=True)
