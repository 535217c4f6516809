"""NUTS version correspondence and recoding (NUTS 2010 → 2013 → 2016 → 2021).

The official Eurostat correspondence tables list, for each revision, which code of the old
version became which code of the new one, and how: unchanged, recoded, merged, split, boundary
shift, discontinued or new. This module turns them into one tidy relation and chains the three
revisions, so that any code of NUTS 2010, 2013 or 2016 can be followed to NUTS 2021.

Only **pure recodes** (the same area under a new code, e.g. Rhône-Alpes ``FR71`` → ``FRK2``:
Eurostat's note says ``FRK2=FR71``) can be applied to statistics without changing their meaning.
Everything else (splits, merges, boundary shifts) changes the territory the numbers describe,
so :func:`recode` refuses it unless told otherwise.

Sources
-------
Eurostat, NUTS correspondence tables 2010-2013, 2013-2016 and 2016-2021 (official workbooks),
shipped as ``nuts_correspondence.parquet`` (every row of the three full tables) and
``nuts_changes.parquet`` (the change sheets with Eurostat's "new = old" formulas). Source:
Eurostat; reuse under the Commission reuse policy (Decision 2011/833/EU).

How the relation is derived (one revision step ``v → w`` at a time)
-------------------------------------------------------------------
1. **Explicit links**: every official row naming both an old and a new code.
2. **Links from the official text**: new regions explain themselves in Eurostat's notes
   (``DE80J=DE80C+DE80B+DE802+parts of DE808``, ``new; merge of ex-NO021 and NO022``), and
   discontinued codes sometimes name their successor (``split into new HU11 and HU12``,
   ``now part of NO020``). Codes named there are linked when they are valid codes of the
   relevant version; finer codes are lifted to the row's level (``LT01=LT00A`` at NUTS 2 links
   ``LT00 → LT01``).
3. **Label pairing**: an old code marked "boundary shift" with no successor is paired with the
   new code of the same level, country and label (``SI01`` *Vzhodna Slovenija* → ``SI03``
   *Vzhodna Slovenija*). Such links are never treated as pure.
4. **Upward inference**: a NUTS 0-2 code that is not officially unchanged/recoded is linked to
   the parents of its children's successors (``HR04`` → ``HR02``, ``HR05``, ``HR06``).

A link is *area-equal* (pure) when the official change type is a pure one (unchanged, name
change, code change, recoded, ...) without a "(part)" marker, and the link is one-to-one. It is
*whole* (the old region lies entirely inside the new one) when the old code has a single
successor, no boundary shift is recorded for it and the text does not say "parts of" it.
Chained links are pure (whole) only if every step is.

Change types of :func:`correspondence` (per old code, after chaining)
--------------------------------------------------------------------
``unchanged``       same code, same area.
``recode``          new code, same area (pure, one-to-one).
``boundary_shift``  Eurostat records a boundary shift for the old code (or a one-to-one link that
                    is not pure): the area changed, with one or several successors. E.g. SI01 and
                    SI02 (NUTS 2010) → SI03 / SI04 in 2013: municipalities moved between eastern
                    and western Slovenia (``SI035=SI015+parts of SI021``), so SI01 ≠ SI03.
``split``           the old region's area went to several new regions (no boundary shift
                    recorded), e.g. HU10 → HU11 + HU12.
``merge``           the old region lies wholly inside one new region that has other parts too,
                    e.g. DE915 + DE919 → DE91C.
``discontinued``    no successor could be identified from the official tables.
``new``             a code of the target version with no predecessor (``code_from`` missing).

Coverage: the 2010→2013 and 2013→2016 tables cover the EU-28 only; CH, LI, NO, IS and the
candidate countries enter with the 2016→2021 table. Their codes are therefore "unknown" for
``from_version`` 2010 or 2013 (:func:`recode` leaves them unchanged and reports them) and are not
listed as ``new``. Extra-regio codes (``..ZZ``) are carried like any other code.
"""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from smartspec.data.panel import Panel

