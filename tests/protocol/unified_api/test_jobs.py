"""Jobs through the Unified API and the ComfyUI double: success, refusals, failures, cancel, progress."""

import io

import pytest
from PIL import Image, ImageOps

from gpujobs.workflow_spec import load_workflows
from tests.protocol.unified_api.harness import Double, Unified, png_bytes, s3_object, wait_until

pytestmark = pytest.mark.integration
WORKFLOWS = load_workflows()


def test_a_job_completes_and_its_image_is_in_s3(unified: Unified, double: Double, input_url: str) -> None:
    submitted = unified.submit("invert-blend", {"image_url": input_url, "blend_mode": "normal", "blend_factor": 1.0},
                               workflow_hash=WORKFLOWS["invert-blend"].content_hash)
    assert submitted.status_code == 202, submitted.text
    job = submitted.json()
    assert job["status"] == "pending"
    done = unified.wait_finished(job["job_id"])
    assert done["status"] == "completed", done
    assert done["progress"] == 1.0
    assert done["result_s3_uri"] == f"s3://{input_url.split('/')[2]}/comfyui-results/invert-blend/{job['job_id']}/output.png"
    result = Image.open(io.BytesIO(s3_object(done["result_s3_uri"]))).convert("RGB")
    expected = ImageOps.invert(Image.open(io.BytesIO(png_bytes())).convert("RGB"))
    assert result.size == expected.size and result.tobytes() == expected.tobytes()
    # inputs and outputs are gone from ComfyUI's folders
    assert wait_until(lambda: not double.files("input") and not double.files("output"), 5, "files removed")
