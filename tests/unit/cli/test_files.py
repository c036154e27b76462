from __future__ import annotations

from pathlib import Path

import pytest

from chalicelib.cli.files import CONTENT_TYPES, collect


def touch(path: Path, data: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_collect_walks_folders_types_files_and_says_why_it_skips(tmp_path: Path) -> None:
    touch(tmp_path / "a.JPG", b"12345")
    touch(tmp_path / "movie.mov")
    touch(tmp_path / "notes.txt")
    touch(tmp_path / ".DS_Store")
    touch(tmp_path / "deep" / "b.heic")
    touch(tmp_path / ".hidden-dir" / "c.jpg")

    files, skipped = collect([tmp_path, tmp_path / "a.JPG", tmp_path / "gone.jpg"], recursive=True)

    assert [(f.path.name, f.content_type, f.size) for f in files] == [
        ("a.JPG", "image/jpeg", 5),
        ("movie.mov", "video/quicktime", 1),
        ("b.heic", "image/heic", 1),
    ]
    assert {s.path.name: s.reason for s in skipped} == {
        ".DS_Store": "hidden file",
        "notes.txt": "unsupported file type '.txt'",
        "gone.jpg": "no such file or directory",
    }


def test_the_cli_offers_only_content_types_the_server_accepts() -> None:
    media_types = pytest.importorskip("chalicelib.services.media_types")
    assert set(CONTENT_TYPES.values()) <= set(media_types.ACCEPTED)
    # Everything the server takes has an extension here (image/dng is an alias).
    assert set(media_types.ACCEPTED) - set(CONTENT_TYPES.values()) <= {"image/dng"}


def test_collect_pairs_xmp_sidecars_and_never_offers_them_as_assets(tmp_path: Path) -> None:
    touch(tmp_path / "IMG_1.jpg")
    touch(tmp_path / "IMG_1.jpg.xmp")  # darktable, digiKam: the full name
    touch(tmp_path / "IMG_1.xmp")  # the full name wins over the stem
    touch(tmp_path / "IMG_2.CR3")
    touch(tmp_path / "IMG_2.XMP")  # Lightroom: the stem
    touch(tmp_path / "IMG_3.jpg")
    touch(tmp_path / "lone.xmp")

    files, skipped = collect([tmp_path], recursive=False)

    assert [(f.path.name, f.sidecar.name if f.sidecar else None) for f in files] == [
        ("IMG_1.jpg", "IMG_1.jpg.xmp"),
        ("IMG_2.CR3", "IMG_2.XMP"),
        ("IMG_3.jpg", None),
    ]
    assert {s.path.name: s.reason for s in skipped} == {
        "IMG_1.xmp": "XMP sidecar without its photo",
        "lone.xmp": "XMP sidecar without its photo",
    }
