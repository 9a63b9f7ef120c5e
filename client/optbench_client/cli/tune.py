"""``optbench tune``: submit a tuning study to the platform, follow it, print the result.

The search runs on the platform's workers (the CLI only talks to the API), with the same
budget for every optimizer; each optimizer's best configuration is saved as a tuned
configuration that later specs reference with ``tuned: NAME-OPTIMIZER``.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from optbench_client.cli import experiments
from optbench_client.cli.experiments import Token, Url, call_api, watch
from optbench_client.cli.tuning_tables import render_tuning


def _pairs(items: list[str] | None, what: str) -> dict[str, str]:
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            typer.echo(f"error: {what}: expected NAME=VALUE, got {item!r}", err=True)
            raise typer.Exit(2)
        out[key] = value
    return out


def _number(text: str) -> Any:
    try:
        value = float(text)
    except ValueError:
        return text
    return int(value) if value.is_integer() and "." not in text and "e" not in text else value


def _search(items: list[str], optimizers: list[str]) -> dict[str, dict[str, Any]]:
    """``NAME=LOW:HIGH[:log]`` for every optimizer, or ``OPTIMIZER.NAME=…`` for one."""
    search: dict[str, dict[str, Any]] = {}
    for text in items:
        name, _, bounds = text.partition("=")
        parts = bounds.split(":")
        if not name or len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] != "log"):
            typer.echo(f"error: --search: expected NAME=LOW:HIGH[:log], got {text!r}", err=True)
            raise typer.Exit(2)
        entry: dict[str, Any] = {"low": float(parts[0]), "high": float(parts[1])}
        if len(parts) == 3:
            entry["log"] = True
        owner, dot, hyperparameter = name.rpartition(".")
        for key in [owner] if dot and owner in optimizers else optimizers:
            search.setdefault(key, {})[hyperparameter if dot else name] = entry
    return search


def tune(
    task: Annotated[str, typer.Option(help="task name, e.g. digits")],
    optimizer: Annotated[
        list[str], typer.Option(help="optimizer to tune, repeatable, e.g. --optimizer sgd")
    ],
    search: Annotated[
        list[str] | None,
        typer.Option(
            help="NAME=LOW:HIGH[:log] (every optimizer) or OPTIMIZER.NAME=…, repeatable; "
            "without it, the default space"
        ),
    ] = None,
    trials: Annotated[int | None, typer.Option(min=1, help="budget: trials per optimizer")] = None,
    gradient_evaluations: Annotated[
        int | None,
        typer.Option(min=1, help="budget: gradient evaluations per optimizer, over its trials"),
    ] = None,
    epochs: Annotated[float, typer.Option(min=0.01, help="each trial's epochs")] = 5.0,
    trial_gradient_evaluations: Annotated[
        int | None, typer.Option(min=1, help="each trial's gradient evaluations (not epochs)")
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(help="save the best as tuned configurations NAME-OPTIMIZER"),
    ] = None,
    fix: Annotated[
        list[str] | None,
        typer.Option("--set", help="a fixed hyperparameter NAME=VALUE (every optimizer)"),
    ] = None,
    option: Annotated[
        list[str] | None, typer.Option("--option", help="a task option NAME=VALUE, repeatable")
    ] = None,
    objective: Annotated[str | None, typer.Option(help="default: the task's metric")] = None,
    pruner: Annotated[str, typer.Option(help="median or none")] = "median",
    parallel: Annotated[int, typer.Option(min=1, help="trials per optimizer at once")] = 4,
    batch_size: Annotated[int, typer.Option(min=1)] = 128,
    evaluate_every: Annotated[float, typer.Option(min=0.01)] = 0.5,
    seed: int = 0,
    wait: Annotated[bool, typer.Option(help="follow the study to its end")] = True,
    url: Url = None,
    token: Token = None,
) -> None:
    """Tune optimizers on the platform's workers with one budget for all: each trial trains
    on a validation split carved from the training data (never the test set)."""
    if trials is None and gradient_evaluations is None:
        trials = 20
    fixed = {k: _number(v) for k, v in _pairs(fix, "--set").items()}
    tuning: dict[str, Any] = {
        "search": _search(search or [], optimizer),
        "pruner": pruner,
        "parallel": parallel,
    }
    for key, value in (
        ("trials", trials),
        ("gradient_evaluations", gradient_evaluations),
        ("objective", objective),
        ("name", name),
    ):
        if value is not None:
            tuning[key] = value
    spec = {
        "kind": "tuning",
        "task": task,
        "task_options": {k: _number(v) for k, v in _pairs(option, "--option").items()},
        "optimizers": [{"name": o, "hyperparameters": fixed} for o in optimizer],
        "budget": {"gradient_evaluations": trial_gradient_evaluations}
        if trial_gradient_evaluations
        else {"epochs": epochs},
        "evaluate_every": evaluate_every,
        "batch_size": batch_size,
        "seed": seed,
        "tuning": tuning,
    }
    client = experiments.make_client(url, token)
    experiment_id = call_api(client.submit, spec)
    typer.echo(f"study {experiment_id}", err=True)
    if not wait:
        typer.echo(experiment_id)
        return
    state = watch(client, experiment_id)
    render_tuning(call_api(client.tuning, experiment_id))
    if state["status"] != "succeeded":
        raise typer.Exit(1)
