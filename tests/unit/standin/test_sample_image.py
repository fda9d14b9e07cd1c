"""The demo's sample inputs are deterministic and have the documented sizes."""

import io

from PIL import Image

from scripts.sample_image import png_bytes, reference_pattern, test_pattern


def test_sample_images_are_deterministic_pngs_of_the_documented_size():
    assert png_bytes(test_pattern()) == png_bytes(test_pattern())
    assert Image.open(io.BytesIO(png_bytes(test_pattern()))).size == (512, 384)
    assert reference_pattern().size == (256, 256)
