"""Every table the CLI prints fits a 100-column terminal whole: no line longer, nothing
cut off with an ellipsis (long names and sentences wrap, numbers never do)."""

from __future__ import annotations

import pandas as pd
import pytest
from rich.console import Console
from typer.testing import CliRunner

from api.services.populations import plan_answer
from cli.main import app
from optbench_client.cli import experiments as experiment_commands
from optbench_client.cli import models as model_commands
from optbench_client.cli import plan as plan_command
from optbench_client.cli.report import findings
from optbench_client.cli.tuning_tables import render_tuning
from shared.tasks.metrics import ACCURACY
from tests.api.test_plan_answer import six_optimizer_pilot

LONG = "nim_mbh@rho=0.05,lr=0.003-with-a-long-label"


def fits(text: str) -> None:
    assert text.strip()
    widest = max(len(line) for line in text.splitlines())
    assert widest <= 100, f"{widest} columns:\n{text}"
    assert "…" not in text, text


def invoke(*arguments: str) -> str:
    result = CliRunner().invoke(app, list(arguments), env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    return result.stdout


def column(text: str, index: int) -> str:
    """A table column's cells run together without spaces: a wrapped cell reads whole."""
    cells = [line.split("│")[index + 1] for line in text.splitlines() if line.startswith("│")]
    return "".join(cells).replace(" ", "")


def test_plan_fits(monkeypatch: pytest.MonkeyPatch) -> None:
    records = six_optimizer_pilot()
    records["optimizer"] = records["optimizer"].replace("nim_bh", LONG)
    answer = plan_answer(records, 3, ACCURACY, "A", 0.05, 0.8, 40)

    class Pilot:
        def plan(self, experiment_id: int, **params: object) -> dict:
            return answer

    monkeypatch.setattr(plan_command, "make_client", lambda url, token: Pilot())
    text = invoke("plan", "1")
    fits(text)
    assert f"{LONG}vssamonSetA" in column(text, 0)
    for header in plan_command.COLUMNS:
        assert header[0] in text
    assert "optimizer pairs at α/15" in " ".join(text.split())


class Lab:
    """A client with long names everywhere."""

    def experiment(self, experiment_id: int) -> dict:
        return {
            "id": experiment_id,
            "name": "a training study with a name longer than any terminal column would hold",
            "kind": "training",
            "status": "running",
            "progress": 0.4,
            "owner": "alice",
        }

    def runs(self, experiment_id: int) -> pd.DataFrame:
        error = (
            "RuntimeError: the task's data file cifar10/data_batch_1 is missing under the "
            "data root /srv/optbench/data (expected the CIFAR python format)"
        )
        return pd.DataFrame(
            [
                {"key": f"{LONG}/{t}", "status": s, "progress": 0.5, "attempts": 2, "error": e}
                for t, (s, e) in enumerate([("failed", error), ("running", None)])
            ]
        )

    def experiments(self, **filters: object) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "id": 1000 + i,
                    "name": f"experiment number {i} with a long descriptive name",
                    "kind": "training",
                    "status": "succeeded",
                    "progress": 1.0,
                    "owner": "a-member-with-a-long-user-name",
                    "created_at": "2025-03-01T12:34:56.789012+00:00",
                }
                for i in range(3)
            ]
        )

    def models(self, experiment_id: int) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "optimizer": LONG,
                    "trajectory": 3,
                    "step": 123456,
                    "epoch": 12.0,
                    "gradient_evaluations": 10**7,
                    "train_loss": 0.123456,
                    "test_loss": 0.2,
                    "metrics.accuracy": 0.91234,
                    "metrics.macro_f1": 0.9,
                    "metrics.micro_f1": 0.9,
                    "size": 94_000_000,
                    "sha256": "0" * 64,
                    "url": "http://x",
                }
            ]
        )


def test_status_list_and_models_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(experiment_commands, "make_client", lambda url, token: Lab())
    monkeypatch.setattr(model_commands, "make_client", lambda url, token: Lab())
    status = invoke("status", "7")
    fits(status)
    assert "cifar10/data_batch_1" in column(status, 4) and f"{LONG}/0" in column(status, 0)
    listed = invoke("list")
    fits(listed)
    assert "2025-03-0112:34" in column(listed, 6)
    assert "a-member-with-a-long-user-name" in column(listed, 5)
    models = invoke("models", "list", "7")
    fits(models)
    assert "0.9123" in models and "94.0" in models


def test_tasks_list_fits() -> None:
    text = invoke("tasks", "list")
    fits(text)
    assert "perplexity" in text


def test_a_local_landscape_study_fits() -> None:
    text = invoke(
        "landscape", "-f", "six_hump_camel", "-o", "sgd", "-o", "nim_mbh",
        "--restarts", "12", "--iterations", "40",
    )  # fmt: skip
    fits(text)
    assert "nim_mbh" in text and "else" in text


def test_a_study_fits() -> None:
    console = Console(width=100, record=True, color_system=None)
    budget = {
        "optimizer": LONG,
        "used": 123_456_789,
        "granted": 200_000_000,
        "unit": "gradient_evaluations",
        "complete": 12,
        "pruned": 30,
        "failed": 1,
        "running": 2,
        "gradient_evaluations": 123_456_789,
        "best_value": 0.91234,
        "best_hyperparameters": {"lr": 0.0123, "momentum": 0.9},
        "best_trial": 17,
        "tuned_configuration": "digits-nim_mbh",
    }
    render_tuning(
        {
            "experiment": 12,
            "budget": "200,000,000 gradient evaluations",
            "equal_budgets": True,
            "objective": "accuracy",
            "direction": "higher",
            "pruner": "median",
            "budgets": [budget, {**budget, "optimizer": "sgd"}],
            "error": None,
        },
        console,
    )
    text = console.export_text()
    fits(text.split("budgets in gradient evaluations")[0])  # the table
    # each best configuration stays on one line, to copy
    assert f'{LONG} (trial 17, saved as tuned: digits-nim_mbh): {{"lr": 0.0123' in text


def test_a_warning_several_optimizers_share_is_said_once() -> None:
    floor = (
        "With 3 pairs of trajectories the trajectory-level test cannot give a p-value below "
        "0.25, so it can never be significant at α = 0.05; it needs at least 6 pairs."
    )
    sets = pd.DataFrame(
        [
            {"optimizer": "sgd", "warnings": [floor], "initial_models_excluded": 3,
             "diverged_excluded": 0, "trajectory_p_floor": 0.25, "trajectories_needed": 6},
            {"optimizer": "sam", "warnings": [floor, "90% of the Set A models ..."],
             "initial_models_excluded": 3, "diverged_excluded": 0,
             "trajectory_p_floor": 0.25, "trajectories_needed": 6},
        ]
    )  # fmt: skip
    lines = findings(sets, pd.DataFrame())
    assert lines == [
        "sgd, sam: left out of both sets: 3 step-0 models and 0 records at or after a divergence.",
        f"sgd, sam: {floor}",
        "sam: 90% of the Set A models ...",
    ]
