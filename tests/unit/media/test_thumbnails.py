from __future__ import annotations

import base64
import io

import numpy as np
import pillow_heif
import pytest
import thumbhash as thumbhash_reference
from PIL import Image, ImageCms
from skimage import data as skdata

from chalicelib.media.errors import CorruptMedia, EmptyMedia, MediaTooLarge, UnsupportedMedia
from chalicelib.media.thumbnails import RenditionSpec, Thumbnails, generate_thumbnails
from tests.support.samples import (
    BLUE,
    GREEN,
    RED,
    WHITE,
    camera_exif,
    encode,
    jpeg,
    jpeg_claiming,
    png_with_header,
    quadrants,
    stored_for_orientation,
)


def pil(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def corner_colours(image: Image.Image) -> list[tuple[int, ...]]:
    """Colours at the centres of the four quadrants: TL, TR, BL, BR."""
    rgb = image.convert("RGB")
    w, h = rgb.size
    points = [
        (w // 4, h // 4),
        (3 * w // 4, h // 4),
        (w // 4, 3 * h // 4),
        (3 * w // 4, 3 * h // 4),
    ]
    return [rgb.getpixel(p) for p in points]  # type: ignore[misc]


def close(actual: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 24) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=False))


def assert_upright(image: Image.Image) -> None:
    for actual, expected in zip(corner_colours(image), [RED, GREEN, BLUE, WHITE], strict=True):
        assert close(actual, expected), (corner_colours(image), image.size)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_comes_out_upright(orientation: int) -> None:
    stored = stored_for_orientation(quadrants(400, 300), orientation)
    result = generate_thumbnails(jpeg(stored, exif=camera_exif(orientation=orientation)))

    preview, thumb = pil(result.preview.data), pil(result.thumbnail.data)
    assert preview.size == (400, 300) == (result.preview.width, result.preview.height)
    assert thumb.size == (333, 250) == (result.thumbnail.width, result.thumbnail.height)
    assert_upright(preview)
    assert_upright(thumb)


def test_sizes_and_formats_are_exact_for_a_12mp_photo() -> None:
    photo = Image.fromarray(skdata.astronaut()).resize((4000, 3000))
    result = generate_thumbnails(jpeg(photo, quality=90, exif=camera_exif()))

    assert result.preview.data[:3] == b"\xff\xd8\xff" and result.preview.mime == "image/jpeg"
    assert result.thumbnail.data[:4] == b"RIFF" and result.thumbnail.data[8:12] == b"WEBP"
    assert pil(result.preview.data).size == (1440, 1080)
    assert pil(result.thumbnail.data).size == (333, 250)


def test_portrait_and_small_images_are_never_enlarged() -> None:
    portrait = generate_thumbnails(jpeg(np.zeros((4000, 3000, 3), np.uint8)))
    assert (portrait.preview.width, portrait.preview.height) == (1080, 1440)
    assert (portrait.thumbnail.width, portrait.thumbnail.height) == (250, 333)

    small = generate_thumbnails(jpeg(np.zeros((100, 200, 3), np.uint8)))
    assert (small.preview.width, small.preview.height) == (200, 100)
    assert (small.thumbnail.width, small.thumbnail.height) == (200, 100)


def test_sizes_and_qualities_are_configurable() -> None:
    source = jpeg(np.asarray(Image.fromarray(skdata.coffee()).resize((1600, 1200))))
    low = generate_thumbnails(
        source,
        preview=RenditionSpec(800, 40, "jpeg"),
        thumbnail=RenditionSpec(100, 30, "webp", fit="inside"),
    )
    high = generate_thumbnails(source, preview=RenditionSpec(800, 95, "jpeg"))
    assert (low.preview.width, low.preview.height) == (800, 600)
    assert (low.thumbnail.width, low.thumbnail.height) == (100, 75)
    assert len(low.preview.data) < len(high.preview.data) / 2


def test_derivatives_carry_no_metadata() -> None:
    result = generate_thumbnails(jpeg(quadrants(), exif=camera_exif()))
    for blob in (result.preview.data, result.thumbnail.data):
        assert b"Exif" not in blob and b"EXIF" not in blob and b"Canon" not in blob
        assert "icc_profile" not in pil(blob).info


def p3_profile() -> bytes:
    import pyvips

    card = pyvips.Image.black(4, 4, bands=3).cast("uchar").copy(interpretation="srgb")
    return bytes(card.icc_transform("p3", input_profile="srgb").get("icc-profile-data"))


def test_icc_profile_is_converted_to_srgb() -> None:
    # The same numbers mean a different colour in Display P3; converted, they must match what
    # LittleCMS (through Pillow, an independent pipeline) computes for P3 → sRGB.
    colour = (40, 200, 60)
    profile = p3_profile()
    flat = Image.new("RGB", (64, 64), colour)
    expected = ImageCms.profileToProfile(
        flat, ImageCms.ImageCmsProfile(io.BytesIO(profile)), ImageCms.createProfile("sRGB")
    ).getpixel((8, 8))
    assert not close(expected, colour, tolerance=10)  # the conversion matters for this colour

    result = generate_thumbnails(jpeg(flat, icc_profile=profile))
    for blob in (result.preview.data, result.thumbnail.data):
        assert close(pil(blob).convert("RGB").getpixel((8, 8)), expected, tolerance=4)

    untagged = generate_thumbnails(jpeg(flat))
    assert close(pil(untagged.preview.data).getpixel((8, 8)), colour, tolerance=4)


def half_transparent() -> Image.Image:
    rgba = np.zeros((200, 200, 4), np.uint8)
    rgba[:, 100:] = (255, 0, 0, 255)  # left half fully transparent, right half opaque red
    return Image.fromarray(rgba, "RGBA")


def test_alpha_is_flattened_on_white_for_jpeg_and_kept_for_webp() -> None:
    result = generate_thumbnails(encode(half_transparent(), "PNG"))

    preview = pil(result.preview.data)
    assert preview.mode == "RGB"
    assert close(preview.getpixel((20, 100)), WHITE, 2)
    assert close(preview.getpixel((180, 100)), RED, 8)

    thumb = pil(result.thumbnail.data).convert("RGBA")
    assert thumb.getpixel((20, 100))[3] == 0
    assert close(thumb.getpixel((180, 100)), (255, 0, 0, 255), 8)


def test_cmyk_jpeg_becomes_rgb() -> None:
    cmyk = Image.new("CMYK", (300, 200), (0, 255, 255, 0))  # no cyan, full magenta + yellow
    result = generate_thumbnails(encode(cmyk, "JPEG", quality=95))
    r, g, b = pil(result.preview.data).getpixel((150, 100))  # type: ignore[misc]
    assert r > 200 and g < 70 and b < 70


def test_16_bit_png_is_scaled_not_clipped() -> None:
    import pyvips

    deep = np.zeros((120, 160, 3), np.uint16)
    deep[:] = (65535, 32768, 0)
    data = pyvips.Image.new_from_array(deep, interpretation="rgb16").pngsave_buffer()
    assert pil(data).info.get("bitdepth", 16) == 16 or data[24] == 16  # really 16-bit
    result = generate_thumbnails(data)
    assert close(pil(result.preview.data).getpixel((80, 60)), (255, 128, 0), 4)


def test_16_bit_greyscale_png() -> None:
    grey = Image.fromarray(np.full((100, 100), 16384, np.uint16))
    result = generate_thumbnails(encode(grey, "PNG"))
    r, g, b = pil(result.preview.data).convert("RGB").getpixel((50, 50))  # type: ignore[misc]
    assert abs(r - 64) <= 3 and r == g == b


def test_tiff() -> None:
    result = generate_thumbnails(encode(Image.fromarray(quadrants(600, 400)), "TIFF"))
    assert (result.preview.width, result.preview.height) == (600, 400)
    assert_upright(pil(result.preview.data))


def heic(image: Image.Image, **save: object) -> bytes:
    out = io.BytesIO()
    pillow_heif.from_pillow(image).save(out, quality=90, **save)
    return out.getvalue()


def test_heic_is_decoded_and_rotated_once() -> None:
    # pillow-heif stores EXIF orientation 6 as the HEIF 'irot' transform; libheif applies it
    # on decode, so the picture must come out upright and not be rotated a second time.
    stored = Image.fromarray(stored_for_orientation(quadrants(400, 300), 6))
    result = generate_thumbnails(heic(stored, exif=camera_exif(orientation=6).tobytes()))
    assert (result.preview.width, result.preview.height) == (400, 300)
    assert_upright(pil(result.preview.data))
    assert_upright(pil(result.thumbnail.data))


def test_gif_and_animated_webp_use_the_first_frame() -> None:
    frames = [Image.new("RGB", (120, 80), colour) for colour in (RED, BLUE, GREEN)]
    for fmt in ("GIF", "WEBP"):
        data = encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)
        assert pil(data).n_frames == 3  # type: ignore[attr-defined]
        result = generate_thumbnails(data)
        assert (result.preview.width, result.preview.height) == (120, 80)
        assert close(pil(result.preview.data).getpixel((60, 40)), RED, 16), fmt


def decoded_average(result: Thumbnails) -> tuple[float, float, float, float]:
    hash_bytes = list(base64.b64decode(result.thumbhash))
    r, g, b, a = thumbhash_reference.thumb_hash_to_average_rgba(hash_bytes)
    return r * 255, g * 255, b * 255, a


def test_thumbhash_decodes_to_the_average_colour() -> None:
    photo = skdata.chelsea()
    result = generate_thumbnails(jpeg(photo))
    r, g, b, a = decoded_average(result)
    expected = photo.reshape(-1, 3).mean(axis=0)
    assert a == 1.0
    assert abs(r - expected[0]) < 8 and abs(g - expected[1]) < 8 and abs(b - expected[2]) < 8

    teal = generate_thumbnails(jpeg(Image.new("RGB", (300, 200), (0, 128, 128))))
    assert all(
        abs(x - y) < 6 for x, y in zip(decoded_average(teal)[:3], (0, 128, 128), strict=True)
    )
    assert thumbhash_reference.thumb_hash_to_approximate_aspect_ratio(
        list(base64.b64decode(teal.thumbhash))
    ) == pytest.approx(1.5, abs=0.15)


def test_thumbhash_of_transparent_image_records_alpha() -> None:
    result = generate_thumbnails(encode(half_transparent(), "PNG"))
    r, g, b, a = decoded_average(result)
    assert 0.3 < a < 0.7
    assert r > 200 and g < 40 and b < 40  # the visible half is red


def test_same_result_from_bytes_and_from_path(tmp_path) -> None:
    data = jpeg(skdata.astronaut())
    path = tmp_path / "a.jpg"
    path.write_bytes(data)
    assert generate_thumbnails(path) == generate_thumbnails(data)


def test_pixel_bomb_fails_with_reason() -> None:
    with pytest.raises(MediaTooLarge) as info:
        generate_thumbnails(png_with_header(50_000, 50_000))
    assert "MP limit" in info.value.reason
    with pytest.raises(MediaTooLarge):
        generate_thumbnails(jpeg_claiming(65_000, 65_000))


@pytest.mark.parametrize("side", [1024, 3000])  # decoded at full size / shrunk on load
def test_truncated_jpeg_fails_with_reason(side: int, tmp_path) -> None:
    data = jpeg(np.asarray(Image.fromarray(skdata.astronaut()).resize((side, side))))
    cut = data[: len(data) * 6 // 10]
    path = tmp_path / "cut.jpg"
    path.write_bytes(cut)
    for source in (cut, path):
        with pytest.raises(CorruptMedia) as info:
            generate_thumbnails(source)
        assert "corrupt or truncated" in info.value.reason


def test_garbage_behind_a_jpeg_signature_fails_with_reason() -> None:
    rng = np.random.default_rng(7)
    with pytest.raises(CorruptMedia):
        generate_thumbnails(b"\xff\xd8\xff\xe0" + rng.bytes(5000))


def test_empty_and_text_files_fail_with_reasons() -> None:
    with pytest.raises(EmptyMedia):
        generate_thumbnails(b"")
    with pytest.raises(UnsupportedMedia) as info:
        generate_thumbnails(b"<html><body>not a photo</body></html>\n")
    assert "text" in info.value.reason


@pytest.mark.parametrize("orientation", [1, 6, 8])
def test_dng_without_preview_is_demosaiced_upright(orientation: int) -> None:
    from tests.support.samples import minimal_dng

    stored = stored_for_orientation(quadrants(400, 300), orientation)
    dng = minimal_dng(np.ascontiguousarray(stored), orientation=orientation)
    result = generate_thumbnails(dng)
    assert (result.preview.width, result.preview.height) == (400, 300)
    assert_upright(pil(result.preview.data))


def test_dng_metadata_comes_from_its_tiff_directory() -> None:
    from chalicelib.media.metadata import read_image_metadata
    from tests.support.samples import minimal_dng

    meta = read_image_metadata(minimal_dng(quadrants(300, 400), orientation=6))
    assert (meta.mime, meta.make, meta.model, meta.orientation) == (
        "image/x-adobe-dng",
        "Skyroll",
        "Test Sensor",
        6,
    )
    assert (meta.width, meta.height) == (400, 300)


@pytest.mark.parametrize("orientation", [1, 6, 8])
def test_dng_embedded_preview_is_used_and_rotated(orientation: int) -> None:
    from tests.support.samples import minimal_dng

    # The camera's preview (quadrants, stored in sensor orientation) differs from the raw
    # data (flat grey), so the output shows which one was used.
    stored = np.ascontiguousarray(stored_for_orientation(quadrants(1600, 1200), orientation))
    grey = np.full(stored.shape, 128, np.uint8)
    dng = minimal_dng(grey, orientation=orientation, preview=jpeg(stored))
    result = generate_thumbnails(dng)
    assert (result.preview.width, result.preview.height) == (1440, 1080)
    assert_upright(pil(result.preview.data))


def test_dng_with_only_a_tiny_preview_is_demosaiced() -> None:
    from tests.support.samples import minimal_dng

    tiny_blue = jpeg(np.full((120, 160, 3), BLUE, np.uint8))
    dng = minimal_dng(quadrants(1600, 1200), preview=tiny_blue)
    result = generate_thumbnails(dng)
    assert (result.preview.width, result.preview.height) == (1440, 1080)
    assert_upright(pil(result.preview.data))


@pytest.mark.parametrize(
    ("mode", "fmt", "colour", "expected"),
    [
        ("L", "JPEG", 90, (90, 90, 90)),
        ("LA", "PNG", (90, 255), (90, 90, 90)),
        ("P", "PNG", None, (200, 30, 40)),
        ("P", "GIF", None, (200, 30, 40)),
    ],
)
def test_greyscale_and_palette_images(
    mode: str, fmt: str, colour: object, expected: tuple[int, int, int]
) -> None:
    if mode == "P":
        image = Image.new("RGB", (160, 120), (200, 30, 40)).convert(
            "P", palette=Image.Palette.ADAPTIVE
        )  # exact colour in the palette
    else:
        image = Image.new(mode, (160, 120), colour)  # type: ignore[arg-type]
    result = generate_thumbnails(encode(image, fmt))
    assert close(pil(result.preview.data).convert("RGB").getpixel((80, 60)), expected, 4)
    assert pil(result.thumbnail.data).size == (160, 120)


def test_avif_is_decoded_by_libvips() -> None:
    import pyvips

    card = pyvips.Image.new_from_array(quadrants(400, 300), interpretation="srgb")
    avif = card.heifsave_buffer(compression="av1", Q=90)
    assert avif[4:12] == b"ftypavif"
    result = generate_thumbnails(avif)
    assert (result.preview.width, result.preview.height) == (400, 300)
    assert_upright(pil(result.preview.data))
