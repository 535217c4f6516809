"""Element 2 of the S3 model: region profiles and the discovery of transformative activities.

Pure analytic functions: Panels and DataFrames in, labelled results out. They never load the
embedded datasets themselves; callers (CLI, reports, web) pass the inputs.

* :func:`candidates` — candidate transformative activities of a region (or all regions),
  with transparent sub-scores, a composite score, the Balland quadrant, the Foray mode, partner
  regions, an explanation and a Monte Carlo robustness probability.
* :func:`merge_stakeholder_scores` — EDP stakeholder scores beside the data-driven ones.
* :func:`skill_gaps` — the capability gap in skills, from a user-supplied activity x skill
  matrix.
* :func:`profile` — the region evidence profile (when available).
"""

from smartspec.discovery.candidates import (
    A10_OF_SECTION,
    DEFAULT_EXCLUSIONS,
    CandidateBase,
    candidates,
    excluded_activities,
    prepare,
    section_growth_for_divisions,
)
from smartspec.discovery.partners import combined_density, partner_candidates, partner_gain
from smartspec.discovery.robustness import p_top_k, weight_draws
from smartspec.discovery.scoring import DEFAULT_WEIGHTS, SUBSCORES, composite_score
from smartspec.discovery.skills import skill_gaps
from smartspec.discovery.stakeholders import (
    merge_stakeholder_scores,
    validate_stakeholder_scores,
)
from smartspec.discovery.typology import MODES, QUADRANTS, foray_mode, quadrant

__all__ = [
    "A10_OF_SECTION",
    "DEFAULT_EXCLUSIONS",
    "DEFAULT_WEIGHTS",
    "MODES",
    "QUADRANTS",
    "SUBSCORES",
    "CandidateBase",
    "candidates",
    "combined_density",
    "composite_score",
    "excluded_activities",
    "foray_mode",
    "merge_stakeholder_scores",
    "p_top_k",
    "partner_candidates",
    "partner_gain",
    "prepare",
    "quadrant",
    "section_growth_for_divisions",
    "skill_gaps",
    "validate_stakeholder_scores",
    "weight_draws",
]

try:  # written in parallel by another helper; present once the module lands
    from smartspec.discovery.profile import ActivitySpace, RegionHistory, RegionProfile, profile

    __all__ += ["ActivitySpace", "RegionHistory", "RegionProfile", "profile"]
except ImportError:  # pragma: no cover
    pass
