"""One settings class for every process (API, worker, CLI), read from the environment.

Every variable is ``OPTBENCH_<FIELD>``. With nothing set, the platform runs embedded:
SQLite and Celery's SQLAlchemy transport, both as files under ``OPTBENCH_HOME``
(default ``~/.optbench``). Production sets ``OPTBENCH_DATABASE_URL`` (PostgreSQL) and
``OPTBENCH_BROKER_URL`` (Redis).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPTBENCH_", extra="ignore")

    environment: Literal["embedded", "production", "test"] = "embedded"
    home: Path = Field(default_factory=lambda: Path.home() / ".optbench")
    database_url: str = ""
    broker_url: str = ""
    #: Seconds between polls of the SQLAlchemy broker (embedded mode only).
    broker_polling_interval: float = 0.05

    host: str = "127.0.0.1"
    port: int = 8000
    #: Allow reads (GET) without a token.
    anonymous_reads: bool = False
    #: Largest accepted request body, bytes.
    max_body_bytes: int = 1_000_000

    # Faults: a running run whose heartbeat is older than this is presumed lost (its
    # worker died) and is queued again, up to max_attempts times in all.
    heartbeat_seconds: float = 30.0
    stale_after_seconds: float = 300.0
    max_attempts: int = 3
    reconcile_every_seconds: float = 60.0
    #: Runs per queue sent to the broker ahead of the workers, waiting for a free one;
    #: the rest wait in the database and are sent in fair-share order as workers take
    #: runs (so the broker holds at most this many plus those running).
    queue_window: int = Field(2, ge=1, le=10_000)
    #: Wall-clock seconds one run may take before it fails (a plugin that hangs ends
    #: there, in one line; other runs go on).
    run_time_limit: float = Field(86_400.0, gt=0)
    #: Admin-configured optimizers: ``name=module:Class,…`` (see shared/optim/plugins.py).
    optimizers: str = ""
    #: Discover plugins at start-up (off: built-ins only, e.g. to generate the page's types).
    plugins: bool = True

    # Artifacts (checkpoints, kept model weights): a directory (default
    # ``$OPTBENCH_HOME/artifacts``), a shared filesystem path, or ``s3://bucket/prefix``
    # with ``artifact_endpoint_url`` for an S3-compatible server (MinIO, …) and its keys
    # (unset: the usual AWS credential chain).
    artifact_url: str = ""
    artifact_endpoint_url: str = ""
    artifact_access_key_id: str = ""
    artifact_secret_access_key: str = ""
    #: Attempts per store operation (backing off from artifact_retry_seconds) before a
    #: run fails with "artifact store unavailable".
    artifact_retries: int = Field(5, ge=1, le=20)
    artifact_retry_seconds: float = Field(1.0, ge=0, le=60)
    #: Keep a trajectory's last checkpoint after it finishes (default: removed).
    keep_final_checkpoints: bool = False

    #: Submissions one user may make per minute (429 beyond).
    max_submissions_per_minute: int = 30
    #: Runs one user may have queued or running at once (429 beyond).
    max_active_runs_per_user: int = Field(2_000, ge=1)
    #: Names the worker process in the runs it claims (``optbench serve`` sets it for
    #: its worker; elsewhere each process makes one up).
    instance_id: str = Field("", max_length=64)

    # Limits on what one experiment may ask for.
    max_restarts: int = 20_000
    max_iterations: int = 200_000
    max_functions: int = 20
    max_optimizers: int = 32
    #: Optimizer configurations once sweeps are expanded (each grid point is one).
    max_configurations: int = 64
    max_trajectories: int = 100
    max_epochs: int = 1_000
    max_gradient_evaluations: int = 100_000_000
    #: Trials per optimizer a tuning study may ask for.
    max_trials: int = Field(1_000, ge=1)

    #: The data root: datasets by task name (``<data_dir>/cifar10/``, …) and local models
    #: (``<data_dir>/models/``); specs name paths relative to it. Default ``$OPTBENCH_HOME/data``.
    data_dir: Path | None = None
    #: Let a spec's ``task_options.allow_download`` fetch a model from the hub (default off).
    allow_downloads: bool = False

    @field_validator("home", "data_dir", mode="before")
    @classmethod
    def _expand_home(cls, value: object) -> object:
        return Path(str(value)).expanduser() if value else value

    @model_validator(mode="after")
    def _embedded_defaults(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.home / 'optbench.db'}"
        if not self.artifact_url:
            self.artifact_url = str(self.home / "artifacts")
        if not self.broker_url:
            self.broker_url = f"sqla+sqlite:///{self.home / 'broker.db'}"
        if self.data_dir is None:
            self.data_dir = self.home / "data"
        # SQLAlchemy 2 wants the driver spelled out; accept the common short forms.
        for prefix in ("postgres://", "postgresql://"):
            if self.database_url.startswith(prefix):
                self.database_url = "postgresql+psycopg://" + self.database_url[len(prefix) :]
        if self.environment == "production" and self.database_url.startswith("sqlite"):
            raise ValueError("OPTBENCH_DATABASE_URL: production needs a database server URL")
        if self.environment == "production":
            for name in ("database_url", "broker_url"):
                if _uses_placeholder(getattr(self, name)):
                    raise ValueError(
                        f"OPTBENCH_{name.upper()}: the password is the placeholder "
                        f"{PLACEHOLDER_SECRET!r} from .env.example; set a real secret in .env"
                    )
            if self.artifact_secret_access_key == PLACEHOLDER_SECRET:
                raise ValueError(
                    "OPTBENCH_ARTIFACT_SECRET_ACCESS_KEY: the placeholder "
                    f"{PLACEHOLDER_SECRET!r} from .env.example; set a real secret in .env"
                )
        return self

    @property
    def embedded(self) -> bool:
        return self.broker_url.startswith("sqla+")

    @property
    def plugin_cache(self) -> Path:
        """Where plugin descriptions are kept, per package version (shared/registry.py)."""
        return self.home / "plugin-cache"

    @property
    def token_file(self) -> Path:
        """Where the embedded mode keeps the local admin token for the CLI."""
        return self.home / "token"


#: The password .env.example ships with; production refuses to run with it.
PLACEHOLDER_SECRET = "change-me"


def _uses_placeholder(url: str) -> bool:
    from urllib.parse import unquote, urlsplit

    try:
        password = urlsplit(url).password
    except ValueError:
        return False
    return password is not None and unquote(password) == PLACEHOLDER_SECRET


@lru_cache
def get_settings() -> Settings:
    return Settings()
