"""The `gpujobs` command against a scripted API over real HTTP, with results in moto S3."""

import json
import time

import pytest

from gpujobs_cli.cli import main


def run(api, *argv):
    return main(["--api", api.url, *argv])


def test_submit_camera_angle_from_flags_posts_the_body_and_prints_the_job(fake_api, capsys):
    code = run(fake_api, "submit", "camera-angle", "--image-url", "s3://b/in.png", "--prompt", "left", "--seed", "3")
    assert code == 0
    workflow, body, _ = fake_api.submitted[0]
    assert workflow == "camera-angle"
    assert body == {"image_url": "s3://b/in.png", "prompt": "left", "seed": 3}
    assert json.loads(capsys.readouterr().out)["job_id"] == "job-1"


def test_submit_from_a_json_file_with_a_flag_overriding_it(fake_api, tmp_path, capsys):
    body_file = tmp_path / "body.json"
    body_file.write_text(json.dumps({"image_url": "s3://b/in.png", "prompt": "sepia", "denoise": 0.5,
                                     "sampler_name": "lcm"}))
    code = run(fake_api, "submit", "qwen-image-edit", "--json", str(body_file), "--denoise", "0.8", "-q")
    assert code == 0
    assert fake_api.submitted[0][1] == {"image_url": "s3://b/in.png", "prompt": "sepia", "denoise": 0.8,
                                        "sampler_name": "lcm"}
    assert capsys.readouterr().out.strip() == "job-1"


def test_submit_without_a_prompt_is_a_usage_error(fake_api, capsys):
    assert run(fake_api, "submit", "camera-angle", "--image-url", "s3://b/in.png") == 2
    assert "--prompt required" in capsys.readouterr().err
    assert fake_api.submitted == []


