"""Pydantic models of the JSON API (request bodies and responses), so that ``/openapi.json``
describes exactly what the API accepts and returns.

Numbers that the evidence may leave undefined (a sub-score of an activity without data, a
standard deviation of one score) are ``null``, never ``NaN``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Role = Literal["viewer", "stakeholder", "analyst", "owner"]
Language = Literal["en", "de", "fr", "it", "sl"]
TAStatus = Literal["selected", "candidate", "dropped"]
ActionStatus = Literal["planned", "in_progress", "done", "cancelled", "on_hold"]
ActionType = Literal["consortium_creation", "collaborative_rnd", "funding_search",
                     "skills_training", "pilot_testbed", "investment_attraction",
                     "interregional_partnership", "cluster_service", "regulatory_standards"]
ActorType = Literal["firm", "university", "research_organisation", "cluster_organisation",
                    "public_authority", "civil_society", "finance"]
Helix = Literal["industry", "academia", "government", "civil_society"]
Scope = Literal["EU", "national", "regional", "transnational"]
WorkshopKind = Literal["edw", "adw"]

Text = Annotated[str, StringConstraints(max_length=300)]
LongText = Annotated[str, StringConstraints(max_length=50000)]
Code = Annotated[str, StringConstraints(min_length=1, max_length=20)]
Nuts = Annotated[str, StringConstraints(min_length=2, max_length=10)]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=300)]
#: Largest id (32-bit signed integer columns).
MAX_ID = 2_147_483_647
#: An object id sent by the client.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Detail(BaseModel):
    """An error: what went wrong, in words."""

    detail: Any


# ---------------------------------------------------------------------------------- accounts


class LoginIn(_In):
    username: Annotated[str, StringConstraints(max_length=200)]
    password: Annotated[str, StringConstraints(max_length=1024)]


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    email: str | None
    is_admin: bool
    active: bool
    language: Language
    created_at: dt.datetime


class WorkspaceRef(BaseModel):
    slug: str
    name: str
    role: Role


class SessionOut(BaseModel):
    """The signed-in user, the CSRF token for state-changing calls and the workspaces."""

    user: UserOut
    csrf_token: str
    expires_at: dt.datetime
    workspaces: list[WorkspaceRef]


class PasswordChangeIn(_In):
    current_password: Annotated[str, StringConstraints(max_length=1024)]
    new_password: Annotated[str, StringConstraints(max_length=1024)]


class ProfileIn(_In):
    display_name: Annotated[str, StringConstraints(max_length=200)] | None = None
    email: Annotated[str, StringConstraints(max_length=320)] | None = None
    language: Language | None = None


class UserCreateIn(_In):
    username: Annotated[str, StringConstraints(min_length=2, max_length=80)]
    password: Annotated[str, StringConstraints(max_length=1024)]
    display_name: Annotated[str, StringConstraints(max_length=200)] = ""
    email: Annotated[str, StringConstraints(max_length=320)] | None = None
    is_admin: bool = False
    language: Language = "en"


class UserUpdateIn(_In):
    display_name: Annotated[str, StringConstraints(max_length=200)] | None = None
    email: Annotated[str, StringConstraints(max_length=320)] | None = None
    language: Language | None = None
    is_admin: bool | None = None
    active: bool | None = None


class PasswordResetOut(BaseModel):
    """The new password, shown once to the administrator to hand over."""

    username: str
    password: str


# ---------------------------------------------------------------------------------- workspaces


class RegionOut(BaseModel):
    code: str
    role: Literal["home", "partner"]
    name: str | None


class WorkspaceSummary(BaseModel):
    slug: str
    name: str
    description: str
    home_region: str | None
    role: Role


class Counts(BaseModel):
    tas: int
    actors: int
    actions: int
    consortia: int
    workshops: int
    members: int


class WorkspaceOut(BaseModel):
    slug: str
    name: str
    description: str
    data_version: str | None
    home_region: str | None
    role: Role
    created_at: dt.datetime
    regions: list[RegionOut]
    counts: Counts


class WorkspaceCreateIn(_In):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    region: Nuts
    slug: Annotated[str, StringConstraints(min_length=1, max_length=80)] | None = None
    description: Annotated[str, StringConstraints(max_length=20000)] = ""
    partners: list[Nuts] = Field(default_factory=list, max_length=100)


class WorkspaceUpdateIn(_In):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    description: Annotated[str, StringConstraints(max_length=20000)] | None = None


class RegionIn(_In):
    code: Nuts
    role: Literal["partner"] = "partner"


class MemberOut(BaseModel):
    user_id: int
    username: str
    display_name: str
    role: Role
    since: dt.datetime


class MemberIn(_In):
    """Add an existing account to the workspace."""

    username: Annotated[str, StringConstraints(min_length=1, max_length=80)]
    role: Role


class RoleIn(_In):
    role: Role


class InvitationIn(_In):
    role: Role = "stakeholder"
    days: float = Field(7.0, ge=1 / 24, le=90)
    note: Annotated[str, StringConstraints(max_length=1000)] = ""


class InvitationOut(BaseModel):
    id: int
    role: Role
    note: str
    created_at: dt.datetime
    expires_at: dt.datetime
    status: Literal["open", "used", "expired", "revoked"]
    used_by: str | None


class InvitationCreated(InvitationOut):
    """A new invitation: the token and the link are shown once (only a hash is stored)."""

    token: str
    url: str


class InvitationInfo(BaseModel):
    workspace: str
    workspace_name: str
    role: Role
    expires_at: dt.datetime


class InvitationAcceptIn(_In):
    """Anonymous callers create their account with the invitation; signed-in users send {}."""

    username: Annotated[str, StringConstraints(min_length=2, max_length=80)] | None = None
    password: Annotated[str, StringConstraints(max_length=1024)] | None = None
    display_name: Annotated[str, StringConstraints(max_length=200)] = ""
    language: Language = "en"


class AcceptOut(BaseModel):
    workspace: str
    role: Role
    user: UserOut
    csrf_token: str | None


class AuditEntryOut(BaseModel):
    id: int
    who: str
    at: dt.datetime
    action: str
    table_name: str
    object_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    context: str


# ---------------------------------------------------------------------------------- evidence


class RegionInfo(BaseModel):
    code: str
    name: str
    native_name: str
    country: str
    level: int


class Specialisation(BaseModel):
    activity: str
    label: str
    employment: float | None
    share: float | None
    rca: float | None
    rca_national: float | None
    pci: float | None
    density: float | None
    stars: int


class Peer(BaseModel):
    region: str
    name: str
    kind: str
    similarity: float | None
    eci: float | None
    top_activity: str | None
    top_activity_label: str | None


class ContextIndicator(BaseModel):
    indicator: str
    label: str
    unit: str | None
    latest: float | None
    year: int | None
    trend: float | None
    trend_kind: str | None


class EvidenceOut(BaseModel):
    region: str
    name: str
    country: str
    year: int
    eci: float | None
    eci_rank: int | None
    n_regions: int
    indices: dict[str, float | None]
    specialisations: list[Specialisation]
    peers: list[Peer]
    context: list[ContextIndicator]
    attribution: str
    notes: list[str]
    data_version: str | None


class Candidate(BaseModel):
    activity: str
    rank: int
    label: str
    score: float | None
    feasibility: float | None
    value: float | None
    advantage: float | None
    momentum: float | None
    transformative_potential: float | None
    capability_gap: float | None
    p_top_k: float | None
    quadrant: str
    quadrant_reading: str
    mode: str
    partners: list[str]
    partner_gain: float | None
    explanation: str
    density: float | None
    pci: float | None
    rca: float | None
    employment: float | None


class CandidatesOut(BaseModel):
    region: str
    year: int | None
    weights: dict[str, float]
    top_k: int
    candidates: list[Candidate]


# ---------------------------------------------------------------------------------------- TAs


class TAOut(BaseModel):
    id: int
    activity: str
    label: str
    mode: str | None
    status: TAStatus
    selected_at: dt.datetime
    score: float | None
    critical_mass_ratio: float | None


class TADetail(TAOut):
    evidence_snapshot: dict[str, Any]


class TASelectIn(_In):
    activity: Code
    weights: dict[Annotated[str, StringConstraints(max_length=40)], float] | None = None


class TAUpdateIn(_In):
    status: TAStatus


class DraftIn(_In):
    replace: bool = False


class ActorMatch(BaseModel):
    actor_id: int | None
    name: str
    region: str
    actor_type: str
    helix: str
    activity_fit: float | None
    gap_coverage: float | None
    skills_coverage: float | None
    score: float | None
    closest_activity: str | None
    matched_skills: list[str]


class CriticalMassOut(BaseModel):
    ta: str
    region: str
    year: int
    local_employment: float | None
    partner_employment: dict[str, float | None]
    capacity: float | None
    benchmark_median: float | None
    threshold: float | None
    ratio: float | None
    local_ratio: float | None
    median_ratio: float | None
    n_specialised: int
    n_regions: int
    actors_by_helix: dict[str, int]
    actor_employment: int
    committed_budget: float
    reached: bool
    missing: str
    maturity: str
    notes: list[str]


# ------------------------------------------------------------------------------------ actors


class ActorIn(_In):
    name: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    actor_type: ActorType
    region: Nuts
    activities: list[Code] = Field(default_factory=list, max_length=200)
    technologies: list[Tag] = Field(default_factory=list, max_length=200)
    skills: list[Tag] = Field(default_factory=list, max_length=500)
    size: int | None = Field(None, ge=0, le=10_000_000)
    contact_role: Annotated[str, StringConstraints(max_length=200)] = ""
    fictional: bool = False


class ActorUpdateIn(_In):
    name: Annotated[str, StringConstraints(min_length=1, max_length=300)] | None = None
    actor_type: ActorType | None = None
    region: Nuts | None = None
    activities: list[Code] | None = Field(None, max_length=200)
    technologies: list[Tag] | None = Field(None, max_length=200)
    skills: list[Tag] | None = Field(None, max_length=500)
    size: int | None = Field(None, ge=0, le=10_000_000)
    contact_role: Annotated[str, StringConstraints(max_length=200)] | None = None
    fictional: bool | None = None


class ActorOut(BaseModel):
    id: int
    name: str
    actor_type: str
    helix: str
    region: str
    activities: list[str]
    technologies: list[str]
    skills: list[str]
    size: int | None
    contact_role: str
    fictional: bool


class ActorImportOut(BaseModel):
    imported: int
    actors: list[ActorOut]


# ----------------------------------------------------------------------------------- actions


class Milestone(_In):
    title: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    due: dt.date | None = None


class Attachment(_In):
    name: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    size: int | None = Field(None, ge=0)
    media_type: Annotated[str, StringConstraints(max_length=120)] | None = None
    uri: Annotated[str, StringConstraints(max_length=2000)] | None = None


class ActionIn(_In):
    title: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    action_type: ActionType
    description: LongText = ""
    status: ActionStatus = "planned"
    ta_id: Id | None = None
    owner_id: Id | None = None
    participants: list[Id] = Field(default_factory=list, max_length=500)
    start: dt.date | None = None
    end: dt.date | None = None
    deadline: dt.date | None = None
    budget: float = Field(0.0, ge=0, le=1e13)
    committed: float = Field(0.0, ge=0, le=1e13)
    spent: float = Field(0.0, ge=0, le=1e13)
    regions: list[Nuts] = Field(default_factory=list, max_length=100)
    notes: LongText = ""
    rationale: LongText = ""
    attachments: list[Attachment] = Field(default_factory=list, max_length=100)
    milestones: list[Milestone] = Field(default_factory=list, max_length=100)
    indicators: list[Tag] = Field(default_factory=list, max_length=100)
    phase: int | None = Field(None, ge=0, le=100)
    lead_actor_type: ActorType | None = None
    position: int | None = Field(None, ge=0, le=100000)


class ActionUpdateIn(_In):
    """Fields to change; a status change must follow the workflow (planned → in_progress →
    done / cancelled / on_hold; done and cancelled are final)."""

    title: Annotated[str, StringConstraints(min_length=1, max_length=300)] | None = None
    action_type: ActionType | None = None
    description: LongText | None = None
    status: ActionStatus | None = None
    ta_id: Id | None = None
    owner_id: Id | None = None
    participants: list[Id] | None = Field(None, max_length=500)
    start: dt.date | None = None
    end: dt.date | None = None
    deadline: dt.date | None = None
    budget: float | None = Field(None, ge=0, le=1e13)
    committed: float | None = Field(None, ge=0, le=1e13)
    spent: float | None = Field(None, ge=0, le=1e13)
    regions: list[Nuts] | None = Field(None, max_length=100)
    notes: LongText | None = None
    rationale: LongText | None = None
    attachments: list[Attachment] | None = Field(None, max_length=100)
    milestones: list[Milestone] | None = Field(None, max_length=100)
    indicators: list[Tag] | None = Field(None, max_length=100)
    phase: int | None = Field(None, ge=0, le=100)
    lead_actor_type: ActorType | None = None
    position: int | None = Field(None, ge=0, le=100000)


class ActionOut(BaseModel):
    id: int
    ta_id: int | None
    ta: str | None
    position: int
    title: str
    action_type: str
    description: str
    status: ActionStatus
    owner_id: int | None
    participants: list[int]
    start: dt.date | None
    end: dt.date | None
    deadline: dt.date | None
    budget: float
    committed: float
    spent: float
    regions: list[str]
    notes: str
    rationale: str
    attachments: list[dict[str, Any]]
    milestones: list[dict[str, Any]]
    indicators: list[str]
    phase: int | None
    lead_actor_type: str | None
    allowed_statuses: list[ActionStatus]
    updated_at: dt.datetime


class FundingMatch(BaseModel):
    key: str
    name: str
    programme: str
    scope: str
    eligible: bool
    score: float | None
    cofunding_rate: float | None
    reasons: list[str]
    caveats: list[str]
    user_defined: bool


class GoodPracticeOut(BaseModel):
    key: str
    title: str
    summary: str
    action_types: list[str]
    cluster_maturity: list[str]
    ta_modes: list[str]
    region_types: list[str]
    source: str
    tags: list[str]
    workspace_specific: bool


class Recommendation(BaseModel):
    practice: GoodPracticeOut
    score: float
    reasons: list[str]


class ProgressOut(BaseModel):
    n: int
    by_status: dict[str, int]
    share_done: float | None
    budget: float
    committed: float
    spent: float
    spent_share: float | None
    overdue: list[str]


# ---------------------------------------------------------------------------------- consortia


class ConsortiumBuildIn(_In):
    """Constraints of the consortium builder (MILP): size range, helix types that need a
    member, at most ``max_external`` members from outside the home region, a minimum total
    capacity (persons employed) and optionally a budget with a cost per actor."""

    ta_id: Id
    size_min: int = Field(3, ge=1, le=30)
    size_max: int = Field(6, ge=1, le=30)
    required_helix: list[Helix] = Field(
        default_factory=lambda: ["industry", "academia", "government"], max_length=4)
    max_external: int | None = Field(2, ge=0, le=30)
    min_capacity: float | None = Field(None, ge=0, le=1e9)
    budget: float | None = Field(None, ge=0, le=1e13)
    costs: dict[Id, Annotated[float, Field(ge=0, le=1e13)]] | None = None
    name: Annotated[str, StringConstraints(min_length=1, max_length=300)] | None = None
    save: bool = True


class ConsortiumMemberOut(BaseModel):
    actor_id: int
    name: str
    region: str
    actor_type: str
    helix: str
    role: str


class ConsortiumOut(BaseModel):
    id: int
    ta_id: int | None
    name: str
    coverage: float | None
    members: list[ConsortiumMemberOut]
    parameters: dict[str, Any]
    notes: str
    created_at: dt.datetime


class ConsortiumBuildOut(BaseModel):
    """The builder's answer: a consortium, or why none is feasible."""

    feasible: bool
    coverage: float | None
    members: list[ConsortiumMemberOut]
    covered: dict[str, bool]
    by_helix: dict[str, int]
    consortium: ConsortiumOut | None
    reasons: list[str]
    constraints: list[str]


