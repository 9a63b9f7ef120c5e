"""The evaluation schedule of a trajectory, as arithmetic: how many models it records.

Pure (no torch), so the spec can check a schedule at submission. The runner evaluates at
step 0, then every ``max(1, round(evaluate_every × steps_per_epoch))`` steps, and at the
last step when the budget ends between two evaluation points.
"""

from __future__ import annotations

import math


def evaluation_points(
    epochs: float, evaluate_every: float, steps_per_epoch: int | None = None
) -> int:
    """Evaluation points of an epoch budget after step 0 (step 0 is never a candidate).

    With ``steps_per_epoch`` (known once the data set is loaded) this is the runner's
    exact count. Without it, the nominal count ``ceil(epochs / evaluate_every)``: exact
    whenever ``evaluate_every × steps_per_epoch`` is a whole number of steps, which holds
    for any data set when ``evaluate_every`` is a whole number of epochs; tiny data sets
    (a few steps per epoch) can round the interval up and get fewer, which the queries
    then catch (an ``L`` a trajectory cannot fill is refused).
    """
    if epochs <= 0 or evaluate_every <= 0:
        raise ValueError("epochs and evaluate_every must be positive")
    if steps_per_epoch is None:
        # The epsilon keeps 0.3 / 0.1 = 2.9999999999999996 from counting as 3 + 1 points.
        return max(1, math.ceil(epochs / evaluate_every - 1e-9))
    interval = max(1, round(evaluate_every * steps_per_epoch))
    total = math.ceil(epochs * steps_per_epoch)
    return math.ceil(total / interval)
