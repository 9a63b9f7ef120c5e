"""Load: 50 readers on loopback opening training experiments' pages while a worker writes,
the page's old requests against its new one, side by side.

    python -m bench.load [--clients 50] [--seconds 30]

Scratch PostgreSQL database with two finished 6 × 5 × 300-record training experiments;
the API under uvicorn (2 processes) on 127.0.0.1; a Celery worker training a digits
experiment meanwhile (writing records and checkpoints). For ``--seconds`` each, in one
process against the same server: the readers open the two pages over and over as the page
did before (the experiment, then 7 statistics requests and every record, paged), then as
it does now (the experiment, its view, its kept models) as first visits, then as it does
now with each reader's browser cache revalidating the view (bench/page_load.py).
Prints per phase the requests and page opens per second, p50 and p99 of requests and of
page opens, errors (target 0), and the ratios; then, with one reader, the API's CPU time
per page open each way (read from /proc: what a page costs the server, whatever else
the machine is doing). Target: p99 under 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import func, select

from bench.page_load import (
    Measured,
    measure_phase,
    open_after,
    open_before,
    server_cpu_per_open,
    side_by_side,
    slowest_paths,
)
from bench.scratch import scratch_database
from bench.set_comparison import populate
from shared.accounts import create_token
from shared.db.models import ModelRecord, Run
from shared.db.session import session_scope
from shared.experiments import create_experiment
from shared.spec import parse_spec
from worker.command import worker_command

ROOT = Path(__file__).resolve().parents[1]
#: label, how a page is opened, whether readers' browsers revalidate with entity tags
PHASES = [
    ("before", open_before, False),
    ("after", open_after, False),
    ("after, revalidated", open_after, True),
]


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
    """``clients`` clients reading ``paths`` in turn for ``seconds``: latencies, errors."""
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


def measure(
    db: str, args: argparse.Namespace
) -> tuple[list[tuple[str, Measured, float | None]], int]:
    """Populate, start a worker and the API, open pages the old way, the new way, and the
    new way with browsers that revalidate; returns each phase's label, measurements and
    the server's CPU per page open (one reader, after the phases), and how many records
    the worker wrote meanwhile."""
    env = {
        **os.environ,
        "OPTBENCH_DATABASE_URL": db,
        "OPTBENCH_BROKER_URL": args.redis,
        "OPTBENCH_ENVIRONMENT": "production",
    }
    experiments = []
    for _ in range(2):
        experiment, token = populate(db, 5, 300)
        experiments.append(experiment)
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
        phases = []
        for label, opener, revalidate in PHASES:
            measured = measure_phase(
                url, token, opener, experiments, args.clients, args.seconds, None, revalidate
            )
            phases.append((label, measured, revalidate))
        api = processes[1].pid
        results = [
            (
                label,
                measured,
                server_cpu_per_open(url, token, opener, experiments, api, revalidate),
            )
            for (label, measured, revalidate), (_, opener, _) in zip(phases, PHASES, strict=True)
        ]
        with session_scope(db) as session:
            written = session.scalar(
                select(func.count())
                .select_from(ModelRecord)
                .join(Run)
                .where(Run.experiment_id == busy_id)
            )
        return results, int(written or 0)
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
    parser.add_argument("--seconds", type=float, default=30, help="per phase")
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()
    with scratch_database(args.postgres, "optbench_load") as db:
        phases, written = measure(db, args)
    print(
        f"{args.clients} readers × {args.seconds:g} s per phase on loopback, uvicorn with 2 "
        f"processes, a worker writing meanwhile ({written} records written during the run); "
        "two finished 6 × 5 × 300-record experiments; before: the page's 9 requests (the "
        "experiment, 7 statistics, records) per open; after: 3 (the experiment, its view, "
        "its kept models); after, revalidated: the same with each reader's browser cache "
        "(If-None-Match: an unchanged view is a 304)"
    )
    for line in side_by_side(phases):
        print(line)
    for label, measured, _ in phases:
        for line in slowest_paths(label, measured):
            print(line)
    print("  target: p99 under 1 s")


if __name__ == "__main__":
    main()
