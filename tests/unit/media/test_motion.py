"""media/motion.py over real files: the Live Photo identifier in Apple's MakerNote, and the
MP4 found inside motion photos laid out as Google and Samsung write them."""

from __future__ import annotations

import struct
from pathlib import Path

from chalicelib.media import motion
from chalicelib.media.metadata import read_metadata
from chalicelib.media.tags import read_tags
from tests.support.motion_photos import google_motion_photo, samsung_motion_photo
from tests.support.samples import CAMERA_SAMPLES

LIVE = Path(__file__).parents[2] / "fixtures" / "live"
CID = "1745E022-9712-43C7-B024-F308EC6413CB"  # exiftool -MediaGroupUUID on the HEIC
JPEG = CAMERA_SAMPLES / "nikon-coolpix-gps.jpg"
MP4 = CAMERA_SAMPLES / "android-gps.mp4"


def test_live_photo_identifier_of_the_still_and_its_mov() -> None:
    assert motion.still_content_identifier(CAMERA_SAMPLES / "iphone11pro-irot.heic") == CID
    assert motion.still_content_identifier(LIVE / "IMG_0001.JPG") == CID
    assert read_metadata(LIVE / "IMG_0001.MOV").content_identifier == CID  # type: ignore[union-attr]


def test_files_without_an_identifier_have_none() -> None:
    assert motion.still_content_identifier(CAMERA_SAMPLES / "Canon_40D.jpg") is None
    assert read_metadata(CAMERA_SAMPLES / "iphone6-gps.mov").content_identifier is None  # type: ignore[union-attr]


def test_broken_maker_notes_give_none() -> None:
    assert motion.apple_content_identifier(b"") is None
    assert motion.apple_content_identifier(b"Apple iOS\x00\x00\x01MM\xff\xff") is None
    assert motion.apple_content_identifier(b"Nikon\x00" + bytes(40)) is None
    # A ContentIdentifier entry whose value lies past the end reads as nothing, not garbage.
    entry = struct.pack(">HHII", 0x11, 2, 37, 10_000)
    assert motion.apple_content_identifier(b"Apple iOS\x00\x00\x01MM\x00\x01" + entry) is None


def _find(tmp_path: Path, data: bytes) -> motion.EmbeddedVideo | None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(data)
    return motion.find_embedded_video(path, read_tags(path).xmp)


def test_google_and_samsung_motion_photos_give_back_the_exact_mp4(tmp_path: Path) -> None:
    jpeg, mp4 = JPEG.read_bytes(), MP4.read_bytes()
    for made in (google_motion_photo(jpeg, mp4), samsung_motion_photo(jpeg, mp4)):
        found = _find(tmp_path, made)
        assert found is not None
        assert made[found.start : found.end] == mp4  # the SEF trailer is left out
        out = tmp_path / "motion.mp4"
        motion.extract(tmp_path / "photo.jpg", found, out)
        assert out.read_bytes() == mp4


def test_plain_photos_and_lying_xmp_have_no_motion_part(tmp_path: Path) -> None:
    jpeg, mp4 = JPEG.read_bytes(), MP4.read_bytes()
    assert _find(tmp_path, jpeg) is None
    # XMP promising a video that is not there (the tail is JPEG data): nothing is cut out.
    lying = google_motion_photo(jpeg, mp4)[: -len(mp4)] + bytes(len(mp4))
    assert _find(tmp_path, lying) is None
    # A truncated video (its moov cut off) is not a video either.
    assert _find(tmp_path, google_motion_photo(jpeg, mp4)[:-1000]) is None
