"""``optbench export ID --mlflow TRACKING_URI``: a training experiment's trajectories as
MLflow runs (needs ``pip install 'optbench-client[mlflow]'``)."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from optbench_client.cli.experiments import Token, Url, call_api, make_client


def export(
    experiment_id: int,
    mlflow: Annotated[
        str,
        typer.Option(
            "--mlflow",
            metavar="TRACKING_URI",
            help="an MLflow tracking server (http://…), or a directory / file: URI",
        ),
    ],
    models: Annotated[
        bool, typer.Option("--models", help="also log the kept models as artifacts")
    ] = False,
    name: Annotated[
        str | None,
        typer.Option("--mlflow-experiment", help="default: optbench ID NAME"),
    ] = None,
    url: Url = None,
    token: Token = None,
) -> None:
    """Log each trajectory as an MLflow run: hyperparameters as params, records as
    step-indexed metrics, Set A / Set B membership as tags, kept models as artifacts
    (--models). Exporting again adds only what is missing."""
    from optbench_client.mlflow_export import export_to_mlflow

    # A tracking server that does not answer is one line after a few seconds, not
    # minutes of MLflow's retries (its own settings win when they are set).
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "1")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "1")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "30")
    summary = call_api(
        export_to_mlflow,
        make_client(url, token),
        experiment_id,
        mlflow,
        models=models,
        mlflow_experiment=name,
    )
    typer.echo(summary.line())