__all__ = [
    "CHANGE_TYPES",
    "VERSIONS",
    "NutsRecodeError",
    "RecodeReport",
    "correspondence",
    "recode",
    "recode_codes",
]

#: NUTS versions covered by the shipped correspondence tables, in chronological order.
VERSIONS: tuple[int, ...] = (2010, 2013, 2016, 2021)
#: The change types used by :func:`correspondence` and :func:`recode_codes`.
CHANGE_TYPES: tuple[str, ...] = (
    "unchanged", "recode", "split", "merge", "boundary_shift", "discontinued", "new",
)
PURE_TYPES = frozenset({"unchanged", "recode"})

_FILES = Path(__file__).resolve().parent.parent / "datasets" / "files"
_PURE_OFFICIAL = frozenset({
    "unchanged", "name change", "renamed", "relabelled", "code change", "code, name change",
    "recoded", "recode", "recoded and relabelled", "relabelled and recoded",
    "recoded (ressignment)",
})
_CODE_RE = re.compile(r"\b[A-Z]{2}[0-9A-Z]{1,3}\b")
_PARTS_RE = re.compile(r"parts? of (?:ex-)?([A-Z]{2}[0-9A-Z]{1,3})\b")


# ---------------------------------------------------------------------------------------------
# loading
# ---------------------------------------------------------------------------------------------
def _read_parquet(name: str) -> pd.DataFrame:
    path = _FILES / name
    if not path.exists():
        raise FileNotFoundError(f"{path}: shipped NUTS file missing; run scripts/build_geo.py")
    return pd.read_parquet(path)


@lru_cache(maxsize=1)
def official_table() -> pd.DataFrame:
    """The official full correspondence tables (2010→2013, 2013→2016, 2016→2021), as shipped.

    Columns ``level, code_from, version_from, code_to, version_to, change_type, label, note,
    source`` (strings; ``level`` and versions as int). Empty codes mean "no code in this row".
    Source: Eurostat NUTS correspondence workbooks.
    """
    df = _read_parquet("nuts_correspondence.parquet")
    return _typed(df)


@lru_cache(maxsize=1)
def official_changes() -> pd.DataFrame:
    """The official change sheets (only changed codes), with Eurostat's "new = old" notes."""
    return _typed(_read_parquet("nuts_changes.parquet"))


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    for col in ("level", "version_from", "version_to"):
        df[col] = df[col].astype(int)
    for col in ("code_from", "code_to", "change_type", "label", "note"):
        df[col] = df[col].astype(str).str.strip()
    return df


def _clean_text(text: str) -> str:
    """Fix the typographic slips of the official notes (``FRFR25``, ``PTPT114``, ``FR 21``)."""
    text = re.sub(r"\b([A-Z]{2})\1(?=[0-9A-Z])", r"\1", text)
    return re.sub(r"\b([A-Z]{2}) (?=[0-9])", r"\1", text)


def _is_pure_official(change_type: str, note: str) -> bool:
    kind = re.sub(r"\s*\(previously[^)]*\)", "", change_type.lower()).strip()
    return kind in _PURE_OFFICIAL and "(part)" not in note


