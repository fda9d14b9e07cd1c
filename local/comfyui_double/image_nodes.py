"""What the double's nodes do: the core image nodes for real with Pillow, the models stood in for.

An IMAGE is a Pillow RGB image (a batch of one). Loaders return tokens that name the files they
would load; the text encoder keeps the prompt and the images; KSampler does deterministic Pillow
work in place of diffusion (image_edits.py): a perspective turn when the model
carries a LoRA whose name mentions "angle", otherwise an edit chosen from the prompt's words with
the reference images blended in.
"""

import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image, ImageChops, ImageMath, ImageOps

from local.comfyui_double import image_edits

RESAMPLE = {"nearest-exact": Image.Resampling.NEAREST, "bilinear": Image.Resampling.BILINEAR,
            "area": Image.Resampling.BOX, "bicubic": Image.Resampling.BICUBIC, "lanczos": Image.Resampling.LANCZOS}


class Folders:
    def __init__(self, base: Path) -> None:
        self.input = base / "input"
        self.output = base / "output"
        self.temp = base / "temp"
        for folder in (self.input, self.output, self.temp):
            folder.mkdir(parents=True, exist_ok=True)

    def by_type(self, kind: str | None) -> Path | None:
        return {"input": self.input, "output": self.output, "temp": self.temp}.get(kind or "output")


def _annotated(name: str) -> tuple[str, str | None]:
    for suffix in ("[output]", "[input]", "[temp]"):
        if name.endswith(" " + suffix):
            return name[: -len(suffix) - 1], suffix[1:-1]
    return name, None


def image_path(folders: Folders, name: str) -> Path:
    name, kind = _annotated(name)
    return (folders.by_type(kind or "input") or folders.input) / name


def load_image(folders: Folders, image: str) -> tuple[Image.Image, Image.Image]:
    with Image.open(image_path(folders, image)) as opened:
        picture = ImageOps.exif_transpose(opened).convert("RGB")
    return picture, Image.new("L", picture.size, 0)


def save_image(folders: Folders, images: Image.Image, filename_prefix: str = "ComfyUI") -> dict[str, Any]:
    """As folder_paths.get_save_image_path: a '/' in the prefix makes a subfolder; the counter follows the files."""
    normalized = os.path.normpath(filename_prefix)
    subfolder, filename = os.path.dirname(normalized), os.path.basename(normalized)
    folder = folders.output / subfolder
    if os.path.commonpath((str(folders.output), str(folder.resolve()))) != str(folders.output.resolve()):
        raise ValueError(f"Saving image outside the output folder is not allowed. filename_prefix: {filename_prefix}")
    folder.mkdir(parents=True, exist_ok=True)
    counters = [int(p.name[len(filename) + 1:].split("_")[0]) for p in folder.glob(f"{filename}_*_.png")
                if p.name[len(filename) + 1:].split("_")[0].isdigit()]
    counter = max(counters, default=0) + 1
    file = f"{filename}_{counter:05}_.png"
    images.save(folder / file, compress_level=4)
    return {"ui": {"images": [{"filename": file, "subfolder": subfolder, "type": "output"}]}}


def _resize(image: Image.Image, width: int, height: int, method: str) -> Image.Image:
    return image.resize((max(1, width), max(1, height)), RESAMPLE.get(method, Image.Resampling.BICUBIC))


def image_scale(image: Image.Image, upscale_method: str, width: int, height: int, crop: str) -> tuple[Image.Image]:
    if width == 0 and height == 0:
        return (image,)
    if width == 0:
        width = max(1, round(image.width * height / image.height))
    elif height == 0:
        height = max(1, round(image.height * width / image.width))
    if crop == "center":
        return (ImageOps.fit(image, (width, height), RESAMPLE[upscale_method]),)
    return (_resize(image, width, height, upscale_method),)


def image_scale_by(image: Image.Image, upscale_method: str, scale_by: float) -> tuple[Image.Image]:
    return (_resize(image, round(image.width * scale_by), round(image.height * scale_by), upscale_method),)


def scale_to_total_pixels(image: Image.Image, upscale_method: str, megapixels: float) -> tuple[Image.Image]:
    scale = math.sqrt(int(megapixels * 1024 * 1024) / (image.width * image.height))
    return (_resize(image, round(image.width * scale), round(image.height * scale), upscale_method),)


