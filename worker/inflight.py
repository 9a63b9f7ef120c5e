"""Which runs still have a message in the broker: waiting in a queue, or delivered to a
worker and not yet acknowledged. The reconciler does not send those again (a long queue
would otherwise fill with copies of itself every stale window).

Redis (production): the queues are lists named after them and unacknowledged messages
sit in the ``unacked`` hash. Celery's SQLAlchemy transport (embedded): the
``kombu_message`` table, where a waiting message is ``visible``. Anything else, or a
broker that cannot be read, gives ``None``: the reconciler then decides by age alone.
"""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

from shared.broker import CELERY_JOBS
from shared.config import Settings

log = logging.getLogger(__name__)

QUEUES = ("cpu", "gpu")
#: Most messages read per queue; a longer queue is not inspected (decide by age).
MAX_MESSAGES = 100_000
_RUN_JOBS = set(CELERY_JOBS.values())


def run_id_of(message: Any) -> int | None:
    """The run a Celery (protocol 2) message is about, if it is one of our run jobs."""
    try:
        if isinstance(message, (bytes, str)):
            message = json.loads(message)
        if message.get("headers", {}).get("task") not in _RUN_JOBS:
            return None
        body = message["body"]
        if message.get("properties", {}).get("body_encoding") == "base64":
            body = base64.b64decode(body)
        args = json.loads(body)[0]
        return int(args[0])
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return None


def runs_in_flight(settings: Settings) -> set[int] | None:
    try:
        if settings.broker_url.startswith(("redis://", "rediss://")):
            return _redis(settings.broker_url)
        if settings.broker_url.startswith("sqla+"):
            return _sqlalchemy(settings.broker_url.removeprefix("sqla+"))
    except Exception:  # a broker we cannot read: decide by age alone
        log.warning("could not inspect the broker's queues", exc_info=True)
    return None


def _redis(url: str) -> set[int] | None:
    import redis

    client = redis.Redis.from_url(url)
    found: set[int] = set()
    for queue in QUEUES:
        if client.llen(queue) > MAX_MESSAGES:
            return None
        found.update(r for m in client.lrange(queue, 0, -1) if (r := run_id_of(m)) is not None)
    for raw in client.hvals("unacked"):  # [message, exchange, routing key]
        entry = json.loads(raw)
        if (run := run_id_of(entry[0])) is not None:
            found.add(run)
    return found


def _sqlalchemy(url: str) -> set[int] | None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT payload FROM kombu_message WHERE visible LIMIT :n"),
                {"n": MAX_MESSAGES + 1},
            ).all()
    finally:
        engine.dispose()
    if len(rows) > MAX_MESSAGES:
        return None
    return {r for (payload,) in rows if (r := run_id_of(payload)) is not None}
