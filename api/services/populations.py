"""The answers of the population queries (Set A / Set B, comparisons, plans), computed from
an experiment's records as JSON-ready dicts.

Each refuses an ``L`` its trajectories cannot fill with a 422 naming ``L``, and reports
per optimizer how the records became candidates (step-0 and post-divergence records are
left out of both sets).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from fastapi import HTTPException

from api.services.jsonable import jsonable
from shared.stats.families import pair_family
from shared.stats.populations import candidate_counts, population, population_size_error
from shared.stats.power import plan_trajectories
from shared.stats.set_comparisons import (
    loss_metric_correlation,
    optimizer_pairs,
    optimizers,
    set_a_vs_set_b,
    split_by_optimizer,
    trajectory_arrays,
)
from shared.stats.sharpness import (
    SHARPNESS,
    converged_sharpness,
    sharpness_optimizer_pairs,
    sharpness_recorded,
    sharpness_set_comparisons,
)
from shared.stats.warning_groups import group_warnings
from shared.tasks.metrics import Metric

MAX_PLANNED_PAIRS = 45
"""A plan covers every optimizer pair up to this many (10 optimizers); past it, only the
pairs with the configuration whose population has the best median."""


def check_population_size(records: pd.DataFrame, L: int) -> None:
    """422 naming ``L`` when no trajectory holds ``L`` candidate models."""
    error = population_size_error(records, L)
    if error is not None:
        raise HTTPException(
            422,
            [{"loc": ["query", "L"], "type": "value_error", "msg": error}],
        )


def candidates_answer(records: pd.DataFrame) -> dict[str, Any]:
    """``{optimizer: CandidateCounts}`` as JSON."""
    return {str(k): jsonable(v) for k, v in candidate_counts(records).items()}


def populations_answer(records: pd.DataFrame, which: str, L: int, metric: Metric) -> dict[str, Any]:
    """The models of Set ``which`` per optimizer (each with the metric's value, and its
    sharpness where the experiment measured it: null where the estimate did not converge,
    as the sharpness statistics leave it out), with the loss-vs-metric correlation and
    the candidate counts."""
    check_population_size(records, L)
    chosen = population(records, which, L, metric.name, metric.direction)  # type: ignore[arg-type]
    counts = candidates_answer(records)
    measured = sharpness_recorded(records)
    if measured:
        chosen = converged_sharpness(chosen)
    out = {}
    for optimizer, models in chosen.groupby("optimizer", sort=True):
        members = models[["trajectory", "step", "gradient_evaluations", "train_loss"]].assign(
            value=models[metric.name]
        )
        if measured:
            members = members.assign(sharpness=models[SHARPNESS])
        out[str(optimizer)] = {
            "models": jsonable(members.to_dict("records")),
            "correlation": jsonable(loss_metric_correlation(models, metric.name)),
            "candidates": counts[str(optimizer)],
        }
    return {"set": which, "L": L, **_metric(metric), "optimizers": out}


def _metric(metric: Metric) -> dict[str, str]:
    return {"metric": metric.name, "direction": metric.direction}


def set_comparison_answer(
    records: pd.DataFrame, L: int, metric: Metric, alpha: float
) -> dict[str, Any]:
    """Per optimizer, Set A vs Set B (overlap, candidates, warnings included), and on
    sharpness where the experiment measured it (else ``on_sharpness`` is None); each
    distinct warning once in ``warnings``, naming the optimizers it concerns."""
    check_population_size(records, L)
    ranked = {"direction": metric.direction, "alpha": alpha}
    on_sharpness = (
        jsonable(sharpness_set_comparisons(records, L, metric.name, **ranked))  # type: ignore[arg-type]
        if sharpness_recorded(records)
        else None
    )
    comparisons = set_a_vs_set_b(records, L, metric.name, **ranked)  # type: ignore[arg-type]
    return {
        "L": L,
        **_metric(metric),
        "alpha": alpha,
        "optimizers": jsonable(comparisons),
        "on_sharpness": on_sharpness,
        "warnings": jsonable(group_warnings({k: c.warnings for k, c in comparisons.items()})),
    }


def optimizer_comparison_answer(
    records: pd.DataFrame, L: int, metric: Metric, which: str, alpha: float
) -> dict[str, Any]:
    """Every optimizer pair on Set ``which``, with the candidate counts per optimizer."""
    check_population_size(records, L)
    ranked = {"direction": metric.direction, "alpha": alpha}
    pairs = optimizer_pairs(records, L, metric.name, which, **ranked)  # type: ignore[arg-type]
    on_sharpness = (
        jsonable(sharpness_optimizer_pairs(records, L, metric.name, which, **ranked))  # type: ignore[arg-type]
        if sharpness_recorded(records)
        else None
    )
    family = pair_family(pairs, alpha)
    return {
        "set": which,
        "L": L,
        **_metric(metric),
        "alpha": alpha,
        "candidates": candidates_answer(records),
        "pairs": jsonable(pairs),
        "family": jsonable(family),
        "warnings": [family.warning] if family.warning else [],
        "on_sharpness": on_sharpness,
    }


def plan_answer(
    records: pd.DataFrame,
    L: int,
    metric: Metric,
    which: str,
    alpha: float,
    power: float,
    max_trajectories: int,
    pair: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """Trajectories needed for ``power`` at ``alpha``, with this experiment as the pilot:
    per optimizer for Set A vs Set B on the metric (paired, at α: each optimizer's own
    question, not adjusted), and per optimizer pair on Set ``which`` (independent) at the
    level the optimizer comparison reports them: Holm over all m pairs, planned at α/m;
    or only ``pair``, a family of one, at α."""
    check_population_size(records, L)
    column, direction = metric.name, metric.direction
    chosen_a = split_by_optimizer(population(records, "A", L, column, direction))  # type: ignore[arg-type]
    chosen_b = split_by_optimizer(population(records, "B", L, column, direction))  # type: ignore[arg-type]
    names = optimizers(records)

    def means(frame: pd.DataFrame | None) -> dict[object, float]:
        if frame is None:
            return {}
        return {t: float(v.mean()) for t, v in trajectory_arrays(frame, column).items() if v.size}

    options = {"alpha": alpha, "power": power, "max_trajectories": max_trajectories}
    sets = {}
    for name in names:
        a, b = means(chosen_a.get(name)), means(chosen_b.get(name))
        shared = sorted(set(a) & set(b))
        sets[str(name)] = plan_trajectories(
            np.array([a[t] for t in shared]),
            np.array([b[t] for t in shared]),
            paired=True,
            **options,
        )
    compared = chosen_a if which == "A" else chosen_b
    side = {name: np.array(list(means(compared.get(name)).values())) for name in names}
    pairs = [(x, y) for i, x in enumerate(names) for y in names[i + 1 :]]
    family = len(pairs)
    if pair is not None:
        check_pair(pair, [str(n) for n in names])
        pairs = [p for p in pairs if {str(p[0]), str(p[1])} == set(pair)]
        family = 1
    level = alpha / max(family, 1)
    levels = (
        f"Set A vs Set B at α = {alpha:g} (each optimizer's own comparison, not adjusted); "
        + (
            f"the pair {pair[0]} vs {pair[1]} alone at α = {alpha:g}"
            if pair is not None
            else f"the one optimizer pair at α = {alpha:g} (no other pair to adjust for)"
            if family == 1
            else f"optimizer pairs at α/{family} = {level:.3g}: the optimizer comparison "
            f"reports them Holm-adjusted over all {family} pairs, and a pair below α/{family} "
            "is significant after Holm whatever the others show"
        )
    )
    note = None
    if pair is None and len(pairs) > MAX_PLANNED_PAIRS:
        sign = 1.0 if metric.higher_is_better else -1.0
        best = max(
            names,
            key=lambda n: sign * np.median(side[n]) if side[n].size else -math.inf,
        )
        pairs = [(x, y) for x, y in pairs if best in (x, y)]
        note = (
            f"{len(names)} optimizers make more pairs than a plan covers "
            f"({MAX_PLANNED_PAIRS}); only the pairs with {best}, the best Set {which} "
            "median of trajectory means, are planned"
        )
    return {
        "set": which,
        "L": L,
        **_metric(metric),
        "alpha": alpha,
        "power": power,
        "pair_family_size": family,
        "pair_level": level,
        "levels": levels,
        "set_comparisons": jsonable(sets),
        "optimizer_pairs": [
            {
                "optimizer1": str(x),
                "optimizer2": str(y),
                "plan": jsonable(
                    plan_trajectories(side[x], side[y], paired=False, family_size=family, **options)
                ),
            }
            for x, y in pairs
        ],
        "note": note,
    }


def check_pair(pair: tuple[str, str], names: list[str]) -> None:
    """422 naming ``pair`` unless it is two different optimizers of the experiment."""
    unknown = [name for name in pair if name not in names]
    if unknown or pair[0] == pair[1]:
        why = f"unknown optimizer {unknown[0]!r}" if unknown else "the two optimizers must differ"
        raise HTTPException(
            422,
            [
                {
                    "loc": ["query", "pair"],
                    "type": "value_error",
                    "msg": f"pair: {why}; the experiment has {', '.join(names)}",
                }
            ],
        )