def _per_band(a: Image.Image, b: Image.Image, formula: Callable[[Any, Any], Any]) -> Image.Image:
    bands = [ImageMath.lambda_eval(lambda args: args["min"](args["max"](formula(args["a"], args["b"]), 0), 255),
                                   a=x.convert("F"), b=y.convert("F"))
             for x, y in zip(a.split(), b.split(), strict=True)]
    return Image.merge("RGB", [band.convert("L") for band in bands])


def image_blend(image1: Image.Image, image2: Image.Image, blend_factor: float, blend_mode: str) -> tuple[Image.Image]:
    """ComfyUI's ImageBlend: image1 * (1 - f) + mode(image1, image2) * f, clamped; overlay and soft_light
    use Pillow's own formulas, close to ComfyUI's."""
    if image2.size != image1.size:
        image2 = ImageOps.fit(image2, image1.size, Image.Resampling.BICUBIC)
    f = float(blend_factor)
    arithmetic = {
        "normal": lambda a, b: a * (1 - f) + b * f,
        "multiply": lambda a, b: a * (1 - f) + a * b / 255.0 * f,
        "screen": lambda a, b: a * (1 - f) + (255.0 - (255.0 - a) * (255.0 - b) / 255.0) * f,
        "difference": lambda a, b: a * (1 - f) + (a - b) * f,
    }
    if blend_mode in arithmetic:
        return (_per_band(image1, image2, arithmetic[blend_mode]),)
    chops = {"overlay": ImageChops.overlay, "soft_light": ImageChops.soft_light}
    if blend_mode not in chops:
        raise ValueError(f"Unsupported blend mode: {blend_mode}")
    return (Image.blend(image1, chops[blend_mode](image1, image2), f),)


def sample(model: dict[str, Any], seed: int, positive: dict[str, Any], latent_image: dict[str, Any],
           denoise: float, **_: Any) -> tuple[dict[str, Any]]:
    """The diffusion stand-in: deterministic for the same inputs."""
    image = latent_image["image"]
    prompt = positive.get("prompt", "")
    if any("angle" in lora.lower() for lora in model.get("loras", [])):
        out, _details = image_edits.camera_angle(image, prompt, int(seed))
    else:
        references = positive.get("images", [])[1:]
        out, _details = image_edits.image_edit(image, references, prompt, int(seed), float(denoise))
    return ({"image": out},)


def make_nodes(folders: Folders) -> dict[str, Callable[..., Any]]:
    """class_type -> function(**inputs) returning the node's outputs (a tuple) or {"ui": ...} for output nodes."""
    return {
        "LoadImage": lambda image: load_image(folders, image),
        "SaveImage": lambda images, filename_prefix="ComfyUI": save_image(folders, images, filename_prefix),
        "ImageInvert": lambda image: (ImageOps.invert(image),),
        "ImageScale": image_scale,
        "ImageScaleBy": image_scale_by,
        "ImageScaleToTotalPixels": scale_to_total_pixels,
        "ImageBlend": image_blend,
        "UNETLoader": lambda unet_name, weight_dtype: ({"file": unet_name, "loras": []},),
        "CheckpointLoaderSimple": lambda ckpt_name: ({"file": ckpt_name, "loras": []}, {"file": ckpt_name},
                                                     {"file": ckpt_name}),
        "CLIPLoader": lambda clip_name, type, device="default": ({"file": clip_name},),
        "VAELoader": lambda vae_name: ({"file": vae_name},),
        "LoraLoaderModelOnly": lambda model, lora_name, strength_model: (
            {**model, "loras": [*model.get("loras", []), lora_name]},),
        "ModelSamplingAuraFlow": lambda model, shift: (model,),
        "CFGNorm": lambda model, strength: (model,),
        "TextEncodeQwenImageEditPlus": lambda clip, prompt, vae=None, image1=None, image2=None, image3=None: (
            {"prompt": prompt, "images": [i for i in (image1, image2, image3) if i is not None]},),
        "VAEEncode": lambda pixels, vae: ({"image": pixels},),
        "VAEDecode": lambda samples, vae: (samples["image"],),
        "KSampler": sample,
    }