# ---------------------------------------------------------------------------------------------
# one revision step
# ---------------------------------------------------------------------------------------------
@lru_cache(maxsize=8)
def _step(version_from: int) -> pd.DataFrame:
    """Links of the revision step starting at ``version_from`` (all levels).

    Returns columns ``level, code_from, code_to, area_equal, whole, detail``.
    """
    full = official_table()
    full = full[full["version_from"] == version_from]
    if full.empty:
        raise ValueError(f"no NUTS revision starts at {version_from}; versions: {VERSIONS}")
    version_to = int(full["version_to"].iloc[0])
    changes = official_changes()
    changes = changes[changes["version_from"] == version_from]

    valid_from = dict(zip(full["code_from"], full["level"], strict=True))
    valid_from.pop("", None)
    valid_to = dict(zip(full["code_to"], full["level"], strict=True))
    valid_to.pop("", None)

    # official description of each old / new code (all its rows)
    from_types: dict[str, list[str]] = defaultdict(list)
    to_types: dict[str, list[str]] = defaultdict(list)
    formula: dict[tuple[str, str], str] = {}
    labels_from: dict[str, str] = {}
    labels_to: dict[str, str] = {}
    for row in full.itertuples(index=False):
        if row.code_from:
            from_types[row.code_from].append(row.change_type)
            labels_from.setdefault(row.code_from, row.label)
        if row.code_to:
            to_types[row.code_to].append(row.change_type)
            labels_to.setdefault(row.code_to, row.label)
    for row in changes.itertuples(index=False):
        note = row.note.replace("Eurostat explanation (new = old):", "").strip()
        if note:
            formula[(row.code_from, row.code_to)] = note

    links: dict[tuple[str, str], dict] = {}

    def add(a: str, b: str, level: int, official: str, note: str, how: str) -> None:
        key = (a, b)
        if key in links:
            return
        links[key] = {"level": level, "code_from": a, "code_to": b, "official": official,
                      "note": note, "how": how}

    # 1. explicit rows
    for row in full.itertuples(index=False):
        if row.code_from and row.code_to:
            add(row.code_from, row.code_to, row.level, row.change_type, row.note, "explicit")
    pure_explicit = {a for (a, _), v in links.items() if _is_pure_official(v["official"], v["note"])}

    # 2. links named in the official text
    parts_of: set[tuple[str, str]] = set()
    texts = [(r.level, r.code_from, r.code_to, r.change_type, r.note)
             for r in pd.concat([full, changes]).itertuples(index=False)]
    for level, code_from, code_to, ctype, note in texts:
        text = _clean_text(f"{ctype} ; {note}")
        if code_to and code_to in valid_to:
            for ref in _CODE_RE.findall(text):
                if len(ref) - 2 < level:
                    continue
                a = ref[: level + 2]
                if a in valid_from and valid_from[a] == level and a != code_to:
                    add(a, code_to, level, ctype, note, f"named in the note of {code_to}")
            for ref in _PARTS_RE.findall(text):
                if len(ref) - 2 >= level:
                    parts_of.add((ref[: level + 2], code_to))
        elif code_from and code_from in valid_from and not code_to:
            for ref in _CODE_RE.findall(text):
                if ref in valid_to and ref not in valid_from and valid_to[ref] == level:
                    add(code_from, ref, level, ctype, note, "named as successor")

    # 3. label pairing of boundary shifts without successor
    has_succ = {a for a, _ in links}
    has_pred = {b for _, b in links}
    orphans_to = defaultdict(list)
    for b, lev in valid_to.items():
        if b not in has_pred and b not in valid_from:
            orphans_to[(lev, b[:2], _norm(labels_to.get(b, "")))].append(b)
    for a, lev in valid_from.items():
        if a in has_succ or not any("boundary" in t.lower() for t in from_types[a]):
            continue
        cands = orphans_to.get((lev, a[:2], _norm(labels_from.get(a, ""))), [])
        if len(cands) == 1:
            add(a, cands[0], lev, "; ".join(from_types[a]), "", "paired by label")

    # 4. upward inference for levels 2, 1, 0
    for level in (2, 1, 0):
        children = [(a, b) for (a, b), v in list(links.items()) if v["level"] == level + 1]
        for a, b in children:
            pa, pb = a[: level + 2], b[: level + 2]
            if (valid_from.get(pa) == level and valid_to.get(pb) == level
                    and pa not in pure_explicit):
                add(pa, pb, level, "; ".join(from_types[pa]), "",
                    "inferred from the links of its sub-regions")

    df = pd.DataFrame(list(links.values()),
                      columns=["level", "code_from", "code_to", "official", "note", "how"])
    n_succ = df.groupby("code_from")["code_to"].transform("size")
    n_pred = df.groupby("code_to")["code_from"].transform("size")
    pure = np.array([_is_pure_official(t, n) for t, n in zip(df["official"], df["note"], strict=True)])
    df["area_equal"] = pure & (df["how"] == "explicit") & (n_succ == 1) & (n_pred == 1)
    boundary = df["code_from"].map(lambda a: any("boundary" in t.lower() for t in from_types[a]))
    part = [(a, b) in parts_of for a, b in zip(df["code_from"], df["code_to"], strict=True)]
    df["whole"] = df["area_equal"] | ((n_succ == 1) & ~boundary & ~np.array(part, dtype=bool))
    df["boundary"] = boundary & ~df["area_equal"]
    df["detail"] = [
        _describe(version_from, version_to, r.official, formula.get((r.code_from, r.code_to), ""), r.how)
        for r in df.itertuples(index=False)
    ]
    df = df[["level", "code_from", "code_to", "area_equal", "whole", "boundary", "detail"]].copy()
    df.attrs["valid_from"] = valid_from
    df.attrs["valid_to"] = valid_to
    return df


