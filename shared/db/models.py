"""Tables: users and their tokens, experiments, runs and what runs produce.

A *run* is one unit of work a worker executes: one optimizer on one function (a batch
of restarts) for landscape experiments, one trajectory for training experiments. Its
``key`` is unique within the experiment, so a redelivered task can never create a
second run or a second result.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Enum,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.db.base import Base, Timestamped, UTCDateTime


class Role(enum.StrEnum):
    admin = "admin"
    member = "member"


class Status(enum.StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"

    @property
    def terminal(self) -> bool:
        return self in (Status.succeeded, Status.failed, Status.cancelled)


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    # Stored as plain strings with a CHECK constraint: identical on PostgreSQL and SQLite.
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda e: [m.value for m in e],
    )


class User(Timestamped, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[Role] = mapped_column(_enum(Role, "role"), default=Role.member)
    #: The member's weight in the fair share of the workers (an admin sets it): with
    #: twice the share, twice as many runs in service before the next member's turn.
    share: Mapped[float] = mapped_column(Float, default=1.0, server_default=text("1"))

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")


class ApiToken(Timestamped, Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    #: SHA-256 of the token; the token itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(back_populates="tokens", lazy="joined")


class Experiment(Timestamped, Base):
    __tablename__ = "experiments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(16), index=True)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    seed: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[Status] = mapped_column(
        _enum(Status, "status"), default=Status.queued, index=True
    )
    code_version: Mapped[str] = mapped_column(String(64))
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Among its owner's experiments, a higher priority is sent to the workers first
    #: (an admin sets it; see shared/scheduling.py).
    priority: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: A tuning study started by a training spec's ``tuning:``: the training experiment
    #: whose ``NAME@tuned`` populations wait for it.
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("experiments.id", ondelete="CASCADE"), index=True
    )

    owner: Mapped[User] = relationship(lazy="joined")
    runs: Mapped[list[Run]] = relationship(
        back_populates="experiment",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Run.id",
    )


class Run(Base):
    __tablename__ = "runs"
    __table_args__ = (UniqueConstraint("experiment_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    experiment_id: Mapped[int] = mapped_column(
        ForeignKey("experiments.id", ondelete="CASCADE"), index=True
    )
    #: e.g. ``himmelblau/sgd`` (landscape) or ``sam/3`` (training trajectory 3).
    key: Mapped[str] = mapped_column(String(200))
    optimizer: Mapped[str] = mapped_column(String(64))
    function: Mapped[str | None] = mapped_column(String(64))
    trajectory: Mapped[int | None] = mapped_column(Integer)
    queue: Mapped[str] = mapped_column(String(16), default="cpu")
    status: Mapped[Status] = mapped_column(
        _enum(Status, "status"), default=Status.queued, index=True
    )
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: Why the run failed, in one line (what every reader sees).
    error: Mapped[str | None] = mapped_column(Text)
    #: The worker's traceback of a failure (admins only; also in the worker's log).
    traceback: Mapped[str | None] = mapped_column(Text)
    #: The worker process that claimed the run last (see shared/instances.py).
    worker_instance: Mapped[str | None] = mapped_column(String(64))
    #: The latest checkpoint of a training trajectory (resumes from here): a file in the
    #: artifact store, its SHA-256 and size in bytes. The row never holds the file.
    checkpoint_key: Mapped[str | None] = mapped_column(String(500))
    checkpoint_sha256: Mapped[str | None] = mapped_column(String(64))
    checkpoint_size: Mapped[int | None] = mapped_column(BigInteger)
    #: Notes on what happened to the run that were not failures (e.g. a checkpoint that
    #: failed its checksum, so the trajectory restarted from the beginning).
    log: Mapped[str | None] = mapped_column(Text)
    #: Where the run's optimizer comes from (built in, or a plugin's package and
    #: version): as the API had it at submission, then as the worker that ran it had it.
    optimizer_origin: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: A training trajectory whose loss became non-finite.
    diverged: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: Where the run's task came from, as the worker that ran it found it (built in, or
    #: a plugin's package and version: ``shared.registry.Origin.as_dict()``).
    task_origin: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: When the run's message was last sent to the broker; None while the run waits in
    #: the database for its turn (shared/dispatch.py).
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    experiment: Mapped[Experiment] = relationship(back_populates="runs")


class LandscapeResult(Base):
    """One run's restarts, compactly: arrays as little-endian bytes, not rows."""

    __tablename__ = "landscape_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), unique=True)
    restarts: Mapped[int] = mapped_column(Integer)
    iterations: Mapped[int] = mapped_column(Integer)
    hyperparameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: float64 (R, 2): each restart's outcome (the incumbent, for basin hopping).
    end_points: Mapped[bytes] = mapped_column(LargeBinary)
    #: float64 (R, 2): positions after the last step.
    last_iterates: Mapped[bytes] = mapped_column(LargeBinary)
    #: float32 (K, R, 2) snapshots at ``path_iterations``.
    path: Mapped[bytes] = mapped_column(LargeBinary)
    path_iterations: Mapped[list[int]] = mapped_column(JSON)
    gradient_evaluations: Mapped[float] = mapped_column(Float)
    loss_evaluations: Mapped[float] = mapped_column(Float)
    seconds: Mapped[float] = mapped_column(Float)


