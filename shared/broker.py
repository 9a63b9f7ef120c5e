"""Broker settings shared by the API (which sends) and the workers (which consume)."""

from __future__ import annotations

from typing import Any

from shared.config import Settings


def transport_options(settings: Settings) -> dict[str, Any]:
    if settings.embedded:
        # Kombu's SQLAlchemy transport hands its options to create_engine, so its
        # polling interval cannot go there: it is a class attribute of the transport.
        from kombu.transport import sqlalchemy as sqla

        sqla.Transport.polling_interval = settings.broker_polling_interval
        return {}
    # Redis: a message not acknowledged within this time is delivered again (a worker
    # that died mid-run); long enough for the longest single run.
    return {"visibility_timeout": 6 * 3600}
