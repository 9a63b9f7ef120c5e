"""Benchmark: the Set A / Set B endpoint on PostgreSQL for a paper-sized experiment.

    python -m bench.set_comparison [--postgres postgresql://postgres@127.0.0.1:5432]

Creates a scratch database, stores one training experiment of 6 optimizers × 5
trajectories × 300 model records, and times ``GET …/set-comparison`` and
``GET …/optimizer-comparison`` through the full ASGI stack (auth, query, statistics,
JSON); prints medians over repeated requests. Target: set-comparison under 100 ms.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from fastapi.testclient import TestClient

from api.app import create_app
from api.services.cache import ResultCache
from bench.scratch import scratch_database
from shared.accounts import create_token
from shared.config import Settings
from shared.db.models import ModelRecord, Status
from shared.db.session import session_scope
from shared.experiments import create_experiment
from shared.spec import parse_spec
from shared.tasks.metrics import ACCURACY, MACRO_F1

OPTIMIZERS = ["sgd", "nig_sgd", "nim_sgd", "sam", "nim_bh", "nim_mbh"]


def populate(url: str, trajectories: int, records: int) -> tuple[int, str]:
    spec = parse_spec(
        {
            "kind": "training",
            "task": "digits",
            "optimizers": OPTIMIZERS,
            "trajectories": trajectories,
            "budget": {"epochs": records},
        }
    )
    rng = np.random.default_rng(0)
    with session_scope(url) as session:
        user, token = create_token(session, "bench", "bench", admin=True)
        experiment = create_experiment(session, user, spec)
        for run in experiment.runs:
            run.status = Status.succeeded
            steps = np.arange(records)
            loss = 2.0 * np.exp(-steps / 80) + rng.normal(0, 0.02, records) + 0.1
            accuracy = 0.95 - 0.5 * np.exp(-steps / 60) + rng.normal(0, 0.01, records)
            session.add_all(
                [
                    ModelRecord(
                        run_id=run.id,
                        step=int(s),
                        epoch=float(s),
                        gradient_evaluations=int(s) * 20,
                        loss_evaluations=0,
                        wall_time=float(s),
                        train_loss=float(loss[s]),
                        running_loss=float(loss[s]),
                        test_loss=float(loss[s]) + 0.05,
                        metrics={
                            ACCURACY.name: float(accuracy[s]),
                            MACRO_F1.name: float(accuracy[s]) - 0.02,
                        },
                        diverged=False,
                    )
                    for s in steps
                ]
            )
        experiment.status = Status.succeeded
        session.flush()
        return experiment.id, token


def median_time(client: TestClient, path: str, headers: dict, repeats: int) -> float:
    client.get(path, headers=headers)  # warm-up: connections, first-call costs
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--trajectories", type=int, default=5)
    parser.add_argument("--records", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    with scratch_database(args.postgres) as url:
        experiment, token = populate(url, args.trajectories, args.records)
        settings = Settings(
            environment="test", database_url=url, broker_url="redis://127.0.0.1:6379/15"
        )
        client = TestClient(create_app(settings))
        headers = {"Authorization": f"Bearer {token}"}
        base = f"/api/v1/experiments/{experiment}"
        total = len(OPTIMIZERS) * args.trajectories * args.records
        print(
            f"{len(OPTIMIZERS)} optimizers × {args.trajectories} trajectories × "
            f"{args.records} records = {total} records on PostgreSQL; L = 10"
        )
        for path, target in (
            (f"{base}/set-comparison", 100),
            (f"{base}/optimizer-comparison", None),
            (f"{base}/learning-curves?column=accuracy&window=5", None),
        ):
            # Computed on every request (a cache that keeps nothing), then as the API
            # answers repeated reads of a finished experiment (cached per process).
            client.app.state.results = ResultCache(size=0)
            computed = median_time(client, path, headers, args.repeats)
            client.app.state.results = ResultCache()
            cached = median_time(client, path, headers, args.repeats)
            goal = f" (target < {target} ms)" if target else ""
            print(
                f"  GET {path.split(base)[1]}: computed {computed * 1e3:.1f} ms{goal}; "
                f"cached {cached * 1e3:.1f} ms (medians of {args.repeats})"
            )


if __name__ == "__main__":
    main()
