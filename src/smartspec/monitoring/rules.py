"""Viability and competitiveness check of a TA: a traffic light with the reasons behind it.

:func:`check` is pure: it works on :class:`WorkspaceData` loaded beforehand (by
:func:`smartspec.store.monitoring_services.load_workspace_data`, or built by hand) and applies
a set of documented, configurable rules (:data:`DEFAULT_RULES`). Each rule returns one or more
:class:`Reason` objects with a status:

``green``
    the rule passed; ``amber``: a warning; ``red``: a problem;
``unknown``
    the rule could not be evaluated (no data, no target, no planned date); it does not change
    the light, but when *no* rule could be evaluated the light is amber ("nothing could be
    checked").

The TA's light is the worst status among its reasons (red > amber > green).

Rules (defaults in brackets; change them with :func:`configure_rules`, or per TA through the
monitoring plan's ``rules`` overrides)
-------------------------------------------------------------------------------------------------
``rca_below_one`` [red]
    the latest RCA has fallen below ``threshold`` [1.0] from a baseline at or above it: the
    region is no longer specialised. When the RCA was already below the threshold at the
    baseline (a diversification TA), the finding is amber ("not yet specialised").
``rca_falling`` [amber]
    the RCA fell in each of the last ``years`` [3] year-on-year steps, each time by more than
    ``min_decline`` [0.0].
``density_falling`` [amber]
    relatedness density fell by more than ``min_drop`` [5 %] (relative) over the last
    ``window`` [3] years: the related capabilities around the TA are thinning.
``declining_globally`` [amber]
    the activity's employment across all regions shrank by more than ``threshold`` [-0.5 %]
    a year (geometric mean of the annual growth over the last ``window`` [5] years; the same
    threshold as the discovery's decline).
``output_behind_target`` [amber / red]
    for each indicator of ``kinds`` [output] with a baseline and a target: the share of the
    planned change achieved by the latest observation, divided by the share planned by then
    on the linear path, is below ``1 - tolerance`` [0.1] (amber) or below ``red_below`` [0.5]
    (red); a target year passed without the target reached is red; no observation since the
    path started is amber.
``critical_mass_late`` [red]
    critical mass (latest ``critical_mass_ratio`` >= ``threshold`` [1.0]) is not reached by
    the planned date of the monitoring plan; amber when the date is less than
    ``warn_years`` [1] years away.
``helix_lost`` [amber]
    the consortium lost a quadruple-helix type it had when the plan started (or has no
    consortium any more).
``discovery_rank`` [amber]
    the element 2 discovery, re-run on the new data, no longer ranks the TA within the top
    ``top_k`` [10] (the monitoring plan's ``top_k`` wins); the reason names the new rank and
    the candidates that overtook the TA.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from smartspec.monitoring.indicators import Indicator, progress_towards_target

__all__ = [
    "DEFAULT_RULES",
    "STATUSES",
    "CheckResult",
    "DiscoveryRun",
    "DiscoveryStanding",
    "Reason",
    "Rule",
    "TAData",
    "WorkspaceData",
    "check",
    "check_all",
    "configure_rules",
    "discovery_standing",
    "worst",
]

#: Traffic-light statuses, best first.
STATUSES: tuple[str, ...] = ("green", "amber", "red")
_REASON_STATUSES = (*STATUSES, "unknown")
_ORDER = {"unknown": -1, "green": 0, "amber": 1, "red": 2}


def worst(statuses: Iterable[str]) -> str:
    """The worst of traffic-light statuses (``"unknown"`` ignored; ``"green"`` if none)."""
    best = "green"
    for s in statuses:
        if _ORDER.get(s, -1) > _ORDER[best]:
            best = s
    return best


# ---------------------------------------------------------------------------------------------
# loaded data
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TAData:
    """Everything the check needs to know about one TA (loaded from the store or built).

    Attributes
    ----------
    activity, label : the TA's activity code and name.
    indicators : the TA's indicators by key.
    observations : indicator key -> {year: value}.
    critical_mass_due : the date by which critical mass should be reached (monitoring plan).
    top_k : rank the TA must keep among the discovery's candidates (monitoring plan).
    rule_overrides : per-TA rule configuration (see :func:`configure_rules`).
    helix_baseline : helix types of the consortium when the plan started.
    helix_current : helix types of the current consortium (None: no consortium).
    context_code : the activity code followed in the evidence data (e.g. ``"C"``).
    notes : caveats of the loaded data.
    """

    activity: str
    label: str = ""
    indicators: Mapping[str, Indicator] = field(default_factory=dict)
    observations: Mapping[str, Mapping[int, float]] = field(default_factory=dict)
    critical_mass_due: dt.date | None = None
    top_k: int | None = None
    rule_overrides: Mapping[str, Any] = field(default_factory=dict)
    helix_baseline: frozenset[str] = frozenset()
    helix_current: frozenset[str] | None = None
    context_code: str | None = None
    notes: tuple[str, ...] = ()

    def series(self, key: str, as_of: int | None = None) -> list[tuple[int, float]]:
        """Observations of ``key`` up to ``as_of`` as sorted ``(year, value)`` pairs (finite
        values only)."""
        obs = self.observations.get(key) or {}
        return sorted((int(y), float(v)) for y, v in obs.items()
                      if v is not None and math.isfinite(float(v))
                      and (as_of is None or int(y) <= as_of))


@dataclass(frozen=True)
class DiscoveryRun:
    """Candidate rankings of the discovery re-run (:func:`smartspec.discovery.candidates`).

    ``current`` is the ranking on the data up to the check's year, ``reference`` the ranking on
    the data of the TA's selection (None when unknown); both are indexed by activity with at
    least a ``rank`` column (``label`` and ``score`` are used when present).
    """

    current: pd.DataFrame
    reference: pd.DataFrame | None = None
    year: int | None = None
    reference_year: int | None = None
    source: str = ""


@dataclass(frozen=True)
class WorkspaceData:
    """The loaded monitoring data of a workspace: its TAs and the discovery re-run."""

    slug: str
    name: str = ""
    region: str = ""
    tas: Mapping[str, TAData] = field(default_factory=dict)
    discovery: DiscoveryRun | None = None
    data_years: tuple[int, ...] = ()
    today: dt.date | None = None
    #: Caveats of the loaded data (e.g. why the discovery could not be re-run).
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class DiscoveryStanding:
    """Where the TA stands in the re-run discovery.

    Attributes
    ----------
    activity : the TA.
    rank, score : its rank (1 = best) and score now; None if it is no longer a candidate.
    n_candidates : number of candidates now.
    top_k : the rank it must keep.
    still_selected : ``rank <= top_k``.
    reference_rank : its rank in the reference ranking (selection time), if known.
    overtaken_by : candidates ranked above it now that were below it (or absent) in the
        reference ranking: ``[{"activity", "label", "rank", "reference_rank"}]``.
    ahead : every candidate ranked above it now (activity codes, best first).
    """

    activity: str
    rank: int | None
    score: float | None
    n_candidates: int
    top_k: int
    still_selected: bool
    reference_rank: int | None = None
    overtaken_by: tuple[dict[str, Any], ...] = ()
    ahead: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain values (JSON-safe)."""
        return {"activity": self.activity, "rank": self.rank, "score": self.score,
                "n_candidates": self.n_candidates, "top_k": self.top_k,
                "still_selected": self.still_selected, "reference_rank": self.reference_rank,
                "overtaken_by": [dict(o) for o in self.overtaken_by], "ahead": list(self.ahead)}


