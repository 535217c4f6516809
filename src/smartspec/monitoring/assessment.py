"""RIS3 self-assessment: the six steps of the RIS3 guide, scored 0-5 by stakeholders.

The *Guide to Research and Innovation Strategies for Smart Specialisations (RIS3)* (Foray et
al. 2012) describes the design of a strategy in six steps. For each step smartspec lists a few
*critical factors* (written for smartspec, not quoted from the guide) that stakeholders score
in a workshop from 0 (absent) to 5 (fully in place). The scores are aggregated by factor (mean,
median, spread) and by step (mean of the factor means), stored per workspace and date
(:mod:`smartspec.store.monitoring_services`) and drawn as a spider chart, one trace per
assessment, so that change over time is visible.

Reference
---------
Foray, D., Goddard, J., Goenaga Beldarrain, X., Landabaso, M., McCann, P., Morgan, K.,
Nauwelaers, C. & Ortega-Argilés, R. (2012). *Guide to Research and Innovation Strategies for
Smart Specialisations (RIS 3)*. European Commission, Smart Specialisation Platform, Seville.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = [
    "FACTORS",
    "MAX_SCORE",
    "RIS3_STEPS",
    "AssessmentError",
    "Factor",
    "Step",
    "aggregate_scores",
    "read_scores_csv",
    "spider_chart",
    "validate_scores",
]

#: Highest score of a factor (0 = absent, 5 = fully in place).
MAX_SCORE = 5


class AssessmentError(ValueError):
    """Scores refused (the message names the row, column and value)."""


@dataclass(frozen=True)
class Factor:
    """A critical factor of a RIS3 step."""

    key: str
    step: int
    text: str


@dataclass(frozen=True)
class Step:
    """A step of the RIS3 guide with its critical factors."""

    number: int
    key: str
    title: str
    factors: tuple[Factor, ...]

    @property
    def short(self) -> str:
        """A short title for charts."""
        return _SHORT[self.number]


def _step(number: int, key: str, title: str, factors: Iterable[tuple[str, str]]) -> Step:
    return Step(number, key, title, tuple(Factor(k, number, t) for k, t in factors))


#: The six steps of the RIS3 guide with smartspec's critical factors (3-5 per step).
RIS3_STEPS: tuple[Step, ...] = (
    _step(1, "analysis", "Analysis of the regional context and potential for innovation", [
        ("s1_assets", "The region's economic, scientific and technological strengths are "
                      "mapped with evidence (specialisation, complexity, relatedness)."),
        ("s1_outward", "The region is compared with other regions and placed in European and "
                       "global value chains, not only looked at from inside."),
        ("s1_entrepreneurship", "The conditions for starting and growing firms, and their "
                                "bottlenecks, are understood."),
        ("s1_current", "The evidence is kept up to date and shared with the stakeholders."),
    ]),
    _step(2, "governance", "Governance: ensuring participation and ownership", [
        ("s2_body", "A steering body with a clear mandate, roles and resources runs the "
                    "strategy."),
        ("s2_helix", "Firms, research and education, public bodies and civil society all take "
                     "part in the decisions (quadruple helix)."),
        ("s2_discovery", "Entrepreneurial discovery is an ongoing process with regular "
                         "meetings, not a one-off consultation."),
        ("s2_open", "Decisions, their reasons and the money behind them are documented and "
                    "public."),
    ]),
    _step(3, "vision", "Elaboration of an overall vision for the future of the region", [
        ("s3_shared", "A vision of where the region wants to be is written down and endorsed "
                      "by the stakeholders."),
        ("s3_paths", "Alternative development paths, their risks and their time horizons have "
                     "been discussed."),
        ("s3_challenges", "The vision addresses societal challenges (climate, demography, "
                          "inclusion), not technology alone."),
    ]),
    _step(4, "priorities", "Identification of priorities", [
        ("s4_focus", "There are few priorities, each backed by evidence of a competitive "
                     "advantage or a credible potential."),
        ("s4_discovery", "Priorities come out of entrepreneurial discovery rather than lobbying "
                         "or habit."),
        ("s4_mass", "Each priority has, or can build, a critical mass of firms, skills and "
                    "research."),
        ("s4_revision", "There is a rule for revising or dropping a priority when the evidence "
                        "changes."),
    ]),
    _step(5, "policy_mix", "Definition of a coherent policy mix, roadmaps and action plan", [
        ("s5_plan", "Every priority has an action plan with owners, milestones and budgets."),
        ("s5_mix", "Grants, loans, services, procurement and regulation are combined so that "
                   "they reinforce each other."),
        ("s5_funds", "Regional, national and EU funds are aligned and their synergies used."),
        ("s5_pilots", "Actions are piloted and tested before they are scaled up."),
    ]),
    _step(6, "monitoring", "Integration of monitoring and evaluation mechanisms", [
        ("s6_indicators", "Each priority has context, output and result indicators with "
                          "baselines and targets."),
        ("s6_data", "Monitoring data are collected regularly, on time and at the right level "
                    "of detail."),
        ("s6_learning", "Evaluation findings lead to changes of priorities and actions."),
        ("s6_reporting", "Results are reported to the stakeholders and the public."),
    ]),
)

_SHORT = {1: "1 Analysis", 2: "2 Governance", 3: "3 Vision", 4: "4 Priorities",
          5: "5 Policy mix", 6: "6 Monitoring"}

#: Every critical factor by key.
FACTORS: dict[str, Factor] = {f.key: f for s in RIS3_STEPS for f in s.factors}


def _score(value: object, where: str) -> int:
    if isinstance(value, bool) or value is None:
        raise AssessmentError(f"{where}: score must be an integer from 0 to {MAX_SCORE}, got "
                              f"{value!r}")
    try:
        x = float(str(value).strip()) if isinstance(value, str) else float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise AssessmentError(f"{where}: score must be an integer from 0 to {MAX_SCORE}, got "
                              f"{value!r}") from None
    if not math.isfinite(x) or not x.is_integer() or not 0 <= x <= MAX_SCORE:
        raise AssessmentError(f"{where}: score must be an integer from 0 to {MAX_SCORE}, got "
                              f"{value!r}")
    return int(x)


def validate_scores(scores: pd.DataFrame | Iterable[Mapping[str, Any]], *,
                    origin: str = "scores") -> pd.DataFrame:
    """Check workshop scores and return them in long form.

    Parameters
    ----------
    scores : long form (rows with ``participant``, ``factor``, ``score`` and optional
        ``comment``), or wide form (a DataFrame with a ``participant`` column and one column
        per factor key; empty cells = not scored). Participants are pseudonyms or group labels
        ("P3", "firms table"): never store personal data here.
    origin : name used in the error messages (e.g. the file name).

    Returns
    -------
    DataFrame
        Columns ``participant, step, factor, score, comment``, sorted by step, factor,
        participant.

    Raises
    ------
    AssessmentError
        Unknown factor, a score that is not an integer 0-5, an empty participant, a factor
        scored twice by the same participant, or no scores at all.
    """
    if isinstance(scores, pd.DataFrame):
        frame = scores.copy()
    else:
        frame = pd.DataFrame(list(scores))
    frame.columns = [str(c).strip() for c in frame.columns]
    if "participant" not in frame.columns:
        raise AssessmentError(f"{origin}: a 'participant' column is required")
    if "factor" not in frame.columns:  # wide form
        unknown = [c for c in frame.columns if c not in FACTORS and c not in
                   ("participant", "comment")]
        if unknown:
            raise AssessmentError(f"{origin}: unknown factor column(s) {unknown}; factors: "
                                  f"{', '.join(FACTORS)}")
        factor_cols = [c for c in frame.columns if c in FACTORS]
        if not factor_cols:
            raise AssessmentError(f"{origin}: no factor columns (and no 'factor' column)")
        frame = frame.reset_index(drop=True)
        frame["_row"] = frame.index + 2
        frame = frame.melt(id_vars=["participant", "_row"], value_vars=factor_cols,
                           var_name="factor", value_name="score")
        frame = frame[frame["score"].map(lambda v: not (v is None or (isinstance(v, str)
                                                                      and not v.strip())
                                                        or (isinstance(v, float)
                                                            and math.isnan(v))))]
        frame["comment"] = ""
    else:
        for col in ("score",):
            if col not in frame.columns:
                raise AssessmentError(f"{origin}: a {col!r} column is required")
        frame = frame.reset_index(drop=True)
        frame["_row"] = frame.index + 2
        if "comment" not in frame.columns:
            frame["comment"] = ""
    rows: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for rec in frame.to_dict("records"):
        where = f"{origin}, row {rec['_row']}"
        participant = " ".join(str(rec.get("participant") or "").split())
        if not participant or participant.lower() == "nan":
            raise AssessmentError(f"{where}, column 'participant': a participant label is "
                                  "required")
        if len(participant) > 80:
            raise AssessmentError(f"{where}, column 'participant': at most 80 characters")
        factor = str(rec.get("factor") or "").strip()
        if factor not in FACTORS:
            raise AssessmentError(f"{where}, column 'factor': unknown factor {factor!r}; "
                                  f"factors: {', '.join(FACTORS)}")
        score = _score(rec.get("score"), f"{where}, column 'score' ({factor})")
        if (participant, factor) in seen:
            raise AssessmentError(f"{where}: participant {participant!r} scored {factor!r} "
                                  "twice")
        seen.add((participant, factor))
        comment = rec.get("comment")
        comment = "" if comment is None or (isinstance(comment, float) and math.isnan(comment)) \
            else " ".join(str(comment).split())
        rows.append({"participant": participant, "step": FACTORS[factor].step,
                     "factor": factor, "score": score, "comment": comment})
    if not rows:
        raise AssessmentError(f"{origin}: no scores")
    out = pd.DataFrame(rows, columns=["participant", "step", "factor", "score", "comment"])
    order = {k: i for i, k in enumerate(FACTORS)}
    return out.sort_values(["step", "factor", "participant"],
                           key=lambda s: s.map(order) if s.name == "factor" else s
                           ).reset_index(drop=True)


def read_scores_csv(source: str | os.PathLike[str] | io.IOBase) -> pd.DataFrame:
    """Read workshop scores from a CSV file (long or wide form, see :func:`validate_scores`)."""
    name = str(source) if isinstance(source, str | os.PathLike) else getattr(source, "name",
                                                                             "<stream>")
    try:
        if isinstance(source, str | os.PathLike):
            frame = pd.read_csv(Path(source), dtype=str, keep_default_na=False,
                                sep=None, engine="python", encoding="utf-8-sig")
        else:
            frame = pd.read_csv(source, dtype=str, keep_default_na=False, sep=None,
                                engine="python")
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise AssessmentError(f"{name}: cannot read the scores: {exc}") from exc
    return validate_scores(frame, origin=name)


def aggregate_scores(scores: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Aggregate validated scores by factor and by step.

    Returns
    -------
    (factors, steps)
        ``factors``: one row per critical factor of :data:`FACTORS` (in order) with ``step``,
        ``factor``, ``text``, ``n`` (participants who scored it), ``mean``, ``median``,
        ``std`` (sample, NaN for fewer than 2), ``min``, ``max`` (NaN where nobody scored it).
        ``steps``: one row per step with ``step``, ``title``, ``mean`` (mean of its factor
        means, factors without scores left out), ``n_factors`` (scored), ``n_participants``.
    """
    data = validate_scores(scores) if not {"step", "factor", "score"} <= set(scores.columns) \
        else scores
    g = data.groupby("factor")["score"]
    stats = pd.DataFrame({"n": g.count(), "mean": g.mean(), "median": g.median(),
                          "std": g.std(ddof=1), "min": g.min(), "max": g.max()})
    factors = pd.DataFrame([{"step": f.step, "factor": f.key, "text": f.text}
                            for f in FACTORS.values()])
    factors = factors.merge(stats, left_on="factor", right_index=True, how="left")
    factors["n"] = factors["n"].fillna(0).astype(int)
    rows = []
    for s in RIS3_STEPS:
        part = factors[factors["step"] == s.number]
        means = part["mean"].dropna()
        who = data.loc[data["step"] == s.number, "participant"].nunique()
        rows.append({"step": s.number, "title": s.title,
                     "mean": float(means.mean()) if len(means) else float("nan"),
                     "n_factors": int(len(means)), "n_participants": int(who)})
    return factors.reset_index(drop=True), pd.DataFrame(rows)


