"""Signing and verifying webhook deliveries as the Standard Webhooks specification defines them.

A delivery carries three headers: `webhook-id` (the same for every attempt at one event, so a
receiver can drop duplicates), `webhook-timestamp` (epoch seconds of this attempt) and
`webhook-signature`: `v1,<base64 of HMAC-SHA256(secret, "{id}.{timestamp}.{body}")>`, several of them
space-separated while a rotated secret's predecessor is still honoured. The secret is `whsec_` and the
base64 of its random bytes; the HMAC key is those bytes, not the text.

The delivery signs with `sign_headers`; a receiver (and `gpujobs webhook verify`) checks with
`verify`, which refuses a timestamp more than `tolerance_s` away from its clock so a captured delivery
cannot be replayed later.
"""

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
DEFAULT_TOLERANCE_S = 300
ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER = "webhook-id", "webhook-timestamp", "webhook-signature"


class InvalidSignature(ValueError):
    """The delivery is not one signed with this secret (the message says why)."""


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key of a `whsec_` secret (the prefix is optional, padding too); ValueError if not base64."""
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("a webhook secret is 'whsec_' followed by base64") from None
    if not key:
        raise ValueError("the webhook secret is empty")
    return key


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """One `v1,<base64>` signature of `body` sent as `msg_id` at `timestamp`."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(secret_key(secret), signed, hashlib.sha256).digest()).decode()


def sign_headers(secrets_: Iterable[str], msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three headers of a delivery, signed with every secret given (current first)."""
    return {
        ID_HEADER: msg_id,
        TIMESTAMP_HEADER: str(int(timestamp)),
        SIGNATURE_HEADER: " ".join(signature(s, msg_id, timestamp, body) for s in secrets_),
    }


def verify(secret: str, headers: Mapping[str, str], body: bytes, now: float,
           tolerance_s: float = DEFAULT_TOLERANCE_S) -> None:
    """Raise InvalidSignature unless one `v1` signature in the headers matches `body` under `secret` and
    the timestamp is within `tolerance_s` of `now`. Header names are matched case-insensitively."""
    lowered = {k.lower(): v for k, v in headers.items()}
    msg_id, stamp, signed = (lowered.get(h) for h in (ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER))
    if not (msg_id and stamp and signed):
        missing = [h for h in (ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER) if not lowered.get(h)]
        raise InvalidSignature(f"missing header(s): {', '.join(missing)}")
    try:
        timestamp = int(stamp)
    except ValueError:
        raise InvalidSignature(f"{TIMESTAMP_HEADER} is not whole epoch seconds") from None
    if timestamp < now - tolerance_s:
        raise InvalidSignature(f"{TIMESTAMP_HEADER} is more than {tolerance_s:g} s old")
    if timestamp > now + tolerance_s:
        raise InvalidSignature(f"{TIMESTAMP_HEADER} is more than {tolerance_s:g} s in the future")
    try:
        expected = signature(secret, msg_id, timestamp, body).encode()
    except ValueError as exc:
        raise InvalidSignature(str(exc)) from None
    for candidate in signed.split(" "):
        if candidate.startswith("v1,") and hmac.compare_digest(candidate.encode(), expected):
            return
    raise InvalidSignature("no signature matches this secret and body")