# ----------------------------------------------------------------------------------- funding


class FundingInstrumentOut(BaseModel):
    id: int
    key: str
    name: str
    programme: str
    scope: str
    eligible_actor_types: list[str]
    trl_min: int | None
    trl_max: int | None
    geographic_scope: str | list[str]
    min_consortium: int | None
    min_countries: int | None
    cofunding_rate: float | None
    action_types: list[str]
    url: str | None
    notes: str
    user_defined: bool


class FundingInstrumentIn(_In):
    key: Annotated[str, StringConstraints(min_length=1, max_length=80)]
    name: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    programme: Annotated[str, StringConstraints(max_length=5000)] = ""
    scope: Scope
    eligible_actor_types: list[ActorType] = Field(default_factory=list, max_length=10)
    trl_min: int | None = Field(None, ge=1, le=9)
    trl_max: int | None = Field(None, ge=1, le=9)
    geographic_scope: Annotated[str, StringConstraints(max_length=500)] | list[Nuts] = \
        Field(default_factory=list)
    min_consortium: int | None = Field(None, ge=1, le=1000)
    min_countries: int | None = Field(None, ge=1, le=100)
    cofunding_rate: float | None = Field(None, ge=0, le=1)
    action_types: list[ActionType] = Field(default_factory=list, max_length=10)
    url: Annotated[str, StringConstraints(max_length=500)] | None = None
    notes: LongText = ""


