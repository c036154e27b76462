from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import httpx
import pytest

from chalicelib.cli.config import config_dir
from chalicelib.cli.journal import JOURNAL_FILE
from tests.support.cli import Cli, jpeg, out_json, results_by_name, stored
from tests.support.fake_server import FakeSkyroll, b64sha


def test_uploads_new_files_straight_to_s3_and_skips_unsupported(
    logged_in: Cli, fake: FakeSkyroll, tmp_path: Path
) -> None:
    a = jpeg(tmp_path / "lib" / "a.jpg", 1)
    b = jpeg(tmp_path / "lib" / "sub" / "b.JPEG", 2)
    (tmp_path / "lib" / "notes.txt").write_text("not a photo")

    result = logged_in("upload", tmp_path / "lib", "--recursive", "--json")

    assert result.exit_code == 0, result.output
    rows = results_by_name(result)
    assert rows["a.jpg"]["status"] == rows["b.JPEG"]["status"] == "uploaded"
    assert rows["notes.txt"]["status"] == "skipped"
    assert "unsupported" in rows["notes.txt"]["reason"]
    assert stored(fake, rows["a.jpg"]["assetId"]) == a
    assert stored(fake, rows["b.JPEG"]["assetId"]) == b
    assert fake.assets[rows["b.JPEG"]["assetId"]]["originalMimeType"] == "image/jpeg"
    assert out_json(result)["summary"] == {
        "uploaded": 2,
        "duplicate": 0,
        "skipped": 1,
        "failed": 0,
        "would-upload": 0,
    }


def test_without_recursive_subfolders_are_left_alone(
    logged_in: Cli, fake: FakeSkyroll, tmp_path: Path
) -> None:
    jpeg(tmp_path / "a.jpg", 1)
    jpeg(tmp_path / "sub" / "b.jpg", 2)

    result = logged_in("upload", tmp_path, "--json")

    assert set(results_by_name(result)) == {"a.jpg"}


def test_the_upload_request_describes_the_file(
    logged_in: Cli, fake: FakeSkyroll, tmp_path: Path
) -> None:
    data = jpeg(tmp_path / "cat.jpg", 3)
    os.utime(tmp_path / "cat.jpg", (1_700_000_000, 1_700_000_000))

    logged_in("upload", tmp_path / "cat.jpg")

    (body,) = fake.upload_requests()
    assert body == {
        "filename": "cat.jpg",
        "size": len(data),
        "checksum": b64sha(data),
        "contentType": "image/jpeg",
        "fileCreatedAt": "2023-11-14T22:13:20Z",
        "fileModifiedAt": "2023-11-14T22:13:20Z",
        "deviceAssetId": f"cat.jpg-{len(data)}",
        "deviceId": "skyroll-cli",
        "originalPath": (tmp_path / "cat.jpg").resolve().as_posix(),
    }


def test_duplicates_are_never_sent(logged_in: Cli, fake: FakeSkyroll, tmp_path: Path) -> None:
    old = jpeg(tmp_path / "old.jpg", 1)
    existing = fake.add_asset(old, "old.jpg")
    new = jpeg(tmp_path / "new.jpg", 2)
    (tmp_path / "new-copy.jpg").write_bytes(new)  # same bytes, another name

    result = logged_in("upload", tmp_path, "--json")

    assert result.exit_code == 0, result.output
    rows = results_by_name(result)
    assert list(rows) == ["new-copy.jpg", "new.jpg", "old.jpg"]  # the order they were found
    assert rows["old.jpg"]["status"] == "duplicate"
    assert rows["old.jpg"]["assetId"] == existing["id"]
    assert {rows["new.jpg"]["status"], rows["new-copy.jpg"]["status"]} == {"uploaded", "duplicate"}
    assert rows["new.jpg"]["assetId"] == rows["new-copy.jpg"]["assetId"]
    # One bulk check, one upload request and one PUT: only the new bytes, once.
    assert fake.count("POST", "/bulk-upload-check") == 1
    assert [b["filename"] for b in fake.upload_requests()] in (["new.jpg"], ["new-copy.jpg"])
    assert fake.count("PUT", "s3.test") == 1


def test_a_second_run_uploads_nothing(logged_in: Cli, fake: FakeSkyroll, tmp_path: Path) -> None:
    for i in range(3):
        jpeg(tmp_path / f"{i}.jpg", i)
    assert logged_in("upload", tmp_path).exit_code == 0

    again = logged_in("upload", tmp_path, "--json")

    assert out_json(again)["summary"]["duplicate"] == 3
    assert fake.count("PUT", "s3.test") == 3


