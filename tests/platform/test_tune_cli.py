"""``optbench tune`` is a client of the API: it submits a study (the workers run it) and
``optbench results`` prints the budget table and the best configurations."""

from __future__ import annotations

from typer.testing import CliRunner

from cli.main import app
from shared.db.models import Experiment
from shared.db.session import session_scope
from tests.platform.test_results_cli import api  # noqa: F401  (the fixture)
from tests.platform.test_tuning import drive


def test_tune_submits_a_study_and_results_print_its_budget_table(
    api,  # noqa: F811
    in_process_worker,
) -> None:
    runner = CliRunner()
    submitted = runner.invoke(
        app,
        [
            "tune", "--task", "digits", "--option", "train_size=300",
            "--optimizer", "sgd", "--optimizer", "nig_sgd",
            "--search", "lr=1e-3:0.5:log", "--search", "nig_sgd.rho=0.5:4",
            "--set", "weight_decay=0.0001",
            "--trials", "2", "--epochs", "1", "--evaluate-every", "0.5", "--batch-size", "32",
            "--pruner", "none", "--name", "cli", "--no-wait",
        ],
    )  # fmt: skip
    assert submitted.exit_code == 0, submitted.output
    study = int(submitted.stdout.strip().splitlines()[-1])
    with session_scope(in_process_worker.database_url) as session:
        spec = session.get(Experiment, study).spec
    assert spec["kind"] == "tuning" and spec["tuning"]["trials"] == 2
    assert spec["tuning"]["search"] == {
        "sgd": {"lr": {"low": 1e-3, "high": 0.5, "log": True}},
        "nig_sgd": {
            "lr": {"low": 1e-3, "high": 0.5, "log": True},
            "rho": {"low": 0.5, "high": 4.0, "log": None},
        },
    }
    assert [o["hyperparameters"] for o in spec["optimizers"]] == [{"weight_decay": 0.0001}] * 2
    drive(in_process_worker.database_url, study)
    shown = runner.invoke(app, ["results", str(study)], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    assert "2 trials per optimizer (equal)" in shown.stdout
    assert "2 / 2" in shown.stdout and "budgets in trials" in shown.stdout
    lines = shown.stdout.splitlines()
    for key in ("sgd", "nig_sgd"):
        [line] = [x for x in lines if x.startswith(f"{key} (trial ")]
        assert f"saved as tuned: cli-{key}" in line and '"weight_decay": 0.0001' in line


def test_tune_refuses_a_malformed_search_in_one_line(api) -> None:  # noqa: F811
    result = CliRunner().invoke(
        app, ["tune", "--task", "digits", "--optimizer", "sgd", "--search", "lr=0.1"]
    )
    assert result.exit_code == 2
    assert result.output.strip() == "error: --search: expected NAME=LOW:HIGH[:log], got 'lr=0.1'"
