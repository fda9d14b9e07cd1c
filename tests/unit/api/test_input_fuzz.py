"""Property-based fuzzing of what the OpenAPI document cannot describe: any body bytes, any JSON however
deep, any header value, any job id and query (hypothesis, through the WSGI app).

The document-driven fuzzing (test_openapi_fuzz.py) keeps to the document's shapes; a probe of the API
found 500s just outside them (deep JSON, odd header values). Whatever arrives, the answer is never a
5xx, and every error is the API's JSON shape. Bounded and deterministic: a fixed number of examples,
derandomized.
"""

import json
from typing import Any
from urllib.parse import quote

from apig_wsgi import make_lambda_handler
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.api.test_entry_points import http_api_event

CAMERA = "/api/v1/camera-angle/jobs"
FUZZ = settings(max_examples=60, derandomize=True, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=25,
)
FIELDS = st.sampled_from(["image_url", "prompt", "seed", "steps", "webhook", "x"])
# Header values as an HTTP server or API Gateway may hand them over: any text, latin-1 decoded bytes included.
HEADER_TEXT = st.text(max_size=80) | st.binary(max_size=80).map(lambda b: b.decode("latin-1"))


def _json_or_error(response: Any) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/json"
    body = response.get_json()
    if response.status_code >= 400:
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}


def _nested(depth: int, opening: str, closing: str) -> str:
    return opening * depth + "1" + closing * depth


def test_any_body_is_answered_without_a_5xx(client: Any) -> None:
    bodies = (st.binary(max_size=300)
              | JSON_VALUES.map(json.dumps)
              | st.dictionaries(FIELDS, JSON_VALUES, max_size=5).map(json.dumps)
              | st.builds(lambda depth, pair: _nested(depth, *pair), st.integers(1, 5_000),
                          st.sampled_from([("[", "]"), ('{"a":', "}")])))

    @given(body=bodies, content_type=st.sampled_from(["application/json", "application/json; charset=latin-1",
                                                      "text/plain", "application/x-www-form-urlencoded"]))
    @FUZZ
    def run(body: str | bytes, content_type: str) -> None:
        _json_or_error(client.post(CAMERA, data=body, content_type=content_type))

    run()


def test_deep_json_anywhere_in_a_submit_is_a_400(client: Any) -> None:
    @given(depth=st.integers(33, 20_000), field=FIELDS, array=st.booleans(), idempotent=st.booleans())
    @FUZZ
    def run(depth: int, field: str, array: bool, idempotent: bool) -> None:
        nested = _nested(depth, "[", "]") if array else _nested(depth, '{"a":', "}")
        body = '{"image_url": "s3://inputs/a.png", "prompt": "x", "' + field + '": ' + nested + "}"
        headers = {"Idempotency-Key": "fuzz"} if idempotent else {}
        response = client.post(CAMERA, data=body, content_type="application/json", headers=headers)
        _json_or_error(response)
        assert response.status_code == 400 and response.get_json()["error"]["code"] == "malformed_json"

    run()


def test_any_key_and_header_values_are_answered_without_a_5xx(make_app: Any, aws: Any) -> None:
    app = make_app()
    client = app.test_client()
    header = st.sampled_from(["HTTP_X_API_KEY", "HTTP_AUTHORIZATION", "HTTP_IDEMPOTENCY_KEY", "HTTP_USER_AGENT",
                              "HTTP_X_REQUEST_ID", "CONTENT_TYPE", "HTTP_ACCEPT"])
    key_like = st.builds(lambda tail: f"Bearer gjk_{'0' * 12}_{tail}", HEADER_TEXT)

    @given(headers=st.dictionaries(header, HEADER_TEXT | key_like, max_size=3),
           route=st.sampled_from([("GET", "/api/v1/jobs"), ("GET", "/health"), ("POST", CAMERA)]))
    @FUZZ
    def run(headers: dict[str, str], route: tuple[str, str]) -> None:
        method, path = route
        # environ_overrides puts the values in the WSGI environ as they are, unchecked by the test client.
        environ = {"HTTP_AUTHORIZATION": f"Bearer {aws.key}", **headers}
        body = {"image_url": "s3://inputs/a.png", "prompt": "x"} if method == "POST" else None
        _json_or_error(client.open(path, method=method, json=body, environ_overrides=environ))

    run()


def test_any_job_id_and_list_query_are_answered_without_a_5xx(client: Any) -> None:
    @given(job_id=st.text(min_size=1, max_size=300), query=st.dictionaries(
        st.sampled_from(["status", "workflow", "limit", "cursor", "x"]), st.text(max_size=300), max_size=4))
    @FUZZ
    def run(job_id: str, query: dict[str, str]) -> None:
        _json_or_error(client.get(f"/api/v1/jobs/{quote(job_id, safe='')}"))
        _json_or_error(client.post(f"/api/v1/jobs/{quote(job_id, safe='')}/cancel"))
        _json_or_error(client.get("/api/v1/jobs", query_string=query))

    run()


def test_through_the_lambda_handler_any_header_value_and_body_is_answered_without_a_5xx(make_app: Any,
                                                                                        aws: Any) -> None:
    """API Gateway hands header values over as any Unicode text, not latin-1 bytes as an HTTP server does."""
    handler = make_lambda_handler(make_app(), binary_support=False)
    header = st.sampled_from(["x-api-key", "authorization", "idempotency-key", "content-type", "user-agent"])

    @given(headers=st.dictionaries(header, st.text(max_size=60), max_size=3),
           body=st.text(max_size=200) | st.dictionaries(FIELDS, JSON_VALUES, max_size=4).map(json.dumps),
           route=st.sampled_from([("GET", "/api/v1/jobs"), ("GET", "/health"), ("POST", CAMERA)]))
    @FUZZ
    def run(headers: dict[str, str], body: str, route: tuple[str, str]) -> None:
        method, path = route
        event = http_api_event(method, path, body if method == "POST" else None,
                               {"authorization": f"Bearer {aws.key}", **headers})
        answer = handler(event, None)
        assert answer["statusCode"] < 500, answer["body"][:300]
        if answer["statusCode"] >= 400:
            assert set(json.loads(answer["body"])["error"]) == {"code", "message", "details"}

    run()
