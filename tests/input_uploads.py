"""An input image uploaded the way a client does it: POST /api/v1/uploads, then a PUT of the bytes to the
presigned URL the API answered (signed by the API's role, served by the emulator)."""

import requests


def upload_through_api(api_url: str, http: requests.Session, png: bytes) -> str:
    """The s3:// URI of `png`, uploaded under the session key's tenant prefix."""
    answer = http.post(f"{api_url}/api/v1/uploads", json={"content_type": "image/png"}, timeout=10)
    assert answer.status_code == 201, answer.text
    target = answer.json()
    put = requests.put(target["url"], data=png, headers=target["headers"], timeout=10)
    assert put.status_code == 200, put.text
    return str(target["s3_uri"])
