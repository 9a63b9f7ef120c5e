"""The training view: one answer with everything the page shows, the same numbers as the
separate endpoints, an ETag that makes an unchanged experiment a 304, statistics of a
running experiment computed once per record count; and the experiment list in a fixed
number of queries whatever its page size."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from bench.set_comparison import populate
from shared.accounts import create_token
from shared.db.models import Experiment, ModelRecord, Run, Status
from shared.db.session import engine_for, session_scope
from shared.experiments import create_experiment
from shared.spec import parse_spec
from shared.tuning.study import new_runs
from tests.platform.conftest import Tokens
from tests.platform.test_results_cli import landscape_experiment, training_experiment

API = "/api/v1"


def add_record(url: str, experiment_id: int, step: int, **fields) -> None:  # type: ignore[no-untyped-def]
    """One more evaluation point on the experiment's first run."""
    with session_scope(url) as session:
        run = session.query(Run).filter_by(experiment_id=experiment_id).order_by(Run.id).first()
        values = {
            "epoch": float(step),
            "gradient_evaluations": step,
            "loss_evaluations": 0,
            "wall_time": float(step),
            "train_loss": 0.5,
            "running_loss": 0.5,
            "test_loss": 0.55,
            "metrics": {"accuracy": 0.8, "macro_f1": 0.78},
            "diverged": False,
            **fields,
        }
        session.add(ModelRecord(run_id=run.id, step=step, **values))


def set_status(url: str, experiment_id: int, status: Status) -> None:
    with session_scope(url) as session:
        session.get(Experiment, experiment_id).status = status


