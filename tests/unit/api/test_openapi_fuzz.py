"""Property-based fuzzing of the generated OpenAPI document against the app (schemathesis, in-process WSGI).

Bounded and deterministic: a fixed number of examples per operation and mode, derandomized. Every
response must be a non-5xx that the document describes (status code, content type, body schema),
and invalid input must be rejected.
"""

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

MAX_EXAMPLES = 30
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation_conforms_to_the_document(app: Any, aws: Any, mode: GenerationMode) -> None:
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]  # raises on a broken operation
    folders = len(app.extensions["gpujobs_api"].workflows.by_name)
    # health, any job's status, the job list, cancel, delete, uploads, and a submit and a status per workflow
    assert len(operations) == 6 + 2 * folders
    checks = CHECKS + ([negative_data_rejection] if mode == GenerationMode.NEGATIVE else [])
    if mode == GenerationMode.NEGATIVE:
        # Only submits, uploads and the list's query have input that can be invalid: any string is a well-formed
        # job id.
        operations = [op for op in operations if (op.method.upper() == "POST" and not op.path.endswith("/cancel"))
                      or op.path == "/api/v1/jobs"]
        assert len(operations) == folders + 2
    for operation in operations:
        _fuzz(operation, mode, checks, aws.key)
    if mode == GenerationMode.POSITIVE:
        assert aws.queue_bodies(), "no generated submit reached the queue"


# The document says only "string" for image URLs (their rule is code: scheme, bucket name, resolved
# address), so generated strings are almost never acceptable; positive submits get a valid URL
# swapped in, so the fuzzing reaches the write path and the 202 response too.
VALID_URLS = st.one_of(
    st.from_regex(r"\As3://inputs/[A-Za-z0-9/_.-]{1,40}\Z"),  # the input bucket the test app names
    st.from_regex(r"\Ahttps://[a-z]{1,12}\.example\.com/[A-Za-z0-9_.-]{0,30}\Z"),
)
URL_FIELDS = ("image_url", "image2_url", "image3_url")


def _fuzz(operation: Any, mode: GenerationMode, checks: list[Any], key: str) -> None:
    swap_urls = mode == GenerationMode.POSITIVE and operation.method.upper() == "POST"

    @given(case=operation.as_strategy(generation_mode=mode), url=VALID_URLS)
    @settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case: Any, url: str) -> None:
        if swap_urls and isinstance(case.body, dict):
            for name in URL_FIELDS:
                if case.body.get(name) is not None:
                    case.body[name] = url
        case.call_and_validate(checks=checks, headers={"Authorization": f"Bearer {key}"})

    run()
