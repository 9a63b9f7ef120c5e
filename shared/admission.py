"""What a server checks of a submission beyond the spec's own types: its limits (and the
task options it refuses), the tuned configurations the spec names, and a tuning study's
search and budget. Every problem is collected, then refused at once."""

from __future__ import annotations

from sqlalchemy.orm import Session

from shared.config import Settings
from shared.errors import InvalidSubmission
from shared.experiments import resolve_tuned
from shared.spec import AnySpec, limit_violations
from shared.tuning.admission import tuning_violations


def admit(session: Session, spec: AnySpec, settings: Settings) -> AnySpec:
    """The spec as it is stored (tuned configurations resolved), or
    :class:`InvalidSubmission` naming every problem found, each at its field."""
    problems = limit_violations(spec, settings)
    spec, unresolved = resolve_tuned(session, spec)
    problems += unresolved + tuning_violations(session, spec, settings)
    if problems:
        raise InvalidSubmission(problems)
    return spec
