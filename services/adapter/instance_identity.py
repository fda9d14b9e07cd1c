"""Who this worker is: a name stable across restarts of the same machine, never a process id.

The name is the lease holder in the task rows, and a restarted worker takes back the jobs held under it
(takeback.py), so it must come back the same after a crash or a reboot. On EC2 it is the instance id,
read from the instance metadata service (IMDSv2: a session token, then the id); elsewhere WORKER_ID
names it (the local GPU host passes the emulated instance's id), else the host name.
"""

import logging
import os
import socket
import urllib.error
import urllib.request

log = logging.getLogger(__name__)

IMDS = "http://169.254.169.254/latest"
# Off EC2 the metadata address does not answer; the lookup must not hold a start up for long.
IMDS_TIMEOUT_S = 1.0


def ec2_instance_id(timeout_s: float = IMDS_TIMEOUT_S) -> str | None:
    """The instance id from IMDSv2, or None when there is no metadata service (or
    AWS_EC2_METADATA_DISABLED=true, botocore's switch for the same)."""
    if os.environ.get("AWS_EC2_METADATA_DISABLED", "").lower() == "true":
        return None
    return instance_metadata("instance-id", timeout_s)


def instance_metadata(path: str, timeout_s: float = IMDS_TIMEOUT_S) -> str | None:
    """One IMDSv2 read (a session token, then `meta-data/<path>`), None when the service does not answer."""
    try:
        token_request = urllib.request.Request(f"{IMDS}/api/token", method="PUT",
                                               headers={"X-aws-ec2-metadata-token-ttl-seconds": "60"})
        with urllib.request.urlopen(token_request, timeout=timeout_s) as response:
            token = response.read().decode()
        request = urllib.request.Request(f"{IMDS}/meta-data/{path}", headers={"X-aws-ec2-metadata-token": token})
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return response.read().decode().strip() or None
    except (urllib.error.URLError, OSError, ValueError):
        return None


def worker_id(configured: str | None) -> str:
    """WORKER_ID when set, else the EC2 instance id, else the host name."""
    if configured:
        return configured
    instance_id = ec2_instance_id()
    if instance_id:
        return instance_id
    name = socket.gethostname()
    log.info("no WORKER_ID and no instance metadata: the worker id is the host name %s", name)
    return name
