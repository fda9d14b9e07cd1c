"""Standard Webhooks signing: the specification's own test vector, one computed apart (openssl), and the
verifier's refusals."""

import pytest

from gpujobs.webhook_signature import InvalidSignature, new_secret, secret_key, sign_headers, signature, verify

# From the Standard Webhooks reference library's tests (libraries/python/tests/test_webhooks.py).
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY = "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

# Key bytes 0x00..0x1f; the signature computed with
# printf '%s' 'job_abc_completed.1700000000.{"type":"job.completed"}' |
#   openssl dgst -sha256 -mac HMAC -macopt hexkey:000102...1f -binary | base64
OWN_SECRET = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
OWN_ID, OWN_TIMESTAMP, OWN_BODY = "job_abc_completed", 1700000000, b'{"type":"job.completed"}'
OWN_SIGNATURE = "v1,GkQBVd2NdjxiMJV2YZKbknIH7VddpRPN0Xz+sgC7eWk="


def test_the_specifications_vector() -> None:
    assert signature(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY) == SPEC_SIGNATURE
    headers = {"webhook-id": SPEC_ID, "webhook-timestamp": str(SPEC_TIMESTAMP), "webhook-signature": SPEC_SIGNATURE}
    verify(SPEC_SECRET, headers, SPEC_BODY, now=SPEC_TIMESTAMP + 10)
    verify(SPEC_SECRET.removeprefix("whsec_"), headers, SPEC_BODY, now=SPEC_TIMESTAMP)  # the prefix is optional


def test_a_vector_computed_apart() -> None:
    assert signature(OWN_SECRET, OWN_ID, OWN_TIMESTAMP, OWN_BODY) == OWN_SIGNATURE
    assert secret_key(OWN_SECRET) == bytes(range(32))


def test_headers_carry_one_signature_per_secret_and_either_verifies() -> None:
    old, new = new_secret(), new_secret()
    headers = sign_headers([new, old], "job_1_start", 1000, b"{}")
    assert headers["webhook-id"] == "job_1_start" and headers["webhook-timestamp"] == "1000"
    assert len(headers["webhook-signature"].split(" ")) == 2
    verify(old, headers, b"{}", now=1000)
    verify(new, {k.upper(): v for k, v in headers.items()}, b"{}", now=1000)
    with pytest.raises(InvalidSignature, match="no signature matches"):
        verify(new_secret(), headers, b"{}", now=1000)


@pytest.mark.parametrize(("change", "now", "reason"), [
    ({"webhook-id": ""}, 1000, "missing header"),
    ({"webhook-timestamp": "soon"}, 1000, "whole epoch seconds"),
    ({}, 1000 + 301, "old"),
    ({}, 1000 - 301, "future"),
    ({"webhook-id": "job_2_start"}, 1000, "no signature matches"),
    ({"webhook-signature": "v2,abc v1,"}, 1000, "no signature matches"),
])
def test_refusals_say_why(change: dict[str, str], now: float, reason: str) -> None:
    secret = new_secret()
    headers = {**sign_headers([secret], "job_1_start", 1000, b"{}"), **change}
    with pytest.raises(InvalidSignature, match=reason):
        verify(secret, headers, b"{}", now=now)


def test_a_tampered_body_fails() -> None:
    secret = new_secret()
    headers = sign_headers([secret], "job_1_start", 1000, b'{"status":"failed"}')
    with pytest.raises(InvalidSignature):
        verify(secret, headers, b'{"status":"completed"}', now=1000)


def test_a_secret_that_is_not_base64_is_refused() -> None:
    with pytest.raises(ValueError, match="base64"):
        secret_key("whsec_not base64!")
    with pytest.raises(InvalidSignature, match="base64"):
        verify("whsec_***", sign_headers([new_secret()], "i", 1, b""), b"", now=1)
