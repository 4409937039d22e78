"""Schema-based fuzzing: no request schemathesis derives from /api/openapi.json gets a 5xx."""

import os
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from tocsin import notify_many
from tocsin.api import tokens
from tocsin.extensions import db

#: Examples per operation and mode: 3 operations x 2 modes x this, per database. Raise it
#: for a longer hunt: TOCSIN_FUZZ_EXAMPLES=2000 pytest tests/test_api_fuzz.py
EXAMPLES = int(os.environ.get("TOCSIN_FUZZ_EXAMPLES", "60"))


@pytest.mark.slow  # 720 generated requests: a minute of the unit tests' time on its own
def test_no_generated_request_gets_a_server_error(app):
    with app.app_context():
        _, secret = tokens.create(db.session, "fuzz")
        ids = notify_many(["alice", "bob"], "comment", "Something to list and read")
    auth = {"Authorization": f"Bearer {secret}"}
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 3
    statuses: Counter = Counter()
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(operation, mode, auth, ids, statuses)
    for (label, mode, status), count in sorted(statuses.items()):
        print(f"{label} {mode} {status}: {count}")
    assert sum(statuses.values()) >= len(operations) * 2 * EXAMPLES * 0.9
    assert [s for s in statuses if s[2] >= 500] == []
    # The generated requests reached the code behind validation, not only the 4xx paths.
    assert statuses["POST /api/v1/notifications", "positive", 201] > 1
    assert statuses["GET /api/v1/notifications", "positive", 200] > 1


def _fuzz(operation, mode, auth: dict, ids: list[int], statuses: Counter) -> None:
    @given(case=operation.as_strategy(generation_mode=mode), real=st.booleans())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    def call(case, real):
        if real and mode is GenerationMode.POSITIVE:
            _address_real_users(case, ids)
        response = case.call_and_validate(headers=auth, checks=[not_a_server_error])
        statuses[case.operation.label, mode.value, response.status_code] += 1

    call()


def _address_real_users(case, ids) -> None:
    """Point half the valid requests at users and notifications that exist."""
    if isinstance(case.body, dict) and "recipients" in case.body:
        case.body["recipients"] = ["alice", 2]
    if case.query and "user" in case.query:
        case.query["user"] = "alice"
    if case.path_parameters and "id" in case.path_parameters:
        case.path_parameters["id"] = ids[0]
