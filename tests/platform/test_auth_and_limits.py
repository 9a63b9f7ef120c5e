"""Who may do what: every write endpoint against every kind of caller; floods get 429."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

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


def token_cli(client, caller: str, monkeypatch, *arguments: str):  # type: ignore[no-untyped-def]
    """``optbench token …`` as ``caller``, through the API of the in-process app."""
    from fastapi.testclient import TestClient

    from optbench_client import Client

    def in_process(url, token):  # type: ignore[no-untyped-def]
        api = Client("http://testserver", caller)
        api.http = TestClient(
            client.app, base_url="http://testserver/api/v1", headers=Tokens.header(caller)
        )
        return api

    monkeypatch.setattr("optbench_client.cli.tokens.make_client", in_process)
    return CliRunner().invoke(app, ["token", *arguments])


def test_token_commands_go_through_the_api(client, tokens, monkeypatch) -> None:
    created = token_cli(client, tokens.admin, monkeypatch, "create", "--name", "carol")
    assert created.exit_code == 0, created.output
    carol = created.stdout.strip()
    me = client.get(f"{API}/me", headers=Tokens.header(carol))
    assert me.status_code == 200 and me.json() == {"id": me.json()["id"], "name": "carol",
                                                   "role": "member"}  # fmt: skip

    refused = token_cli(client, tokens.alice, monkeypatch, "create", "--name", "mallory")
    assert refused.exit_code == 2
    assert refused.stderr.strip() == "error: HTTP 403: only an admin may manage tokens"

    result = token_cli(client, tokens.admin, monkeypatch, "revoke", "--user", "bob")
    neither = token_cli(client, tokens.admin, monkeypatch, "revoke")
    assert result.exit_code == 0 and "revoked 1 token(s)" in result.stdout
    assert neither.exit_code == 2
    assert client.get(f"{API}/me", headers=Tokens.header(tokens.bob)).status_code == 401
    assert client.get(f"{API}/me", headers=Tokens.header(tokens.alice)).status_code == 200

    one = token_cli(client, tokens.admin, monkeypatch, "revoke", carol)
    assert one.exit_code == 0 and "revoked 1 token(s)" in one.stdout
    assert client.get(f"{API}/me", headers=Tokens.header(carol)).status_code == 401
    both = client.post(
        f"{API}/tokens/revoke", json={"token": carol, "user": "bob"},
        headers=Tokens.header(tokens.admin),
    )  # fmt: skip
    assert both.status_code == 422 and "either token or user" in both.text


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


def test_every_api_route_needs_a_token_unless_marked_public(client, tokens) -> None:
    """Every route the OpenAPI document lists, called without a token: 401, except the
    routes marked public."""
    import re

    document = client.get(f"{API}/openapi.json")
    assert document.status_code == 200  # the documentation is public
    checked, public = 0, set()
    for template, operations in document.json()["paths"].items():
        path = re.sub(r"\{[^}]+\}", "1", template)
        for method in operations:
            response = client.request(method.upper(), path)
            if response.status_code == 401:
                assert response.headers["www-authenticate"] == "Bearer"
                checked += 1
            else:
                public.add(template)
    assert public == {"/health", f"{API}/health"}
    assert checked >= 15  # the catalogs, experiments, training results, leaderboard
    # the schema of a spec is not public any more; with a token it answers
    assert client.get(f"{API}/spec-schema").status_code == 401
    assert client.get(f"{API}/spec-schema", headers=Tokens.header(tokens.bob)).status_code == 200
    # the documentation stays public
    assert client.get(f"{API}/openapi.json").status_code == 200
    assert client.get("/docs").status_code == 200
    assert client.get("/health").status_code in (200, 503)


def test_anonymous_reads_open_gets_but_never_writes(settings) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app

    open_reads = TestClient(create_app(settings.model_copy(update={"anonymous_reads": True})))
    assert open_reads.get(f"{API}/spec-schema").status_code == 200
    assert open_reads.get(f"{API}/experiments").status_code == 200
    assert open_reads.post(f"{API}/experiments", json=SPEC).status_code == 401


@contextmanager
def live_server(settings) -> Iterator[str]:
    """The API under a real uvicorn server on a free loopback port, in a thread (sync
    routes then run concurrently in its thread pool, as in production)."""
    import threading

    import uvicorn

    from api.app import create_app
    from tests.platform.conftest import free_port, wait_until

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started, timeout=30)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_the_per_minute_limit_holds_under_concurrent_requests(settings, tokens) -> None:
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    strict = settings.model_copy(update={"max_submissions_per_minute": 5})
    with live_server(strict) as url:
        barrier = threading.Barrier(16)

        def one(_: int) -> int:
            barrier.wait()  # all sixteen at once
            return httpx.post(
                f"{url}{API}/experiments",
                json=SPEC,
                headers=Tokens.header(tokens.alice),
                timeout=60,
            ).status_code

        with ThreadPoolExecutor(16) as pool:
            codes = list(pool.map(one, range(16)))
        listing = httpx.get(
            f"{url}{API}/experiments",
            params={"owner": "alice"},
            headers=Tokens.header(tokens.alice),
        ).json()
    assert sorted(codes) == [202] * 5 + [429] * 11, codes
    assert listing["total"] == 5


def test_queued_and_running_runs_per_user_are_capped(client, tokens, settings) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app

    capped = TestClient(create_app(settings.model_copy(update={"max_active_runs_per_user": 3})))
    alice = Tokens.header(tokens.alice)
    two_runs = {**SPEC, "optimizers": ["sgd", "sam"]}
    first = capped.post(f"{API}/experiments", json=two_runs, headers=alice)
    assert first.status_code == 202
    refused = capped.post(f"{API}/experiments", json=two_runs, headers=alice)
    assert refused.status_code == 429
    assert "OPTBENCH_MAX_ACTIVE_RUNS_PER_USER" in refused.json()["detail"]
    assert "limit of 3" in refused.json()["detail"]
    assert capped.post(f"{API}/experiments", json=SPEC, headers=alice).status_code == 202
    # another user's quota is their own
    bob = Tokens.header(tokens.bob)
    assert capped.post(f"{API}/experiments", json=two_runs, headers=bob).status_code == 202
    # finished (here: cancelled) runs no longer count
    capped.post(f"{API}/experiments/{first.json()['id']}/cancel", headers=alice)
    assert capped.post(f"{API}/experiments", json=two_runs, headers=alice).status_code == 202


def test_the_first_admin_token_is_written_to_the_database(client, settings, monkeypatch) -> None:
    """A deployment has no admin yet: on the server's machine, --database writes one."""
    from shared.config import get_settings

    monkeypatch.setenv("OPTBENCH_DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    try:
        created = CliRunner().invoke(
            app, ["token", "create", "--name", "root", "--admin", "--database"]
        )
        root = created.stdout.strip()
        me = client.get(f"{API}/me", headers=Tokens.header(root)).json()
        revoked = CliRunner().invoke(app, ["token", "revoke", root, "--database"])
    finally:
        get_settings.cache_clear()
    assert created.exit_code == 0, created.output
    assert (me["name"], me["role"]) == ("root", "admin")
    assert revoked.exit_code == 0 and "revoked 1 token(s)" in revoked.stdout
    assert client.get(f"{API}/me", headers=Tokens.header(root)).status_code == 401
