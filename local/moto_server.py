"""`python -m local.moto_server`: moto's server, with its IAM signature check fixed for body-less requests and
taught presigned URLs.

When a request has neither query string nor body, moto 5.2.5 takes the request's headers for its query
string and then signs them as the payload when it recomputes the signature, so every such GET (Lambda's
GetFunction and GetPolicy, API Gateway's GetApi: whatever does not send X-Amz-Content-SHA256, as S3 does)
fails with SignatureDoesNotMatch once IAM is enforced. Here the payload of a GET, HEAD or DELETE without a
body is empty, as the client signed it.

Once IAM is enforced, moto reads the signature only from the Authorization header, so a presigned S3 URL
(SigV4 in the query string: X-Amz-Credential, X-Amz-Signature, ...) fails with a 500. Here such a request is
checked as S3 checks it: the signature recomputed over the query without X-Amz-Signature and an unsigned
payload, refused once X-Amz-Date + X-Amz-Expires has passed, and then authorized against the signer's
policies like any other request. Everything else is moto's own `moto_server`.
"""

import sys
import time
from calendar import timegm
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from moto.iam import access_control
from moto.server import main

BODYLESS_METHODS = frozenset({"GET", "HEAD", "DELETE"})
SIGNATURE = "X-Amz-Signature"


def _presigned_query(path: str) -> dict[str, str] | None:
    query = dict(parse_qsl(urlsplit(path).query, keep_blank_values=True))
    return query if "X-Amz-Credential" in query and SIGNATURE in query else None


def _init(self: Any, account_id: str, method: str, path: str, data: Any, body: bytes, headers: Any,
          action: str) -> None:
    """A presigned request carries its credential, signed headers and signature in the query: moto is handed
    them as the Authorization header it reads, and the request remembers it was presigned."""
    self._presigned = None if "Authorization" in headers else _presigned_query(path)
    if self._presigned is not None:
        query = self._presigned
        headers = {**dict(headers.items()), "X-Amz-Date": query.get("X-Amz-Date", ""),
                   "Authorization": f"AWS4-HMAC-SHA256 Credential={query['X-Amz-Credential']}, "
                                    f"SignedHeaders={query.get('X-Amz-SignedHeaders', 'host')}, "
                                    f"Signature={query[SIGNATURE]}"}
    _moto_init(self, account_id, method, path, data, body, headers, action)


def _create_aws_request(self: Any) -> AWSRequest:
    query = getattr(self, "_presigned", None)
    if query is None:
        request = _moto_create_aws_request(self)
        if self._method in BODYLESS_METHODS and not self._body:
            request.data = b""
        return request
    # The query as the client sent it (still percent-encoded), less the signature: what it signed.
    parts = urlsplit(self._path)
    signed_query = "&".join(p for p in parts.query.split("&") if not p.startswith(f"{SIGNATURE}="))
    signed = query.get("X-Amz-SignedHeaders", "host").split(";")
    request = AWSRequest(method=self._method, url=urlunsplit(parts._replace(query=signed_query)),
                         headers=self._create_headers_for_aws_request(signed, self._headers))
    request.context["timestamp"] = query.get("X-Amz-Date", "")
    return request


def _check_signature(self: Any) -> None:
    query = getattr(self, "_presigned", None)
    if query is not None:
        try:
            signed_at = timegm(time.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ"))
            expires_s = int(query["X-Amz-Expires"])
        except (KeyError, ValueError):
            self._raise_access_denied()
        if time.time() > signed_at + expires_s:
            self._raise_access_denied()
    _moto_check_signature(self)


def _create_auth(self: Any, credentials: Any) -> Any:
    query = getattr(self, "_presigned", None)
    if query is not None:
        return S3SigV4QueryAuth(credentials, self._service, self._region, expires=int(query["X-Amz-Expires"]))
    return _moto_s3_create_auth(self, credentials)


_moto_init = access_control.IAMRequestBase.__init__
_moto_create_aws_request = access_control.IAMRequestBase._create_aws_request
_moto_check_signature = access_control.IAMRequestBase.check_signature
_moto_s3_create_auth = access_control.S3IAMRequest._create_auth
access_control.IAMRequestBase.__init__ = _init  # type: ignore[method-assign]
access_control.IAMRequestBase._create_aws_request = _create_aws_request  # type: ignore[method-assign]
access_control.IAMRequestBase.check_signature = _check_signature  # type: ignore[method-assign]
access_control.S3IAMRequest._create_auth = _create_auth  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.argv[0] = "moto_server"
    sys.exit(main())
