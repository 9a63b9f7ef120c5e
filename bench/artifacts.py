"""Benchmark: checkpoints in the runs table (the old design) against the artifact store.

    python -m bench.artifacts [--parameters 25000000] [--runs 40] [--repeats 20]

In one process, two embedded (SQLite) databases hold the same experiment of ``--runs``
training runs, each with a checkpoint of a ``--parameters``-parameter model (float32
weights; 25 M is ResNet-50's size):

* **row-stored**: a ``runs`` table with a ``LargeBinary`` checkpoint column, as before;
* **artifact store**: the platform's schema (migrated), the checkpoint a file in an
  artifact store directory, the row holding its key, SHA-256 and size.

Then it times what the API and the workers do to runs all day — the runs listing, one
run's status, a heartbeat write — and prints medians and ratios, and both databases'
sizes (taken before the timings write heartbeats); the artifact store's database is
measured at a second, 25× smaller model size too, to show it does not grow with the model.

Targets: runs listing p50 < 50 ms with 40 runs; database size independent of model size.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import torch
from sqlalchemy import DateTime, Integer, LargeBinary, String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from shared.artifacts import ArtifactStore, checkpoint_key
from shared.artifacts.weights import checkpoint_bytes
from shared.db.base import utcnow
from shared.db.migrate import upgrade
from shared.db.models import Experiment, Run, Status, User


class RowStoredBase(DeclarativeBase):
    pass


class RowStoredRun(RowStoredBase):
    """The old ``runs`` row: the checkpoint's bytes in the row."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    experiment_id: Mapped[int] = mapped_column(Integer, index=True)
    key: Mapped[str] = mapped_column(String(200))
    optimizer: Mapped[str] = mapped_column(String(64))
    trajectory: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    checkpoint: Mapped[bytes | None] = mapped_column(LargeBinary)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


def a_checkpoint(parameters: int) -> bytes:
    """Checkpoint bytes of a model with ``parameters`` float32 weights (no momentum)."""
    weights = torch.randn(parameters, generator=torch.Generator().manual_seed(0))
    return checkpoint_bytes({"model": {"weight": weights}, "step": 100, "elapsed": 1.0})


def database_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def row_stored(directory: Path, runs: int, checkpoint: bytes) -> tuple[str, Path]:
    path = directory / "row-stored.db"
    url = f"sqlite:///{path}"
    engine = create_engine(url)
    RowStoredBase.metadata.create_all(engine)
    with Session(engine) as session:
        for index in range(runs):
            session.add(
                RowStoredRun(
                    experiment_id=1,
                    key=f"sgd/{index}",
                    optimizer="sgd",
                    trajectory=index,
                    status="running",
                    checkpoint=checkpoint,
                    heartbeat_at=utcnow(),
                )
            )
            session.commit()
    engine.dispose()
    return url, path


def artifact_stored(directory: Path, runs: int, checkpoint: bytes, name: str) -> tuple[str, Path]:
    path = directory / f"{name}.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    store = ArtifactStore(str(directory / f"{name}-artifacts"))
    engine = create_engine(url)
    with Session(engine) as session:
        owner = User(name="bench")
        experiment = Experiment(owner=owner, kind="training", spec={}, seed=0, code_version="bench")
        session.add(experiment)
        session.flush()
        for index in range(runs):
            run = Run(
                experiment_id=experiment.id,
                key=f"sgd/{index}",
                optimizer="sgd",
                trajectory=index,
                status=Status.running,
                attempts=1,
                heartbeat_at=utcnow(),
            )
            session.add(run)
            session.flush()
            stored = store.put_bytes(checkpoint_key(experiment.id, run.id, 1, 100), checkpoint)
            run.checkpoint_key, run.checkpoint_sha256 = stored.key, stored.sha256
            run.checkpoint_size = stored.size
            session.commit()
    engine.dispose()
    return url, path


def median_seconds(work: Callable[[], object], repeats: int) -> float:
    work()  # warm the connection and the page cache alike for both designs
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def operations(url: str, model: type, run_id: int) -> dict[str, Callable[[], object]]:
    engine = create_engine(url)

    def listing() -> object:
        with Session(engine) as session:
            return session.scalars(select(model).where(model.experiment_id == 1)).all()

    def status() -> object:
        with Session(engine) as session:
            return session.get(model, run_id).status

    def heartbeat() -> None:
        with Session(engine) as session:
            run = session.get(model, run_id)
            run.heartbeat_at = utcnow()
            session.commit()

    return {"runs listing": listing, "status": status, "heartbeat write": heartbeat}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parameters", type=int, default=25_000_000)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="optbench-bench-artifacts-") as scratch:
        directory = Path(scratch)
        checkpoint = a_checkpoint(args.parameters)
        print(
            f"{args.runs} runs, each with a {len(checkpoint) / 1e6:.0f} MB checkpoint "
            f"({args.parameters / 1e6:g} M parameters); SQLite, in one process"
        )
        old_url, old_path = row_stored(directory, args.runs, checkpoint)
        new_url, new_path = artifact_stored(directory, args.runs, checkpoint, "store")
        small = a_checkpoint(max(args.parameters // 25, 1))
        _, small_path = artifact_stored(directory, args.runs, small, "store-small")

        sizes = [database_bytes(p) for p in (old_path, new_path, small_path)]
        middle = args.runs // 2 + 1
        old_ops = operations(old_url, RowStoredRun, middle)
        new_ops = operations(new_url, Run, middle)
        print(f"{'':18}{'row-stored p50':>16}{'artifact store p50':>20}{'ratio':>10}")
        for name in old_ops:
            old = median_seconds(old_ops[name], max(3, args.repeats // 4))
            new = median_seconds(new_ops[name], args.repeats)
            print(f"{name:18}{old * 1e3:13.2f} ms{new * 1e3:17.2f} ms{old / new:9.0f}×")
        old_size, new_size, small_size = sizes
        print(
            f"{'database size':18}{old_size / 1e6:13.1f} MB{new_size / 1e6:17.3f} MB"
            f"{old_size / new_size:9.0f}×"
        )
        print(
            f"artifact store database with a {len(small) / 1e6:.0f} MB checkpoint per run: "
            f"{small_size / 1e6:.3f} MB (same schema, same rows)"
        )


if __name__ == "__main__":
    main()
