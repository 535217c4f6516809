"""Element 4 of the S3 model: implementing a TA's strategy until it reaches critical mass.

Pure domain logic (no database access; persistence is :mod:`smartspec.store`'s job):

* :mod:`~smartspec.implementation.tracking` - action validation, status transitions, progress;
* :mod:`~smartspec.implementation.timeline` - the Gantt-like Plotly timeline;
* :mod:`~smartspec.implementation.good_practices` - the good-practice library for clusters,
  search and recommendations;
* :mod:`~smartspec.implementation.critical_mass` - the TA's capacity against evidence-based
  benchmarks.
"""

from smartspec.implementation.critical_mass import (
    CriticalMassReport,
    critical_mass,
    maturity_from_ratio,
)
from smartspec.implementation.good_practices import (
    CLUSTER_MATURITIES,
    REGION_TYPES,
    GoodPractice,
    Recommendation,
    load_practices,
    recommend_practices,
    region_types,
    search_practices,
)
from smartspec.implementation.timeline import STATUS_COLOURS, timeline_figure, timeline_frame
from smartspec.implementation.tracking import (
    ActionValidationError,
    actions_frame,
    progress,
    transition,
    validate_action,
)

__all__ = [
    "CLUSTER_MATURITIES",
    "REGION_TYPES",
    "STATUS_COLOURS",
    "ActionValidationError",
    "CriticalMassReport",
    "GoodPractice",
    "Recommendation",
    "actions_frame",
    "critical_mass",
    "load_practices",
    "maturity_from_ratio",
    "progress",
    "recommend_practices",
    "region_types",
    "search_practices",
    "timeline_figure",
    "timeline_frame",
    "transition",
    "validate_action",
]
