"""Element 5 of the S3 model: monitoring and evaluation of transformative activities (TAs).

Each TA is followed with three kinds of indicator (Gianelle & Kleibrink 2015) and re-checked
regularly with a traffic light whose every reason can be traced back to its evidence:

:mod:`~smartspec.monitoring.indicators`
    :class:`Indicator` (definition, unit, source, baseline, target, direction, linear target
    path), the :data:`STANDARD_INDICATORS` of a TA, checks of observations
    (:func:`validate_observation`) and the observations CSV format.
:mod:`~smartspec.monitoring.context`
    Context indicators computed per data year from the evidence data: RCA, employment,
    relatedness density, the region's ECI and the activity's global growth, with the mapping
    of a NACE division to the aggregate of the data (``C25`` -> ``"C"``).
:mod:`~smartspec.monitoring.outputs`
    Output indicators derived from the implementation (actions, consortium).
:mod:`~smartspec.monitoring.rules`
    :func:`check` (pure): the traffic light of a TA with its :class:`Reason` list, the
    documented and configurable :data:`DEFAULT_RULES`, and the discovery re-run's verdict
    (:func:`discovery_standing`: still selected? rank? overtaken by?).
:mod:`~smartspec.monitoring.assessment`
    The RIS3 self-assessment (six steps of Foray et al. 2012, critical factors scored 0-5).

Persistence lives in :mod:`smartspec.store.monitoring_services` (observations by form or CSV,
data-year imports that recompute the context indicators, monitoring plans, report snapshots,
self-assessments); the evaluation report in :mod:`smartspec.reports.monitoring_report`
(``smartspec monitor REGION|WORKSPACE``).

Examples
--------
>>> from smartspec.monitoring import TAData, WorkspaceData, check
>>> ta = TAData("C25", observations={"rca": {2015: 1.2, 2016: 0.9}})
>>> check(WorkspaceData("demo", tas={"C25": ta}), "C25", as_of=2016).status
'red'
"""

from smartspec.monitoring.assessment import (
    FACTORS,
    RIS3_STEPS,
    AssessmentError,
    aggregate_scores,
    read_scores_csv,
    spider_chart,
    validate_scores,
)
from smartspec.monitoring.context import (
    CONTEXT_MEASURES,
    activity_code,
    activity_space,
    context_series,
    evidence_by_year,
    matrix_checksum,
    year_evidence,
)
from smartspec.monitoring.indicators import (
    INDICATOR_KINDS,
    STANDARD_INDICATORS,
    Indicator,
    IndicatorError,
    Observation,
    ObservationError,
    parse_observations_csv,
    progress_towards_target,
    standard_indicators,
    validate_observation,
)
from smartspec.monitoring.outputs import OUTPUT_MEASURES, helix_types, output_values
from smartspec.monitoring.rules import (
    DEFAULT_RULES,
    CheckResult,
    DiscoveryRun,
    DiscoveryStanding,
    Reason,
    Rule,
    TAData,
    WorkspaceData,
    check,
    check_all,
    configure_rules,
    discovery_standing,
)

__all__ = [
    "CONTEXT_MEASURES",
    "DEFAULT_RULES",
    "FACTORS",
    "INDICATOR_KINDS",
    "OUTPUT_MEASURES",
    "RIS3_STEPS",
    "STANDARD_INDICATORS",
    "AssessmentError",
    "CheckResult",
    "DiscoveryRun",
    "DiscoveryStanding",
    "Indicator",
    "IndicatorError",
    "Observation",
    "ObservationError",
    "Reason",
    "Rule",
    "TAData",
    "WorkspaceData",
    "activity_code",
    "activity_space",
    "aggregate_scores",
    "check",
    "check_all",
    "configure_rules",
    "context_series",
    "discovery_standing",
    "evidence_by_year",
    "helix_types",
    "matrix_checksum",
    "output_values",
    "parse_observations_csv",
    "progress_towards_target",
    "read_scores_csv",
    "spider_chart",
    "standard_indicators",
    "validate_observation",
    "validate_scores",
    "year_evidence",
]