class FundingInstrumentUpdateIn(_In):
    name: Annotated[str, StringConstraints(min_length=1, max_length=300)] | None = None
    programme: Annotated[str, StringConstraints(max_length=5000)] | None = None
    scope: Scope | None = None
    eligible_actor_types: list[ActorType] | None = Field(None, max_length=10)
    trl_min: int | None = Field(None, ge=1, le=9)
    trl_max: int | None = Field(None, ge=1, le=9)
    min_consortium: int | None = Field(None, ge=1, le=1000)
    min_countries: int | None = Field(None, ge=1, le=100)
    cofunding_rate: float | None = Field(None, ge=0, le=1)
    action_types: list[ActionType] | None = Field(None, max_length=10)
    url: Annotated[str, StringConstraints(max_length=500)] | None = None
    notes: LongText | None = None


# ---------------------------------------------------------------------------------- workshops


class WorkshopIn(_In):
    """Open a workshop. EDW items default to the ``n_items`` best candidates; ADW items to the
    actions of the TA (or of the workspace) that are not cancelled."""

    kind: WorkshopKind
    title: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    items: list[Annotated[str, StringConstraints(min_length=1, max_length=40)]] | None = \
        Field(None, max_length=200)
    ta_id: Id | None = None
    n_items: int = Field(12, ge=1, le=100)


