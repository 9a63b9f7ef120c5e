"""Synthetic landscapes, minima catalogs, the batched engine and the stationary study."""

from shared.landscapes.catalog import Minimum
from shared.landscapes.functions import (
    LANDSCAPES,
    PAPER_FUNCTIONS,
    Landscape,
    UnknownLandscapeError,
    landscape,
)
from shared.landscapes.study import (
    ELSE,
    StationaryDistribution,
    StudyError,
    landscape_study,
    stationary_distribution,
)

__all__ = [
    "ELSE",
    "LANDSCAPES",
    "PAPER_FUNCTIONS",
    "Landscape",
    "Minimum",
    "StationaryDistribution",
    "StudyError",
    "UnknownLandscapeError",
    "landscape",
    "landscape_study",
    "stationary_distribution",
]
