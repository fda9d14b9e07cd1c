"""The deterministic image operations, without any service around them."""

import pytest
from PIL import Image

from local.comfyui_double import image_edits


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("rotate the camera 30 degrees left", (30.0, 0.0)),
        ("rotate the camera 30 degrees right", (-30.0, 0.0)),
        ("look from above, 25 deg", (0.0, 25.0)),
        ("low angle shot 15°", (0.0, -15.0)),
        ("90 degrees left", (60.0, 0.0)),
    ],
)
def test_camera_angles_follow_the_prompt(prompt, expected):
    assert image_edits.camera_angles(prompt, seed=0) == expected


def test_camera_angles_without_direction_depend_on_seed_and_stay_in_range():
    angles = {image_edits.camera_angles("a new view of the scene", seed) for seed in range(20)}
    assert len(angles) == 20
    for yaw, pitch in angles:
        assert 15.0 <= abs(yaw) <= 40.0
        assert -10.0 <= pitch <= 10.0


def test_perspective_with_unchanged_corners_is_the_identity():
    corners = [(0.0, 0.0), (10.0, 0.0), (10.0, 5.0), (0.0, 5.0)]
    coefficients = image_edits.perspective_coefficients(corners, corners)
    assert coefficients == pytest.approx([1, 0, 0, 0, 1, 0, 0, 0], abs=1e-9)


def test_camera_angle_keeps_size_and_changes_pixels():
    image = Image.new("RGB", (64, 48), (200, 100, 50))
    out, details = image_edits.camera_angle(image, "20 degrees left", 0)
    assert out.size == (64, 48)
    assert out.getpixel((63, 0)) == (0, 0, 0)  # the far corner moved away: background shows
    assert out.getpixel((32, 24)) == (200, 100, 50)
    assert details["operation"] == "perspective"


@pytest.mark.parametrize(
    ("prompt", "edit"),
    [
        ("make it line art", "line-art"),
        ("a pencil sketch", "line-art"),
        ("black and white photo", "monochrome"),
        ("golden hour, warm", "warm"),
        ("night scene", "cool"),
        ("vintage sepia", "sepia"),
        ("comic book", "posterize"),
    ],
)
def test_edit_is_chosen_from_the_prompt(prompt, edit):
    assert image_edits.choose_edit(prompt, 0) == edit


def test_edit_without_a_keyword_is_one_of_the_defaults_and_stable():
    chosen = image_edits.choose_edit("make it nicer", 5)
    assert chosen in image_edits.DEFAULT_EDITS
    assert chosen == image_edits.choose_edit("make it nicer", 5)


def test_denoise_zero_keeps_the_input_and_references_change_it():
    image = Image.new("RGB", (20, 10), (100, 100, 100))
    unchanged, _ = image_edits.image_edit(image, [], "negative", 0, denoise=0.0)
    assert unchanged.tobytes() == image.tobytes()
    inverted, _ = image_edits.image_edit(image, [], "negative", 0, denoise=1.0)
    assert inverted.getpixel((0, 0)) == (155, 155, 155)
    blended, details = image_edits.image_edit(image, [Image.new("RGB", (5, 5), (255, 0, 0))], "negative", 0, 1.0)
    assert blended.size == (20, 10)
    assert blended.getpixel((0, 0))[0] > blended.getpixel((0, 0))[1]
    assert details["references"] == 1