def _norm(label: str) -> str:
    return re.sub(r"\s+", " ", label).strip().casefold()


def _describe(v: int, w: int, official: str, formula: str, how: str) -> str:
    text = f"{v}→{w}: {official}"
    if formula:
        text += f" ({formula})"
    if how != "explicit":
        text += f" [{how}]"
    return text


def _validate_versions(from_version: int, to_version: int) -> None:
    for v in (from_version, to_version):
        if v not in VERSIONS:
            raise ValueError(f"NUTS version {v!r} not supported; choose from {VERSIONS}")
    if from_version > to_version:
        raise ValueError(
            f"backward recoding (NUTS {from_version} → {to_version}) is not supported: "
            "splits and boundary shifts cannot be undone from the correspondence tables"
        )


# ---------------------------------------------------------------------------------------------
# chained correspondence
# ---------------------------------------------------------------------------------------------
@lru_cache(maxsize=16)
def _chain(from_version: int, to_version: int) -> pd.DataFrame:
    """Composed links ``from_version → to_version`` with pure/whole flags and path detail."""
    _validate_versions(from_version, to_version)
    steps = [v for v in VERSIONS if from_version <= v < to_version]
    if not steps:  # identity
        full = official_table()
        last = full[full["version_to"] == to_version]
        codes = last.loc[last["code_to"] != "", ["level", "code_to"]].drop_duplicates("code_to")
        out = pd.DataFrame({"level": codes["level"].to_numpy(), "code_from": codes["code_to"].to_numpy(),
                            "code_to": codes["code_to"].to_numpy(), "area_equal": True, "whole": True,
                            "boundary": False, "detail": "same version"})
        out.attrs["valid_from"] = dict(zip(codes["code_to"], codes["level"], strict=True))
        out.attrs["valid_to"] = out.attrs["valid_from"]
        return out
    chain = _step(steps[0]).copy()
    valid_from = _step(steps[0]).attrs["valid_from"]
    for v in steps[1:]:
        nxt = _step(v)
        chain = chain.merge(nxt, left_on=["level", "code_to"], right_on=["level", "code_from"],
                            suffixes=("", "_n"), how="inner")
        chain = pd.DataFrame({
            "level": chain["level"], "code_from": chain["code_from"], "code_to": chain["code_to_n"],
            "area_equal": chain["area_equal"] & chain["area_equal_n"],
            "whole": chain["whole"] & chain["whole_n"],
            "boundary": chain["boundary"] | chain["boundary_n"],
            "detail": chain["detail"] + " | " + chain["detail_n"],
        })
    # two paths to the same pair: keep one row, pure only if all paths are
    chain = (chain.groupby(["level", "code_from", "code_to"], as_index=False, sort=False)
             .agg(area_equal=("area_equal", "all"), whole=("whole", "all"),
                  boundary=("boundary", "any"),
                  detail=("detail", " || ".join)))
    chain.attrs["valid_from"] = valid_from
    chain.attrs["valid_to"] = _step(steps[-1]).attrs["valid_to"]
    return chain


