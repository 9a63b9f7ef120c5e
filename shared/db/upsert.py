"""Inserts that a redelivered task can repeat: ``INSERT … ON CONFLICT DO NOTHING`` on
PostgreSQL and SQLite alike, so two workers racing on one result write it once, and the
loser neither fails nor overwrites."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from shared.db.base import Base


def insert_once(
    session: Session, model: type[Base], values: dict[str, Any], unique: Sequence[str]
) -> bool:
    """Insert one row unless a row with the same ``unique`` columns exists; True if this
    call inserted it."""
    dialect = session.get_bind().dialect.name
    table = model.__table__
    if dialect == "postgresql":
        statement = postgresql.insert(table)
    elif dialect == "sqlite":
        statement = sqlite.insert(table)
    else:  # pragma: no cover - the platform runs on the two above
        raise NotImplementedError(f"no ON CONFLICT insert for {dialect}")
    key = next(iter(table.primary_key.columns))
    inserted = session.execute(
        statement.values(**values)
        .on_conflict_do_nothing(index_elements=list(unique))
        .returning(key)  # a row back only if this statement inserted one
    ).first()
    return inserted is not None


def column_values(row: Base) -> dict[str, Any]:
    """A not-yet-added ORM object's column values, without its primary key."""
    return {
        column.key: getattr(row, column.key)
        for column in row.__table__.columns
        if not column.primary_key and getattr(row, column.key) is not None
    }
