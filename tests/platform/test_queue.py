"""The fair-share queue on PostgreSQL and Redis: the broker holds a bounded window, runs
go out in fair-share order, cancelling drops unsent runs, admins set shares and
priorities, and with real workers a second member's runs start after a few of the
first member's, not after its whole queue."""

from __future__ import annotations

import threading
import time
from collections import Counter

import redis
from sqlalchemy import select, text

from api.queue import Dispatcher
from shared.db.models import Experiment, Run, Status
from shared.db.session import session_factory, session_scope
from shared.dispatch import fill_window
from tests.platform.conftest import Tokens, start_worker, stop, wait_until
from tests.platform.test_migrations import empty_database  # noqa: F401  (fixture)
from worker.inflight import run_id_of, runs_in_flight

API = "/api/v1"
FUNCTIONS = ["himmelblau", "six_hump_camel", "branin", "three_hump_camel"]


def landscape(configurations: int, functions: int = 1) -> dict:
    """``functions × configurations`` tiny landscape runs (an sgd sweep over lr)."""
    lrs = [round(0.001 + 0.0001 * i, 6) for i in range(configurations)]
    return {
        "kind": "landscape",
        "functions": FUNCTIONS[:functions],
        "optimizers": [{"name": "sgd", "sweep": {"lr": lrs}}],
        "restarts": 4,
        "iterations": 20,
        "path_points": 0,
    }


def submit(client, token: str, spec: dict) -> int:  # type: ignore[no-untyped-def]
    answer = client.post(f"{API}/experiments", json=spec, headers=Tokens.header(token))
    assert answer.status_code == 202, answer.text
    return answer.json()["id"]


def sent_runs(url: str, experiment: int) -> list[int]:
    with session_scope(url) as session:
        return list(
            session.scalars(
                select(Run.id)
                .where(Run.experiment_id == experiment, Run.sent_at.is_not(None))
                .order_by(Run.id)
            )
        )


def claim(url: str, run_id: int) -> None:
    """What a worker's claim does to the row (the window then has room)."""
    with session_scope(url) as session:
        session.get(Run, run_id).status = Status.running


def test_the_broker_holds_a_window_filled_by_fair_share(client, tokens, settings) -> None:
    url, window = settings.database_url, settings.queue_window
    assert window == 2
    a = submit(client, tokens.alice, landscape(10))
    first = sent_runs(url, a)
    assert len(first) == window  # not the whole experiment
    assert runs_in_flight(settings) == set(first)
    b = submit(client, tokens.bob, landscape(2))
    assert sent_runs(url, b) == []  # the window is full
    for run_id in first:  # alice's runs start: bob, with none in service, goes next
        claim(url, run_id)
        Dispatcher(settings).fill()
    assert len(sent_runs(url, b)) == 2 and len(sent_runs(url, a)) == 2
    assert runs_in_flight(settings) == set(first) | set(sent_runs(url, b))
    assert Dispatcher(settings).fill() == 0  # full again: nothing more
    queue = client.get(f"{API}/queue", headers=Tokens.header(tokens.alice)).json()
    assert queue["window"] == window
    assert [m["member"] for m in queue["members"]] == ["alice", "bob"]
    [alice], [bob] = queue["members"][0]["experiments"], queue["members"][1]["experiments"]
    assert (alice["id"], alice["running"], alice["queued"], alice["sent"]) == (a, 2, 8, 0)
    assert alice["position"] == 1 and alice["queue"] == "cpu" and alice["kind"] == "landscape"
    assert (bob["id"], bob["running"], bob["queued"], bob["sent"]) == (b, 0, 2, 2)
    assert bob["position"] is None  # every run of it is in the broker already
    assert (queue["members"][0]["running"], queue["members"][0]["queued"]) == (2, 8)


