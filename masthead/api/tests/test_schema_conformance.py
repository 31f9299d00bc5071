"""schemathesis against the published OpenAPI schema, over real HTTP to a live server on loopback.

Every operation is called with generated input, valid and invalid, carrying a
fresh app token each time. Every response must be no 5xx, with a documented
status code and content type, and match the documented schema. Examples are
bounded so the run stays well under a minute.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from masthead.accounts import tokens

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = {GenerationMode.POSITIVE: 8, GenerationMode.NEGATIVE: 5}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.slow
@pytest.mark.parametrize("mode", list(EXAMPLES), ids=str)
def test_every_operation_answers_as_documented(live_server, newsroom, reader, settings, mode):
    # Generated requests should reach the handlers rather than the log-in rate limit.
    settings.API_AUTH_RATE_LIMIT = "100000/m"
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12

    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @hypothesis_settings(
            max_examples=EXAMPLES[mode],
            derandomize=True,  # the same requests on every run: a failure here is never luck
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def conforms(case):
            _token, secret = tokens.app_token_create(reader=reader, name="Schema check")
            case.call_and_validate(headers={"Authorization": f"Bearer {secret}"}, checks=CHECKS)

        try:
            conforms()
        except Unsatisfiable:
            # Only in negative mode, for an operation that takes no input: nothing invalid can be sent.
            assert mode == GenerationMode.NEGATIVE
