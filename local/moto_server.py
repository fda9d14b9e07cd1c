"""`python -m local.moto_server`: moto's server, with its IAM signature check fixed for body-less requests.

When a request has neither query string nor body, moto 5.2.5 takes the request's headers for its query
string and then signs them as the payload when it recomputes the signature, so every such GET (Lambda's
GetFunction and GetPolicy, API Gateway's GetApi: whatever does not send X-Amz-Content-SHA256, as S3 does)
fails with SignatureDoesNotMatch once IAM is enforced. Here the payload of a GET, HEAD or DELETE without a
body is empty, as the client signed it. Everything else is moto's own `moto_server`.
"""

import sys
from typing import Any

from botocore.awsrequest import AWSRequest
from moto.iam import access_control
from moto.server import main

BODYLESS_METHODS = frozenset({"GET", "HEAD", "DELETE"})


def _create_aws_request(self: Any) -> AWSRequest:
    request = _moto_create_aws_request(self)
    if self._method in BODYLESS_METHODS and not self._body:
        request.data = b""
    return request


_moto_create_aws_request = access_control.IAMRequestBase._create_aws_request
access_control.IAMRequestBase._create_aws_request = _create_aws_request  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.argv[0] = "moto_server"
    sys.exit(main())
