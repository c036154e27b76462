"""POST /api/assets/bulk-uploads: many upload tickets in one call, one result per file."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import httpx

from tests.support.harness import Harness, b64sha
from tests.support.samples import photo

BULK = "/api/assets/bulk-uploads"


def item(item_id: str, name: str, data: bytes, **change: Any) -> dict[str, Any]:
    return {
        "id": item_id,
        "filename": name,
        "size": len(data),
        "checksum": b64sha(data),
        "contentType": "image/jpeg",
        "fileCreatedAt": "2020-05-01T10:00:00Z",
        "fileModifiedAt": "2020-05-01T10:00:00Z",
        **change,
    }


def test_each_ticket_uploads_its_own_file_and_the_assets_become_ready(harness: Harness) -> None:
    token = harness.user("alice@example.com")
    photos = {f"f{i}": photo(seed=40 + i) for i in range(3)}
    r = harness.call(
        "POST", BULK, {"uploads": [item(k, f"{k}.jpg", d) for k, d in photos.items()]}, token=token
    )
    assert r.status_code == 200, r.body
    results = r.json["results"]
    assert [x["id"] for x in results] == ["f0", "f1", "f2"]
    assert {x["status"] for x in results} == {"created"}
    assert len({x["assetId"] for x in results}) == 3
    for x in results:
        assert x["method"] == "PUT" and x["error"] is None
        assert urlparse(x["url"]).path.endswith(f"/{x['assetId']}/original.jpg")
        put = httpx.put(x["url"], content=photos[x["id"]], headers=x["headers"])
        assert put.status_code == 200, put.text
    harness.drain()
    for x in results:
        asset = harness.asset(token, x["assetId"])
        assert asset["status"] == "ready"
        assert asset["originalFileName"] == f"{x['id']}.jpg"
        assert asset["checksum"] == b64sha(photos[x["id"]])


def test_a_refused_file_does_not_stop_the_others(harness: Harness) -> None:
    small, other = b"x" * 1000, b"y" * 1500
    known = photo(seed=50)
    token = harness.user("alice@example.com", quota=len(known) + 2000)
    harness.upload(token, "known.jpg", known)
    harness.drain()
    uploads = [
        item("script", "a.sh", b"#!/bin/sh", contentType="application/x-sh"),
        item("dup", "again.jpg", known),
        item("ok", "small.jpg", small),
        item("over", "other.jpg", other),  # fits alone, not after "ok": quota counts in order
    ]
    results = {
        x["id"]: x
        for x in harness.call("POST", BULK, {"uploads": uploads}, token=token).json["results"]
    }
    assert results["script"]["status"] == "error"
    assert results["script"]["error"]["statusCode"] == 400
    assert "application/x-sh" in results["script"]["error"]["message"]
    assert results["dup"]["status"] == "duplicate" and results["dup"]["assetId"]
    assert results["ok"]["status"] == "created" and results["ok"]["url"]
    over = results["over"]
    assert over["status"] == "error" and over["assetId"] is None and over["url"] is None
    assert over["error"]["statusCode"] == 413 and over["error"]["error"] == "Payload Too Large"
    assert "quota" in over["error"]["message"]
    listed = harness.call("GET", "/api/assets?size=50", token=token).json["items"]
    # No asset for the refused files; the accepted one waits for its bytes.
    assert sorted((a["originalFileName"], a["status"]) for a in listed) == [
        ("known.jpg", "ready"),
        ("small.jpg", "pending"),
    ]


def test_a_malformed_item_refuses_the_call_naming_it(harness: Harness) -> None:
    token = harness.user("alice@example.com")
    data = photo(seed=60)
    uploads = [item("a", "a.jpg", data), item("b", "../b.jpg", data)]
    r = harness.call("POST", BULK, {"uploads": uploads}, token=token)
    assert r.status_code == 400
    assert {d["field"] for d in r.json["details"]} == {"uploads.1.filename"}
    too_many = [item(str(i), f"{i}.jpg", data) for i in range(101)]
    r = harness.call("POST", BULK, {"uploads": too_many}, token=token)
    assert r.status_code == 400 and r.json["details"][0]["field"] == "uploads"


def test_repeating_a_call_hands_out_the_same_assets(harness: Harness) -> None:
    """A client that lost the answer asks again: the files get the same assets, not new ones."""
    token = harness.user("alice@example.com")
    data = photo(seed=70)
    body = {"uploads": [item("a", "a.jpg", data)]}
    first = harness.call("POST", BULK, body, token=token).json["results"][0]
    again = harness.call("POST", BULK, body, token=token).json["results"][0]
    assert again["status"] == "created" and again["assetId"] == first["assetId"]
    assert again["uploadId"] == first["uploadId"]


def test_another_user_gets_no_ticket_for_my_asset(harness: Harness) -> None:
    alice = harness.user("alice@example.com")
    bob = harness.user("bob@example.com")
    data = photo(seed=80)
    harness.upload(alice, "a.jpg", data)
    harness.drain()
    mine = harness.call("POST", BULK, {"uploads": [item("a", "a.jpg", data)]}, token=alice)
    assert mine.json["results"][0]["status"] == "duplicate"
    theirs = harness.call("POST", BULK, {"uploads": [item("a", "a.jpg", data)]}, token=bob)
    result = theirs.json["results"][0]
    # Bob's library does not hold these bytes: he gets his own new asset, never Alice's id.
    assert result["status"] == "created"
    assert result["assetId"] != mine.json["results"][0]["assetId"]
    assert f"/users/{_user_id(harness, bob)}/" in urlparse(result["url"]).path


def _user_id(harness: Harness, token: str) -> str:
    return str(harness.call("GET", "/api/users/me", token=token).json["id"])


def test_bulk_check_tells_arrived_bytes_from_missing_ones(harness: Harness) -> None:
    """Pending assets: bytes that arrived (not ingested yet) are duplicates; bytes that never
    came are accepted again (the storage answers for all of them at once)."""
    token = harness.user("alice@example.com")
    done, arrived, lost = photo(seed=90), photo(seed=91), photo(seed=92)
    harness.upload(token, "done.jpg", done)
    harness.drain()
    sent = harness.upload(token, "arrived.jpg", arrived)  # PUT done, the workers not run
    missing = harness.start_upload(token, "lost.jpg", lost).json  # never PUT
    checks = [{"id": n, "checksum": b64sha(d)} for n, d in (("d", done), ("a", arrived))]
    checks += [{"id": "l", "checksum": b64sha(lost)}, {"id": "n", "checksum": b64sha(b"new")}]
    r = harness.call("POST", "/api/assets/bulk-upload-check", {"assets": checks}, token=token)
    got = {x["id"]: (x["action"], x["assetId"]) for x in r.json["results"]}
    assert got["a"] == ("reject", sent["assetId"])
    assert got["l"] == ("accept", missing["assetId"])
    assert got["n"] == ("accept", None)
    assert got["d"][0] == "reject"


def test_the_same_bytes_twice_in_one_call_make_one_asset(harness: Harness) -> None:
    token = harness.user("alice@example.com")
    data = photo(seed=95)
    uploads = [item("a", "a.jpg", data), item("b", "copy of a.jpg", data)]
    a, b = harness.call("POST", BULK, {"uploads": uploads}, token=token).json["results"]
    assert a["status"] == b["status"] == "created"
    assert (a["assetId"], a["uploadId"]) == (b["assetId"], b["uploadId"])
    listed = harness.call("GET", "/api/assets?size=50", token=token).json["items"]
    assert [x["originalFileName"] for x in listed] == ["a.jpg"]


def test_a_database_fault_mid_call_keeps_nothing_and_a_retry_works(
    harness: Harness, monkeypatch
) -> None:  # noqa: ANN001 - pytest fixture
    from chalicelib.repositories.assets import AssetRepository

    token = harness.user("alice@example.com")
    uploads = [item(str(i), f"{i}.jpg", photo(seed=100 + i)) for i in range(3)]
    real = AssetRepository.insert_upload
    calls = []

    def flaky(conn, values):  # noqa: ANN001, ANN202
        calls.append(values["asset_id"])
        if len(calls) == 2:
            raise RuntimeError("connection lost")
        return real(conn, values)

    monkeypatch.setattr(AssetRepository, "insert_upload", staticmethod(flaky))
    failed = harness.call("POST", BULK, {"uploads": uploads}, token=token)
    assert failed.status_code == 500
    assert harness.call("GET", "/api/assets", token=token).json["items"] == []
    monkeypatch.setattr(AssetRepository, "insert_upload", staticmethod(real))
    retry = harness.call("POST", BULK, {"uploads": uploads}, token=token).json["results"]
    assert [r["status"] for r in retry] == ["created"] * 3
    listed = harness.call("GET", "/api/assets?size=50", token=token).json["items"]
    assert sorted(x["originalFileName"] for x in listed) == ["0.jpg", "1.jpg", "2.jpg"]