def _rank_of(frame: pd.DataFrame | None, activity: str) -> int | None:
    if frame is None or activity not in frame.index:
        return None
    v = frame.at[activity, "rank"]
    return None if pd.isna(v) else int(v)


def discovery_standing(run: DiscoveryRun, activity: str, *, top_k: int = 10
                       ) -> DiscoveryStanding:
    """Would the TA still be selected? Its rank now, and who overtook it.

    Parameters
    ----------
    run : the rankings (see :class:`DiscoveryRun`).
    activity : the TA's activity code.
    top_k : the TA counts as still selected while ``rank <= top_k``.
    """
    if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
        raise ValueError(f"top_k must be a positive integer, got {top_k!r}")
    cur = run.current
    if "rank" not in cur.columns:
        raise ValueError("the discovery ranking needs a 'rank' column")
    rank = _rank_of(cur, activity)
    ref_rank = _rank_of(run.reference, activity)
    score = None
    if rank is not None and "score" in cur.columns:
        score = float(cur.at[activity, "score"])
    ahead: list[str] = []
    overtaken: list[dict[str, Any]] = []
    if rank is not None:
        above = cur[cur["rank"] < rank].sort_values("rank")
        ahead = [str(a) for a in above.index]
        if run.reference is not None:
            for a, row in above.iterrows():
                before = _rank_of(run.reference, str(a))
                if ref_rank is None or before is None or before > ref_rank:
                    overtaken.append({"activity": str(a),
                                      "label": str(row.get("label", "") or ""),
                                      "rank": int(row["rank"]), "reference_rank": before})
    return DiscoveryStanding(activity=activity, rank=rank, score=score,
                             n_candidates=int(len(cur)), top_k=int(top_k),
                             still_selected=rank is not None and rank <= top_k,
                             reference_rank=ref_rank, overtaken_by=tuple(overtaken),
                             ahead=tuple(ahead))


