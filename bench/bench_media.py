"""Media benchmark: our thumbnail stage's image work vs Pillow with draft() vs the libvips floor.

Run: ``python bench/bench_media.py [OUTPUT.md]`` (markdown to stdout, or to the file given).

All image pipelines run single-threaded (libvips concurrency 1, Pillow is single-threaded)
in one process, interleaved round by round on the same inputs, so machine noise hits them
alike; throughput is images per CPU-second, i.e. images/s per core. Inputs: 12 MP JPEGs
made from scikit-image's sample photos (upscaled, with camera EXIF) and one 12 MP HEIC.
"""

from __future__ import annotations

import io
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("VIPS_CONCURRENCY", "1")  # must precede importing pyvips

import numpy as np  # noqa: E402
import pillow_heif  # noqa: E402
import pyvips  # noqa: E402
from PIL import Image, ImageOps  # noqa: E402
from skimage import data as skdata  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chalicelib.media.metadata import read_video_metadata  # noqa: E402
from chalicelib.media.placeholders import thumbhash_base64  # noqa: E402
from chalicelib.media.thumbnails import generate_thumbnails  # noqa: E402
from chalicelib.media.video import TranscodeOptions, extract_poster, transcode  # noqa: E402
from tests.support.samples import camera_exif, ffmpeg  # noqa: E402

SIZE_12MP = (4000, 3000)
PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "hubble_deep_field", "immunohistochemistry")
ROUNDS = 5
KEEP = pyvips.enums.ForeignKeep.NONE


def make_jpegs() -> list[bytes]:
    out = []
    for name in PHOTOS:
        photo = Image.fromarray(getattr(skdata, name)()).convert("RGB")
        big = photo.resize(SIZE_12MP, Image.Resampling.BICUBIC)
        buffer = io.BytesIO()
        big.save(buffer, "JPEG", quality=90, exif=camera_exif())
        out.append(buffer.getvalue())
    return out


def make_heic() -> bytes:
    photo = Image.fromarray(skdata.astronaut()).resize((4032, 3024), Image.Resampling.BICUBIC)
    buffer = io.BytesIO()
    pillow_heif.from_pillow(photo).save(buffer, quality=85, exif=camera_exif().tobytes())
    return buffer.getvalue()


# --- the three pipelines -----------------------------------------------------------------


def ours(data: bytes) -> None:
    generate_thumbnails(data)


