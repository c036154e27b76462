from __future__ import annotations

import os
from pathlib import Path

import httpx

from tests.support.cli import Cli, out_json
from tests.support.fake_server import FakeSkyroll


def test_assets_list_json_prints_the_api_json(logged_in: Cli, fake: FakeSkyroll) -> None:
    a = fake.add_asset(b"one", "one.jpg")
    b = fake.add_asset(b"two", "two.jpg")

    result = logged_in("assets", "list", "--json")

    assert result.exit_code == 0, result.output
    assert out_json(result) == {"items": [a, b], "nextPage": None, "nextCursor": None}


def test_assets_list_sends_filters_and_pages(logged_in: Cli, fake: FakeSkyroll) -> None:
    for i in range(5):
        fake.add_asset(f"img{i}".encode(), f"{i}.jpg")
    fake.add_asset(b"vid", "v.mp4", type="VIDEO")

    page = logged_in(
        "assets",
        "list",
        "--json",
        "--size",
        "2",
        "--type",
        "image",
        "--favorite",
        "--taken-after",
        "2024-01-01",
    )
    every = logged_in("assets", "list", "--json", "--size", "2", "--all", "--type", "IMAGE")

    lists = [r for r in fake.requests if r.url.path == "/api/assets"]
    assert dict(lists[0].url.params) == {
        "page": "1",
        "size": "2",
        "type": "IMAGE",
        "isFavorite": "true",
        "takenAfter": "2024-01-01",
    }
    assert out_json(page)["nextPage"] == 2 and len(out_json(page)["items"]) == 2
    names = [a["originalFileName"] for a in out_json(every)["items"]]
    assert names == [f"{i}.jpg" for i in range(5)]
    # --all follows nextCursor (keyset paging) after the first page.
    assert [r.url.params.get("cursor") for r in lists[1:]] == [None, "2", "4"]


def test_assets_list_table_shows_names_status_and_failure_reasons(
    logged_in: Cli, fake: FakeSkyroll
) -> None:
    fake.add_asset(b"ok", "beach.jpg")
    fake.add_asset(b"bad", "broken.jpg", status="failed", failureReason="truncated JPEG")

    result = logged_in("assets", "list")

    assert result.exit_code == 0
    for text in ("beach.jpg", "ready", "broken.jpg", "failed: truncated JPEG"):
        assert text in result.stdout


def test_assets_list_lines_show_control_characters_and_json_keeps_them(
    logged_in: Cli, fake: FakeSkyroll
) -> None:
    fake.add_asset(b"ok", "one.jpg")
    fake.add_asset(b"evil", "x.jpg\nfake-id  IMAGE\x1b[31m.jpg")

    lines = logged_in("assets", "list")
    as_json = logged_in("assets", "list", "--json")

    assert lines.exit_code == 0, lines.output
    assert len(lines.stdout.splitlines()) == 2 and "\x1b" not in lines.stdout
    assert lines.stdout.splitlines()[1].endswith("x.jpg\\nfake-id  IMAGE\\x1b[31m.jpg")
    names = [a["originalFileName"] for a in out_json(as_json)["items"]]
    assert names == ["one.jpg", "x.jpg\nfake-id  IMAGE\x1b[31m.jpg"]


def test_assets_show(logged_in: Cli, fake: FakeSkyroll) -> None:
    asset = fake.add_asset(b"x", "cat.jpg")

    as_json = logged_in("assets", "show", asset["id"], "--json")
    table = logged_in("assets", "show", asset["id"])
    missing = logged_in("assets", "show", "nope")

    assert out_json(as_json) == asset
    assert "exif.model" in table.stdout and "EOS R5" in table.stdout
    assert (
        missing.exit_code == 1 and "404" in missing.stderr and "Asset not found" in missing.stderr
    )


def test_download_follows_the_redirect_without_auth_and_checks_the_sha256(
    logged_in: Cli, fake: FakeSkyroll, tmp_path: Path
) -> None:
    data = os.urandom(3 * 1024 * 1024)
    asset = fake.add_asset(data, "../../etc/holiday.jpg")  # a hostile name stays a name

    out = tmp_path / "out"
    out.mkdir()

    result = logged_in("download", asset["id"], "-o", out)

    assert result.exit_code == 0, result.output
    target = out / "holiday.jpg"
    assert result.stdout.strip() == str(target)
    assert target.read_bytes() == data
    s3_gets = [r for r in fake.requests if r.url.host == "s3.test"]
    assert len(s3_gets) == 1 and "authorization" not in s3_gets[0].headers
    assert list(out.iterdir()) == [target]  # no temporary file left behind


def test_download_to_a_file_path_and_refusing_to_overwrite(
    logged_in: Cli, fake: FakeSkyroll, tmp_path: Path
) -> None:
    asset = fake.add_asset(b"pixels", "a.jpg")
    target = tmp_path / "copy.jpg"

    assert logged_in("download", asset["id"], "-o", target).exit_code == 0
    assert target.read_bytes() == b"pixels"
    again = logged_in("download", asset["id"], "-o", target)
    assert again.exit_code == 1 and "--force" in again.stderr
    assert logged_in("download", asset["id"], "-o", target, "--force").exit_code == 0


def test_download_with_a_wrong_checksum_fails_and_leaves_no_file(
    logged_in: Cli, fake: FakeSkyroll, tmp_path: Path
) -> None:
    asset = fake.add_asset(b"original", "a.jpg")
    fake.objects[fake.key_for(asset["id"], "a.jpg")] = b"bit rot"

    out = tmp_path / "out"
    out.mkdir()

    result = logged_in("download", asset["id"], "-o", out)

    assert result.exit_code == 1 and "checksum mismatch" in result.stderr
    assert list(out.iterdir()) == []


def test_download_retries_a_dropped_connection(
    logged_in: Cli, fake: FakeSkyroll, sleeps: list[float], tmp_path: Path
) -> None:
    asset = fake.add_asset(b"data", "a.jpg")
    fake.inject("GET", lambda r: r.url.host == "s3.test", [httpx.ReadError("reset")])

    result = logged_in("download", asset["id"], "-o", tmp_path)

    assert result.exit_code == 0, result.output
    assert (tmp_path / "a.jpg").read_bytes() == b"data" and len(sleeps) == 1


def test_unreachable_server_is_one_clear_line(
    logged_in: Cli, fake: FakeSkyroll, sleeps: list[float]
) -> None:
    fake.inject("GET", lambda r: True, [httpx.ConnectError("refused")] * 5)

    result = logged_in("assets", "list")

    assert result.exit_code == 1
    assert "cannot reach the server" in result.stderr and "Traceback" not in result.output


def test_search_sends_the_query_and_prints_hits(logged_in: Cli, fake: FakeSkyroll) -> None:
    cat = fake.add_asset(b"c", "cat-on-sofa.jpg")
    fake.add_asset(b"d", "dog.jpg")

    as_json = logged_in("search", "a cat", "--json", "--size", "5")
    table = logged_in("search", "cat")

    assert fake.bodies("POST", "/api/search/smart")[0] == {"query": "a cat", "page": 1, "size": 5}
    assert [a["id"] for a in out_json(as_json)["items"]] == [cat["id"]]
    assert "cat-on-sofa.jpg" in table.stdout and "dog.jpg" not in table.stdout
