"""XMP sidecars: attached before or after the photo's bytes, their values win over the
file's (date, description, rating, keywords), a bad one is ignored with a reason while the
photo still ingests, and only the asset's owner can attach one."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.harness import Harness, b64sha
from tests.support.samples import CAMERA_SAMPLES

PHOTO = (CAMERA_SAMPLES / "Canon_40D.jpg").read_bytes()  # EXIF: 2008-05-30 15:56:01
EXIFTOOL_XMP = (CAMERA_SAMPLES / "exiftool-XMP.xmp").read_bytes()
LIGHTROOM_UTF16 = (CAMERA_SAMPLES / "immich-2010.xmp").read_bytes()  # UTF-16 with a BOM
# exiftool's sample sidecar with a caption, as an editor adds one.
CAPTIONED = EXIFTOOL_XMP.replace(
    b"   <dc:rights>",
    b"   <dc:description><rdf:Alt><rdf:li xml:lang='x-default'>Lake at dusk</rdf:li>"
    b"</rdf:Alt></dc:description>\n   <dc:rights>",
)


def _attach(h: Harness, token: str, asset_id: str, data: bytes) -> Any:
    return h.call(
        "PUT",
        f"/api/assets/{asset_id}/sidecar",
        {"size": len(data), "checksum": b64sha(data), "contentType": "application/rdf+xml"},
        token=token,
    )


def _put_sidecar(h: Harness, token: str, asset_id: str, data: bytes) -> None:
    r = _attach(h, token, asset_id, data)
    assert r.status_code == 200, r.body
    assert r.json["method"] == "PUT"
    put = httpx.put(r.json["url"], content=data, headers=r.json["headers"])
    assert put.status_code == 200, put.text


def _tags_of(h: Harness, asset_id: str) -> list[str]:
    with h.container.pool.connection() as conn:
        rows = conn.execute(
            "SELECT t.value FROM tag_assets ta JOIN tags t ON t.id = ta.tag_id"
            " WHERE ta.asset_id = %s ORDER BY t.value",
            (asset_id,),
        ).fetchall()
    return [r["value"] for r in rows]


def _assert_exiftool_sidecar_applied(h: Harness, token: str, asset_id: str) -> None:
    a = h.asset(token, asset_id)
    assert a["status"] == "ready"
    assert a["sidecar"] == {"status": "applied", "reason": None}
    assert a["localDateTime"] == "2005-06-09T20:09:27Z"  # the sidecar's, not the EXIF's 2008
    exif = a["exifInfo"]
    assert exif["dateTimeOriginal"] == "2005-06-09T18:09:27Z"
    assert (exif["timeZone"], exif["dateSource"], exif["timeZoneSource"]) == (
        "+02:00",
        "xmp",
        "tag",
    )
    assert exif["description"] == "Lake at dusk"
    assert exif["rating"] == 1
    assert exif["make"] == "Canon" and exif["model"] == "Canon EOS 40D"  # the file's stay
    assert _tags_of(h, asset_id) == ["&-&amp;-&", "test1"]
    with h.container.pool.connection() as conn:
        row = conn.execute(
            "SELECT taken_at, local_date_time FROM assets WHERE id = %s", (asset_id,)
        ).fetchone()
    assert row is not None
    assert row["taken_at"].isoformat() == "2005-06-09T18:09:27+00:00"
    assert row["local_date_time"].isoformat() == "2005-06-09T20:09:27+00:00"


def test_sidecar_after_the_photo_is_ingested_wins(harness: Harness) -> None:
    token = harness.user("xmp1@example.com")
    asset_id = str(harness.upload(token, "IMG_1.jpg", PHOTO)["assetId"])
    harness.drain()
    before = harness.asset(token, asset_id)
    assert before["sidecar"] is None and before["exifInfo"]["dateSource"] == "exif"
    assert before["localDateTime"] == "2008-05-30T15:56:01Z"
    _put_sidecar(harness, token, asset_id, CAPTIONED)
    harness.drain()
    _assert_exiftool_sidecar_applied(harness, token, asset_id)
    # A repeated event changes nothing.
    key = f"users/{before['ownerId']}/{asset_id}/sidecar.xmp"
    harness.container.store.put(key, CAPTIONED, "application/xml")
    harness.drain()
    _assert_exiftool_sidecar_applied(harness, token, asset_id)


def test_sidecar_before_the_photo_bytes_is_applied_at_ingest(harness: Harness) -> None:
    token = harness.user("xmp2@example.com")
    ticket = harness.start_upload(token, "IMG_2.jpg", PHOTO)
    assert ticket.status_code == 201, ticket.body
    asset_id = str(ticket.json["assetId"])
    _put_sidecar(harness, token, asset_id, CAPTIONED)
    harness.drain()  # the sidecar's own event: the photo is not there yet
    assert harness.asset(token, asset_id)["status"] == "pending"
    put = httpx.put(ticket.json["url"], content=PHOTO, headers=ticket.json["headers"])
    assert put.status_code == 200, put.text
    harness.drain()
    _assert_exiftool_sidecar_applied(harness, token, asset_id)


def test_utf16_lightroom_sidecar_date_wins(harness: Harness) -> None:
    token = harness.user("xmp3@example.com")
    asset_id = str(harness.upload(token, "IMG_3.jpg", PHOTO)["assetId"])
    _put_sidecar(harness, token, asset_id, LIGHTROOM_UTF16)
    harness.drain()
    a = harness.asset(token, asset_id)
    assert a["sidecar"] == {"status": "applied", "reason": None}
    assert a["localDateTime"] == "2010-09-27T14:35:33Z"
    assert a["exifInfo"]["dateSource"] == "xmp" and a["exifInfo"]["timeZone"] == "+02:00"
    assert a["exifInfo"]["rating"] is None  # this sidecar has none


def _assert_ignored(h: Harness, token: str, asset_id: str, reason: str) -> None:
    a = h.asset(token, asset_id)
    assert a["status"] == "ready"  # the photo ingests all the same
    assert a["sidecar"] == {"status": "ignored", "reason": reason}
    assert a["localDateTime"] == "2008-05-30T15:56:01Z"
    assert a["exifInfo"]["dateSource"] == "exif" and a["exifInfo"]["rating"] is None
    ingest = next(st for st in a["stages"] if st["stage"] == "ingest")
    assert (ingest["status"], ingest["attempts"], ingest["error"]) == ("done", 1, None)


def test_bad_sidecars_are_ignored_with_a_reason(harness: Harness) -> None:
    token = harness.user("xmp4@example.com")
    cases = {
        b"this is not XML at all": "the sidecar is not well-formed XMP",
        EXIFTOOL_XMP.replace(b"Phil Harvey", "Ph\xefl".encode("latin-1")): (
            "the sidecar is not UTF-8 (or UTF-16 with a byte-order mark) text"
        ),
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x:xmpmeta'
        b' xmlns:x="adobe:ns:meta/">&a;</x:xmpmeta>': (
            "the sidecar declares a DTD or entities, which XMP never uses"
        ),
    }
    for i, (data, reason) in enumerate(cases.items()):
        asset_id = str(harness.upload(token, f"bad{i}.jpg", PHOTO + b"\0" * (i + 1))["assetId"])
        _put_sidecar(harness, token, asset_id, data)
        harness.drain()
        _assert_ignored(harness, token, asset_id, reason)


def test_oversized_sidecar_is_refused_and_ignored(harness: Harness) -> None:
    token = harness.user("xmp5@example.com")
    asset_id = str(harness.upload(token, "big.jpg", PHOTO)["assetId"])
    huge = b" " * (1024 * 1024 + 1)
    r = _attach(harness, token, asset_id, huge)
    assert r.status_code == 400, r.body
    # Written to storage some other way all the same: ingest still refuses to read it.
    owner = harness.asset(token, asset_id)["ownerId"]
    harness.container.store.put(f"users/{owner}/{asset_id}/sidecar.xmp", huge, "application/xml")
    harness.drain()
    _assert_ignored(harness, token, asset_id, "the sidecar is larger than 1048576 bytes")


def test_only_the_owner_can_attach_a_sidecar(harness: Harness) -> None:
    alice = harness.user("xmp6a@example.com")
    bob = harness.user("xmp6b@example.com")
    asset_id = str(harness.upload(alice, "mine.jpg", PHOTO)["assetId"])
    r = _attach(harness, bob, asset_id, CAPTIONED)
    assert r.status_code == 404, r.body
    assert "url" not in (r.json or {})
    missing = _attach(harness, alice, "00000000-0000-4000-8000-000000000000", CAPTIONED)
    assert missing.status_code == 404, missing.body
    harness.drain()
    assert harness.asset(alice, asset_id)["sidecar"] is None


PLACED = b"""<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF
 xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about=""
 xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:xmp="http://ns.adobe.com/xap/1.0/"
 xmlns:lr="http://ns.adobe.com/lightroom/1.0/"
 exif:GPSLatitude="48,51.4933N" exif:GPSLongitude="2,17.7633E" xmp:Rating="5"
 xmp:CreateDate="2019-04-01T09:00:00">
 <lr:hierarchicalSubject><rdf:Bag><rdf:li>Travel|Paris</rdf:li></rdf:Bag>
 </lr:hierarchicalSubject></rdf:Description></rdf:RDF></x:xmpmeta>"""


def test_sidecar_position_and_keywords_and_a_date_set_by_hand_is_kept(harness: Harness) -> None:
    token = harness.user("xmp7@example.com")
    asset_id = str(harness.upload(token, "IMG_7.jpg", PHOTO)["assetId"])
    harness.drain()
    r = harness.call(
        "PUT",
        f"/api/assets/{asset_id}",
        {"dateTimeOriginal": "2001-02-03T04:05:06+01:00"},
        token=token,
    )
    assert r.status_code == 200, r.body
    by_hand = r.json["localDateTime"]
    _put_sidecar(harness, token, asset_id, PLACED)
    harness.drain()
    a = harness.asset(token, asset_id)
    exif = a["exifInfo"]
    assert a["sidecar"] == {"status": "applied", "reason": None}
    assert (exif["latitude"], exif["longitude"], exif["rating"]) == (48.8582217, 2.296055, 5)
    assert exif["country"] == "France" and exif["city"]
    assert exif["dateSource"] == "user"  # the user's date, newer than the sidecar
    assert a["localDateTime"] == by_hand and by_hand.startswith("2001-02-03")
    assert _tags_of(harness, asset_id) == ["Travel/Paris"]
    with harness.container.pool.connection() as conn:
        owner = a["ownerId"]
        parents = conn.execute(
            "SELECT c.value, p.value AS parent FROM tags c JOIN tags p ON p.id = c.parent_id"
            " WHERE c.owner_id = %s",
            (owner,),
        ).fetchall()
    assert [(r["value"], r["parent"]) for r in parents] == [("Travel/Paris", "Travel")]