def correspondence(from_version: int, to_version: int = 2021, level: int | None = None) -> pd.DataFrame:
    """Correspondence between two NUTS versions, chained through the official tables.

    Parameters
    ----------
    from_version, to_version : int
        NUTS versions among :data:`VERSIONS` (2010, 2013, 2016, 2021), ``from_version <=
        to_version``. Chaining follows 2010 → 2013 → 2016 → 2021.
    level : int, optional
        Keep only NUTS level 0, 1, 2 or 3.

    Returns
    -------
    pandas.DataFrame
        One row per (old code, new code) link, plus one row per discontinued old code
        (``code_to`` missing) and per new code without predecessor (``code_from`` missing).
        Columns: ``level, code_from, version_from, code_to, version_to, change_type`` (one of
        :data:`CHANGE_TYPES`), ``pure`` (the values may be carried over unchanged),
        ``merge_complete`` (for ``merge`` rows: every predecessor of ``code_to`` is a whole
        region merged into it, so summing them reproduces ``code_to``), ``detail`` (the official
        change types and Eurostat notes along the path).

    Examples
    --------
    >>> c = correspondence(2013, 2021, level=2)
    >>> c.loc[c.code_from == "FR71", ["code_to", "change_type"]].values.tolist()
    [['FRK2', 'recode']]
    """
    if level is not None and level not in (0, 1, 2, 3):
        raise ValueError(f"level must be 0, 1, 2 or 3, got {level!r}")
    out = _correspondence(int(from_version), int(to_version))
    if level is not None:
        out = out[out["level"] == level]
    return out.reset_index(drop=True)


@lru_cache(maxsize=16)
def _correspondence(from_version: int, to_version: int) -> pd.DataFrame:
    out = _classify(_chain(from_version, to_version))
    out.insert(2, "version_from", from_version)
    out.insert(4, "version_to", to_version)
    return out


def _classify(chain: pd.DataFrame) -> pd.DataFrame:
    n_succ = chain.groupby("code_from")["code_to"].transform("size")
    n_pred = chain.groupby("code_to")["code_from"].transform("size")
    one_to_one = chain["area_equal"] & (n_succ == 1) & (n_pred == 1)
    boundary = chain["boundary"].groupby(chain["code_from"]).transform("any")
    ctype = np.select(
        [one_to_one & (chain["code_from"] == chain["code_to"]),
         one_to_one,
         boundary,
         n_succ > 1,
         (n_pred > 1) & chain["whole"]],
        ["unchanged", "recode", "boundary_shift", "split", "merge"],
        default="boundary_shift",
    )
    links = chain.assign(change_type=ctype)
    whole_merge = links["change_type"].eq("merge")
    complete = whole_merge.groupby(links["code_to"]).transform("all")
    links["merge_complete"] = whole_merge & complete
    links["pure"] = links["change_type"].isin(PURE_TYPES)

    valid_from, valid_to = chain.attrs["valid_from"], chain.attrs["valid_to"]
    gone = sorted(set(valid_from) - set(links["code_from"]))
    covered = {c[:2] for c in valid_from}  # earlier tables omit CH, LI, NO, IS, candidates
    new = sorted(c for c in set(valid_to) - set(links["code_to"]) if c[:2] in covered)
    extra = pd.DataFrame(
        [{"level": valid_from[c], "code_from": c, "code_to": None, "change_type": "discontinued",
          "detail": "no successor in the official tables"} for c in gone]
        + [{"level": valid_to[c], "code_from": None, "code_to": c, "change_type": "new",
            "detail": "no predecessor in the official tables"} for c in new],
        columns=["level", "code_from", "code_to", "change_type", "detail"],
    )
    extra["pure"] = False
    extra["merge_complete"] = False
    cols = ["level", "code_from", "code_to", "change_type", "pure", "merge_complete", "detail"]
    out = pd.concat([links[cols], extra[cols]], ignore_index=True)
    out["level"] = out["level"].astype(int)
    out["pure"] = out["pure"].astype(bool)
    out["merge_complete"] = out["merge_complete"].astype(bool)
    key = out["code_from"].fillna(out["code_to"])
    return out.assign(_k=key).sort_values(["level", "_k", "code_to"], na_position="last").drop(columns="_k")