# ---------------------------------------------------------------------------------------------
# results
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Reason:
    """One rule's finding: its status, a plain-language message and the evidence values."""

    rule: str
    status: str
    message: str
    evidence: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain values (JSON-safe)."""
        return {"rule": self.rule, "status": self.status, "message": self.message,
                "evidence": _json_safe(dict(self.evidence))}


@dataclass(frozen=True)
class CheckResult:
    """The traffic light of a TA and the reasons behind it."""

    ta: str
    as_of: int
    status: str
    reasons: tuple[Reason, ...]
    standing: DiscoveryStanding | None = None
    label: str = ""

    @property
    def problems(self) -> list[Reason]:
        """Amber and red reasons, worst first."""
        bad = [r for r in self.reasons if r.status in ("amber", "red")]
        return sorted(bad, key=lambda r: -_ORDER[r.status])

    @property
    def summary(self) -> str:
        """One line: the light and the main problems."""
        if not self.problems:
            return f"{self.status}: no problem found"
        return f"{self.status}: " + "; ".join(r.message for r in self.problems[:3])

    def to_dict(self) -> dict[str, Any]:
        """Plain values (JSON-safe)."""
        return {"ta": self.ta, "label": self.label, "as_of": self.as_of,
                "status": self.status, "reasons": [r.to_dict() for r in self.reasons],
                "standing": self.standing.to_dict() if self.standing else None}


def _json_safe(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value) if isinstance(value, set | frozenset) else value
        return [_json_safe(v) for v in items]
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return _json_safe(value.item())
    return value


# ---------------------------------------------------------------------------------------------
# rules
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RuleContext:
    """What a rule sees besides the TA: the year, the date and the discovery standing."""

    as_of: int
    today: dt.date
    standing: DiscoveryStanding | None


Evaluate = Callable[[TAData, RuleContext, Mapping[str, Any], str], list[Reason]]


@dataclass(frozen=True)
class Rule:
    """A configurable check rule.

    Attributes
    ----------
    name : identifier.
    description : what it checks (plain language).
    evaluate : ``(ta, context, params, status) -> [Reason]``.
    params : parameter values (the defaults of :data:`DEFAULT_RULES`).
    status : the status given when the rule is triggered (``"amber"`` or ``"red"``).
    enabled : disabled rules are skipped.
    """

    name: str
    description: str
    evaluate: Evaluate
    params: Mapping[str, Any] = field(default_factory=dict)
    status: str = "amber"
    enabled: bool = True

    def configured(self, overrides: Mapping[str, Any] | bool) -> Rule:
        """A copy with ``overrides`` applied: ``False``/``True`` (disable/enable) or a mapping
        of parameters plus optional ``"status"`` and ``"enabled"``.

        Raises
        ------
        ValueError
            Unknown parameter, wrong type, or a status other than amber / red.
        """
        if isinstance(overrides, bool):
            return replace(self, enabled=overrides)
        if not isinstance(overrides, Mapping):
            raise ValueError(f"rule {self.name!r}: overrides must be a mapping or a boolean, got "
                             f"{type(overrides).__name__}")
        params = dict(self.params)
        status, enabled = self.status, self.enabled
        for key, value in overrides.items():
            if key == "status":
                if value not in ("amber", "red"):
                    raise ValueError(f"rule {self.name!r}: status must be 'amber' or 'red', "
                                     f"got {value!r}")
                status = value
            elif key == "enabled":
                if not isinstance(value, bool):
                    raise ValueError(f"rule {self.name!r}: enabled must be true or false")
                enabled = value
            elif key in params:
                params[key] = _coerce(self.name, key, params[key], value)
            else:
                known = ", ".join([*params, "status", "enabled"])
                raise ValueError(f"rule {self.name!r} has no parameter {key!r} (parameters: "
                                 f"{known})")
        return replace(self, params=params, status=status, enabled=enabled)


def _coerce(rule: str, key: str, default: Any, value: Any) -> Any:
    where = f"rule {rule!r}, parameter {key!r}"
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ValueError(f"{where} must be true or false, got {value!r}")
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value \
                or value < 1:
            raise ValueError(f"{where} must be a positive integer, got {value!r}")
        return int(value)
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, int | float) \
                or not math.isfinite(float(value)):
            raise ValueError(f"{where} must be a number, got {value!r}")
        return float(value)
    if isinstance(default, tuple):
        if isinstance(value, str):
            value = (value,)
        return tuple(str(v) for v in value)
    return value


def _num(v: float | None) -> str:
    """A value for a message: thousands separators for large numbers, 3 significant digits
    otherwise."""
    if v is None or not math.isfinite(float(v)):
        return "n/a"
    x = float(v)
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if x.is_integer():
        return f"{int(x)}"
    return f"{x:.3g}"


def _latest(ta: TAData, key: str, as_of: int) -> tuple[int, float] | None:
    s = ta.series(key, as_of)
    return s[-1] if s else None


def _code(ta: TAData) -> str:
    return f"{ta.context_code} (data aggregate of {ta.activity})" \
        if ta.context_code and ta.context_code != ta.activity else ta.activity


def _rule_rca_below_one(ta: TAData, ctx: RuleContext, p: Mapping[str, Any],
                        status: str) -> list[Reason]:
    name = "rca_below_one"
    last = _latest(ta, "rca", ctx.as_of)
    if last is None:
        return [Reason(name, "unknown", "no RCA observation: import a data year")]
    year, value = last
    ind = ta.indicators.get("rca")
    if ind is not None and ind.baseline_value is not None:
        y0, v0 = int(ind.baseline_year), float(ind.baseline_value)  # type: ignore[arg-type]
    else:
        y0, v0 = ta.series("rca", ctx.as_of)[0]
    ev = {"year": year, "rca": value, "threshold": p["threshold"], "activity": ta.context_code,
          "baseline_year": y0, "baseline": v0}
    if value < p["threshold"]:
        if v0 < p["threshold"]:  # never specialised: a diversification TA, not a loss
            return [Reason(name, "amber", f"RCA {value:.2f} in {year} is below "
                           f"{p['threshold']:g} as it was at the baseline ({v0:.2f} in {y0}): "
                           f"the region is not (yet) specialised in {_code(ta)}", ev)]
        return [Reason(name, status, f"RCA {value:.2f} in {year} has fallen below "
                       f"{p['threshold']:g} (baseline {v0:.2f} in {y0}): the region is no "
                       f"longer specialised in {_code(ta)}", ev)]
    return [Reason(name, "green", f"RCA {value:.2f} in {year} (specialised)", ev)]


def _rule_rca_falling(ta: TAData, ctx: RuleContext, p: Mapping[str, Any],
                      status: str) -> list[Reason]:
    name = "rca_falling"
    n = int(p["years"])
    s = ta.series("rca", ctx.as_of)
    if len(s) < n + 1:
        return [Reason(name, "unknown", f"fewer than {n + 1} years of RCA")]
    window = s[-(n + 1):]
    steps = [b[1] - a[1] for a, b in zip(window, window[1:], strict=False)]
    ev = {"years": [y for y, _ in window], "rca": [v for _, v in window],
          "min_decline": p["min_decline"]}
    if all(d < -p["min_decline"] for d in steps):
        return [Reason(name, status, f"RCA fell {n} years in a row, from {window[0][1]:.2f} "
                       f"({window[0][0]}) to {window[-1][1]:.2f} ({window[-1][0]})", ev)]
    return [Reason(name, "green", f"RCA not falling steadily ({window[0][1]:.2f} in "
                   f"{window[0][0]}, {window[-1][1]:.2f} in {window[-1][0]})", ev)]


def _rule_density_falling(ta: TAData, ctx: RuleContext, p: Mapping[str, Any],
                          status: str) -> list[Reason]:
    name = "density_falling"
    s = ta.series("density", ctx.as_of)
    if not s:
        return [Reason(name, "unknown", "no relatedness-density observation")]
    y1, d1 = s[-1]
    before = [(y, v) for y, v in s if y <= y1 - int(p["window"])]
    if not before:
        return [Reason(name, "unknown", f"no density {p['window']} years before {y1}")]
    y0, d0 = before[-1]
    if d0 <= 0:
        return [Reason(name, "unknown", f"density was 0 in {y0}: no relative change")]
    change = (d1 - d0) / d0
    ev = {"from_year": y0, "from": d0, "to_year": y1, "to": d1, "change": change,
          "min_drop": p["min_drop"]}
    if change < -p["min_drop"]:
        return [Reason(name, status, f"relatedness density fell {-change:.0%} from {d0:.2f} "
                       f"({y0}) to {d1:.2f} ({y1})", ev)]
    return [Reason(name, "green", f"relatedness density {d1:.2f} in {y1} ({change:+.0%} since "
                   f"{y0})", ev)]


def _rule_declining_globally(ta: TAData, ctx: RuleContext, p: Mapping[str, Any],
                             status: str) -> list[Reason]:
    name = "declining_globally"
    s = ta.series("global_growth", ctx.as_of)
    if not s:
        return [Reason(name, "unknown", "no global-growth observation (needs two data years)")]
    y1 = s[-1][0]
    window = [(y, g) for y, g in s if y > y1 - int(p["window"])]
    if any(g <= -1 for _, g in window):
        mean = -1.0
    else:
        mean = math.exp(sum(math.log1p(g) for _, g in window) / len(window)) - 1.0
    ev = {"years": [y for y, _ in window], "growth": [g for _, g in window],
          "mean_growth": mean, "threshold": p["threshold"]}
    span = f"{window[0][0]}-{y1}" if len(window) > 1 else str(y1)
    if mean < p["threshold"]:
        return [Reason(name, status, f"{_code(ta)} is declining in all regions: "
                       f"{mean:+.1%} a year ({span})", ev)]
    return [Reason(name, "green", f"{_code(ta)} grows {mean:+.1%} a year in all regions "
                   f"({span})", ev)]


def _rule_output_behind(ta: TAData, ctx: RuleContext, p: Mapping[str, Any],
                        status: str) -> list[Reason]:
    name = "output_behind_target"
    kinds = set(p["kinds"])
    out: list[Reason] = []
    for ind in ta.indicators.values():
        if ind.kind not in kinds or not ind.has_target:
            continue
        if ind.target_value == ind.baseline_value:
            continue
        t0, t1 = int(ind.baseline_year), int(ind.target_year)  # type: ignore[arg-type]
        if ctx.as_of <= t0:
            continue  # the path has not started
        obs = [(y, v) for y, v in ta.series(ind.key, ctx.as_of) if y > t0]
        ev: dict[str, Any] = {"indicator": ind.key, "baseline": ind.baseline_value,
                              "baseline_year": t0, "target": ind.target_value,
                              "target_year": t1, "expected_now": ind.expected(ctx.as_of)}
        if not obs:
            out.append(Reason(name, "amber", f"{ind.name}: no observation since the baseline "
                              f"({t0}); expected {_num(ind.expected(ctx.as_of))} by "
                              f"{ctx.as_of}", ev))
            continue
        year, value = obs[-1]
        prog = progress_towards_target(ind, year, value)
        ev.update({"year": year, "value": value, "expected": prog["expected"],
                   "planned_share": prog["planned"], "achieved_share": prog["achieved"]})
        if year >= t1:
            if prog["achieved"] >= 1.0 - 1e-9:
                out.append(Reason(name, "green", f"{ind.name}: target {_num(ind.target_value)} "
                                  f"reached ({_num(value)} in {year})", ev))
            else:
                out.append(Reason(name, "red", f"{ind.name}: target {_num(ind.target_value)} "
                                  f"for {t1} missed ({_num(value)} in {year})", ev))
            continue
        if ctx.as_of > t1:
            out.append(Reason(name, "red", f"{ind.name}: target year {t1} passed without the "
                              f"target ({_num(ind.target_value)}); last value {_num(value)} "
                              f"({year})", ev))
            continue
        planned = prog["planned"]
        if planned <= 0:
            continue
        ratio = prog["achieved"] / planned
        ev["ratio"] = ratio
        text = (f"{ind.name}: {_num(value)} in {year} against {_num(prog['expected'])} on the "
                f"path to {_num(ind.target_value)} in {t1} ({ratio:.0%} of the planned progress)")
        if ratio < p["red_below"]:
            out.append(Reason(name, "red", text, ev))
        elif ratio < 1.0 - p["tolerance"]:
            out.append(Reason(name, status, text, ev))
        else:
            out.append(Reason(name, "green", text, ev))
    if not out:
        return [Reason(name, "unknown", "no output indicator with a baseline and a target "
                       "whose path has started")]
    return out


def _as_of_date(as_of: int, today: dt.date) -> dt.date:
    return today if today.year == as_of else dt.date(as_of, 12, 31)


def _rule_critical_mass(ta: TAData, ctx: RuleContext, p: Mapping[str, Any],
                        status: str) -> list[Reason]:
    name = "critical_mass_late"
    due = ta.critical_mass_due
    last = _latest(ta, str(p["indicator"]), ctx.as_of)
    if due is None:
        return [Reason(name, "unknown", "no planned date for critical mass in the monitoring "
                       "plan")]
    day = _as_of_date(ctx.as_of, ctx.today)
    ev: dict[str, Any] = {"due": due.isoformat(), "as_of": day.isoformat(),
                          "threshold": p["threshold"]}
    if last is None:
        if day > due:
            return [Reason(name, status, f"critical mass planned by {due.isoformat()}, and no "
                           "progress recorded", ev)]
        return [Reason(name, "unknown", f"no {p['indicator']} recorded (planned by "
                       f"{due.isoformat()})", ev)]
    year, ratio = last
    ev.update({"year": year, "ratio": ratio})
    if ratio >= p["threshold"]:
        return [Reason(name, "green", f"critical mass reached (ratio {ratio:.2f} in {year})", ev)]
    if day > due:
        return [Reason(name, status, f"critical mass not reached by the planned date "
                       f"{due.isoformat()} (ratio {ratio:.2f} in {year})", ev)]
    years_left = (due - day).days / 365.25
    if years_left < p["warn_years"]:
        return [Reason(name, "amber", f"critical mass due {due.isoformat()} (in "
                       f"{years_left:.1f} years) and not reached (ratio {ratio:.2f} in {year})",
                       ev)]
    return [Reason(name, "green", f"critical mass not reached yet (ratio {ratio:.2f} in {year})"
                   f"; planned by {due.isoformat()}", ev)]


def _rule_helix_lost(ta: TAData, ctx: RuleContext, p: Mapping[str, Any],
                     status: str) -> list[Reason]:
    name = "helix_lost"
    base = frozenset(ta.helix_baseline)
    if not base:
        return [Reason(name, "unknown", "no helix types recorded when the plan started")]
    ev = {"baseline": sorted(base), "current": sorted(ta.helix_current or ())}
    if ta.helix_current is None:
        return [Reason(name, status, "the TA has no consortium any more (it had "
                       f"{', '.join(sorted(base))})", ev)]
    lost = sorted(base - ta.helix_current)
    ev["lost"] = lost
    if lost:
        return [Reason(name, status, f"the consortium lost its {' and '.join(lost)} "
                       f"partner{'s' if len(lost) > 1 else ''} (helix type)", ev)]
    return [Reason(name, "green", f"consortium keeps its helix types "
                   f"({', '.join(sorted(base))})", ev)]


def _rule_discovery_rank(ta: TAData, ctx: RuleContext, p: Mapping[str, Any],
                         status: str) -> list[Reason]:
    name = "discovery_rank"
    st = ctx.standing
    if st is None:
        return [Reason(name, "unknown", "the discovery was not re-run")]
    ev = st.to_dict()
    over = ", ".join(f"{o['activity']} (now {o['rank']}"
                     + (f", was {o['reference_rank']})" if o["reference_rank"] else ", new)")
                     for o in st.overtaken_by[:5])
    if st.rank is None:
        return [Reason(name, status, f"{ta.activity} is no longer among the "
                       f"{st.n_candidates} candidates of the re-run discovery", ev)]
    was = f" (was {st.reference_rank})" if st.reference_rank is not None else ""
    if not st.still_selected:
        return [Reason(name, status, f"re-run discovery ranks {ta.activity} {st.rank}{was} of "
                       f"{st.n_candidates}: outside the top {st.top_k}"
                       + (f"; overtaken by {over}" if over else ""), ev)]
    return [Reason(name, "green", f"still selected: rank {st.rank}{was} of {st.n_candidates} "
                   f"(top {st.top_k})" + (f"; overtaken by {over}" if over else ""), ev)]


#: The default rules (see the module docstring), by name.
DEFAULT_RULES: Mapping[str, Rule] = {r.name: r for r in (
    Rule("rca_below_one", "The RCA has fallen below the threshold (1: no longer specialised; "
         "amber when it was below already at the baseline).",
         _rule_rca_below_one, {"threshold": 1.0}, "red"),
    Rule("rca_falling", "The RCA keeps falling (every year of the last `years`).",
         _rule_rca_falling, {"years": 3, "min_decline": 0.0}, "amber"),
    Rule("density_falling", "Relatedness density dropped by more than `min_drop` (relative) "
         "over the last `window` years.", _rule_density_falling,
         {"window": 3, "min_drop": 0.05}, "amber"),
    Rule("declining_globally", "The activity declines across all regions (mean annual growth "
         "over the last `window` years below `threshold`).", _rule_declining_globally,
         {"window": 5, "threshold": -0.005}, "amber"),
    Rule("output_behind_target", "Indicators of `kinds` are behind the linear path from "
         "baseline to target (more than `tolerance`: amber; under `red_below` of the planned "
         "progress, or target year missed: red).", _rule_output_behind,
         {"kinds": ("output",), "tolerance": 0.1, "red_below": 0.5}, "amber"),
    Rule("critical_mass_late", "Critical mass is not reached by the planned date (amber "
         "within `warn_years` of it).", _rule_critical_mass,
         {"threshold": 1.0, "warn_years": 1.0, "indicator": "critical_mass_ratio"}, "red"),
    Rule("helix_lost", "The consortium lost a quadruple-helix type it had at the start.",
         _rule_helix_lost, {}, "amber"),
    Rule("discovery_rank", "The re-run discovery no longer ranks the TA in the top `top_k`.",
         _rule_discovery_rank, {"top_k": 10}, "amber"),
)}


def configure_rules(overrides: Mapping[str, Any] | None = None,
                    base: Mapping[str, Rule] = DEFAULT_RULES) -> dict[str, Rule]:
    """Rules with overrides applied.

    Parameters
    ----------
    overrides : rule name -> ``False`` (disable), ``True`` (enable) or a mapping of parameters
        (plus ``"status"``: ``"amber"``/``"red"``, ``"enabled"``), e.g.
        ``{"rca_falling": {"years": 4}, "helix_lost": {"status": "red"},
        "discovery_rank": False}``.
    base : the rules to start from.

    Raises
    ------
    ValueError
        An unknown rule or parameter, or a value of the wrong type.
    """
    rules = dict(base)
    for name, value in (overrides or {}).items():
        if name not in rules:
            raise ValueError(f"unknown rule {name!r}; rules: {', '.join(rules)}")
        rules[name] = rules[name].configured(value)
    return rules


def _resolve_rules(rules: Mapping[str, Rule] | Sequence[Rule]) -> dict[str, Rule]:
    if isinstance(rules, Mapping):
        out = dict(rules)
    else:
        out = {r.name: r for r in rules}
    for name, rule in out.items():
        if not isinstance(rule, Rule):
            raise TypeError(f"rule {name!r} must be a Rule, got {type(rule).__name__}")
    return out


def check(workspace: WorkspaceData, ta: str, as_of: int | None = None,
          rules: Mapping[str, Rule] | Sequence[Rule] = DEFAULT_RULES, *,
          today: dt.date | None = None) -> CheckResult:
    """Traffic light of one TA with the reasons (see the module docstring for the rules).

    Parameters
    ----------
    workspace : the loaded data (:func:`smartspec.store.monitoring_services.
        load_workspace_data`).
    ta : the TA's activity code.
    as_of : the year of the check: observations after it are ignored (default: the current
        year of ``today``).
    rules : the rules (default :data:`DEFAULT_RULES`); the TA's own overrides (monitoring
        plan) are applied on top.
    today : the date of the check (default: ``workspace.today`` or today); dates of the
        monitoring plan are compared with it.

    Returns
    -------
    CheckResult

    Raises
    ------
    KeyError
        The TA is not in the workspace data.
    ValueError
        Invalid rule overrides.
    """
    if ta not in workspace.tas:
        raise KeyError(f"TA {ta!r} is not in workspace {workspace.slug!r} (TAs: "
                       f"{', '.join(workspace.tas) or 'none'})")
    data = workspace.tas[ta]
    day = today or workspace.today or dt.date.today()
    year = int(as_of) if as_of is not None else day.year
    resolved = configure_rules(data.rule_overrides, _resolve_rules(rules))
    standing = None
    if workspace.discovery is not None and "discovery_rank" in resolved:
        top_k = data.top_k or int(resolved["discovery_rank"].params.get("top_k", 10))
        standing = discovery_standing(workspace.discovery, ta, top_k=top_k)
    ctx = RuleContext(as_of=year, today=day, standing=standing)
    reasons: list[Reason] = []
    for rule in resolved.values():
        if not rule.enabled:
            continue
        found = rule.evaluate(data, ctx, rule.params, rule.status)
        for r in found:
            if r.status not in _REASON_STATUSES:
                raise ValueError(f"rule {rule.name!r} returned status {r.status!r}")
        reasons.extend(found)
    evaluated = [r for r in reasons if r.status != "unknown"]
    if not evaluated:
        reasons.append(Reason("nothing_checked", "amber", "no rule could be evaluated: record "
                              "observations, import data and set targets first"))
    return CheckResult(ta=ta, as_of=year, status=worst(r.status for r in reasons),
                       reasons=tuple(reasons), standing=standing, label=data.label)


def check_all(workspace: WorkspaceData, as_of: int | None = None,
              rules: Mapping[str, Rule] | Sequence[Rule] = DEFAULT_RULES, *,
              today: dt.date | None = None) -> dict[str, CheckResult]:
    """:func:`check` for every TA of the workspace, by activity code."""
    return {ta: check(workspace, ta, as_of, rules, today=today) for ta in workspace.tas}