def test_server_duplicate_answer_at_upload_time_counts_as_duplicate(
    logged_in: Cli, fake: FakeSkyroll, tmp_path: Path
) -> None:
    # Someone else uploaded the same bytes between our bulk check and our upload request.
    data = jpeg(tmp_path / "race.jpg", 5)

    def race(request: httpx.Request) -> None:
        if request.url.path.endswith("uploads"):
            fake.add_asset(data, "race.jpg")

    fake.hooks.append(race)

    rows = results_by_name(logged_in("upload", tmp_path, "--json"))

    assert rows["race.jpg"]["status"] == "duplicate"
    assert rows["race.jpg"]["reason"] == "already in the library"
    assert fake.count("POST", "/bulk-upload-check") == 1
    assert fake.count("PUT", "s3.test") == 0


def test_dry_run_sends_nothing(logged_in: Cli, fake: FakeSkyroll, tmp_path: Path) -> None:
    jpeg(tmp_path / "a.jpg", 1)
    fake.add_asset(jpeg(tmp_path / "b.jpg", 2))

    result = logged_in("upload", tmp_path, "--dry-run", "--json")

    assert result.exit_code == 0
    rows = results_by_name(result)
    assert (rows["a.jpg"]["status"], rows["b.jpg"]["status"]) == ("would-upload", "duplicate")
    assert fake.upload_requests() == []
    assert fake.count("PUT", "s3.test") == 0


def test_a_failed_file_sets_exit_code_1_and_the_rest_still_upload(
    logged_in: Cli, fake: FakeSkyroll, tmp_path: Path
) -> None:
    good = jpeg(tmp_path / "good.jpg", 1)
    jpeg(tmp_path / "bad.jpg", 2)
    fake.refuse["bad.jpg"] = (413, "injected 413")

    result = logged_in("upload", tmp_path, "--json")

    assert result.exit_code == 1
    rows = results_by_name(result)
    assert rows["bad.jpg"]["status"] == "failed"
    assert rows["bad.jpg"]["reason"] == "413 Payload Too Large: injected 413"
    assert stored(fake, rows["good.jpg"]["assetId"]) == good


def test_the_summary_table_names_failures_and_skips(
    logged_in: Cli, fake: FakeSkyroll, tmp_path: Path
) -> None:
    jpeg(tmp_path / "good.jpg", 1)
    (tmp_path / "doc.pdf").write_bytes(b"%PDF-1.4")
    jpeg(tmp_path / "bad.jpg", 2)
    fake.inject("PUT", lambda r: True, [400])

    result = logged_in("upload", tmp_path)

    assert result.exit_code == 1
    assert "Upload summary" in result.stdout
    for word in ("uploaded", "failed", "skipped", "doc.pdf", "unsupported file type"):
        assert word in result.stdout
    # Each file not uploaded on one line, its whole path however long (no folding at 80).
    lines = result.stdout.splitlines()
    details = lines[lines.index("Not uploaded:") + 1 :]
    failed = details[0].split(": ")[0]  # the PUT refused first: either photo
    assert failed in {f"  failed   {tmp_path / name}" for name in ("good.jpg", "bad.jpg")}
    assert len(details) == 2
    assert details[1].startswith(f"  skipped  {tmp_path / 'doc.pdf'}: unsupported file type")


def test_retries_with_backoff_on_503_then_succeeds(
    logged_in: Cli, fake: FakeSkyroll, sleeps: list[float], tmp_path: Path
) -> None:
    data = jpeg(tmp_path / "a.jpg", 1)
    fake.inject("PUT", lambda r: r.url.host == "s3.test", [503, 503])
    fake.inject("POST", lambda r: r.url.path == "/api/assets/bulk-uploads", [502])

    result = logged_in("upload", tmp_path, "--json")

    assert result.exit_code == 0, result.output
    assert stored(fake, results_by_name(result)["a.jpg"]["assetId"]) == data
    assert fake.count("PUT", "s3.test") == 3
    # One backoff for the API's 502, then 0.5 s and 1 s (±10 % jitter) for the two 503s.
    assert len(sleeps) == 3
    first, second = sorted(sleeps)[1:] if sleeps[0] > 0.55 else sleeps[1:]
    assert 0.45 <= first <= 0.55 and 0.9 <= second <= 1.1


def test_network_errors_are_retried(
    logged_in: Cli, fake: FakeSkyroll, sleeps: list[float], tmp_path: Path
) -> None:
    jpeg(tmp_path / "a.jpg", 1)
    fake.inject("PUT", lambda r: True, [httpx.ConnectError("reset"), httpx.ReadTimeout("slow")])

    result = logged_in("upload", tmp_path, "--json")

    assert result.exit_code == 0, result.output
    assert out_json(result)["summary"]["uploaded"] == 1
    assert len(sleeps) == 2