@lru_cache(maxsize=16)
def _groups(from_version: int, to_version: int) -> dict[str, pd.DataFrame]:
    corr = correspondence(from_version, to_version)
    corr = corr[corr["code_from"].notna()]
    return {k: g for k, g in corr.groupby("code_from", sort=False)}


def recode_codes(codes: Iterable[str], from_version: int, to_version: int = 2021) -> pd.DataFrame:
    """What happens to each code between two NUTS versions.

    Parameters
    ----------
    codes : iterable of str
        NUTS codes of ``from_version`` (any level; duplicates are collapsed).
    from_version, to_version : int
        See :func:`correspondence`.

    Returns
    -------
    pandas.DataFrame
        Indexed by the input code: ``level``, ``change_type`` (one of :data:`CHANGE_TYPES`, or
        ``"unknown"`` for a code that is not a NUTS code of ``from_version``), ``code_to`` (the
        successor when there is exactly one, else missing), ``successors`` (tuple of all
        successor codes), ``pure`` (``code_to`` can replace the code without changing the
        numbers), ``merge_complete`` and ``detail`` (see :func:`correspondence`).
    """
    codes = list(dict.fromkeys(str(c) for c in codes))
    groups = _groups(int(from_version), int(to_version))
    rows = []
    for code in codes:
        g = groups.get(code)
        if g is None:
            rows.append({"code": code, "level": pd.NA, "change_type": "unknown", "code_to": None,
                         "successors": (), "pure": False, "merge_complete": False,
                         "detail": f"not a NUTS {from_version} code in the correspondence tables"})
            continue
        succ = tuple(c for c in g["code_to"] if isinstance(c, str))
        rows.append({
            "code": code, "level": int(g["level"].iloc[0]), "change_type": g["change_type"].iloc[0],
            "code_to": succ[0] if len(succ) == 1 else None, "successors": succ,
            "pure": bool(g["pure"].all()), "merge_complete": bool(g["merge_complete"].all()),
            "detail": " || ".join(dict.fromkeys(g["detail"])),
        })
    out = pd.DataFrame(rows, columns=["code", "level", "change_type", "code_to", "successors",
                                      "pure", "merge_complete", "detail"])
    out["level"] = out["level"].astype("Int8")
    return out.set_index("code")


