"""Tuning studies on the platform: trials as runs, equal budgets, pruning, accounting
that survives redelivery, the validation split, and base vs tuned populations."""

from __future__ import annotations

import optuna
import pytest
from sqlalchemy import select, text

from shared.db.models import Experiment, ModelRecord, Run, Status, TunedConfiguration, TuningTrial
from shared.db.session import engine_for, session_factory, session_scope
from shared.tuning.storage import study_name
from tests.platform.conftest import Tokens

API = "/api/v1"


def study_spec(**tuning) -> dict:
    return {
        "kind": "tuning",
        "task": "digits",
        "task_options": {"train_size": 300},
        "optimizers": ["sgd"],
        "budget": {"epochs": 1},
        "evaluate_every": 0.25,
        "batch_size": 32,
        "device": "cpu",
        "tuning": {"trials": 4, "parallel": 2, "pruner": "none", **tuning},
    }


def drive(url: str, experiment_id: int, limit: int = 200) -> list[str]:
    """Run every queued run of the experiment and its study in this process, as the
    workers would, until none is left; returns each run's outcome."""
    from worker.training import run_training
    from worker.trials import run_trial

    sessions = session_factory(url)
    outcomes = []
    for _ in range(limit):
        with session_scope(url) as session:
            children = select(Experiment.id).where(Experiment.parent_id == experiment_id)
            ids = [experiment_id, *session.scalars(children)]
            queued = session.execute(
                select(Run.id, Experiment.kind)
                .join(Experiment)
                .where(Run.experiment_id.in_(ids), Run.status == Status.queued)
                .order_by(Run.id)
            ).first()
        if queued is None:
            return outcomes
        run_id, kind = queued
        job = run_trial if kind == "tuning" else run_training
        outcomes.append(job(sessions, run_id))
    raise AssertionError("runs kept coming")


