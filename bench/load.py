"""Load: 50 concurrent clients on loopback for 30 s reading the leaderboard and Set A/B
while a worker writes.

    python -m bench.load [--clients 50] [--seconds 30]

Scratch PostgreSQL database with one finished 6 × 5 × 300-record training experiment;
the API under uvicorn (2 processes) on 127.0.0.1; a Celery worker training a digits
experiment meanwhile (writing records and checkpoints). Clients alternate
``GET /leaderboard?task=digits`` and ``GET …/set-comparison``. Prints requests/s,
median and p99 latency, and errors (target: 0).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import func, select

from bench.scratch import scratch_database
from bench.set_comparison import populate
from shared.accounts import create_token
from shared.db.models import ModelRecord, Run
from shared.db.session import session_scope
from shared.experiments import create_experiment
from shared.spec import parse_spec
from worker.command import worker_command

ROOT = Path(__file__).resolve().parents[1]


async def client_loop(
    client: httpx.AsyncClient,
    paths: list[str],
    deadline: float,
    latencies: list[float],
    errors: list[str],
) -> None:
    i = 0
    while time.monotonic() < deadline:
        path = paths[i % len(paths)]
        i += 1
        started = time.perf_counter()
        try:
            response = await client.get(path)
            if response.status_code != 200:
                errors.append(f"{response.status_code} {path}")
        except httpx.HTTPError as error:
            errors.append(f"{type(error).__name__} {path}")
        latencies.append(time.perf_counter() - started)


async def load(url: str, token: str, paths: list[str], clients: int, seconds: float):
    latencies: list[float] = []
    errors: list[str] = []
    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(
        base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=120, limits=limits
    ) as client:
        deadline = time.monotonic() + seconds
        await asyncio.gather(
            *(client_loop(client, paths, deadline, latencies, errors) for _ in range(clients))
        )
    return latencies, errors


def measure(db: str, args: argparse.Namespace) -> tuple[list[float], list[str], int]:
    """Populate, start a worker and the API, run the clients; returns latencies, errors
    and how many records the worker wrote meanwhile."""
    env = {
        **os.environ,
        "OPTBENCH_DATABASE_URL": db,
        "OPTBENCH_BROKER_URL": args.redis,
        "OPTBENCH_ENVIRONMENT": "production",
    }
    experiment, token = populate(db, 5, 300)
    with session_scope(db) as session:  # the work a worker does meanwhile
        user, _ = create_token(session, "writer", "t")
        busy = create_experiment(
            session,
            user,
            parse_spec(
                {
                    "kind": "training",
                    "task": "digits",
                    "optimizers": ["sgd", "sam"],
                    "trajectories": 2,
                    "budget": {"epochs": 200},
                    "evaluate_every": 0.25,
                    "batch_size": 32,
                    "device": "cpu",
                }
            ),
        )
        runs, busy_id = list(busy.runs), busy.id
    from celery import Celery

    sender = Celery(broker=args.redis)
    for run in runs:
        sender.send_task("optbench.run_training", args=[run.id], queue=run.queue)
    processes = [
        subprocess.Popen(
            worker_command("cpu", pool="solo"),
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "api.app:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(args.port),
                "--workers",
                "2",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
    ]
    try:
        url = f"http://127.0.0.1:{args.port}"
        for _ in range(200):
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        paths = [
            "/api/v1/leaderboard?task=digits",
            f"/api/v1/experiments/{experiment}/set-comparison",
        ]
        latencies, errors = asyncio.run(load(url, token, paths, args.clients, args.seconds))
        with session_scope(db) as session:
            written = session.scalar(
                select(func.count())
                .select_from(ModelRecord)
                .join(Run)
                .where(Run.experiment_id == busy_id)
            )
        return latencies, errors, int(written or 0)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()
    with scratch_database(args.postgres, "optbench_load") as db:
        latencies, errors, written = measure(db, args)
    latencies.sort()
    print(
        f"{args.clients} clients × {args.seconds:g} s on loopback, uvicorn with 2 processes,"
        f" a worker writing meanwhile ({written} records written during the run)"
    )
    print(f"  {len(latencies)} requests, {len(latencies) / args.seconds:.1f} requests/s")
    print(
        f"  latency median {1e3 * statistics.median(latencies):.0f} ms, "
        f"p99 {1e3 * latencies[int(0.99 * (len(latencies) - 1))]:.0f} ms"
    )
    print(f"  errors: {len(errors)} (target 0){' e.g. ' + errors[0] if errors else ''}")


if __name__ == "__main__":
    main()
