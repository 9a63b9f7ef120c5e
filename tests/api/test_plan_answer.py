"""The plan answer plans optimizer pairs at the level the optimizer comparison reports
them (Holm over every pair: α/m), or one stated pair at α, and says which; the CLI prints
it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fastapi import HTTPException
from typer.testing import CliRunner

from api.schemas.training import Plan
from api.services.populations import plan_answer
from shared.stats.floors import trajectories_needed
from shared.tasks.metrics import ACCURACY

OPTIMIZERS = ["nig_bh", "nig_sgd", "nim_bh", "nim_sgd", "sam", "sgd"]


def six_optimizer_pilot(trajectories: int = 5, points: int = 8) -> pd.DataFrame:
    """6 optimizers × 5 trajectories whose accuracies differ by optimizer."""
    rng = np.random.default_rng(4)
    rows = []
    for shift, optimizer in enumerate(OPTIMIZERS):
        for trajectory in range(trajectories):
            for point in range(points + 1):
                rows.append(
                    {
                        "optimizer": optimizer,
                        "trajectory": trajectory,
                        "step": point,
                        "train_loss": 1.0 - 0.1 * point + 0.01 * rng.random(),
                        "accuracy": 0.8 + 0.01 * shift + 0.005 * rng.standard_normal(),
                        "diverged": False,
                    }
                )
    return pd.DataFrame(rows)


def test_a_six_optimizer_pilot_plans_pairs_at_the_holm_level() -> None:
    raw = plan_answer(six_optimizer_pilot(), 3, ACCURACY, "A", 0.05, 0.8, 40)
    answer = Plan.model_validate(raw)
    assert answer.pair_family_size == 15 and answer.pair_level == pytest.approx(0.05 / 15)
    assert "α/15 = 0.00333" in answer.levels and "Holm" in answer.levels
    assert len(answer.optimizer_pairs) == 15
    least = trajectories_needed(0.05 / 15, paired=False)
    assert least == 6  # 5 vs 5 cannot go below 2/252 = 0.008 > 0.0033
    for pair in answer.optimizer_pairs:
        plan = pair.plan
        assert plan.family_size == 15 and plan.level == pytest.approx(0.05 / 15)
        assert plan.trajectories is None or plan.trajectories >= least
    # Set A vs Set B stays at α: each optimizer's own question.
    assert all(p.family_size == 1 for p in answer.set_comparisons.values())


def test_a_stated_pair_is_planned_alone_at_alpha() -> None:
    records = six_optimizer_pilot()
    raw = plan_answer(records, 3, ACCURACY, "A", 0.05, 0.8, 40, ("sgd", "nig_bh"))
    answer = Plan.model_validate(raw)
    assert answer.pair_family_size == 1 and answer.pair_level == 0.05
    (pair,) = answer.optimizer_pairs
    assert {pair.optimizer1, pair.optimizer2} == {"sgd", "nig_bh"}
    assert pair.plan.family_size == 1
    assert "the pair sgd vs nig_bh alone at α = 0.05" in answer.levels
    with pytest.raises(HTTPException) as refused:
        plan_answer(records, 3, ACCURACY, "A", 0.05, 0.8, 40, ("sgd", "adam"))
    assert refused.value.status_code == 422
    assert refused.value.detail[0]["loc"] == ["query", "pair"]
    assert "unknown optimizer 'adam'" in refused.value.detail[0]["msg"]


def test_the_cli_says_which_level(monkeypatch: pytest.MonkeyPatch) -> None:
    from cli.main import app
    from optbench_client.cli import plan as plan_command

    answer = plan_answer(six_optimizer_pilot(), 3, ACCURACY, "A", 0.05, 0.8, 40)

    class Pilot:
        def plan(self, experiment_id: int, **params: object) -> dict:
            assert params["alpha"] == 0.05
            return answer

    monkeypatch.setattr(plan_command, "make_client", lambda url, token: Pilot())
    result = CliRunner().invoke(app, ["plan", "1"])
    assert result.exit_code == 0, result.output
    assert "optimizer pairs at α/15 = 0.00333" in " ".join(result.output.split())
