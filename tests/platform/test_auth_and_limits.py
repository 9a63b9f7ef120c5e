"""Who may do what: every write endpoint against every kind of caller; floods get 429."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cli.main import app
from shared.accounts import create_token, hash_token, revoke_tokens
from shared.db.models import ApiToken
from shared.db.session import session_scope
from tests.platform.conftest import Tokens

API = "/api/v1"
SPEC = {
    "kind": "landscape",
    "functions": ["himmelblau"],
    "optimizers": ["sgd"],
    "restarts": 5,
    "iterations": 5,
}
CALLERS = ["none", "malformed", "not-bearer", "revoked", "other member", "owner", "admin"]
# what each write gets from each caller (owner = alice, who owns the experiment)
EXPECTED = {
    "submit": {
        "none": 401,
        "malformed": 401,
        "not-bearer": 401,
        "revoked": 401,
        "other member": 202,
        "owner": 202,
        "admin": 202,
    },
    "cancel": {
        "none": 401,
        "malformed": 401,
        "not-bearer": 401,
        "revoked": 401,
        "other member": 403,
        "owner": 200,
        "admin": 200,
    },
    "delete": {
        "none": 401,
        "malformed": 401,
        "not-bearer": 401,
        "revoked": 401,
        "other member": 403,
        "owner": 204,
        "admin": 204,
    },
}


def headers_for(caller: str, tokens: Tokens, revoked: str) -> dict[str, str]:
    return {
        "none": {},
        "malformed": {"Authorization": "Bearer obt_" + "x" * 43},
        "not-bearer": {"Authorization": f"Basic {tokens.alice}"},
        "revoked": Tokens.header(revoked),
        "other member": Tokens.header(tokens.bob),
        "owner": Tokens.header(tokens.alice),
        "admin": Tokens.header(tokens.admin),
    }[caller]


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("action", list(EXPECTED))
def test_write_endpoints_by_caller(client, tokens, settings, action: str, caller: str) -> None:
    with session_scope(settings.database_url) as session:
        _, revoked = create_token(session, "alice", "old")
        assert revoke_tokens(session, token=revoked) == 1
    owner = Tokens.header(tokens.alice)
    experiment = client.post(f"{API}/experiments", json=SPEC, headers=owner).json()["id"]
    headers = headers_for(caller, tokens, revoked)
    response = {
        "submit": lambda: client.post(f"{API}/experiments", json=SPEC, headers=headers),
        "cancel": lambda: client.post(f"{API}/experiments/{experiment}/cancel", headers=headers),
        "delete": lambda: client.delete(f"{API}/experiments/{experiment}", headers=headers),
    }[action]()
    assert response.status_code == EXPECTED[action][caller], response.text
    if response.status_code == 401:
        assert response.headers["www-authenticate"] == "Bearer"
    still_there = client.get(f"{API}/experiments/{experiment}", headers=owner).status_code
    assert still_there == (404 if response.status_code == 204 else 200)


def test_tokens_are_stored_hashed(tokens, settings) -> None:
    with session_scope(settings.database_url) as session:
        stored = {t.token_hash for t in session.query(ApiToken)}
    assert tokens.alice not in stored and hash_token(tokens.alice) in stored
    assert all(len(h) == 64 for h in stored)


def test_token_revoke_command(client, tokens, settings, monkeypatch) -> None:
    from shared.config import get_settings

    monkeypatch.setenv("OPTBENCH_DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["token", "revoke", "--user", "bob"])
        neither = CliRunner().invoke(app, ["token", "revoke"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0 and "revoked 1 token(s)" in result.stdout
    assert neither.exit_code == 2
    assert client.get(f"{API}/me", headers=Tokens.header(tokens.bob)).status_code == 401
    assert client.get(f"{API}/me", headers=Tokens.header(tokens.alice)).status_code == 200


def test_a_flood_of_submissions_gets_429(client, tokens, settings) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app

    strict = TestClient(create_app(settings.model_copy(update={"max_submissions_per_minute": 5})))
    codes = [
        strict.post(
            f"{API}/experiments", json=SPEC, headers=Tokens.header(tokens.alice)
        ).status_code
        for _ in range(8)
    ]
    assert codes == [202] * 5 + [429] * 3
    limited = strict.post(f"{API}/experiments", json=SPEC, headers=Tokens.header(tokens.alice))
    assert limited.headers["retry-after"] == "60"
    # others are not held back by alice's flood
    other = strict.post(f"{API}/experiments", json=SPEC, headers=Tokens.header(tokens.bob))
    assert other.status_code == 202
    listing = strict.get(
        f"{API}/experiments", params={"owner": "alice"}, headers=Tokens.header(tokens.alice)
    ).json()
    assert listing["total"] == 5  # refused submissions created nothing
