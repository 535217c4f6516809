"""Element 1 of the S3 model: the evidence base.

Pure indicator functions of economic geography: specialisation (RCA/LQ), economic complexity,
relatedness between activities, density and complexity outlook, specialisation and variety
indices, and dynamics over time. Inputs are wide region x activity tables (a
:class:`pandas.DataFrame`, or a :class:`LabelledSparse` scipy.sparse matrix with labels); outputs
are labelled pandas objects.
"""

from smartspec.evidence._matrix import LabelledSparse
from smartspec.evidence.complexity import ComplexityResult, complexity
from smartspec.evidence.pipeline import PipelineResult, pipeline
from smartspec.evidence.rca import diversity, presence, rca, ubiquity
from smartspec.evidence.relatedness import (
    Opportunity,
    cooccurrence,
    density,
    normalise_cooccurrence,
    opportunity,
    proximity,
    relatedness_density,
)

__all__ = [
    "ComplexityResult",
    "LabelledSparse",
    "Opportunity",
    "complexity",
    "cooccurrence",
    "density",
    "diversity",
    "normalise_cooccurrence",
    "opportunity",
    "presence",
    "proximity",
    "rca",
    "relatedness_density",
    "ubiquity",
    "pipeline",
    "PipelineResult",
]

try:  # written in parallel; present once the module lands
    from smartspec.evidence.specialisation import specialisation_indices

    __all__ += ["specialisation_indices"]
except ImportError:  # pragma: no cover
    pass
try:
    from smartspec.evidence.dynamics import entries, entry_auc, exits, shift_share

    __all__ += ["entries", "entry_auc", "exits", "shift_share"]
except ImportError:  # pragma: no cover
    pass