def test_submit_with_a_json_file_that_is_not_json_is_a_usage_error(fake_api, tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    assert run(fake_api, "submit", "camera-angle", "--json", str(bad)) == 2
    assert "is not JSON" in capsys.readouterr().err


def test_a_rejected_submit_shows_the_apis_message_and_details(fake_api, capsys):
    fake_api.reject_with = (422, {"error": {"code": "validation_error", "message": "invalid request body",
                                            "details": [{"field": "image_url", "message": "private address"}]}})
    code = run(fake_api, "submit", "camera-angle", "--image-url", "https://10.0.0.1/a.png", "--prompt", "x")
    assert code == 3
    err = capsys.readouterr().err
    assert "HTTP 422 validation_error: invalid request body" in err
    assert "private address" in err


def test_an_unreachable_api_exits_4():
    assert main(["--api", "http://127.0.0.1:9", "status", "x"]) == 4


def test_status_prints_the_document_and_an_unknown_job_exits_3(fake_api, capsys):
    fake_api.script("abc", {"status": "processing"})
    assert run(fake_api, "status", "abc") == 0
    assert json.loads(capsys.readouterr().out)["status"] == "processing"
    assert run(fake_api, "status", "missing") == 3
    assert "job missing not found" in capsys.readouterr().err


def test_api_key_is_sent(fake_api):
    run(fake_api, "--api-key", "k-123", "submit", "camera-angle", "--image-url", "s3://b/a.png", "--prompt", "x")
    assert fake_api.submitted[0][2]["Authorization"] == "Bearer k-123"


def test_the_key_comes_from_the_environment_else_the_development_key_file(fake_api, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GPUJOBS_API_KEY", raising=False)
    (tmp_path / ".run").mkdir()
    (tmp_path / ".run" / "api-key").write_text("k-file\n")
    run(fake_api, "submit", "camera-angle", "--image-url", "s3://b/a.png", "--prompt", "x")
    monkeypatch.setenv("GPUJOBS_API_KEY", "k-env")
    run(fake_api, "submit", "camera-angle", "--image-url", "s3://b/a.png", "--prompt", "x")
    assert [s[2]["Authorization"] for s in fake_api.submitted] == ["Bearer k-file", "Bearer k-env"]


def test_list_and_cancel(fake_api, capsys):
    fake_api.script("abc", {"status": "pending"})
    assert run(fake_api, "list", "--status", "pending", "--limit", "5") == 0
    assert json.loads(capsys.readouterr().out)["jobs"][0]["job_id"] == "abc"
    assert fake_api.list_queries == [{"status": "pending", "limit": "5"}]
    assert run(fake_api, "cancel", "abc") == 0
    assert json.loads(capsys.readouterr().out)["status"] == "cancelled"


def test_upload_puts_the_file_to_the_presigned_url_and_prints_its_uri(fake_api, tmp_path, capsys):
    image = tmp_path / "photo.JPG"
    image.write_bytes(b"jpeg bytes")
    assert run(fake_api, "upload", str(image)) == 0
    assert capsys.readouterr().out.strip() == "s3://results/uploads/acme/u.png"
    assert fake_api.files["u.png"] == b"jpeg bytes" and fake_api.uploaded_types == ["image/jpeg"]
    (tmp_path / "notes.txt").write_text("x")
    assert run(fake_api, "upload", str(tmp_path / "notes.txt")) == 2
    assert run(fake_api, "upload", str(tmp_path / "missing.png")) == 2


def test_delete_prints_the_job_without_its_results(fake_api, capsys):
    assert run(fake_api, "delete", "abc") == 0
    assert json.loads(capsys.readouterr().out)["results_deleted_at"] == 1


def test_wait_shows_each_phase_and_downloads_the_result(fake_api, s3, tmp_path, capsys):
    s3.put_object(Bucket="results", Key="comfyui-results/camera-angle/j/output.png", Body=b"\x89PNG-bytes")
    old = int(time.time()) - 30
    fake_api.script(
        "j",
        {"status": "pending", "created_at": old},
        {"status": "processing", "created_at": old},
        {"status": "completed", "created_at": old, "workflow": "camera-angle",
         "result_s3_uri": "s3://results/comfyui-results/camera-angle/j/output.png"},
    )
    code = run(fake_api, "wait", "j", "--out", str(tmp_path / "out"), "--interval", "0.01", "--timeout", "10")
    assert code == 0
    saved = tmp_path / "out" / "camera-angle-j.png"
    assert saved.read_bytes() == b"\x89PNG-bytes"
    captured = capsys.readouterr()
    progress = [line for line in captured.err.splitlines() if line.startswith("job j ")]
    assert [line[7:20].strip() for line in progress] == ["GPU starting", "processing", "done"]
    assert all(line.split()[-1].startswith("0:3") for line in progress)  # elapsed since created_at
    assert json.loads(captured.out)["status"] == "completed"
    assert f"saved {saved}" in captured.err


def test_wait_draws_the_jobs_progress(fake_api, capsys):
    fake_api.script("g", {"status": "processing", "progress": 0.25}, {"status": "processing", "progress": 0.75},
                    {"status": "completed", "progress": 1.0, "result_s3_uri": "s3://results/g/output.png"})
    assert run(fake_api, "wait", "g", "--interval", "0.01") == 0
    bars = [line.split("]")[-1].strip() for line in capsys.readouterr().err.splitlines() if "[" in line]
    assert bars == ["25%", "75%"]


def test_submit_flags_come_from_the_workflow_folders(fake_api, tmp_path, monkeypatch, capsys):
    from tests.workflow_folders import EXTRA, write_workflows_dir

    monkeypatch.setenv("WORKFLOWS_DIR", str(write_workflows_dir(tmp_path / "workflows", shipped=())))
    code = run(fake_api, "submit", EXTRA, "--image-url", "s3://b/in.png", "--scale-by", "0.75",
               "--upscale-method", "bicubic")
    assert code == 0
    assert fake_api.submitted[0][:2] == (EXTRA, {"image_url": "s3://b/in.png", "scale_by": 0.75,
                                                 "upscale_method": "bicubic"})
    with pytest.raises(SystemExit):
        run(fake_api, "submit", EXTRA, "--image-url", "s3://b/in.png", "--upscale-method", "lanczos")
    assert "invalid choice" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        run(fake_api, "submit", "camera-angle", "--image-url", "s3://b/in.png", "--prompt", "x")
    assert run(fake_api, "submit", EXTRA, "--scale-by", "2") == 2
    assert "--image-url required" in capsys.readouterr().err


def test_a_broken_workflow_folder_is_a_usage_error(tmp_path, monkeypatch, capsys):
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "spec.json").write_text("{}")
    monkeypatch.setenv("WORKFLOWS_DIR", str(tmp_path))
    assert main(["status", "x"]) == 2
    assert "broken/workflow.json: is missing" in capsys.readouterr().err


def test_wait_for_a_failed_job_exits_1_with_its_error(fake_api, capsys):
    fake_api.script("f", {"status": "failed", "error": "image not found: s3://b/x.png"})
    assert run(fake_api, "wait", "f", "--interval", "0.01") == 1
    assert "job f failed: image not found: s3://b/x.png" in capsys.readouterr().err


def test_wait_gives_up_after_the_timeout_with_exit_5(fake_api, capsys):
    fake_api.script("slow", {"status": "processing"})
    assert run(fake_api, "wait", "slow", "--interval", "0.01", "--timeout", "0.2") == 5
    assert "did not end within 0.2 s (last status: processing)" in capsys.readouterr().err


def test_wait_downloads_a_presigned_url_when_the_api_gives_one(fake_api, tmp_path):
    fake_api.files["r.png"] = b"from-https"
    fake_api.script("p", {"status": "completed", "result_s3_uri": "s3://results/x/output.png",
                          "result_url": f"{fake_api.url}/files/r.png"})
    assert run(fake_api, "wait", "p", "--out", str(tmp_path), "--interval", "0.01") == 0
    assert (tmp_path / "p.png").read_bytes() == b"from-https"


def test_submit_and_wait_in_one_command(fake_api, s3, tmp_path, capsys):
    s3.put_object(Bucket="results", Key="r/output.png", Body=b"png")
    fake_api.script("job-1", {"status": "completed", "result_s3_uri": "s3://results/r/output.png"})
    code = run(fake_api, "submit", "camera-angle", "--image-url", "s3://b/a.png", "--prompt", "x",
               "--wait", "--out", str(tmp_path), "--interval", "0.01")
    assert code == 0
    assert (tmp_path / "job-1.png").read_bytes() == b"png"


def test_a_missing_result_object_is_a_download_failure(fake_api, s3, tmp_path, capsys):
    fake_api.script("m", {"status": "completed", "result_s3_uri": "s3://results/none/output.png"})
    assert run(fake_api, "wait", "m", "--out", str(tmp_path), "--interval", "0.01") == 6
    assert "cannot download s3://results/none/output.png: NoSuchKey" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["submit"], ["wait"], ["submit", "upscale"], []])
def test_bad_usage_exits_2(argv):
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2


def test_submit_with_a_webhook_sends_its_fields(fake_api):
    assert run(fake_api, "submit", "camera-angle", "--image-url", "s3://b/in.png", "--prompt", "left",
               "--webhook", "https://hooks.example.com/in", "--webhook-events", "completed") == 0
    body = fake_api.submitted[0][1]
    assert (body["webhook"], body["webhook_events_filter"]) == ("https://hooks.example.com/in", ["completed"])