def test_gives_up_after_the_last_attempt(
    logged_in: Cli, fake: FakeSkyroll, sleeps: list[float], tmp_path: Path
) -> None:
    jpeg(tmp_path / "a.jpg", 1)
    fake.inject("PUT", lambda r: True, [503] * 10)

    result = logged_in("upload", tmp_path, "--json")

    assert result.exit_code == 1
    assert results_by_name(result)["a.jpg"]["reason"].startswith("503")
    assert fake.count("PUT", "s3.test") == 5
    assert len(sleeps) == 4


# -- multipart ---------------------------------------------------------------------------
PART = 256 * 1024


@pytest.fixture
def multipart(fake: FakeSkyroll) -> FakeSkyroll:
    fake.multipart_threshold = 600 * 1024
    fake.part_size = PART
    return fake


def big_file(path: Path, size: int = 5 * PART + 1234) -> bytes:
    data = os.urandom(size)
    path.write_bytes(data)
    return data


def test_large_files_go_multipart_with_a_checksum_per_part(
    logged_in: Cli, multipart: FakeSkyroll, tmp_path: Path
) -> None:
    data = big_file(tmp_path / "clip.mp4")

    result = logged_in("upload", tmp_path / "clip.mp4", "--json")

    assert result.exit_code == 0, result.output
    asset_id = results_by_name(result)["clip.mp4"]["assetId"]
    assert stored(multipart, asset_id) == data
    assert sorted(multipart.part_puts()) == [1, 2, 3, 4, 5, 6]
    assert multipart.count("POST", "/complete") == 1
    assert len(JOURNAL_FILE) and json.loads((config_dir() / JOURNAL_FILE).read_text()) == {}


def test_an_interrupted_multipart_upload_resumes_without_resending_parts(
    logged_in: Cli, multipart: FakeSkyroll, tmp_path: Path
) -> None:
    data = big_file(tmp_path / "clip.mp4")
    # The link drops for good while part 4 is on its way (a 403: not retried).
    multipart.inject("PUT", lambda r: "partNumber=4" in str(r.url), [403])

    first = logged_in("upload", tmp_path, "--json", "--concurrency", "1")

    assert first.exit_code == 1
    assert results_by_name(first)["clip.mp4"]["status"] == "failed"
    journal = json.loads((config_dir() / JOURNAL_FILE).read_text())
    assert len(journal) == 1
    assert stat.S_IMODE((config_dir() / JOURNAL_FILE).stat().st_mode) == 0o600
    (upload_id,) = multipart.uploads
    assert next(iter(journal.values()))["upload_id"] == upload_id
    # One part at a time: 1-3 landed, 4 failed, 5 and 6 were never started.
    assert multipart.part_puts() == [1, 2, 3, 4]
    assert sorted(multipart.uploads[upload_id].parts) == [1, 2, 3]

    second = logged_in("upload", tmp_path, "--json")

    assert second.exit_code == 0, second.output
    row = results_by_name(second)["clip.mp4"]
    assert row["status"] == "uploaded" and row["resumedParts"] == 3
    assert multipart.count("GET", f"/uploads/{upload_id}/parts") == 1
    assert sorted(multipart.part_puts()[4:]) == [4, 5, 6]
    assert len(multipart.upload_requests()) == 1  # no second upload was created
    assert stored(multipart, row["assetId"]) == data
    assert json.loads((config_dir() / JOURNAL_FILE).read_text()) == {}


def test_resume_resends_a_part_whose_bytes_changed(
    logged_in: Cli, multipart: FakeSkyroll, tmp_path: Path
) -> None:
    data = big_file(tmp_path / "clip.mp4")
    multipart.inject("POST", lambda r: r.url.path.endswith("/complete"), [403])
    assert logged_in("upload", tmp_path, "--json").exit_code == 1
    (upload,) = multipart.uploads.values()
    # S3 holds a part 2 that is not ours (say, written by an older version of the file).
    upload.parts[2]["checksum"] = b64sha(b"something else")
    before = len(multipart.part_puts())

    result = logged_in("upload", tmp_path, "--json")

    assert result.exit_code == 0, result.output
    assert multipart.part_puts()[before:] == [2]
    assert stored(multipart, results_by_name(result)["clip.mp4"]["assetId"]) == data


def test_a_journaled_upload_the_server_forgot_starts_over(
    logged_in: Cli, multipart: FakeSkyroll, tmp_path: Path
) -> None:
    data = big_file(tmp_path / "clip.mp4")
    multipart.inject("POST", lambda r: r.url.path.endswith("/complete"), [403])
    logged_in("upload", tmp_path)
    (stale,) = list(multipart.uploads)
    del multipart.uploads[stale]  # expired server-side after 24 h
    del multipart.assets[next(iter(multipart.assets))]

    result = logged_in("upload", tmp_path, "--json")

    assert result.exit_code == 0, result.output
    assert len(multipart.upload_requests()) == 2
    assert stored(multipart, results_by_name(result)["clip.mp4"]["assetId"]) == data