class ModelRecord(Base):
    """One evaluated model on a training trajectory (filled by the population protocol)."""

    __tablename__ = "model_records"
    __table_args__ = (UniqueConstraint("run_id", "step"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    step: Mapped[int] = mapped_column(BigInteger)
    epoch: Mapped[float] = mapped_column(Float)
    gradient_evaluations: Mapped[int] = mapped_column(BigInteger)
    loss_evaluations: Mapped[int] = mapped_column(BigInteger)
    wall_time: Mapped[float] = mapped_column(Float)
    train_loss: Mapped[float | None] = mapped_column(Float)
    running_loss: Mapped[float | None] = mapped_column(Float)
    test_loss: Mapped[float | None] = mapped_column(Float)
    #: The task's declared test metrics by name (``shared.tasks.metrics``); a metric
    #: the evaluation could not give (diverged, not finite) is null or absent.
    metrics: Mapped[dict[str, float | None]] = mapped_column(JSON, default=dict)
    diverged: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Largest Hessian eigenvalue of the training loss (specs with ``sharpness: true``).
    sharpness: Mapped[float | None] = mapped_column(Float)
    #: Gradient evaluations the sharpness estimate cost, outside the optimizer's budget.
    sharpness_gradient_evaluations: Mapped[int | None] = mapped_column(BigInteger)
    #: Whether the sharpness's Lanczos residual met its tolerance (False: left out of the
    #: sharpness statistics).
    sharpness_converged: Mapped[bool | None] = mapped_column(Boolean)
    #: Hessian-vector products the sharpness estimate used.
    sharpness_products: Mapped[int | None] = mapped_column(Integer)
    #: Most negative Hessian eigenvalue (specs with ``sharpness_min_eigenvalue: true``).
    hessian_min_eigenvalue: Mapped[float | None] = mapped_column(Float)


class KeptModel(Timestamped, Base):
    """The weights of one evaluated model, kept as a safetensors file in the artifact store
    (which ones: the spec's ``keep_models``)."""

    __tablename__ = "kept_models"
    __table_args__ = (UniqueConstraint("run_id", "step"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    step: Mapped[int] = mapped_column(BigInteger)
    key: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    #: File size in bytes.
    size: Mapped[int] = mapped_column(BigInteger)


class TunedConfiguration(Timestamped, Base):
    """The best hyperparameters an Optuna search found for an optimizer on a task;
    experiments reference it by name (``tuned:`` in an optimizer spec)."""

    __tablename__ = "tuned_configurations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    task: Mapped[str] = mapped_column(String(64))
    task_options: Mapped[dict[str, Any]] = mapped_column(JSON)
    optimizer: Mapped[str] = mapped_column(String(64))
    hyperparameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    metric: Mapped[str] = mapped_column(String(32))
    #: Best validation metric (on a split carved from the training data).
    value: Mapped[float] = mapped_column(Float)
    #: The search: ranges, trials, budget, seed, and every trial's outcome.
    search: Mapped[dict[str, Any]] = mapped_column(JSON)

    owner: Mapped[User] = relationship(lazy="joined")


class TuningTrial(Base):
    """One trial of a tuning study: a training run on the validation split, bound to an
    Optuna trial when a worker first claims it. The study's accounting (budget used,
    trials pruned and failed) is read from these rows; ``settled`` is set once, in the
    transaction that finishes the run, so no trial is ever counted twice."""

    __tablename__ = "tuning_trials"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    experiment_id: Mapped[int] = mapped_column(
        ForeignKey("experiments.id", ondelete="CASCADE"), index=True
    )
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), unique=True)
    #: The optimizer configuration's key (one Optuna study per key).
    optimizer: Mapped[str] = mapped_column(String(200))
    #: 0, 1, … per optimizer, in the order trials were created.
    number: Mapped[int] = mapped_column(Integer)
    #: Optuna's trial id in the study's storage (None until a worker asks for it).
    optuna_trial_id: Mapped[int | None] = mapped_column(Integer)
    hyperparameters: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: ``queued``, ``running``, ``complete``, ``pruned``, ``failed`` or ``cancelled``.
    state: Mapped[str] = mapped_column(String(16), default="queued")
    value: Mapped[float | None] = mapped_column(Float)
    #: The most gradient evaluations the trial may spend (held against the budget while
    #: it runs), and what it spent.
    reserved_gradient_evaluations: Mapped[int | None] = mapped_column(BigInteger)
    gradient_evaluations: Mapped[int | None] = mapped_column(BigInteger)
    settled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    error: Mapped[str | None] = mapped_column(Text)
