"""The folder view: the client path an upload gives (the CLI sends it) is stored, and the
caller's folders and their assets are browsable (``/api/view/folder``), never anyone else's."""

from __future__ import annotations

from pathlib import Path

from tests.support.cli import login
from tests.support.harness import Harness, b64sha
from tests.support.samples import photo


def _ticket(h: Harness, token: str, name: str, data: bytes, path: str | None) -> dict:
    body = {
        "filename": name,
        "size": len(data),
        "checksum": b64sha(data),
        "contentType": "image/jpeg",
        "fileCreatedAt": "2020-05-01T10:00:00Z",
        "fileModifiedAt": "2020-05-01T10:00:00Z",
    }
    if path is not None:
        body["originalPath"] = path
    return h.call("POST", "/api/assets/uploads", body, token=token)


def test_folders_and_their_assets_are_the_callers(harness: Harness) -> None:
    h = harness
    token, other = h.user("folders@example.com"), h.user("other@example.com")
    made = {}
    for i, path in enumerate(
        [
            "/home/me/Pictures/2020/Trip/a.jpg",
            "/home/me/Pictures/2020/Trip/b.jpg",
            "/home/me/Pictures/2021/c.jpg",
            "C:\\Users\\me\\Photos\\d.jpg",
            None,
        ]
    ):
        r = _ticket(h, token, f"{i}.jpg", photo(seed=70 + i), path)
        assert r.status_code == 201, r.body
        made[path] = r.json["assetId"]
    _ticket(h, other, "x.jpg", photo(seed=79), "/home/other/Secret/x.jpg")

    paths = h.call("GET", "/api/view/folder/unique-paths", token=token)
    assert paths.status_code == 200
    assert paths.json == [
        "/home/me/Pictures/2020/Trip",
        "/home/me/Pictures/2021",
        "C:/Users/me/Photos",
    ]
    trip = h.call("GET", "/api/view/folder?path=/home/me/Pictures/2020/Trip", token=token).json
    assert [(a["id"], a["originalPath"]) for a in trip] == [
        (made["/home/me/Pictures/2020/Trip/a.jpg"], "/home/me/Pictures/2020/Trip/a.jpg"),
        (made["/home/me/Pictures/2020/Trip/b.jpg"], "/home/me/Pictures/2020/Trip/b.jpg"),
    ]
    # A parent folder lists only what is directly in it; a trailing slash is the same path.
    assert h.call("GET", "/api/view/folder?path=/home/me/Pictures", token=token).json == []
    windows = h.call("GET", "/api/view/folder?path=C:/Users/me/Photos/", token=token).json
    assert [a["originalFileName"] for a in windows] == ["3.jpg"]
    assert h.asset(token, made[None])["originalPath"] is None

    # Another user's folder is invisible, even by its exact path.
    secret = h.call("GET", "/api/view/folder?path=/home/other/Secret", token=token)
    assert secret.status_code == 200 and secret.json == []
    assert h.call("GET", "/api/view/folder/unique-paths", token=other).json == [
        "/home/other/Secret"
    ]
    # Trashed assets leave the view.
    h.call("DELETE", "/api/assets", {"ids": [made["/home/me/Pictures/2021/c.jpg"]]}, token=token)
    assert (
        "/home/me/Pictures/2021"
        not in h.call("GET", "/api/view/folder/unique-paths", token=token).json
    )
    assert h.call("GET", "/api/view/folder/unique-paths").status_code == 401
    bad = h.call("GET", "/api/view/folder", token=token)
    assert bad.status_code == 400 and bad.json["details"][0]["field"] == "path"
    folder_only = _ticket(h, token, "z.jpg", photo(seed=78), "/home/me/Pictures/")
    assert folder_only.status_code == 400
    assert folder_only.json["details"][0]["field"] == "originalPath"


def test_the_cli_sends_where_each_file_came_from(harness: Harness, skyroll, tmp_path: Path) -> None:
    h = harness
    h.user("cli-folders@example.com")
    album = tmp_path / "Pictures" / "Trip"
    album.mkdir(parents=True)
    (album / "a.jpg").write_bytes(photo(seed=90))
    (album / "b.jpg").write_bytes(photo(seed=91))
    login(skyroll, "cli-folders@example.com", "password-123")
    result = skyroll("upload", str(tmp_path / "Pictures"), "--recursive")
    assert result.exit_code == 0, result.output
    token = h.login("cli-folders@example.com", "password-123")
    folder = album.resolve().as_posix()
    assert h.call("GET", "/api/view/folder/unique-paths", token=token).json == [folder]
    listed = h.call("GET", f"/api/view/folder?path={folder}", token=token).json
    assert [a["originalPath"] for a in listed] == [f"{folder}/a.jpg", f"{folder}/b.jpg"]