class WorkshopOut(BaseModel):
    id: int
    kind: WorkshopKind
    title: str
    status: Literal["open", "closed"]
    ta_id: int | None
    items: list[str]
    item_labels: dict[str, str]
    opened_by: str | None
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    n_scores: int
    participants: int


class ScoreIn(_In):
    item: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    capacity: int = Field(ge=1, le=5)
    opportunity: int = Field(ge=1, le=5)
    comment: Annotated[str, StringConstraints(max_length=5000)] = ""


class ScoreOut(BaseModel):
    item: str
    username: str
    display_name: str
    capacity: int
    opportunity: int
    comment: str
    updated_at: dt.datetime


class Comment(BaseModel):
    user: str
    display_name: str
    comment: str


class AggregateItem(BaseModel):
    item: str
    label: str
    n: int
    capacity_mean: float | None
    capacity_sd: float | None
    opportunity_mean: float | None
    opportunity_sd: float | None
    stakeholder_score: float | None
    stakeholder_sd: float | None
    data_score: float | None
    difference: float | None
    disagreement: bool
    contested: bool
    comments: list[Comment]


class AggregateOut(BaseModel):
    workshop_id: int
    status: Literal["open", "closed"]
    participants: int
    items: list[AggregateItem]


class DecisionIn(_In):
    item: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    decision: Annotated[str, StringConstraints(min_length=1, max_length=10000)]


class DecisionOut(BaseModel):
    id: int
    item: str
    decision: str
    by: str | None
    at: dt.datetime


class WorkshopSelectIn(_In):
    item: Annotated[str, StringConstraints(min_length=1, max_length=40)]


class Minutes(BaseModel):
    workshop: dict[str, Any]
    participants: list[dict[str, Any]]
    aggregate: list[dict[str, Any]]
    scores: list[dict[str, Any]]
    decisions: list[dict[str, Any]]
    generated_at: str
