"""Element 3 of the S3 model: the development strategy of each transformative activity (TA).

Pure domain logic (dataclasses and DataFrames in and out, no database access; persistence is
:mod:`smartspec.store`'s job):

* :mod:`~smartspec.strategy.actors` - quadruple-helix actors, CSV/Excel import with validation,
  shipped fictional demo actors;
* :mod:`~smartspec.strategy.matching` - actor scores for a TA (relatedness-based), the skills
  profile of a region's firms along the ESCO hierarchy, the TA's skill gap;
* :mod:`~smartspec.strategy.consortium` - the consortium builder (MILP, HiGHS) with an
  infeasibility diagnosis;
* :mod:`~smartspec.strategy.actions` - the action catalogue, action records and the status
  workflow;
* :mod:`~smartspec.strategy.generation` - draft strategies from a TA's diagnosis;
* :mod:`~smartspec.strategy.funding` - funding instruments and their matching to actions.
"""

from smartspec.strategy.actions import (
    ACTION_CATALOGUE,
    ACTION_STATUSES,
    ACTION_TYPES,
    ALLOWED_TRANSITIONS,
    Action,
    ActionType,
    InvalidTransition,
    check_transition,
)
from smartspec.strategy.actors import (
    ACTOR_TYPES,
    HELIX,
    HELIX_TYPES,
    Actor,
    ActorValidationError,
    actors_frame,
    demo_actors,
    read_actors,
    validate_actor,
    validate_actors,
)
from smartspec.strategy.consortium import (
    ConsortiumInfeasible,
    ConsortiumResult,
    build_consortium,
)
from smartspec.strategy.funding import (
    FundingCatalogueError,
    FundingInstrument,
    load_funding_catalogue,
    match_funding,
)
from smartspec.strategy.generation import TA_MODES, Strategy, draft_strategy
from smartspec.strategy.matching import (
    assign_skill_groups,
    match_actors,
    region_skill_profile,
    skill_label,
    ta_skill_gap,
    ta_skills_needed,
)

__all__ = [
    "ACTION_CATALOGUE",
    "ACTION_STATUSES",
    "ACTION_TYPES",
    "ACTOR_TYPES",
    "ALLOWED_TRANSITIONS",
    "HELIX",
    "HELIX_TYPES",
    "TA_MODES",
    "Action",
    "ActionType",
    "Actor",
    "ActorValidationError",
    "ConsortiumInfeasible",
    "ConsortiumResult",
    "FundingCatalogueError",
    "FundingInstrument",
    "InvalidTransition",
    "Strategy",
    "actors_frame",
    "assign_skill_groups",
    "build_consortium",
    "check_transition",
    "demo_actors",
    "draft_strategy",
    "load_funding_catalogue",
    "match_actors",
    "match_funding",
    "read_actors",
    "region_skill_profile",
    "skill_label",
    "ta_skill_gap",
    "ta_skills_needed",
    "validate_actor",
    "validate_actors",
]