def test_a_newcomer_is_next_and_priority_orders_a_members_experiments(
    client, tokens, settings
) -> None:
    url = settings.database_url
    a1 = submit(client, tokens.alice, landscape(6))
    a2 = submit(client, tokens.alice, landscape(3))
    admin = Tokens.header(tokens.admin)
    answer = client.put(
        f"{API}/queue/experiments/{a2}/priority", json={"priority": 5}, headers=admin
    )
    assert answer.status_code == 200 and answer.json() == {"id": a2, "priority": 5}
    b = submit(client, tokens.bob, landscape(1))
    queue = client.get(f"{API}/queue", headers=admin).json()
    places = {e["id"]: e["position"] for m in queue["members"] for e in m["experiments"]}
    # alice has 2 runs in the broker: bob's run is next, then alice's priority experiment
    assert places == {b: 1, a2: 2, a1: 5}
    with session_scope(url) as session:
        in_broker = session.scalars(select(Run.id).where(Run.sent_at.is_not(None))).all()
    for run_id in in_broker:
        claim(url, run_id)
    assert Dispatcher(settings).fill() == 2
    assert len(sent_runs(url, b)) == 1 and len(sent_runs(url, a2)) == 1


def test_cancelling_drops_the_unsent_runs_at_once(client, tokens, settings) -> None:
    url = settings.database_url
    a = submit(client, tokens.alice, landscape(20))
    b = submit(client, tokens.bob, landscape(3))
    headers = Tokens.header(tokens.alice)
    assert client.post(f"{API}/experiments/{a}/cancel", headers=headers).status_code == 200
    with session_scope(url) as session:
        statuses = Counter(
            r.status for r in session.scalars(select(Run).where(Run.experiment_id == a))
        )
    assert statuses == {Status.cancelled: 20}
    # its two messages are left to be refused by the workers; bob's fill the window
    assert len(sent_runs(url, a)) == 2 and len(sent_runs(url, b)) == 2
    queue = client.get(f"{API}/queue", headers=headers).json()
    assert [m["member"] for m in queue["members"]] == ["bob"]


