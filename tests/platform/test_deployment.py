"""docker-compose.yml and the Dockerfile describe a deployment that can work: checked by
parsing them (no container runs here), with compose's variable interpolation from the
.env file done as compose does it."""

from __future__ import annotations

import importlib
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from shared.config import PLACEHOLDER_SECRET, Settings

ROOT = Path(__file__).resolve().parents[2]
OURS = ("migrate", "api", "worker-cpu", "worker-gpu", "scheduler")
ONE_SHOT = ("migrate", "minio-bucket")
SECRETS = ("POSTGRES_PASSWORD", "REDIS_PASSWORD", "MINIO_ROOT_PASSWORD")
REAL = {name: f"s3cret{i}x" for i, name in enumerate(SECRETS)}
VARIABLE = re.compile(r"\$\{(\w+)(?::([?-])([^}]*))?\}")


def env_example() -> dict[str, str]:
    lines = (ROOT / ".env.example").read_text().splitlines()
    pairs = [line.split("=", 1) for line in lines if line.strip() and not line.startswith("#")]
    return {key.strip(): value.strip() for key, value in pairs}


def interpolate(text: str, env: dict[str, str]) -> str:
    """``${VAR}``, ``${VAR:-default}`` and ``${VAR:?error}`` as compose reads them."""

    def value(match: re.Match[str]) -> str:
        name, kind, rest = match.groups()
        if env.get(name):
            return env[name]
        if kind == "-":
            return rest
        raise KeyError(f"{name}: {rest or 'not set'}")

    return VARIABLE.sub(value, text.replace("$$", "\0")).replace("\0", "$")


def compose(env: dict[str, str] | None = None) -> dict:
    text = (ROOT / "docker-compose.yml").read_text()
    return yaml.safe_load(interpolate(text, {**env_example(), **REAL} if env is None else env))


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


def test_every_service_restarts_has_a_memory_limit_and_a_health_check() -> None:
    for name, service in compose()["services"].items():
        expected = "on-failure" if name in ONE_SHOT else "unless-stopped"
        assert service.get("restart") == expected, name
        assert re.fullmatch(r"\d+[mg]", service["deploy"]["resources"]["limits"]["memory"]), name
        assert service["healthcheck"]["test"], name
    beat = compose()["services"]["scheduler"]["healthcheck"]["test"]
    assert beat[2:4] == ["-m", "worker.liveness"]
    assert importlib.import_module("worker.liveness").main


def test_secrets_come_from_the_env_file_which_git_ignores() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    assert "optbench:optbench@" not in text and "optbench-artifacts" not in text
    for name in SECRETS:
        assert f"${{{name}:?" in text, name
        assert env_example()[name] == PLACEHOLDER_SECRET, name
    with pytest.raises(KeyError, match="POSTGRES_PASSWORD"):
        compose({})  # without .env, compose refuses to start
    ignored = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=ROOT, check=False)
    assert ignored.returncode == 0, ".env must be git-ignored"
    tracked = subprocess.run(
        ["git", "ls-files", "--error-unmatch", ".env.example"], cwd=ROOT, check=False
    )
    assert tracked.returncode == 0, ".env.example is committed"


def test_the_placeholder_secret_is_refused_in_production() -> None:
    placeholder = compose(env_example())["services"]["api"]["environment"]
    settings = {k.removeprefix("OPTBENCH_").lower(): v for k, v in placeholder.items()}
    with pytest.raises(ValueError, match="placeholder"):
        Settings(**settings)
    Settings(**{**settings, "environment": "embedded"})  # a local trial may use it
    for field in ("database_url", "broker_url", "artifact_secret_access_key"):
        mixed = compose({**env_example(), **REAL})["services"]["api"]["environment"]
        values = {k.removeprefix("OPTBENCH_").lower(): v for k, v in mixed.items()}
        assert Settings(**values).environment == "production"
        one = compose(env_example())["services"]["api"]["environment"]
        values[field] = {k.removeprefix("OPTBENCH_").lower(): v for k, v in one.items()}[field]
        with pytest.raises(ValueError, match=field.upper()):
            Settings(**values)


def test_the_api_is_published_on_loopback_by_default() -> None:
    env = {k: v for k, v in {**env_example(), **REAL}.items() if k != "OPTBENCH_PUBLISH_ADDRESS"}
    assert compose(env)["services"]["api"]["ports"] == ["127.0.0.1:8000:8000"]
    assert compose()["services"]["api"]["ports"] == ["127.0.0.1:8000:8000"]
    for name, service in compose()["services"].items():
        if name != "api":
            assert "ports" not in service, name
    readme = (ROOT / "README.md").read_text()
    assert "TLS" in readme and "reverse proxy" in readme


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
        assert settings.database_url.split("@")[0].endswith(REAL["POSTGRES_PASSWORD"])
        assert f":{REAL['REDIS_PASSWORD']}@redis" in settings.broker_url
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