# ---------------------------------------------------------------------------------------------
# recoding a Panel
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class RecodeReport:
    """What :func:`recode` did to each region code.

    Attributes
    ----------
    from_version, to_version : int
    strategy : str
    recoded : pandas.DataFrame
        Pure recodes applied (``code_from, code_to``).
    merged : pandas.DataFrame
        Codes summed into a merged region (``code_from, code_to``), ``strategy="merge"`` only.
    kept : pandas.DataFrame
        Codes left as they were although their area changed (``strategy="keep"``), with
        ``change_type``, ``successors`` and ``detail``: these codes are NOT comparable with the
        ``to_version`` region of the same or similar code.
    refused : pandas.DataFrame
        Codes that blocked the recode (``strategy="refuse"``/``"merge"``), same columns.
    unknown : tuple of str
        Codes that are not NUTS codes of ``from_version`` (aggregates such as ``EU27_2020``,
        or regions outside the tables); they are left unchanged.
    """

    from_version: int
    to_version: int
    strategy: str
    recoded: pd.DataFrame = field(repr=False)
    merged: pd.DataFrame = field(repr=False)
    kept: pd.DataFrame = field(repr=False)
    refused: pd.DataFrame = field(repr=False)
    unknown: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when nothing was refused."""
        return self.refused.empty

    def summary(self) -> str:
        """Human-readable multi-line summary naming every affected code."""
        lines = [f"NUTS {self.from_version} → {self.to_version} (strategy={self.strategy!r}): "
                 f"{len(self.recoded)} recoded, {len(self.merged)} merged, "
                 f"{len(self.kept)} kept as is, {len(self.refused)} refused, "
                 f"{len(self.unknown)} unknown"]
        for title, df in (("recoded", self.recoded), ("merged", self.merged)):
            for r in df.itertuples(index=False):
                lines.append(f"  {title}: {r.code_from} → {r.code_to}")
        for title, df in (("kept (area changed, not comparable)", self.kept), ("refused", self.refused)):
            for r in df.itertuples(index=False):
                succ = ", ".join(r.successors) or "no successor"
                lines.append(f"  {title}: {r.code} — {r.change_type} → {succ}; {r.detail}")
        if self.unknown:
            lines.append("  unknown (left unchanged): " + ", ".join(self.unknown))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


class NutsRecodeError(ValueError):
    """A recode that would change what the numbers describe; ``.report`` has the details."""

    def __init__(self, message: str, report: RecodeReport):
        super().__init__(message)
        self.report = report


def recode(
    panel: Panel,
    to: int = 2021,
    from_version: int | None = None,
    strategy: Literal["refuse", "keep", "merge"] = "refuse",
    *,
    return_report: bool = False,
) -> Panel | tuple[Panel, RecodeReport]:
    """Recode a :class:`~smartspec.data.panel.Panel` to another NUTS version.

    Parameters
    ----------
    panel : Panel
        Long panel whose ``region`` column holds NUTS codes of ``from_version``.
    to : int, default 2021
        Target NUTS version.
    from_version : int, optional
        Source version; defaults to ``panel.meta.region_version``.
    strategy : {"refuse", "keep", "merge"}
        What to do with codes whose area changed (split, merge, boundary shift, discontinued):

        * ``"refuse"`` (default): raise :class:`NutsRecodeError` listing each such code and what
          happened to it.
        * ``"keep"``: keep those codes unchanged and list them in ``report.kept`` (they remain
          ``from_version`` areas; compare them with ``to`` regions at your own risk).
        * ``"merge"``: sum complete many-to-one merges, i.e. new regions made only of whole old
          regions (value_new = Σ value_old per activity and year; missing, flagged
          ``"incomplete"``, if any predecessor is absent or NaN); refuse everything else.

        Pure recodes (same area, new code) are always applied silently and listed in
        ``report.recoded``; unchanged codes are untouched and values are never altered.
    return_report : bool, default False
        Return ``(panel, report)`` instead of the panel alone.

    Returns
    -------
    Panel or (Panel, RecodeReport)
        A new Panel with ``meta.region_version = to`` (the input is not modified).

    Raises
    ------
    NutsRecodeError
        A code changed area under ``strategy="refuse"`` / ``"merge"``, or a recoded code would
        collide with a code already present in the panel.
    """
    from smartspec.data.panel import Panel  # lazy: panel imports nothing from here

    if strategy not in ("refuse", "keep", "merge"):
        raise ValueError(f"strategy must be 'refuse', 'keep' or 'merge', got {strategy!r}")
    meta = panel.meta
    if meta.region_classification.upper() != "NUTS":
        raise ValueError(f"panel regions are {meta.region_classification!r}, not NUTS")
    from_version = meta.region_version if from_version is None else from_version
    if from_version is None:
        raise ValueError("the panel's meta.region_version is not set; pass from_version=")
    from_version, to = int(from_version), int(to)
    _validate_versions(from_version, to)

    frame = panel.frame
    info = recode_codes(pd.unique(frame["region"].astype(str)), from_version, to)
    unknown = tuple(info.index[info["change_type"] == "unknown"])
    pure = info[info["pure"]]
    mapping = {c: t for c, t in zip(pure.index, pure["code_to"], strict=True) if c != t}
    changed = info[(info["change_type"] != "unknown") & ~info["pure"]]
    mergeable = changed[changed["merge_complete"]] if strategy == "merge" else changed.iloc[0:0]
    blocked = changed.drop(mergeable.index)

    def table(df: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({"code": df.index, "change_type": df["change_type"].to_numpy(),
                             "successors": list(df["successors"]), "detail": df["detail"].to_numpy()})

    empty_pairs = pd.DataFrame({"code_from": pd.Series(dtype=str), "code_to": pd.Series(dtype=str)})
    report = RecodeReport(
        from_version=from_version, to_version=to, strategy=strategy,
        recoded=pd.DataFrame({"code_from": list(mapping), "code_to": list(mapping.values())})
        if mapping else empty_pairs,
        merged=pd.DataFrame({"code_from": mergeable.index, "code_to": mergeable["code_to"].to_numpy()})
        if len(mergeable) else empty_pairs,
        kept=table(blocked) if strategy == "keep" else table(blocked.iloc[0:0]),
        refused=table(blocked) if strategy != "keep" else table(blocked.iloc[0:0]),
        unknown=unknown,
    )
    if not report.ok:
        raise NutsRecodeError(
            f"cannot recode NUTS {from_version} → {to} without changing the areas of "
            f"{len(report.refused)} region(s); use strategy='keep' to keep them as they are"
            + (" or strategy='merge' to sum complete merges" if strategy != "merge" else "")
            + ".\n" + report.summary(),
            report,
        )

    new = frame.copy()
    region = new["region"].astype(str)
    merge_map = dict(zip(mergeable.index, mergeable["code_to"], strict=True))
    target = pd.Series([mapping.get(c, merge_map.get(c, c)) for c in region],
                       index=region.index, dtype=object)
    # a recoded code must not land on a code that is already in the panel
    present = set(region)
    clash = sorted({t for c, t in mapping.items() if t in present and t not in mapping}
                   | {t for t in mergeable["code_to"] if t in present and t not in mapping})
    if clash:
        raise NutsRecodeError(
            f"recoding to NUTS {to} would merge rows with regions already present: {clash} "
            "(the panel mixes NUTS versions)", report)
    new["region"] = target.astype(str)
    if len(mergeable):
        new = _sum_merges(new, set(mergeable["code_to"]), mergeable, region)
    new_meta = dataclasses.replace(meta, region_version=to)
    out = Panel(new.reset_index(drop=True), new_meta)
    return (out, report) if return_report else out


def _sum_merges(frame: pd.DataFrame, targets: set[str], mergeable: pd.DataFrame,
                original: pd.Series) -> pd.DataFrame:
    """Sum rows recoded to a merge target.

    A merged cell is the sum of its parts when every part is present and known (no flag, as
    in :meth:`Panel.aggregate`); otherwise it is missing with flag ``"incomplete"``: a partial
    sum would describe a smaller area than the new region.
    """
    from smartspec.data.panel import INCOMPLETE_FLAG

    is_t = frame["region"].isin(targets).to_numpy()
    rest = frame[~is_t]
    part = pd.DataFrame({
        "region": frame["region"].to_numpy()[is_t],
        "activity": frame["activity"].astype(str).to_numpy()[is_t],
        "year": frame["year"].to_numpy()[is_t],
        "value": frame["value"].to_numpy(dtype=float)[is_t],
        "_src": original.to_numpy()[is_t],
    })
    need = mergeable.groupby("code_to").size()
    summed = part.groupby(["region", "activity", "year"], as_index=False, sort=False).agg(
        value=("value", "sum"), known=("value", "count"), parts=("_src", "nunique"))
    complete = ((summed["known"] == summed["parts"])
                & (summed["parts"].to_numpy() == summed["region"].map(need).to_numpy()))
    summed["value"] = summed["value"].where(complete, np.nan)
    summed["flag"] = pd.Series(np.where(complete, None, INCOMPLETE_FLAG), dtype=object)
    keep = ["region", "activity", "year", "value", "flag"]
    rest = rest[[c for c in keep if c in rest.columns]].astype({"region": str, "activity": str})
    if "flag" in rest.columns:
        rest = rest.astype({"flag": object})
    return pd.concat([rest, summed[keep]], ignore_index=True)
