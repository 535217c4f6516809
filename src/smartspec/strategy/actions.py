"""Actions of a development strategy: the typed catalogue, the action record and its status workflow.

A development strategy for a transformative activity (TA) is a list of concrete actions (form a
consortium, run a collaborative R&D project, search for funds, train skills ...). The nine action
types of :data:`ACTION_TYPES` are described in :data:`ACTION_CATALOGUE`: what the action is, its
typical duration, the actor types it needs, the gap it addresses, and template milestones and
indicators used by :func:`smartspec.strategy.generation.draft_strategy`.

Status workflow
---------------
::

    planned ──► in_progress ──► done
       │  ╲          │  ▲
       │   ╲         ▼  │
       │    ──► on_hold ──► cancelled
       └──────────────────► cancelled

``done`` and ``cancelled`` are final. :func:`check_transition` enforces
:data:`ALLOWED_TRANSITIONS`; setting a status to its current value is a no-op and allowed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from typing import Any

__all__ = [
    "ACTION_CATALOGUE",
    "ACTION_STATUSES",
    "ACTION_TYPES",
    "ALLOWED_TRANSITIONS",
    "FINAL_STATUSES",
    "PHASES",
    "Action",
    "ActionType",
    "InvalidTransition",
    "add_months",
    "check_transition",
]

#: The nine action types.
ACTION_TYPES: tuple[str, ...] = (
    "consortium_creation",
    "collaborative_rnd",
    "funding_search",
    "skills_training",
    "pilot_testbed",
    "investment_attraction",
    "interregional_partnership",
    "cluster_service",
    "regulatory_standards",
)

#: Status values of an action.
ACTION_STATUSES: tuple[str, ...] = ("planned", "in_progress", "done", "cancelled", "on_hold")

#: Allowed status changes (``done`` and ``cancelled`` are final).
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    "planned": frozenset({"in_progress", "cancelled", "on_hold"}),
    "in_progress": frozenset({"done", "cancelled", "on_hold"}),
    "on_hold": frozenset({"in_progress", "cancelled"}),
    "done": frozenset(),
    "cancelled": frozenset(),
}

#: Statuses from which no transition is allowed.
FINAL_STATUSES: frozenset[str] = frozenset(s for s, t in ALLOWED_TRANSITIONS.items() if not t)


class InvalidTransition(ValueError):
    """A status change not allowed by :data:`ALLOWED_TRANSITIONS`."""


def check_transition(old: str, new: str) -> None:
    """Raise :class:`InvalidTransition` unless ``old -> new`` is allowed.

    Unknown statuses are rejected too. ``old == new`` is accepted (no change).

    Examples
    --------
    >>> check_transition("planned", "in_progress")
    >>> check_transition("done", "planned")
    Traceback (most recent call last):
    ...
    smartspec.strategy.actions.InvalidTransition: cannot change an action's status from 'done' to 'planned': 'done' is final
    """
    for name, value in (("current status", old), ("new status", new)):
        if value not in ACTION_STATUSES:
            raise InvalidTransition(
                f"unknown {name} {value!r}; statuses are {', '.join(ACTION_STATUSES)}"
            )
    if old == new:
        return
    allowed = ALLOWED_TRANSITIONS[old]
    if new not in allowed:
        if not allowed:
            reason = f"{old!r} is final"
        else:
            reason = f"from {old!r} the status can become {', '.join(sorted(allowed))}"
        raise InvalidTransition(
            f"cannot change an action's status from {old!r} to {new!r}: {reason}"
        )


@dataclass(frozen=True)
class ActionType:
    """One entry of the action catalogue.

    Attributes
    ----------
    key : one of :data:`ACTION_TYPES`.
    title : short human title.
    description : what the action consists of.
    typical_duration_months : usual duration, used to schedule a draft strategy.
    actor_types : actor types the action needs (:data:`smartspec.strategy.actors.ACTOR_TYPES`);
        the first one is the usual lead.
    gap_addressed : the gap of the TA diagnosis the action closes.
    phase : 1 organise, 2 build capabilities, 3 demonstrate and scale.
    milestones : ``(title, month)`` templates, ``month`` counted from the action's start.
    indicators : output/result indicators to follow the action.
    """

    key: str
    title: str
    description: str
    typical_duration_months: int
    actor_types: tuple[str, ...]
    gap_addressed: str
    phase: int
    milestones: tuple[tuple[str, int], ...]
    indicators: tuple[str, ...]

    @property
    def lead_actor_type(self) -> str:
        """The actor type that usually leads this kind of action."""
        return self.actor_types[0]


#: Phase names of a draft strategy.
PHASES: dict[int, str] = {
    1: "organise the ecosystem",
    2: "build capabilities",
    3: "demonstrate and scale",
}

_CATALOGUE: tuple[ActionType, ...] = (
    ActionType(
        "consortium_creation", "Consortium creation",
        "Bring together the firms, research organisations, public bodies and users needed for "
        "the TA into a consortium with a shared roadmap, governance and a coordinator.",
        6, ("cluster_organisation", "firm", "university", "research_organisation",
            "public_authority"),
        "critical mass and coordination: too few committed actors, or helix types missing",
        1,
        (("Kick-off meeting of the candidate partners", 1),
         ("Shared roadmap agreed", 4),
         ("Consortium agreement or memorandum of understanding signed", 6)),
        ("committed partners by helix type", "partners from outside the region",
         "consortium agreement signed (yes/no)"),
    ),
    ActionType(
        "collaborative_rnd", "Collaborative R&D project",
        "A joint research and innovation project of firms and research organisations that "
        "develops the missing knowledge and technologies of the TA up to a higher TRL.",
        36, ("research_organisation", "university", "firm"),
        "technological capability: complex or new knowledge not yet mastered in the region",
        2,
        (("Project proposal submitted", 3),
         ("First technical results / prototype", 18),
         ("Final results and exploitation plan", 36)),
        ("R&D expenditure committed", "joint publications and patent applications",
         "technology readiness level reached", "firms involved in R&D"),
    ),
    ActionType(
        "funding_search", "Funding search",
        "Map the regional, national and EU funding instruments that fit the TA's actions, "
        "prepare applications and combine sources (synergies between programmes).",
        4, ("public_authority", "cluster_organisation", "university"),
        "financing: the actions need co-funding beyond the partners' own means",
        1,
        (("Funding map of matching instruments", 1),
         ("First application submitted", 4)),
        ("applications submitted", "funding secured (EUR)", "co-funding leveraged (EUR)"),
    ),
    ActionType(
        "skills_training", "Skills and training programme",
        "Design and run training (dual/vocational courses, continuing education, skills "
        "academy) for the skills the TA needs but the region's actors lack.",
        24, ("university", "cluster_organisation", "firm", "public_authority"),
        "skills: ESCO skills needed by the TA that no registered actor holds",
        2,
        (("Skills needs assessment completed", 3),
         ("Curriculum designed with employers", 6),
         ("First cohort trained", 12)),
        ("persons trained", "courses offered", "skill gaps closed",
         "firms sending staff to training"),
    ),
    ActionType(
        "pilot_testbed", "Pilot, test-bed and demonstration",
        "A shared pilot line, test-bed or living lab where firms test and demonstrate the TA's "
        "technologies in real conditions before investing.",
        24, ("research_organisation", "firm", "cluster_organisation", "public_authority",
             "civil_society"),
        "demonstration: technologies not yet proven in the region's applications",
        3,
        (("Test-bed specification and partners agreed", 4),
         ("Test-bed operational", 12),
         ("Demonstration event with users", 20)),
        ("firms using the test-bed", "demonstrations run", "technology readiness level reached"),
    ),
    ActionType(
        "investment_attraction", "Investment and firm attraction",
        "Attract firms, start-ups and investors that bring the missing capabilities of the TA "
        "to the region (investor services, soft landing, scouting, spin-off support).",
        24, ("public_authority", "finance", "cluster_organisation"),
        "critical mass: too few firms or too little employment in the TA's activities",
        2,
        (("Target list of firms and investors", 3),
         ("Investor and start-up outreach campaign", 9),
         ("First settlement or investment decision", 18)),
        ("firms attracted or created", "jobs created", "private investment attracted (EUR)"),
    ),
    ActionType(
        "interregional_partnership", "Interregional partnership",
        "Partner with regions that hold the capabilities the TA lacks (value-chain mapping, "
        "joint projects, thematic S3 platforms, cross-border cluster cooperation).",
        18, ("public_authority", "cluster_organisation", "research_organisation", "firm"),
        "missing capabilities present in partner regions",
        1,
        (("Partner regions and their capabilities mapped", 3),
         ("Joint working group with partner regions", 6),
         ("Joint project or agreement", 12)),
        ("partner regions engaged", "joint projects", "external partners in the consortium"),
    ),
    ActionType(
        "cluster_service", "Cluster service",
        "Services of a cluster organisation to the TA's firms: matchmaking, innovation "
        "management support, internationalisation, test-before-invest, access to finance.",
        12, ("cluster_organisation", "firm", "public_authority"),
        "coordination and absorptive capacity of SMEs",
        3,
        (("Service offer defined with member firms", 2),
         ("First services delivered", 6)),
        ("firms served", "SMEs receiving innovation support", "member satisfaction"),
    ),
    ActionType(
        "regulatory_standards", "Regulatory and standards work",
        "Work on the standards, certification, regulation or public procurement that the TA's "
        "new products and services need to reach the market (incl. regulatory sandboxes).",
        18, ("public_authority", "research_organisation", "cluster_organisation", "firm"),
        "market access: missing standards, certification or regulatory barriers",
        2,
        (("Regulatory and standards barriers identified", 4),
         ("Position paper or standardisation proposal", 12)),
        ("standards contributions", "regulatory barriers removed",
         "products certified"),
    ),
)

#: The action catalogue, by action type.
ACTION_CATALOGUE: dict[str, ActionType] = {a.key: a for a in _CATALOGUE}


@dataclass
class Action:
    """One action of a TA's development strategy (plain, editable record).

    Attributes
    ----------
    title, action_type (:data:`ACTION_TYPES`), description
    status : :data:`ACTION_STATUSES`; change it through
        :func:`smartspec.implementation.tracking.transition`.
    owner : id of the owner (lead) actor, or None.
    participants : ids of participating actors.
    start, end, deadline : dates (``end`` and ``deadline`` not before ``start``).
    budget, committed, spent : amounts in EUR, all ≥ 0.
    regions : NUTS codes of the regions involved, neighbours included.
    notes : free text.
    attachments : ``{"name", "size", "media_type", "uri"}`` metadata dicts.
    rationale : why the action was proposed.
    milestones : ``{"title", "due"}`` dicts (``due`` a date).
    indicators : names of the indicators that follow the action.
    ta : activity code of the TA (e.g. ``"C28"``).
    id : identifier given by the workspace store.
    phase : phase of the strategy (:data:`PHASES`), or None.
    lead_actor_type : the actor type expected to lead, or None.
    """

    title: str
    action_type: str
    description: str = ""
    status: str = "planned"
    owner: int | None = None
    participants: list[int] = field(default_factory=list)
    start: dt.date | None = None
    end: dt.date | None = None
    deadline: dt.date | None = None
    budget: float = 0.0
    committed: float = 0.0
    spent: float = 0.0
    regions: list[str] = field(default_factory=list)
    notes: str = ""
    attachments: list[dict[str, Any]] = field(default_factory=list)
    rationale: str = ""
    milestones: list[dict[str, Any]] = field(default_factory=list)
    indicators: list[str] = field(default_factory=list)
    ta: str | None = None
    id: int | None = None
    phase: int | None = None
    lead_actor_type: str | None = None

    @property
    def catalogue(self) -> ActionType | None:
        """The catalogue entry of the action's type (None for an unknown type)."""
        return ACTION_CATALOGUE.get(self.action_type)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict (dates as ISO strings, lists and dicts copied)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, dt.date):
                value = value.isoformat()
            elif f.name in ("milestones", "attachments"):
                value = [{k: (v.isoformat() if isinstance(v, dt.date) else v)
                          for k, v in item.items()} for item in value]
            elif isinstance(value, list):
                value = list(value)
            out[f.name] = value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Action:
        """Inverse of :meth:`to_dict` (ISO date strings are parsed; unknown keys rejected)."""
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"unknown action field(s): {', '.join(unknown)}")
        values = dict(data)
        for key in ("start", "end", "deadline"):
            if isinstance(values.get(key), str):
                values[key] = _parse_date(values[key], key)
        if "milestones" in values:
            values["milestones"] = [
                {**m, "due": _parse_date(m["due"], "milestones.due")
                 if isinstance(m.get("due"), str) else m.get("due")}
                for m in values["milestones"] or []
            ]
        return cls(**values)


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus a number of months, the day clipped to the target month's length.

    >>> add_months(dt.date(2025, 1, 31), 1)
    datetime.date(2025, 2, 28)
    """
    total = day.month - 1 + int(months)
    year, month = day.year + total // 12, total % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def _parse_date(text: str, name: str) -> dt.date | None:
    if text.strip() == "":
        return None
    try:
        return dt.date.fromisoformat(text.strip()[:10])
    except ValueError as exc:
        raise ValueError(f"{name}: not an ISO date (YYYY-MM-DD): {text!r}") from exc
