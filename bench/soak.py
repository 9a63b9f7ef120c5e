"""Soak: the load benchmark for minutes while faults are injected, the page's old
requests against its new one, side by side.

    python -m bench.soak [--seconds 200] [--clients 50] [--kill-every 60]
                         [--restart-database-at 0.5 | --no-database-restart]

A scratch PostgreSQL database with one finished 6 × 5 × 300-record training experiment
(as in bench/load.py), the API under uvicorn (2 processes), two Celery workers and a
beat scheduler on Redis, and a digits training experiment for the workers meanwhile.
Three phases of ``--seconds`` each, in one process against the same servers: readers
open the experiment's page as the page did before (9 requests: the experiment, 7
statistics, every record), then as it does now (3: the experiment, its view, its kept
models), then as it does now with each reader's browser cache revalidating the view
(a 304 while it is unchanged), reading the experiment list, the leaderboard and /health
between pages (bench/page_load.py, bench/load.py's phases). Faults, the same in each
phase: every ``--kill-every`` seconds one worker is ``kill -9``ed and a fresh one
started in its place (what a restart policy does); once, at ``--restart-database-at``
of the phase, PostgreSQL is restarted with ``--restart-database`` (by default
``pg_ctlcluster <version> main restart``; it restarts the server every database on it
lives on, so run it where nothing else uses that server). Prints the phases side by side
(requests and page opens per second, p50 and p99, the API's CPU per page open, errors,
ratios), errors by kind, and what the workers got done: records written, runs finished,
and whether every trajectory's records are gapless and unique.

``make soak`` runs it for 10 minutes (200 s per phase); it is not part of CI.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
from sqlalchemy import select

from bench.load import PHASES
from bench.page_load import (
    Measured,
    measure_phase,
    server_cpu_per_open,
    side_by_side,
    slowest_paths,
)
from bench.scratch import scratch_database
from bench.set_comparison import populate
from shared.accounts import create_token
from shared.db.models import ModelRecord, Run, Status
from shared.db.session import session_scope
from shared.experiments import create_experiment
from shared.spec import parse_spec
from worker.command import worker_command

ROOT = Path(__file__).resolve().parents[1]
BUSY = {
    "kind": "training",
    "task": "digits",
    "optimizers": ["sgd", "sam"],
    "trajectories": 3,
    "budget": {"epochs": 60},
    "evaluate_every": 0.25,
    "batch_size": 32,
    "device": "cpu",
}


def default_restart_command() -> str:
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    if not versions:
        return ""
    return f"pg_ctlcluster --skip-systemctl-redirect {versions[-1]} main restart"


class Processes:
    """The API, the workers and the scheduler, as child processes."""

    def __init__(self, env: dict[str, str], port: int) -> None:
        self.env, self.port = env, port
        self.workers: list[subprocess.Popen[bytes]] = []
        self.others: list[subprocess.Popen[bytes]] = []

    def _start(self, command: list[str]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def start(self, workers: int) -> None:
        self.workers = [self._start(worker_command("cpu", pool="solo")) for _ in range(workers)]
        beat = [sys.executable, "-m", "celery", "-A", "worker.app", "beat", "--loglevel", "ERROR"]
        schedule = f"/tmp/optbench-soak-beat-{os.getpid()}"
        self.others.append(self._start([*beat, "--schedule", schedule]))
        api = [sys.executable, "-m", "uvicorn", "api.app:app", "--host", "127.0.0.1"]
        api += ["--port", str(self.port), "--workers", "2", "--log-level", "warning"]
        self.others.append(self._start(api))

    def kill_a_worker(self, turn: int) -> None:
        """``kill -9`` one worker (in turn) and start a fresh one in its place."""
        index = turn % len(self.workers)
        victim = self.workers[index]
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        self.workers[index] = self._start(worker_command("cpu", pool="solo"))

    def stop(self) -> None:
        for process in self.workers + self.others:
            process.terminate()
        for process in self.workers + self.others:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def inject_faults(
    processes: Processes,
    seconds: float,
    kill_every: float,
    restart_at: float | None,
    restart_command: str,
    log: list[str],
    stop: threading.Event,
) -> None:
    began = time.monotonic()
    next_kill, turn, restarted = kill_every, 0, restart_at is None
    while not stop.wait(0.5):
        elapsed = time.monotonic() - began
        if elapsed >= seconds:
            return
        if elapsed >= next_kill:
            processes.kill_a_worker(turn)
            log.append(f"{elapsed:5.0f} s: worker {turn % len(processes.workers)} killed")
            turn, next_kill = turn + 1, next_kill + kill_every
        if not restarted and restart_at is not None and elapsed >= restart_at * seconds:
            result = subprocess.run(shlex.split(restart_command), capture_output=True, text=True)
            outcome = "restarted" if result.returncode == 0 else f"FAILED ({result.stderr})"
            log.append(f"{elapsed:5.0f} s: database {outcome}")
            restarted = True


def trajectory_check(db: str, experiment_id: int) -> tuple[int, int, int]:
    """(records, finished runs, finished runs whose steps differ from the others': a
    gap or a repeat). Every trajectory of the spec has the same evaluation schedule."""
    with session_scope(db) as session:
        runs = session.scalars(select(Run).where(Run.experiment_id == experiment_id)).all()
        records, schedules = 0, []
        for run in runs:
            steps = list(
                session.scalars(
                    select(ModelRecord.step)
                    .where(ModelRecord.run_id == run.id)
                    .order_by(ModelRecord.step)
                )
            )
            records += len(steps)
            if run.status == Status.succeeded:
                schedules.append(tuple(steps))
    common = Counter(schedules).most_common(1)[0][0] if schedules else ()
    broken = sum(s != common or len(set(s)) != len(s) for s in schedules)
    return records, len(schedules), broken


def soak(db: str, args: argparse.Namespace) -> None:
    env = {
        **os.environ,
        "OPTBENCH_DATABASE_URL": db,
        "OPTBENCH_BROKER_URL": args.redis,
        "OPTBENCH_ENVIRONMENT": "production",
        # a killed worker's run is noticed and sent again within a minute
        "OPTBENCH_HEARTBEAT_SECONDS": "5",
        "OPTBENCH_STALE_AFTER_SECONDS": "20",
        "OPTBENCH_RECONCILE_EVERY_SECONDS": "10",
        "OPTBENCH_MAX_SUBMISSIONS_PER_MINUTE": "1000",
    }
    import redis

    redis.Redis.from_url(args.redis).flushdb()
    experiment, token = populate(db, 5, 300)
    with session_scope(db) as session:
        user, _ = create_token(session, "writer", "t")
        busy = create_experiment(session, user, parse_spec(BUSY))
        runs, busy_id = list(busy.runs), busy.id
    from celery import Celery

    sender = Celery(broker=args.redis)
    for run in runs:
        sender.send_task("optbench.run_training", args=[run.id], queue=run.queue)
    processes = Processes(env, args.port)
    processes.start(args.workers)
    url = f"http://127.0.0.1:{args.port}"
    stop = threading.Event()
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        extra = ["/api/v1/experiments?limit=20", "/api/v1/leaderboard?task=digits", "/health"]
        phases: dict[str, Measured] = {}
        faults: dict[str, list[str]] = {name: [] for name, _, _ in PHASES}
        for name, opener, revalidate in PHASES:
            stop.clear()
            injector = threading.Thread(
                target=inject_faults,
                args=(
                    processes,
                    args.seconds,
                    args.kill_every,
                    None if args.no_database_restart else args.restart_database_at,
                    args.restart_database,
                    faults[name],
                    stop,
                ),
                daemon=True,
            )
            injector.start()
            phases[name] = measure_phase(
                url, token, opener, [experiment], args.clients, args.seconds, extra, revalidate
            )
            stop.set()
            injector.join(timeout=30)
        api = processes.others[-1].pid
        cpu = {
            name: server_cpu_per_open(url, token, opener, [experiment], api, revalidate)
            for name, opener, revalidate in PHASES
        }
        time.sleep(2)
        records, finished, broken = trajectory_check(db, busy_id)
    finally:
        stop.set()
        processes.stop()
    print(
        f"soak: {args.seconds:g} s per phase, {args.clients} readers on loopback, uvicorn with 2 "
        f"processes, {args.workers} workers and beat on Redis; each reader opens a finished "
        "6 × 5 × 300-record experiment's page, then reads the list, the leaderboard and /health"
    )
    for name in phases:
        for line in faults[name]:
            print(f"  {name}: fault at {line}")
    for line in side_by_side([(name, phases[name], cpu.get(name)) for name in phases]):
        print(line)
    for name in phases:
        for line in slowest_paths(name, phases[name]):
            print(line)
    for name in phases:
        kinds = Counter(error.split()[0] for error in phases[name].errors)
        shown = ", ".join(f"{kind} × {n}" for kind, n in kinds.most_common()) or "none"
        print(f"  {name}: errors {shown}")
    print(
        f"  workers meanwhile: {records} records written, {finished}/{len(runs)} runs "
        f"finished, {broken} trajectories with a gap or a repeated step (target 0)"
    )
    print("  target: p99 under 1 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--seconds", type=float, default=200, help="per phase")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--kill-every", type=float, default=60)
    parser.add_argument("--restart-database-at", type=float, default=0.5)
    parser.add_argument("--restart-database", default=default_restart_command())
    parser.add_argument("--no-database-restart", action="store_true")
    parser.add_argument("--port", type=int, default=8767)
    args = parser.parse_args()
    if not args.no_database_restart and not args.restart_database:
        parser.error(
            "no PostgreSQL cluster found: give --restart-database or --no-database-restart"
        )
    with scratch_database(args.postgres, "optbench_soak") as db:
        soak(db, args)


if __name__ == "__main__":
    main()
