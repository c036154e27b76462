"""What an XMP sidecar says (the real sample sidecars, and Lightroom-style fields an editor
adds), and the reasons a sidecar is ignored."""

from __future__ import annotations

import pytest

from chalicelib.media.sidecar import SidecarIgnored, sidecar_values
from tests.support.samples import CAMERA_SAMPLES

EXIFTOOL_XMP = (CAMERA_SAMPLES / "exiftool-XMP.xmp").read_bytes()

LIGHTROOM = b"""<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF
 xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about=""
 xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:xmp="http://ns.adobe.com/xap/1.0/"
 xmlns:lr="http://ns.adobe.com/lightroom/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/"
 exif:GPSLatitude="48,51.4933N" exif:GPSLongitude="2,17.7633E" xmp:Rating="%s">
 <dc:subject><rdf:Bag><rdf:li>Japan</rdf:li></rdf:Bag></dc:subject>
 <lr:hierarchicalSubject><rdf:Bag><rdf:li>Travel|Japan</rdf:li><rdf:li>People</rdf:li>
 </rdf:Bag></lr:hierarchicalSubject></rdf:Description></rdf:RDF></x:xmpmeta>"""


def test_exiftool_sample_sidecar() -> None:
    v = sidecar_values(EXIFTOOL_XMP)
    assert v.taken is not None
    assert (v.taken.local.isoformat(), v.taken.offset, v.taken.source) == (
        "2005-06-09T20:09:27",
        "+02:00",
        "xmp",
    )
    assert (v.rating, v.description, v.latitude) == (1, None, None)
    assert v.tags == ["test1", "&-&amp;-&"]


def test_utf16_lightroom_sample_sidecar() -> None:
    v = sidecar_values((CAMERA_SAMPLES / "immich-2010.xmp").read_bytes())
    assert v.taken is not None and v.taken.local.isoformat() == "2010-09-27T14:35:33"
    assert (v.rating, v.tags) == (None, [])


def test_gps_rating_and_hierarchical_keywords() -> None:
    v = sidecar_values(LIGHTROOM % b"4")
    assert (v.latitude, v.longitude) == (48.8582217, 2.296055)
    assert v.rating == 4
    assert v.tags == ["Travel/Japan", "People"]  # the hierarchy wins over flat dc:subject
    assert sidecar_values(LIGHTROOM % b"-1").rating is None  # "rejected" is not a rating


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "the sidecar is empty"),
        (b"   \n", "the sidecar is empty"),
        (b"\x89PNG\r\n\x1a\n", "the sidecar is not UTF-8 (or UTF-16 with a byte-order mark) text"),
        (b"just words, no markup", "the sidecar is not well-formed XMP"),
        (b"<a>caf\xe9</a>", "the sidecar is not UTF-8 (or UTF-16 with a byte-order mark) text"),
        (b"<?xml version='1.0'?><x/>", "the sidecar is not well-formed XMP"),
        (
            b"<!DOCTYPE x SYSTEM 'file:///etc/passwd'><x/>",
            "the sidecar declares a DTD or entities, which XMP never uses",
        ),
        (b" " * (1024 * 1024 + 1), "the sidecar is larger than 1048576 bytes"),
    ],
)
def test_unusable_sidecars_say_why(data: bytes, reason: str) -> None:
    with pytest.raises(SidecarIgnored) as caught:
        sidecar_values(data)
    assert str(caught.value) == reason
