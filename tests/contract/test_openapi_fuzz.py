"""Schema fuzzing: every operation answers as /openapi.json says, as a logged-in athlete.

Schemathesis generates valid and invalid requests from the schema and runs all its
checks on the answers (no 5xx, declared statuses, content types, headers and schemas,
invalid data refused, valid data accepted, auth enforced, 405 with Allow). The app runs
on the real PostgreSQL with real commits (the committed tier); its rows are truncated
after the module. ``FORMA_FUZZ_EXAMPLES`` sets the examples per operation (`make test`:
a few, derandomized so a run is reproducible; `make fuzz`: many, plus stateful runs).
"""

from __future__ import annotations

import copy
import functools
import os
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from sqlalchemy import create_engine as create_sync_engine

from api.config import Settings
from api.main import create_app
from tests.contract.valid_cases import repair
from tests.support.committed import truncate_committed
from tests.support.http import PASSWORD

EXAMPLES = int(os.environ.get("FORMA_FUZZ_EXAMPLES", "4"))
STEPS = int(os.environ.get("FORMA_FUZZ_STEPS", "5"))


# Loaded when the module is collected, after conftest has created this run's database.
APP = create_app(Settings())
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
    max_examples=EXAMPLES,
    deterministic=True,
)


CALLS: Counter[str] = Counter()


@schema.hook
def map_case(context: Any, case: Any) -> Any:
    return repair(case)


@schema.hook
def after_call(context: Any, case: Any, response: Any) -> None:
    CALLS[case.operation.label] += 1


@pytest.fixture(scope="module", autouse=True)
def committed_rows(sync_engine: Any) -> Iterator[None]:
    """The fuzzed app commits for real; its rows go when the module is done."""
    from schemathesis.python.asgi import shutdown_lifespans

    yield
    print(f"\nfuzzed {len(CALLS)} operations with {sum(CALLS.values())} requests")
    if STEPS_SENT:
        print(f"stateful: {sum(STEPS_SENT.values())} steps over {len(STEPS_SENT)} operations")
    shutdown_lifespans()  # the app's engine closes before its rows are truncated
    truncate_committed(sync_engine)


@functools.cache
def _sync_engine() -> Any:
    return create_sync_engine(Settings().sync_database_url)


@functools.cache
def athlete_headers() -> dict[str, str]:
    """A registered athlete's bearer header, obtained through the API itself (once a run)."""
    email = f"fuzz-{uuid.uuid4().hex[:8]}@example.com"
    register = schema["/v1/auth/register"]["POST"]
    created = register.Case(body={"email": email, "password": PASSWORD}).call()
    assert created.status_code == 201, created.text
    token = (
        schema["/v1/auth/token"]["POST"]
        .Case(
            body={"username": email, "password": PASSWORD},
            media_type="application/x-www-form-urlencoded",
        )
        .call()
    )
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


@pytest.fixture(scope="module")
def athlete() -> dict[str, str]:
    return athlete_headers()


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_documented(case: Any, athlete: dict[str, str]) -> None:
    case.call_and_validate(headers=athlete)


# Sequences carry valid data only: invalid data is the parametrized run's job, and a
# step's data is repaired after generation, when its mode is no longer known.
stateful_schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
stateful_schema.config.generation.update(modes=[GenerationMode.POSITIVE], deterministic=True)


STEPS_SENT: Counter[str] = Counter()


@stateful_schema.hook("after_call")
def count_step(context: Any, case: Any, response: Any) -> None:
    STEPS_SENT[case.operation.label] += 1


class Workflows(stateful_schema.as_state_machine()):  # type: ignore[misc]
    """Sequences that follow the schema's links: create, then read, change, delete."""

    def setup(self) -> None:
        # Each sequence starts from an empty database and a new athlete: Hypothesis replays
        # a sequence and needs the server to answer it as the first time (201, not 409).
        truncate_committed(_sync_engine())
        athlete_headers.cache_clear()

    def get_call_kwargs(self, case: Any) -> dict[str, Any]:
        return {"headers": athlete_headers()}

    def call(self, case: Any, **kwargs: Any) -> Any:
        # Steps get their path ids from links after generation: repaired just before sending.
        # A copy: Hypothesis replays the generated step and must find it unchanged.
        body = {"body": copy.deepcopy(case.body), "media_type": case.media_type}
        fresh = case.operation.Case(
            method=case.method,
            path_parameters=copy.deepcopy(case.path_parameters),
            headers=copy.deepcopy(dict(case.headers or {})),
            query=copy.deepcopy(case.query),
            **(body if case.media_type else {}),
        )
        return super().call(repair(fresh), **kwargs)


TestWorkflows = Workflows.TestCase
TestWorkflows.settings = settings(
    max_examples=max(1, EXAMPLES // 2),
    stateful_step_count=STEPS,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