def test_concurrent_top_ups_never_overfill_the_window(client, tokens, settings) -> None:
    """Eight processes' worth of top-ups at once: the window's size in all, each run once."""
    url = settings.database_url
    with session_scope(url) as session:  # runs queued but not sent (no API top-up)
        from shared.accounts import create_token
        from shared.experiments import create_experiment
        from shared.spec import parse_spec

        user, _ = create_token(session, "carol", "t")
        create_experiment(session, user, parse_spec(landscape(30)))
    published: list[int] = []
    lock = threading.Lock()

    def publish(outgoing) -> int:  # type: ignore[no-untyped-def]
        with lock:
            published.extend(o.run for o in outgoing)
        return len(outgoing)

    def top_up() -> None:
        fill_window(session_factory(url), 3, publish)

    threads = [threading.Thread(target=top_up) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(published) == 3 and len(set(published)) == 3


def test_a_publish_that_fails_leaves_the_runs_waiting(client, tokens, settings) -> None:
    url = settings.database_url
    a = submit(client, tokens.alice, landscape(5))
    claim(url, sent_runs(url, a)[0])
    assert fill_window(session_factory(url), 2, lambda outgoing: 0) == 0
    assert len(sent_runs(url, a)) == 2  # the claimed one, the one still in the broker
    assert fill_window(session_factory(url), 2, lambda outgoing: len(outgoing)) == 1


def test_only_admins_set_shares_and_priorities_and_bad_values_name_the_field(
    client, tokens
) -> None:
    admin, member = Tokens.header(tokens.admin), Tokens.header(tokens.alice)
    a = submit(client, tokens.alice, landscape(1))
    share = f"{API}/queue/members/bob/share"
    assert client.put(share, json={"share": 2.5}, headers=member).status_code == 403
    answer = client.put(share, json={"share": 2.5}, headers=admin)
    assert answer.status_code == 200 and answer.json() == {"member": "bob", "share": 2.5}
    for bad in (0, -1, "lots", None, 1e9):
        answer = client.put(share, json={"share": bad}, headers=admin)
        assert answer.status_code == 422, bad
        assert answer.json()["detail"][0]["loc"] == ["body", "share"]
    answer = client.put(share, json={"share": 1, "weight": 2}, headers=admin)
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == ["body", "weight"]
    assert (
        client.put(
            f"{API}/queue/members/nobody/share", json={"share": 1}, headers=admin
        ).status_code
        == 404
    )
    priority = f"{API}/queue/experiments/{a}/priority"
    assert client.put(priority, json={"priority": 1}, headers=member).status_code == 403
    for bad in (1.5, 10**6, "high"):
        answer = client.put(priority, json={"priority": bad}, headers=admin)
        assert answer.status_code == 422, bad
        assert answer.json()["detail"][0]["loc"] == ["body", "priority"]
    missing = f"{API}/queue/experiments/999999/priority"
    assert client.put(missing, json={"priority": 1}, headers=admin).status_code == 404
    assert (
        client.put(
            f"{API}/queue/experiments/0/priority", json={"priority": 1}, headers=admin
        ).status_code
        == 422
    )
    queue = client.get(f"{API}/queue", headers=member).json()
    assert queue["members"][0]["share"] == 1.0  # alice's; bob has nothing queued


def test_a_second_members_runs_start_after_a_few_of_the_first_members(
    client, tokens, settings
) -> None:
    """Alice submits 200 runs, then Bob 2; with two real workers Bob's first run starts
    after a few more of Alice's (the window, and one run per worker), and the broker
    never holds more runs waiting than the window."""
    url, window, workers = settings.database_url, settings.queue_window, 2
    env = {"OPTBENCH_DATABASE_URL": url, "OPTBENCH_BROKER_URL": settings.broker_url}
    processes = [start_worker(env) for _ in range(workers)]
    broker = redis.Redis.from_url(settings.broker_url)
    waiting: list[int] = []
    watching = threading.Event()

    def watch() -> None:  # run messages waiting in the broker
        while not watching.is_set():
            waiting.append(sum(run_id_of(m) is not None for m in broker.lrange("cpu", 0, -1)))
            time.sleep(0.01)

    watcher = threading.Thread(target=watch)
    try:
        a = submit(client, tokens.alice, landscape(50, functions=4))
        watcher.start()

        def finished(experiment: int) -> int:
            with session_scope(url) as session:
                return session.scalar(
                    select(text("count(*)"))
                    .select_from(Run)
                    .where(Run.experiment_id == experiment, Run.status == Status.succeeded)
                )

        wait_until(lambda: finished(a) >= 6, timeout=150, interval=0.05)
        b = submit(client, tokens.bob, landscape(2))
        wait_until(lambda: finished(b) == 2, timeout=60, interval=0.05)
        headers = Tokens.header(tokens.alice)
        assert client.post(f"{API}/experiments/{a}/cancel", headers=headers).status_code == 200
    finally:
        watching.set()
        if watcher.is_alive():
            watcher.join()
        for process in processes:
            stop(process)
    with session_scope(url) as session:
        submitted = session.get(Experiment, b).created_at
        bob_start = min(session.scalars(select(Run.started_at).where(Run.experiment_id == b)).all())
        alice = session.execute(
            select(Run.started_at, Run.finished_at, Run.status).where(Run.experiment_id == a)
        ).all()
    started_between = [s for s, _, _ in alice if s is not None and submitted < s < bob_start]
    finished_between = [
        f for _, f, st in alice if st == Status.succeeded and submitted < f < bob_start
    ]
    not_started = [s for s, _, _ in alice if s is None or s > bob_start]
    print(
        f"ahead of Bob's first run: {len(started_between)} of Alice's started, "
        f"{len(finished_between)} finished, {len(not_started)} not started; "
        f"Bob's first run started {(bob_start - submitted).total_seconds():.2f} s after "
        f"submission; most run messages waiting in the broker: {max(waiting)}"
    )
    # at most the window's runs and one per worker went ahead of Bob's first
    assert len(started_between) <= window + workers, len(started_between)
    assert len(finished_between) <= window + workers, len(finished_between)
    assert len(not_started) >= 100  # while Alice's queue was still long
    assert max(waiting) <= window


def test_the_cli_shows_the_queue_and_admins_set_shares_and_priorities(
    client, tokens, settings, monkeypatch
) -> None:
    from fastapi.testclient import TestClient
    from typer.testing import CliRunner

    import optbench_client.cli.queue
    from api.app import create_app
    from cli.main import app
    from optbench_client import Client

    web = TestClient(create_app(settings), base_url="http://testserver/api/v1")

    def as_user(token: str):  # type: ignore[no-untyped-def]
        def connected(url: str | None, token_: str | None) -> Client:
            api = Client("http://testserver", token)
            api.http = web
            web.headers["Authorization"] = f"Bearer {token}"
            return api

        monkeypatch.setattr(optbench_client.cli.queue, "make_client", connected)

    runner = CliRunner()
    as_user(tokens.alice)
    assert runner.invoke(app, ["queue"]).output.strip() == "nothing is queued or running"
    a = submit(client, tokens.alice, {**landscape(3), "name": "alice's sweep"})
    shown = runner.invoke(app, ["queue"], env={"COLUMNS": "100"})
    assert shown.exit_code == 0, shown.output
    assert "alice's sweep" in shown.output and "alice (share 1)" in shown.output
    assert max(len(line) for line in shown.output.splitlines()) <= 100
    refused = runner.invoke(app, ["queue", "share", "bob", "2"])
    assert refused.exit_code == 2 and "only an admin" in refused.output
    as_user(tokens.admin)
    assert runner.invoke(app, ["queue", "share", "bob", "2"]).output.strip() == "bob: share 2"
    bad = runner.invoke(app, ["queue", "share", "bob", "0"])
    assert bad.exit_code == 2 and "share" in bad.output
    answer = runner.invoke(app, ["queue", "priority", str(a), "3"])
    assert answer.output.strip() == f"experiment {a}: priority 3"


def test_the_migration_marks_runs_already_sent(empty_database: str) -> None:  # noqa: F811
    """Before the window every run was sent at submission: the upgrade marks the queued
    and running ones sent (at their last heartbeat, else at submission), so the scheduler
    does not send them again; finished runs stay unmarked. Round trip on both databases."""
    from shared.db.migrate import downgrade, upgrade
    from shared.db.session import make_engine

    upgrade(empty_database, "0008")
    engine = make_engine(empty_database)
    submitted, beat = "2026-12-01T09:00:00+00:00", "2026-12-01T10:00:00+00:00"
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO users (id, name, role, created_at) VALUES (1, 'a', 'member', :t)"),
            {"t": submitted},
        )
        connection.execute(
            text(
                "INSERT INTO experiments (id, owner_id, name, kind, spec, seed, status, "
                "code_version, cancel_requested, created_at) VALUES "
                "(7, 1, '', 'landscape', '{}', 0, 'running', 'x', :f, :t)"
            ),
            {"f": False, "t": submitted},
        )
        for run_id, status, heartbeat in (
            (1, "queued", None),
            (2, "running", beat),
            (3, "succeeded", beat),
        ):
            connection.execute(
                text(
                    "INSERT INTO runs (id, experiment_id, key, optimizer, queue, status, "
                    "progress, attempts, diverged, heartbeat_at) VALUES "
                    "(:id, 7, :key, 'sgd', 'cpu', :status, 0, 0, :f, :beat)"
                ),
                {
                    "id": run_id,
                    "key": f"k{run_id}",
                    "status": status,
                    "f": False,
                    "beat": heartbeat,
                },
            )
    engine.dispose()
    upgrade(empty_database)
    with session_scope(empty_database) as session:
        sent = {r.id: r.sent_at for r in session.scalars(select(Run).order_by(Run.id))}
        assert session.get(Experiment, 7).priority == 0
        assert session.get(Experiment, 7).owner.share == 1.0
    assert [None if t is None else t.isoformat() for t in sent.values()] == [
        submitted,
        beat,
        None,
    ]
    downgrade(empty_database, "0008")
    upgrade(empty_database)
