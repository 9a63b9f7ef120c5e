"""docker-compose.yml and the Dockerfile describe a deployment that can work: checked by
parsing them (no container runs here)."""

from __future__ import annotations

import importlib
from pathlib import Path

import yaml

from shared.config import Settings

ROOT = Path(__file__).resolve().parents[2]
OURS = ("migrate", "api", "worker-cpu", "worker-gpu", "scheduler")


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_services_and_health_checks() -> None:
    services = compose()["services"]
    assert set(services) == {"postgres", "redis", "minio", "minio-bucket", *OURS}
    for name in ("postgres", "redis", "minio", "api", "worker-cpu", "worker-gpu"):
        assert services[name]["healthcheck"]["test"], name
    assert services["api"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    # The artifact bucket exists before anything migrates, serves or trains.
    bucket = services["migrate"]["depends_on"]["minio-bucket"]["condition"]
    assert bucket == "service_completed_successfully"
    assert services["minio-bucket"]["depends_on"]["minio"]["condition"] == "service_healthy"
    devices = services["worker-gpu"]["deploy"]["resources"]["reservations"]["devices"]
    assert devices[0]["driver"] == "nvidia" and "gpu" in devices[0]["capabilities"]
    queues = {
        name: services[name]["command"][services[name]["command"].index("-Q") + 1]
        for name in ("worker-cpu", "worker-gpu")
    }
    assert queues == {"worker-cpu": "cpu", "worker-gpu": "gpu"}


def test_every_variable_set_is_one_the_settings_read() -> None:
    fields = {f"OPTBENCH_{name.upper()}" for name in Settings.model_fields}
    for name in OURS:
        environment = compose()["services"][name]["environment"]
        assert environment, name
        unknown = set(environment) - fields
        assert not unknown, (name, unknown)
        settings = Settings(
            **{k.removeprefix("OPTBENCH_").lower(): v for k, v in environment.items()}
        )
        assert settings.environment == "production"
        assert settings.database_url.startswith("postgresql+psycopg://")
        assert settings.broker_url.startswith("redis://") and not settings.embedded
        # API and workers share one S3-compatible store: MinIO, with its bucket created.
        assert settings.artifact_url.startswith("s3://optbench/")
        assert settings.artifact_endpoint_url == "http://minio:9000"
        minio = compose()["services"]["minio"]["environment"]
        assert settings.artifact_access_key_id == minio["MINIO_ROOT_USER"]
        assert settings.artifact_secret_access_key == minio["MINIO_ROOT_PASSWORD"]
        assert "store/optbench" in " ".join(compose()["services"]["minio-bucket"]["entrypoint"])


def test_commands_name_modules_that_exist() -> None:
    services = compose()["services"]
    assert importlib.import_module("api.app").create_app
    assert services["scheduler"]["command"][3] == "beat"
    for name in ("worker-cpu", "worker-gpu", "scheduler"):
        command = services[name]["command"]
        assert importlib.import_module(command[command.index("-A") + 1]).app
    assert services["migrate"]["command"][:3] == ["optbench", "db", "upgrade"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    for package in ("shared", "api", "worker", "cli", "client", "migrations"):
        assert f"COPY {package} {package}" in dockerfile
