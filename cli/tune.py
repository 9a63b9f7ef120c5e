"""``optbench tune``: find a tuned version of an optimizer for a task, and store it."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console

from shared.config import get_settings


def tune(
    task: Annotated[str, typer.Option(help="task name, e.g. digits")],
    optimizer: Annotated[str, typer.Option(help="optimizer name, e.g. sgd")],
    search: Annotated[
        list[str], typer.Option(help="NAME=LOW:HIGH[:log], repeatable, e.g. lr=1e-4:0.5:log")
    ],
    name: Annotated[
        str | None,
        typer.Option(
            help="store the result under this name (experiments reference it as tuned: NAME)"
        ),
    ] = None,
    fix: Annotated[
        list[str] | None,
        typer.Option("--set", help="a fixed hyperparameter NAME=VALUE, repeatable"),
    ] = None,
    option: Annotated[
        list[str] | None, typer.Option("--option", help="a task option NAME=VALUE, repeatable")
    ] = None,
    trials: Annotated[int, typer.Option(min=1, max=10_000)] = 20,
    epochs: Annotated[float, typer.Option(min=0.01)] = 5.0,
    batch_size: Annotated[int, typer.Option(min=1)] = 128,
    seed: int = 0,
    owner: Annotated[str, typer.Option(help="who the stored configuration belongs to")] = "local",
) -> None:
    """Optuna (seeded TPE) over the given ranges, each trial one trajectory trained on a
    validation split carved from the training data — never the test set."""
    from shared.optim.declarations import UnknownOptimizerError, resolve_hyperparameters
    from shared.optim.hyperparameters import HyperparameterError
    from shared.protocol.tuning import Range
    from shared.protocol.tuning import tune as run_search
    from shared.tasks.base import TaskDataError
    from shared.tasks.declarations import UnknownTaskError
    from shared.tasks.registry import build_task

    def pairs(items: list[str] | None, what: str) -> dict[str, str]:
        out = {}
        for item in items or []:
            key, sep, value = item.partition("=")
            if not sep or not key:
                raise HyperparameterError(what, f"expected NAME=VALUE, got {item!r}")
            out[key] = value
        return out

    try:
        fixed = resolve_hyperparameters(optimizer, pairs(fix, "--set"))
        ranges = [Range.parse(optimizer, text) for text in search]
        task_object = build_task(task, pairs(option, "--option"))
        data = task_object.load()
        result = run_search(
            task_object,
            data,
            optimizer,
            ranges,
            fixed={k: fixed[k] for k in pairs(fix, "--set")},
            trials=trials,
            epochs=epochs,
            batch_size=batch_size,
            seed=seed,
        )
    except (
        HyperparameterError,
        UnknownOptimizerError,
        UnknownTaskError,
        TaskDataError,
        ValueError,
        RuntimeError,
    ) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    console = Console()
    console.print(f"best {result.metric} on the validation split: {result.best_value:.4f}")
    console.print(json.dumps(result.best_hyperparameters))
    if name is None:
        return
    from sqlalchemy import select

    from shared.db.models import TunedConfiguration, User
    from shared.db.session import session_scope

    with session_scope(get_settings().database_url) as session:
        if (
            session.scalar(select(TunedConfiguration.id).where(TunedConfiguration.name == name))
            is not None
        ):
            typer.echo(f"error: name: a tuned configuration {name!r} exists already", err=True)
            raise typer.Exit(2)
        user = session.scalar(select(User).where(User.name == owner)) or User(name=owner)
        session.add(
            TunedConfiguration(
                name=name,
                owner=user,
                task=task,
                task_options=pairs(option, "--option"),
                optimizer=optimizer,
                hyperparameters=result.best_hyperparameters,
                metric=result.metric,
                value=result.best_value,
                search={
                    "ranges": search,
                    "fixed": pairs(fix, "--set"),
                    "trials": result.trials,
                    "epochs": epochs,
                    "batch_size": batch_size,
                    "seed": seed,
                },
            )
        )
    console.print(f"stored as tuned configuration {name!r}")