def pillow_draft(data: bytes) -> None:
    """What a careful Pillow pipeline does: draft() (DCT scaling) then resize and encode."""
    image = Image.open(io.BytesIO(data))
    image.draft("RGB", (1440, 1440))
    image = ImageOps.exif_transpose(image).convert("RGB")
    image.thumbnail((1440, 1440), Image.Resampling.LANCZOS)
    image.save(io.BytesIO(), "JPEG", quality=80)
    scale = 250 / min(image.size)
    small = image.resize(
        (round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS
    )
    small.save(io.BytesIO(), "WEBP", quality=80)
    tiny = small.copy()
    tiny.thumbnail((100, 100))
    thumbhash_base64(np.asarray(tiny.convert("RGBA")))


def vips_floor(data: bytes) -> None:
    """The floor: libvips shrink-on-load decode (largest DCT scale ≥ 1440 px), the resize to
    each output and the two encodes; no sniffing, probing, rotation check or ThumbHash."""
    big = pyvips.Image.new_from_buffer(data, "", shrink=2, access="sequential")
    preview = big.thumbnail_image(1440, height=1440).copy_memory()
    preview.jpegsave_buffer(Q=80, keep=KEEP)
    preview.thumbnail_image(333, height=250).webpsave_buffer(Q=80, keep=KEEP)


def vips_decode_twice(data: bytes) -> None:
    """Alternative to decoding once: a second shrink-on-load decode (1/8) for the thumbnail."""
    big = pyvips.Image.new_from_buffer(data, "", shrink=2, access="sequential")
    big.thumbnail_image(1440, height=1440).jpegsave_buffer(Q=80, keep=KEEP)
    small = pyvips.Image.new_from_buffer(data, "", shrink=8, access="sequential")
    small.thumbnail_image(333, height=250).webpsave_buffer(Q=80, keep=KEEP)


def vips_thumbnail_default(data: bytes) -> None:
    """libvips' own thumbnail(): it keeps a 2x gap, so 4000 → 1440 px decodes at full size."""
    preview = pyvips.Image.thumbnail_buffer(data, 1440, height=1440).copy_memory()
    preview.jpegsave_buffer(Q=80, keep=KEEP)
    preview.thumbnail_image(333, height=250).webpsave_buffer(Q=80, keep=KEEP)


def heic_floor(data: bytes) -> None:
    heif = pillow_heif.open_heif(data, convert_hdr_to_8bit=True)
    image = pyvips.Image.new_from_array(np.asarray(heif), interpretation="srgb")
    preview = image.thumbnail_image(1440, height=1440).copy_memory()
    preview.jpegsave_buffer(Q=80, keep=KEEP)
    preview.thumbnail_image(333, height=250).webpsave_buffer(Q=80, keep=KEEP)


def heic_previous(data: bytes) -> None:
    """The HEIC path before the fast one: the decoded pixels copied through numpy into
    libvips, the ICC transform over all twelve million, then the shrink."""
    from chalicelib.media.decode import orient, to_srgb8
    from chalicelib.media.probe import probe_image
    from chalicelib.media.sniff import sniff
    from chalicelib.media.thumbnails import PREVIEW, box_for, thumbnails_from_image

    header = probe_image(data, sniff(data))
    width, height = header.width, header.height
    if header.orientation >= 5:
        width, height = height, width
    box = box_for(PREVIEW, width, height)
    stored = (box.width, box.height) if header.orientation < 5 else (box.height, box.width)
    heif = pillow_heif.open_heif(data, convert_hdr_to_8bit=True)
    image = pyvips.Image.new_from_array(np.asarray(heif), interpretation="srgb")
    icc = heif.info.get("icc_profile")
    if icc:
        image = image.copy()
        image.set_type(pyvips.GValue.blob_type, "icc-profile-data", icc)
        image = image.icc_transform("srgb", embedded=True, input_profile="srgb")
    image = image.thumbnail_image(stored[0], height=stored[1], size="down")
    thumbnails_from_image(to_srgb8(orient(image, header.orientation)).copy_memory())


def wall_ms(fn: Callable[[bytes], None], data: bytes, rounds: int = 7) -> float:
    fn(data)
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn(data)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def heic_decode_only(data: bytes) -> None:
    """libheif + libde265 alone: every tile of the HEVC grid decoded, nothing else."""
    pillow_heif.open_heif(data, convert_hdr_to_8bit=True).data  # noqa: B018 - decodes


def thumbnail_from_preview(preview: pyvips.Image) -> None:
    """What an embedded HEIF thumbnail could replace at best: the 250 px WebP and its
    ThumbHash, made from the already decoded preview."""
    from chalicelib.media.thumbnails import THUMBNAIL, _encode, _fit, _thumbhash

    small = _fit(preview, THUMBNAIL)
    _encode(small, THUMBNAIL)
    _thumbhash(small)


def _with_decode_threads(threads: int, fn: Callable[[bytes], None]) -> Callable[[bytes], None]:
    def run(data: bytes) -> None:
        saved = pillow_heif.options.DECODE_THREADS
        pillow_heif.options.DECODE_THREADS = threads
        try:
            fn(data)
        finally:
            pillow_heif.options.DECODE_THREADS = saved

    return run


def heic_wall_section(jpegs: list[bytes]) -> list[str]:
    """HEIC against JPEG in wall time with every core available (libvips concurrency =
    cores), as a Lambda with 2 vCPUs runs it; libheif's parallel tile decoding at 1, the
    cores and pillow-heif's default threads; the embedded thumbnail's share."""
    from chalicelib.media.thumbnails import generate_thumbnails as ours_full

    cores = len(os.sched_getaffinity(0))
    iphone = (CAMERA / "iphone11pro-irot.heic").read_bytes()
    default_threads = pillow_heif.options.DECODE_THREADS
    thread_counts = sorted({1, cores, default_threads})
    pyvips.concurrency_set(cores)
    try:
        jpeg = statistics.median(wall_ms(ours, data) for data in jpegs)
        before = wall_ms(_with_decode_threads(default_threads, heic_previous), iphone)
        fast = {t: wall_ms(_with_decode_threads(t, ours), iphone) for t in thread_counts}
        decode = {
            t: wall_ms(_with_decode_threads(t, heic_decode_only), iphone) for t in thread_counts
        }
        preview = pyvips.Image.new_from_buffer(ours_full(iphone).preview.data, "")
        small_ms = wall_ms(lambda _: thumbnail_from_preview(preview), b"")
    finally:
        pyvips.concurrency_set(1)
    heif = pillow_heif.open_heif(iphone)
    embedded = [heif.get_thumbnail(i).size for i, _ in enumerate(heif.info["thumbnails"])]
    best_t = min(fast, key=lambda t: fast[t])
    best = fast[best_t]
    load = os.getloadavg()[0]
    return [
        "",
        f"Wall time on {cores} cores (libvips concurrency {cores}; libheif decode threads as"
        " each row says), median of 7; the real iPhone 11 Pro HEIC of `tests/fixtures/camera`"
        f" (3024×4032, a grid of 6×8 HEVC tiles of 512 px, Display P3 ICC profile); load average"
        f" {load:.1f}:",
        "",
        "| pipeline | ms/image (wall) | × the JPEG |",
        "|---|---:|---:|",
        f"| 12 MP JPEG, ours (median over the {len(jpegs)} JPEGs) | {jpeg:.0f} | 1.00 |",
        f"| 12 MP HEIC, previous path (numpy copy, ICC on the full image, then shrink;"
        f" {default_threads} decode threads) | {before:.0f} | {before / jpeg:.2f} |",
        *(
            f"| 12 MP HEIC, ours (no copy, shrink, then ICC), {t} decode thread(s) |"
            f" {fast[t]:.0f} | {fast[t] / jpeg:.2f} |"
            for t in thread_counts
        ),
        *(
            f"| 12 MP HEIC, libheif + libde265 decode alone, {t} thread(s) | {decode[t]:.0f} |"
            f" {decode[t] / jpeg:.2f} |"
            for t in thread_counts
        ),
        f"| the 250 px WebP + ThumbHash from the decoded preview (what an embedded thumbnail"
        f" could save) | {small_ms:.0f} | {small_ms / jpeg:.2f} |",
        "",
        f"- HEIC vs JPEG: **{best / jpeg:.2f}x** (target ≤ 2x: "
        + ("met" if best <= 2 * jpeg else f"NOT met, {best / jpeg / 2 - 1:.0%} over")
        + f") with {best_t} decode thread(s), the fastest here; the thumbnail stage decodes"
        f" with pillow-heif's default of {default_threads}. The fast path is"
        f" {before / fast[default_threads]:.2f}x the previous one.",
        f"- Parallel tile decoding (libheif decodes the grid's tiles on pillow-heif's"
        f" `DECODE_THREADS`): the decode alone takes {decode[1]:.0f} ms on one thread,"
        + ", ".join(f" {decode[t]:.0f} ms on {t}" for t in thread_counts if t > 1)
        + f". It is {decode[best_t] / best:.0%} of the HEIC's wall time, and on its own"
        f" {decode[best_t] / jpeg:.1f}x the JPEG's whole pipeline: HEVC has no reduced-resolution"
        " decode (a JPEG decodes at 1/2 scale inside its DCT for the 1440 px preview), so the"
        " preview needs every pixel of every tile, and libde265 is the decoder pillow-heif"
        " ships. libvips' own heifload (pyvips-binary) reads the header but has no HEVC decoder"
        " (`Support for this compression format has not been built in: HEVC`): no"
        " alternative.",
        f"- The embedded HEIF thumbnail (this file carries {embedded or 'none'}): one with a"
        " short side of at least 250 px could stand in for our thumbnail, but it would save"
        f" only the {small_ms:.0f} ms row above: the 1440 px preview still needs the full"
        " decode, and the thumbnail is made from the preview already.",
    ]


# --- measuring ---------------------------------------------------------------------------


def per_core_rate(fn: Callable[[bytes], None], inputs: list[bytes]) -> float:
    """Images per CPU-second for one pass over the inputs."""
    start = time.process_time()
    for data in inputs:
        fn(data)
    return len(inputs) / (time.process_time() - start)


def compare(pipelines: dict[str, Callable[[bytes], None]], inputs: list[bytes]) -> dict[str, float]:
    for fn in pipelines.values():  # warm-up: imports, codec tables, page cache
        fn(inputs[0])
    samples: dict[str, list[float]] = {name: [] for name in pipelines}
    for _ in range(ROUNDS):
        for name, fn in pipelines.items():
            samples[name].append(per_core_rate(fn, inputs))
    return {name: statistics.median(rates) for name, rates in samples.items()}


def image_section() -> list[str]:
    jpegs, heic = make_jpegs(), make_heic()
    rates = compare(
        {
            "ours": ours,
            "pillow": pillow_draft,
            "floor": vips_floor,
            "twice": vips_decode_twice,
            "default": vips_thumbnail_default,
        },
        jpegs,
    )
    heic_rates = compare({"ours": ours, "floor": heic_floor}, [heic])
    speedup, of_floor = rates["ours"] / rates["pillow"], rates["floor"] / rates["ours"]
    return [
        f"Inputs: {len(jpegs)} JPEGs of {SIZE_12MP[0]}×{SIZE_12MP[1]} (12 MP, q90, EXIF) from "
        f"scikit-image photos; one 4032×3024 HEIC. Median of {ROUNDS} interleaved rounds, "
        "single-threaded; outputs: 1440 px JPEG q80 + 250 px WebP q80 (+ ThumbHash).",
        "",
        "| pipeline (12 MP JPEG) | images/s per core | ms/image |",
        "|---|---:|---:|",
        *(
            f"| {label} | {rates[key]:.1f} | {1000 / rates[key]:.0f} |"
            for key, label in [
                ("ours", "ours: `generate_thumbnails` (sniff, probe, decode once, ThumbHash)"),
                ("pillow", "Pillow with `draft()`"),
                ("floor", "floor: libvips shrink-on-load decode + the two encodes"),
                ("twice", "libvips, decoding twice (1/2 and 1/8 shrink-on-load)"),
                ("default", "libvips `thumbnail_buffer()` defaults (full-size decode, 2x gap)"),
            ]
        ),
        "",
        f"- ours vs Pillow: **{speedup:.2f}x** faster (target ≥ 1.5x: "
        f"{'met' if speedup >= 1.5 else 'NOT met'})",
        f"- floor vs ours: **{of_floor:.2f}x** (target ≤ 1.3x: "
        f"{'met' if of_floor <= 1.3 else 'NOT met'})",
        f"- decode once vs twice: once is {rates['floor'] / rates['twice']:.2f}x the rate of twice",
        "",
        "| pipeline (12 MP HEIC) | images/s per core | ms/image |",
        "|---|---:|---:|",
        f"| ours (pillow-heif decode → libvips) | {heic_rates['ours']:.1f} | "
        f"{1000 / heic_rates['ours']:.0f} |",
        f"| floor (pillow-heif decode + resize + two encodes) | {heic_rates['floor']:.1f} | "
        f"{1000 / heic_rates['floor']:.0f} |",
        *heic_wall_section(jpegs),
        f"- The CPU floor, from the per-core tables above: a HEIC costs"
        f" {rates['ours'] / heic_rates['ours']:.1f}x a JPEG's CPU; split perfectly over"
        f" {len(os.sched_getaffinity(0))} cores (while the JPEG's decode stays on one: libjpeg"
        " decodes sequentially) it would still take"
        f" {rates['ours'] / heic_rates['ours'] / len(os.sched_getaffinity(0)):.1f}x a JPEG's"
        " single-core time, so ≤ 2x is out of reach with libde265 on this machine whatever"
        " the threading.",
    ]


# --- metadata readers ----------------------------------------------------------------------

CAMERA = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "camera"
READER_SAMPLES = {
    "JPEG": ["Canon_40D.jpg", "nikon-coolpix-gps.jpg", "Pentax_K10D.jpg", "Sony_HDR-HC3.jpg"],
    "HEIC": ["iphone11pro-irot.heic", "samplefilehub-no-irot.heif"],
    "RAW (CR3, RAF, RW2, NEF, DNG)": [
        "exiftool-CanonRaw.cr3",
        "exiftool-FujiFilm.raf",
        "exiftool-Panasonic.rw2",
        "exiftool-Nikon.nef",
        "exiftool-DNG.dng",
    ],
}


def _pyexiv2_read(path: Path) -> int:
    from chalicelib.media.tags import read_tags

    try:
        tags = read_tags(path)
    except Exception:
        return 0
    return int("Exif.Photo.DateTimeOriginal" in tags.exif)


def _exifread_read(path: Path) -> int:
    import logging

    import exifread

    logging.getLogger("exifread").setLevel(logging.CRITICAL)  # "File format not recognized."

    with path.open("rb") as f:
        try:
            tags = exifread.process_file(f, details=False)
        except Exception:
            return 0
    return int("EXIF DateTimeOriginal" in tags)


def _ours_read(path: Path) -> int:
    from chalicelib.media.metadata import read_image_metadata

    return int(read_image_metadata(path).taken is not None)


def _wheel_mb(dist: str) -> float:
    """Installed size of a distribution (what it adds to a Lambda layer, unzipped)."""
    from importlib.metadata import distribution

    files = distribution(dist).files or []
    return sum((f.locate().stat().st_size for f in files if f.locate().exists()), 0) / 1e6


def metadata_section() -> list[str]:
    readers = {"ours": _ours_read, "pyexiv2": _pyexiv2_read, "exifread": _exifread_read}
    rows = []
    for group, names in READER_SAMPLES.items():
        paths = [CAMERA / n for n in names]
        cells = []
        for fn in readers.values():
            found = sum(fn(p) for p in paths)  # warm-up and the count of dates found
            times = []
            for _ in range(ROUNDS):
                start = time.process_time()
                for p in paths:
                    fn(p)
                times.append((time.process_time() - start) / len(paths) * 1000)
            cells.append(f"{statistics.median(times):.2f} ms ({found}/{len(paths)})")
        rows.append(f"| {group} | " + " | ".join(cells) + " |")
    return [
        "Per file, CPU time, median of rounds over the real camera samples of "
        "`tests/fixtures/camera` (in brackets: files whose capture date was found). "
        "`ours` is the ingest stage's whole `read_image_metadata` (sniff, header probe, "
        "exiv2 read, fallbacks); the other two are the bare libraries.",
        "",
        "| files | ours | pyexiv2 (exiv2 0.28) | exifread |",
        "|---|---:|---:|---:|",
        *rows,
        "",
        f"Installed size (Lambda layer, unzipped): pyexiv2 {_wheel_mb('pyexiv2'):.1f} MB, "
        f"exifread {_wheel_mb('exifread'):.1f} MB, tzfpy {_wheel_mb('tzfpy'):.1f} MB, "
        f"tzdata {_wheel_mb('tzdata'):.1f} MB.",
    ]


def video_section() -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        clip = Path(tmp) / "clip.mp4"
        ffmpeg(
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=1920x1080:rate=30:duration=10",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:duration=10",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-shortest",
            str(clip),
        )
        meta = read_video_metadata(clip)
        duration = meta.duration or 10.0
        rows = []
        for preset in ("ultrafast", "veryfast"):
            start = time.perf_counter()
            result = transcode(clip, Path(tmp) / preset, TranscodeOptions(preset=preset))
            elapsed = time.perf_counter() - start
            rows.append(
                f"| {preset} | {elapsed:.1f} s | **{duration / elapsed:.1f}x** | "
                f"{result.size / 1e6:.1f} MB |"
            )
        start = time.perf_counter()
        extract_poster(clip, meta)
        poster_ms = (time.perf_counter() - start) * 1000
    return [
        f"10 s 1920×1080 30 fps testsrc clip with AAC audio → H.264 CRF 23 ≤ 720p + AAC, "
        f"`+faststart`; ffmpeg threads = all {os.cpu_count()} vCPUs (shared machine).",
        "",
        "| preset | wall time | speed (× real time) | output |",
        "|---|---:|---:|---:|",
        *rows,
        "",
        f"Poster frame (first non-black candidate, scaled to ≤ 1440 px): {poster_ms:.0f} ms.",
    ]


def main() -> None:
    pyvips.cache_set_max(0)  # no operation cache: every run really decodes
    lines = [
        "## Media: thumbnails and transcode",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} vCPUs, Python "
        f"{platform.python_version()}, libvips {pyvips.version(0)}.{pyvips.version(1)}."
        f"{pyvips.version(2)}, Pillow {Image.__version__}, pillow-heif {pillow_heif.__version__}."
        " Run with `python bench/bench_media.py`.",
        "",
        "### Images",
        "",
        *image_section(),
        "",
        "### Metadata readers",
        "",
        *metadata_section(),
        "",
        "### Video",
        "",
        *video_section(),
        "",
    ]
    text = "\n".join(lines)
    if len(sys.argv) > 1:
        Path(sys.argv[1]).write_text(text)
    else:
        print(text)


if __name__ == "__main__":
    main()