def test_resume_falls_back_to_the_etag_when_s3_kept_no_checksum(
    logged_in: Cli, multipart: FakeSkyroll, tmp_path: Path
) -> None:
    data = big_file(tmp_path / "clip.mp4")
    multipart.inject("PUT", lambda r: "partNumber=5" in str(r.url), [403])
    assert logged_in("upload", tmp_path, "--json", "-c", "1").exit_code == 1
    multipart.list_checksums = False
    (upload,) = multipart.uploads.values()
    upload.parts[2]["etag"] = '"0123456789abcdef0123456789abcdef"'  # not our bytes' MD5

    result = logged_in("upload", tmp_path, "--json")

    assert result.exit_code == 0, result.output
    assert sorted(multipart.part_puts()[5:]) == [2, 5, 6]
    assert stored(multipart, results_by_name(result)["clip.mp4"]["assetId"]) == data


def test_ctrl_c_exits_130_and_the_next_run_resumes(
    logged_in: Cli, multipart: FakeSkyroll, tmp_path: Path
) -> None:
    data = big_file(tmp_path / "clip.mp4")
    # Ctrl-C arrives while part 3 is being sent.
    multipart.inject("PUT", lambda r: "partNumber=3" in str(r.url), [KeyboardInterrupt()])

    stopped = logged_in("upload", tmp_path, "--json", "-c", "1")

    assert stopped.exit_code == 130
    assert "Run the same command again" in stopped.stderr
    assert len(json.loads((config_dir() / JOURNAL_FILE).read_text())) == 1
    assert multipart.part_puts() == [1, 2, 3]

    resumed = logged_in("upload", tmp_path, "--json")

    assert resumed.exit_code == 0, resumed.output
    assert sorted(multipart.part_puts()[3:]) == [3, 4, 5, 6]
    assert stored(multipart, results_by_name(resumed)["clip.mp4"]["assetId"]) == data


def test_a_duplicate_that_is_still_pending_is_not_called_backed_up(
    logged_in: Cli, fake: FakeSkyroll, tmp_path: Path
) -> None:
    # An earlier upload request reached the server but its answer was lost: the asset is
    # pending, with no bytes, and the server now answers "duplicate".
    data = jpeg(tmp_path / "lost.jpg", 6)

    def lost_answer(request: httpx.Request) -> None:
        if request.url.path.endswith("uploads"):
            fake.add_asset(data, "lost.jpg", status="pending")

    fake.hooks.append(lost_answer)

    row = results_by_name(logged_in("upload", tmp_path, "--json"))["lost.jpg"]

    assert row["status"] == "duplicate"
    assert "pending upload of these bytes" in row["reason"]


def test_an_interrupted_single_put_is_aborted_and_sent_again_next_run(
    logged_in: Cli, fake: FakeSkyroll, tmp_path: Path
) -> None:
    data = jpeg(tmp_path / "a.jpg", 1)
    fake.inject("PUT", lambda r: r.url.host == "s3.test", [KeyboardInterrupt()])
    assert logged_in("upload", tmp_path, "--json").exit_code == 130
    (stale,) = fake.uploads.values()
    # The server now holds a pending asset with these bytes' checksum and no bytes.
    assert fake.assets[stale.asset_id]["status"] == "pending"

    result = logged_in("upload", tmp_path, "--json")

    assert result.exit_code == 0, result.output
    row = results_by_name(result)["a.jpg"]
    assert row["status"] == "uploaded" and row["assetId"] != stale.asset_id
    assert fake.count("DELETE", f"/api/assets/uploads/{stale.id}") == 1
    assert stale.asset_id not in fake.assets
    assert stored(fake, row["assetId"]) == data
    assert json.loads((config_dir() / JOURNAL_FILE).read_text()) == {}


def test_a_file_edited_after_hashing_is_refused_by_s3_and_reported(
    logged_in: Cli, fake: FakeSkyroll, tmp_path: Path
) -> None:
    path = tmp_path / "edited.jpg"
    data = jpeg(path, 7)

    def edit(request: httpx.Request) -> None:
        if request.url.path.endswith("uploads"):  # after hashing, before the PUT
            path.write_bytes(data[:-3] + b"\x00\x00\x00")

    fake.hooks.append(edit)

    result = logged_in("upload", tmp_path, "--json")

    assert result.exit_code == 1
    row = results_by_name(result)["edited.jpg"]
    assert row["reason"] == "400: BadDigest: checksum mismatch"
    assert not [k for k in fake.objects if k.endswith(".jpg")]
