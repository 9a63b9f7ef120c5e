"""Statistics as small pure functions: arrays in, named results out."""

from shared.stats.proportions import (
    DistributionTest,
    ProportionInterval,
    compare_distributions,
    proportion_intervals,
)

__all__ = [
    "DistributionTest",
    "ProportionInterval",
    "compare_distributions",
    "proportion_intervals",
]