def test_the_view_answers_what_the_separate_endpoints_answer(client, settings) -> None:
    experiment = training_experiment(settings.database_url)
    headers = Tokens.header(Tokens(settings.database_url).alice)
    url = f"{API}/experiments/{experiment}"
    response = client.get(f"{url}/view", params={"L": 2}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["etag"].startswith('"')
    assert "no-cache" in response.headers["cache-control"]
    view = response.json()
    assert (view["L"], view["metric"], view["direction"], view["alpha"]) == (
        2,
        "accuracy",
        "higher",
        0.05,
    )
    assert view["records"] == 2 * 3 * 12
    params = {"L": 2}
    assert view["set_comparison"] == client.get(
        f"{url}/set-comparison", params=params, headers=headers
    ).json() | {"warnings": view["set_comparison"]["warnings"]}
    assert view["optimizer_comparison"] == (
        client.get(f"{url}/optimizer-comparison", params=params, headers=headers).json()
    )
    assert view["sweep"] == client.get(f"{url}/sweep", params=params, headers=headers).json()
    curves = client.get(
        f"{url}/learning-curves", params={"column": "test_loss", "window": 3}, headers=headers
    ).json()
    assert view["learning_curves"] == curves
    for which in ("A", "B"):
        alone = client.get(
            f"{url}/populations", params={**params, "which": which}, headers=headers
        ).json()
        members = view["populations"][which]["optimizers"]
        assert set(members) == {"sgd", "sam-with-a-long-label"}
        for name, entry in alone["optimizers"].items():
            # the view's members say `sharpness: null` (not measured here)
            models = members[name]["models"]
            assert [{k: v for k, v in m.items() if k != "sharpness"} for m in models] == (
                entry["models"]
            )
            assert all(m["sharpness"] is None for m in models)
            assert len(entry["models"]) == 3 * 2  # 3 trajectories × L
    assert view["sharpness_against_metric"] is None


def test_an_unchanged_experiment_is_a_304(client, settings) -> None:
    experiment = training_experiment(settings.database_url)
    headers = Tokens.header(Tokens(settings.database_url).alice)
    url = f"{API}/experiments/{experiment}/view"
    first = client.get(url, headers=headers)
    tag = first.headers["etag"]
    again = client.get(url, headers={**headers, "If-None-Match": tag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == tag
    for listed in (f'"other", {tag}', f"W/{tag}", "*"):
        assert client.get(url, headers={**headers, "If-None-Match": listed}).status_code == 304
    assert client.get(url, headers={**headers, "If-None-Match": '"other"'}).status_code == 200
    # other parameters, another answer and another tag
    other = client.get(url, params={"L": 2}, headers={**headers, "If-None-Match": tag})
    assert other.status_code == 200 and other.headers["etag"] != tag
    metric = client.get(url, params={"metric": "macro_f1"}, headers=headers)
    assert metric.json()["metric"] == "macro_f1" and metric.headers["etag"] not in (
        tag,
        other.headers["etag"],
    )


def test_a_running_experiment_is_computed_once_per_record_count(client, settings) -> None:
    experiment = training_experiment(settings.database_url)
    set_status(settings.database_url, experiment, Status.running)
    headers = Tokens.header(Tokens(settings.database_url).alice)
    url = f"{API}/experiments/{experiment}/view"
    cache = client.app.state.results
    before = cache.computations
    first = client.get(url, headers=headers)
    assert first.status_code == 200, first.text
    assert cache.computations == before + 1
    polls = [client.get(url, headers=headers) for _ in range(3)]
    assert cache.computations == before + 1  # polls between evaluation points are free
    assert {p.headers["etag"] for p in polls} == {first.headers["etag"]}
    assert all(p.content == first.content for p in polls)
    revalidated = client.get(url, headers={**headers, "If-None-Match": first.headers["etag"]})
    assert revalidated.status_code == 304 and cache.computations == before + 1

    add_record(settings.database_url, experiment, 1000)  # a new evaluation point
    stale = client.get(url, headers={**headers, "If-None-Match": first.headers["etag"]})
    assert stale.status_code == 200 and stale.headers["etag"] != first.headers["etag"]
    assert stale.json()["records"] == first.json()["records"] + 1
    assert cache.computations == before + 2
    client.get(url, headers=headers)
    assert cache.computations == before + 2

    # the separate statistics are cached per record count as well
    sets = f"{API}/experiments/{experiment}/set-comparison"
    counted = cache.computations
    client.get(sets, headers=headers)
    client.get(sets, headers=headers)
    assert cache.computations == counted + 1
    add_record(settings.database_url, experiment, 1010)
    client.get(sets, headers=headers)
    assert cache.computations == counted + 2

    # the experiment finishing changes the tag, even at the same record count
    tag = client.get(url, headers=headers).headers["etag"]
    set_status(settings.database_url, experiment, Status.succeeded)
    assert client.get(url, headers={**headers, "If-None-Match": tag}).status_code == 200


def test_members_carry_their_sharpness_and_the_scatter_its_candidates(client, settings) -> None:
    url = settings.database_url
    spec = {
        "kind": "training",
        "task": "digits",
        "optimizers": ["sgd", "sam"],
        "trajectories": 2,
        "budget": {"epochs": 12},
        "population_size": 2,
        "sharpness": True,
    }
    with session_scope(url) as session:
        user, token = create_token(session, "frank", "t")
        experiment = create_experiment(session, user, parse_spec(spec))
        for run in experiment.runs:
            run.status = Status.succeeded
            for step in range(8):
                session.add(
                    ModelRecord(
                        run_id=run.id,
                        step=step,
                        epoch=float(step),
                        gradient_evaluations=step,
                        loss_evaluations=0,
                        wall_time=float(step),
                        train_loss=2.0 - 0.1 * step,  # Set A: the last steps
                        running_loss=1.0,
                        test_loss=1.0,
                        metrics={"accuracy": 0.5 + 0.01 * step, "macro_f1": 0.5},
                        diverged=step == 7 and run.optimizer == "sam",
                        sharpness=10.0 + step,
                        sharpness_converged=step != 6,
                    )
                )
        experiment.status = Status.succeeded
        session.flush()
        experiment_id = experiment.id
    response = client.get(f"{API}/experiments/{experiment_id}/view", headers=Tokens.header(token))
    assert response.status_code == 200, response.text
    view = response.json()
    set_a = view["populations"]["A"]["optimizers"]
    # sgd's Set A: steps 7 and 6 of each trajectory; step 6's estimate did not converge
    assert sorted((m["step"], m["sharpness"]) for m in set_a["sgd"]["models"]) == [
        (6, None),
        (6, None),
        (7, 17.0),
        (7, 17.0),
    ]
    # sam diverged at step 7: its Set A is steps 6 and 5
    assert sorted((m["step"], m["sharpness"]) for m in set_a["sam"]["models"]) == [
        (5, 15.0),
        (5, 15.0),
        (6, None),
        (6, None),
    ]
    scatter = view["sharpness_against_metric"]
    # candidates: steps 1–7 (sgd) and 1–6 (sam), without the unconverged step 6
    assert sorted(scatter["sgd"]["sharpness"]) == sorted([11.0, 12, 13, 14, 15, 17] * 2)
    assert sorted(scatter["sam"]["sharpness"]) == sorted([11.0, 12, 13, 14, 15] * 2)
    assert len(scatter["sgd"]["value"]) == len(scatter["sgd"]["sharpness"])
    values = sorted([0.51, 0.52, 0.53, 0.54, 0.55, 0.57] * 2)  # step 0's 0.5 left out
    assert sorted(scatter["sgd"]["value"]) == pytest.approx(values)
    assert view["set_comparison"]["on_sharpness"] is not None


def test_the_same_warning_for_several_optimizers_is_said_once(client, settings) -> None:
    experiment, token = populate(settings.database_url, 3, 40)  # 6 optimizers × 3 each
    view = client.get(
        f"{API}/experiments/{experiment}/view", params={"L": 5}, headers=Tokens.header(token)
    ).json()
    sets = view["set_comparison"]
    floor = (
        "With 3 pairs of trajectories the trajectory-level test cannot give a p-value below "
        "0.25, so it can never be significant at α = 0.05; it needs at least 6 pairs."
    )
    said = [w for w in sets["warnings"] if w["message"] == floor]
    assert len(said) == 1, sets["warnings"]
    having = sorted(n for n, c in sets["optimizers"].items() if floor in c["warnings"])
    assert sorted(said[0]["optimizers"]) == having and len(having) > 1
    messages = [w["message"] for w in sets["warnings"]]
    assert len(messages) == len(set(messages))
    pairs = {(n, w) for n, c in sets["optimizers"].items() for w in c["warnings"]}
    assert pairs == {(n, w["message"]) for w in sets["warnings"] for n in w["optimizers"]}


@pytest.mark.parametrize(
    ("params", "field"),
    [({"L": 13}, "L"), ({"metric": "bleu"}, "metric"), ({"column": "nope"}, "column")],
)
def test_bad_parameters_are_422_naming_them(client, settings, params, field) -> None:
    experiment = training_experiment(settings.database_url)
    headers = Tokens.header(Tokens(settings.database_url).alice)
    response = client.get(f"{API}/experiments/{experiment}/view", params=params, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["query", field]


def test_a_landscape_or_missing_experiment_has_no_view(client, settings) -> None:
    landscape = landscape_experiment(settings.database_url)
    headers = Tokens.header(Tokens(settings.database_url).alice)
    assert client.get(f"{API}/experiments/{landscape}/view", headers=headers).status_code == 409
    assert client.get(f"{API}/experiments/999999/view", headers=headers).status_code == 404
    with session_scope(settings.database_url) as session:
        user, _ = create_token(session, "gina", "t")
        spec = {"kind": "training", "task": "digits", "optimizers": ["sgd"]}
        empty = create_experiment(session, user, parse_spec(spec))
        session.flush()
        empty_id = empty.id
    answer = client.get(f"{API}/experiments/{empty_id}/view", headers=headers)
    assert answer.status_code == 409 and "no records yet" in answer.json()["detail"]


def count_queries(settings, call):  # type: ignore[no-untyped-def]
    engine = engine_for(settings.database_url)
    statements: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    return statements


def test_the_experiment_list_is_a_fixed_number_of_queries(client, settings) -> None:
    url = settings.database_url
    _, token = populate(url, 2, 5)  # a training experiment with records
    with session_scope(url) as session:
        user, _ = create_token(session, "hank", "t")
        for i in range(59):
            kind = ("landscape", "training", "tuning")[i % 3]
            spec = {
                "landscape": {"kind": "landscape", "functions": ["himmelblau"]},
                "training": {"kind": "training", "task": "digits", "optimizers": ["sgd", "sam"]},
                "tuning": {
                    "kind": "tuning",
                    "task": "digits",
                    "optimizers": ["sgd"],
                    "budget": {"epochs": 1},
                    "tuning": {"trials": 2},
                },
            }[kind]
            create_experiment(session, user, parse_spec(spec))
            new_runs(session)  # a study's first trials
    headers = Tokens.header(token)
    counts = {}
    for limit in (5, 50):
        answers: list = []

        def read(limit: int = limit, answers: list = answers) -> None:
            answers.append(
                client.get(f"{API}/experiments", params={"limit": limit}, headers=headers)
            )

        statements = count_queries(settings, read)
        page = answers[0].json()
        assert answers[0].status_code == 200 and len(page["items"]) == limit
        assert page["total"] == 60
        counts[limit] = len(statements)
    assert counts[5] == counts[50], counts
    assert counts[50] <= 8, counts
    # and the answers are what a single experiment's says
    listed = client.get(f"{API}/experiments", params={"limit": 60}, headers=headers).json()
    for item in listed["items"][::7]:
        assert client.get(f"{API}/experiments/{item['id']}", headers=headers).json() == item


def test_no_free_database_connection_is_a_503_not_a_500(client, settings, monkeypatch) -> None:
    """Under overload a request can wait out the pool's timeout for a connection (the old
    page's requests did, at 50 readers): that is a 503 with Retry-After."""
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    import api.routes.experiments as routes

    def busy(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise PoolTimeout("QueuePool limit of size 10 overflow 20 reached, connection timed out")

    monkeypatch.setattr(routes, "experiment_summaries", busy)
    headers = Tokens.header(Tokens(settings.database_url).alice)
    response = client.get(f"{API}/experiments", headers=headers)
    assert response.status_code == 503 and response.headers["retry-after"] == "5"
    assert "busy" in response.json()["detail"]