def spider_chart(step_means: Mapping[str, Mapping[int, float]], *, title: str | None = None,
                 key: str = "self-assessment") -> Any:
    """Spider (radar) chart of step means, one trace per assessment (oldest first).

    Parameters
    ----------
    step_means : assessment label (e.g. its date) -> {step number: mean score}.

    Returns
    -------
    smartspec.reports.charts.Chart
    """
    import plotly.graph_objects as go

    from smartspec.reports.charts import PRIMARY, Chart, _esc, _layout

    if not step_means:
        raise ValueError("no assessment to draw")
    palette = ["#9fb3c8", "#5b8db8", "#d1495b", "#edae49", "#00798c", "#30638e"]
    fig = go.Figure()
    theta = [_SHORT[s.number] for s in RIS3_STEPS]
    items = list(step_means.items())
    for i, (label, means) in enumerate(items):
        r = [means.get(s.number, float("nan")) for s in RIS3_STEPS]
        latest = i == len(items) - 1
        colour = PRIMARY if latest else palette[i % len(palette)]
        fig.add_trace(go.Scatterpolar(
            r=[*r, r[0]], theta=[*theta, theta[0]], name=_esc(label), mode="lines+markers",
            fill="toself" if latest else "none", opacity=0.9 if latest else 0.7,
            line=dict(color=colour, width=3 if latest else 1.5),
            hovertemplate="%{theta}: %{r:.2f}<extra>" + _esc(label) + "</extra>"))
    fig.update_layout(polar=dict(radialaxis=dict(range=[0, MAX_SCORE], dtick=1)),
                      showlegend=True, legend=dict(orientation="h", y=-0.1))
    _layout(fig, height=460)
    caption = ("Mean score (0 = absent, 5 = fully in place) of each RIS3 step, the mean of its "
               "critical factors as scored by the workshop participants; one line per "
               "assessment, the latest filled. Steps after Foray et al. (2012), Guide to "
               "Research and Innovation Strategies for Smart Specialisations (RIS 3).")
    return Chart(key=key, title=title or "RIS3 self-assessment", figure=fig, caption=caption)