def tuning(client, headers, experiment_id: int) -> dict:
    answer = client.get(f"{API}/experiments/{experiment_id}/tuning", headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_study_runs_its_trials_saves_the_best_and_keeps_optuna_apart(
    client, tokens, in_process_worker
) -> None:
    url = in_process_worker.database_url
    headers = Tokens.header(tokens.alice)
    accepted = client.post(f"{API}/experiments", json=study_spec(name="digits-t"), headers=headers)
    assert accepted.status_code == 202, accepted.text
    study = accepted.json()["id"]
    assert accepted.json()["runs"] == 2  # `parallel` trials at once
    outcomes = drive(url, study)
    assert outcomes == ["complete"] * 4
    answer = tuning(client, headers, study)
    assert answer["status"] == "succeeded" and answer["objective"] == "accuracy"
    [row] = answer["budgets"]
    assert (row["unit"], row["granted"], row["used"], row["complete"]) == ("trials", 4, 4, 4)
    trials = answer["trials"]
    assert [t["number"] for t in trials] == [0, 1, 2, 3]
    with session_scope(url) as session:
        for t in trials:  # a trial's value is its best validation accuracy after step 0
            stored = [
                metrics["accuracy"]
                for metrics in session.scalars(
                    select(ModelRecord.metrics).where(
                        ModelRecord.run_id == t["run"], ModelRecord.step > 0
                    )
                ).all()
            ]
            assert t["value"] == max(stored)
            assert [p["value"] for p in t["intermediate"]] == list(stored)
            assert t["started_at"].endswith("Z") and t["worker"]
        best = max(trials, key=lambda t: (t["value"], -t["number"]))
        saved = session.scalar(
            select(TunedConfiguration).where(TunedConfiguration.name == "digits-t-sgd")
        )
        assert saved is not None and saved.hyperparameters == best["hyperparameters"]
        assert row["best_value"] == best["value"] == saved.value
    assert row["tuned_configuration"] == "digits-t-sgd"
    # Optuna's tables are in their own schema, its trials the same four
    with session_scope(url) as session:
        created = session.get(Experiment, study).created_at
    stored = optuna.load_study(
        study_name=study_name(study, created, "sgd"),
        storage=optuna.storages.RDBStorage(
            url, engine_kwargs={"connect_args": {"options": "-csearch_path=optuna"}}
        ),
    )
    assert [t.state for t in stored.trials] == [optuna.trial.TrialState.COMPLETE] * 4
    assert sorted(t.value for t in stored.trials) == sorted(t["value"] for t in trials)
    with engine_for(url).connect() as connection:
        schemas = (
            connection.execute(
                text(
                    "SELECT table_schema FROM information_schema.tables "
                    "WHERE table_name = 'alembic_version' ORDER BY table_schema"
                )
            )
            .scalars()
            .all()
        )
    assert schemas == ["optuna", "public"]
    # the tuned configuration is a `tuned:` reference for later experiments
    later = client.post(
        f"{API}/experiments",
        json={
            "kind": "training",
            "task": "digits",
            "optimizers": [{"name": "sgd", "tuned": "digits-t-sgd"}],
            "trajectories": 1,
            "budget": {"epochs": 1},
            "population_size": 1,
        },
        headers=headers,
    )
    assert later.status_code == 202, later.text


def test_every_trial_failing_fails_the_study_with_the_first_cause(
    client, tokens, in_process_worker, monkeypatch
) -> None:
    import worker.trials

    def broken(name, options):  # type: ignore[no-untyped-def]
        raise RuntimeError("the data set is unreadable")

    monkeypatch.setattr(worker.trials, "task_and_data", broken)
    headers = Tokens.header(tokens.alice)
    spec = study_spec(trials=3, parallel=1)
    study = client.post(f"{API}/experiments", json=spec, headers=headers).json()["id"]
    assert drive(in_process_worker.database_url, study) == ["failed"] * 3
    answer = tuning(client, headers, study)
    assert answer["status"] == "failed"
    assert answer["error"] == (
        "every trial failed; the first: RuntimeError: the data set is unreadable"
    )
    assert answer["budgets"][0]["failed"] == 3
    assert answer["budgets"][0]["best_value"] is None
    with session_scope(in_process_worker.database_url) as session:
        created = session.get(Experiment, study).created_at
    told = optuna.load_study(
        study_name=study_name(study, created, "sgd"),
        storage=optuna.storages.RDBStorage(
            in_process_worker.database_url,
            engine_kwargs={"connect_args": {"options": "-csearch_path=optuna"}},
        ),
    )
    assert [t.state for t in told.trials] == [optuna.trial.TrialState.FAIL] * 3


def test_a_redelivered_trial_is_counted_once(client, tokens, in_process_worker) -> None:
    from worker.trials import run_trial

    url = in_process_worker.database_url
    sessions = session_factory(url)
    headers = Tokens.header(tokens.alice)
    study = client.post(
        f"{API}/experiments", json=study_spec(trials=1, parallel=1), headers=headers
    ).json()["id"]
    with session_scope(url) as session:
        [run_id] = session.scalars(select(Run.id).where(Run.experiment_id == study)).all()
    assert run_trial(sessions, run_id) == "complete"
    assert run_trial(sessions, run_id) == "already succeeded"  # the message came again
    with session_scope(url) as session:
        assert session.scalar(select(TuningTrial.settled).where(TuningTrial.run_id == run_id))
        assert session.get(Experiment, study).status == Status.succeeded
        assert len(session.scalars(select(Run).where(Run.experiment_id == study)).all()) == 1
    assert tuning(client, headers, study)["budgets"][0]["used"] == 1


def test_gradient_budgets_are_equal_and_count_sams_second_gradient(
    client, tokens, in_process_worker
) -> None:
    url = in_process_worker.database_url
    headers = Tokens.header(tokens.alice)
    spec = {
        **study_spec(),
        "optimizers": ["sgd", "sam"],
        "budget": {"gradient_evaluations": 40},
        "tuning": {"gradient_evaluations": 130, "parallel": 2, "pruner": "none"},
    }
    accepted = client.post(f"{API}/experiments", json=spec, headers=headers)
    assert accepted.status_code == 202, accepted.text
    drive(url, accepted.json()["id"])
    answer = tuning(client, headers, accepted.json()["id"])
    rows = {r["optimizer"]: r for r in answer["budgets"]}
    assert answer["equal_budgets"] and {r["granted"] for r in rows.values()} == {130}
    # 40 a trial: three fit in 130 (a fourth would need 160), for SGD and SAM alike
    assert rows["sgd"]["trials"] == rows["sam"]["trials"] == 3
    assert rows["sgd"]["used"] == rows["sam"]["used"] == 120
    with session_scope(url) as session:
        for t in answer["trials"]:
            last = session.execute(
                select(ModelRecord.step, ModelRecord.gradient_evaluations)
                .where(ModelRecord.run_id == t["run"])
                .order_by(ModelRecord.step.desc())
                .limit(1)
            ).one()
            # SAM pays two gradients a step: half the steps for the same budget
            steps = 20 if t["optimizer"] == "sam" else 40
            assert tuple(last) == (steps, 40) and t["gradient_evaluations"] == 40


def test_the_test_set_is_never_read_while_tuning(client, tokens, in_process_worker, monkeypatch):
    import dataclasses

    import worker.trials
    from worker.training import task_and_data

    class Untouchable:
        def __len__(self) -> int:
            raise AssertionError("the test set was read during tuning")

        def __getitem__(self, index):  # type: ignore[no-untyped-def]
            raise AssertionError("the test set was read during tuning")

    def guarded(name, options):  # type: ignore[no-untyped-def]
        task, data = task_and_data(name, options)
        return task, dataclasses.replace(data, test=Untouchable())

    monkeypatch.setattr(worker.trials, "task_and_data", guarded)
    headers = Tokens.header(tokens.alice)
    study = client.post(f"{API}/experiments", json=study_spec(trials=2), headers=headers).json()[
        "id"
    ]
    assert drive(in_process_worker.database_url, study) == ["complete", "complete"]


def test_the_median_pruner_stops_trials_in_a_bad_region(client, tokens, in_process_worker):
    url = in_process_worker.database_url
    headers = Tokens.header(tokens.alice)
    spec = study_spec(
        trials=6,
        parallel=1,
        pruner="median",
        pruner_startup_trials=1,
        pruner_warmup_evaluations=1,
        search={"sgd": {"lr": {"choices": [0.2, 1e-5]}, "momentum": 0.9}},
    )
    study = client.post(f"{API}/experiments", json=spec, headers=headers).json()["id"]
    outcomes = drive(url, study)
    answer = tuning(client, headers, study)
    trials = answer["trials"]
    pruned = [t for t in trials if t["state"] == "pruned"]
    complete = [t for t in trials if t["state"] == "complete"]
    assert outcomes.count("pruned") == len(pruned) == answer["budgets"][0]["pruned"] >= 1
    assert all(t["hyperparameters"]["lr"] == 1e-5 for t in pruned)
    assert all(t["hyperparameters"]["momentum"] == 0.9 for t in trials)
    # pruned at the second evaluation point (one point of warm-up), not before
    assert {len(t["intermediate"]) for t in pruned} == {2}
    assert max(t["gradient_evaluations"] for t in pruned) < min(
        t["gradient_evaluations"] for t in complete
    )


def test_a_training_spec_with_tuning_runs_base_and_tuned_side_by_side(
    client, tokens, in_process_worker
) -> None:
    from worker.training import run_training

    url = in_process_worker.database_url
    sessions = session_factory(url)
    headers = Tokens.header(tokens.alice)
    spec = {
        "kind": "training",
        "task": "digits",
        "task_options": {"train_size": 300},
        "optimizers": ["sgd"],
        "trajectories": 2,
        "budget": {"epochs": 1},
        "evaluate_every": 0.25,
        "batch_size": 32,
        "population_size": 2,
        "device": "cpu",
        "tuning": {
            "trials": 2,
            "pruner": "none",
            "name": "paper",
            "search": {"sgd": {"lr": {"low": 0.01, "high": 0.5}}},
        },
    }
    accepted = client.post(f"{API}/experiments", json=spec, headers=headers)
    assert accepted.status_code == 202, accepted.text
    experiment = accepted.json()["id"]
    assert accepted.json()["runs"] == 4  # two trajectories at base, two trials
    state = client.get(f"{API}/experiments/{experiment}", headers=headers).json()
    study = state["study_id"]
    assert study is not None and study != experiment
    with session_scope(url) as session:
        base = session.scalars(select(Run.id).where(Run.experiment_id == experiment)).all()
    assert [run_training(sessions, r) for r in base] == ["succeeded", "succeeded"]
    # the base population is done, but the tuned one has not run: not finished yet
    state = client.get(f"{API}/experiments/{experiment}", headers=headers).json()
    assert state["status"] == "running"
    drive(url, experiment)
    state = client.get(f"{API}/experiments/{experiment}", headers=headers).json()
    assert state["status"] == "succeeded", state
    assert state["runs"] == {"succeeded": 4}
    answer = tuning(client, headers, experiment)  # the study, through its training experiment
    assert answer["experiment"] == study and answer["parent"] == experiment
    [row] = answer["budgets"]
    assert row["tuned_configuration"] == "paper-sgd"
    tuned = next(o for o in state["spec"]["optimizers"] if o.get("label") == "sgd@tuned")
    assert tuned["tuned"] == "paper-sgd"
    assert tuned["hyperparameters"] == row["best_hyperparameters"]
    assert 0.01 <= tuned["hyperparameters"]["lr"] <= 0.5
    comparison = client.get(f"{API}/experiments/{experiment}/optimizer-comparison", headers=headers)
    assert comparison.status_code == 200, comparison.text
    assert "sgd@tuned" in comparison.text and '"sgd"' in comparison.text
    # the study cannot be deleted on its own; its training experiment takes it along
    assert client.delete(f"{API}/experiments/{study}", headers=headers).status_code == 409
    with session_scope(url) as session:
        created = session.get(Experiment, study).created_at
    store = optuna.storages.RDBStorage(
        url, engine_kwargs={"connect_args": {"options": "-csearch_path=optuna"}}
    )
    names = {s.study_name for s in store.get_all_studies()}
    assert study_name(study, created, "sgd") in names
    assert client.delete(f"{API}/experiments/{experiment}", headers=headers).status_code == 204
    assert client.get(f"{API}/experiments/{study}", headers=headers).status_code == 404
    # Optuna's side goes with it
    assert study_name(study, created, "sgd") not in {s.study_name for s in store.get_all_studies()}


def test_cancelling_a_tuned_training_experiment_cancels_its_study(
    client, tokens, in_process_worker
) -> None:
    headers = Tokens.header(tokens.alice)
    spec = {
        "kind": "training",
        "task": "digits",
        "optimizers": ["sgd"],
        "trajectories": 1,
        "budget": {"epochs": 1},
        "evaluate_every": 0.25,
        "population_size": 2,
        "tuning": {"trials": 3, "parallel": 2},
    }
    experiment = client.post(f"{API}/experiments", json=spec, headers=headers).json()["id"]
    cancelled = client.post(f"{API}/experiments/{experiment}/cancel", headers=headers)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    answer = tuning(client, headers, experiment)
    assert answer["status"] == "cancelled"
    assert [t["state"] for t in answer["trials"]] == ["cancelled", "cancelled"]  # no third
    assert answer["budgets"][0]["tuned_configuration"] is None
    state = client.get(f"{API}/experiments/{experiment}", headers=headers).json()
    assert state["runs"] == {"cancelled": 2}  # the base trajectory and the tuned one
    with session_scope(in_process_worker.database_url) as session:
        assert session.scalar(select(TunedConfiguration.id)) is None


def test_a_trial_the_reconciler_gives_up_on_ends_in_optuna_too(
    client, tokens, in_process_worker, monkeypatch
) -> None:
    """A worker dies mid-trial (after Optuna handed out the trial) on its last attempt:
    the reconciler fails the run, the study settles the trial, and Optuna's trial ends as
    failed rather than staying RUNNING for ever."""
    from datetime import timedelta

    import worker.trials
    from shared.db.base import utcnow
    from shared.reconcile import reconcile

    url = in_process_worker.database_url
    headers = Tokens.header(tokens.alice)
    study = client.post(
        f"{API}/experiments", json=study_spec(trials=1, parallel=1), headers=headers
    ).json()["id"]
    with session_scope(url) as session:
        [run_id] = session.scalars(select(Run.id).where(Run.experiment_id == study)).all()

    def killed(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt  # not an error the worker handles: the process is gone

    monkeypatch.setattr(worker.trials, "_train", killed)
    with pytest.raises(KeyboardInterrupt):
        worker.trials.run_trial(session_factory(url), run_id)
    with session_scope(url) as session:
        trial = session.scalar(select(TuningTrial).where(TuningTrial.run_id == run_id))
        assert trial is not None and trial.optuna_trial_id is not None and not trial.settled
        created = session.get(Experiment, study).created_at
    storage = optuna.storages.RDBStorage(
        url, engine_kwargs={"connect_args": {"options": "-csearch_path=optuna"}}
    )
    name = study_name(study, created, "sgd")
    before = optuna.load_study(study_name=name, storage=storage).trials
    assert [t.state for t in before] == [optuna.trial.TrialState.RUNNING]

    with session_scope(url) as session:
        outcome = reconcile(
            session, stale_after=1, max_attempts=1, now=utcnow() + timedelta(seconds=60)
        )
        assert [r.id for r in outcome.failed] == [run_id]
    with session_scope(url) as session:
        trial = session.scalar(select(TuningTrial).where(TuningTrial.run_id == run_id))
        assert trial is not None and trial.settled and trial.state == "failed"
        assert session.get(Experiment, study).status == Status.failed
    after = optuna.load_study(study_name=name, storage=storage).trials
    assert [t.state for t in after] == [optuna.trial.TrialState.FAIL]
