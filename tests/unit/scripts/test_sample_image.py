"""The demo's sample inputs are deterministic and have the documented sizes."""

import io

from PIL import Image

from scripts.sample_image import colour_bars, png_bytes, reference_pattern


def test_sample_images_are_deterministic_pngs_of_the_documented_size():
    assert png_bytes(colour_bars()) == png_bytes(colour_bars())
    assert Image.open(io.BytesIO(png_bytes(colour_bars()))).size == (512, 384)
    assert reference_pattern().size == (256, 256)
