"""The web client in a real browser against the real local stack: log in, upload photos and
a video through the page, see them in the timeline, step through the viewer, favourite,
trash and restore, smart-search, rename a person, make an album, share it by a password
link and open that link as a visitor in a fresh browser context.

The tests build on each other (one library per module, like a person using the app): one
worker runs the file in order (`make test` distributes whole files).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from chalicelib.settings import Settings
from tests.support.samples import make_clip
from tests.support.stack import Stack
from tests.support.web import login, page_api, sha256_b64, timeline_total, wait_for

PHOTOS = ("chelsea", "coffee", "person_a_1", "person_a_2")


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    import skimage.data

    from tests.support.ml import jpeg_bytes

    root = tmp_path_factory.mktemp("web-files")
    faces = Settings().models_dir / "samples" / "faces"
    found = {}
    for name in ("chelsea", "coffee"):
        found[name] = root / f"{name}.jpg"
        found[name].write_bytes(jpeg_bytes(getattr(skimage.data, name)()))
    for name in ("person_a_1", "person_a_2"):
        found[name] = root / f"{name}.jpg"
        found[name].write_bytes((faces / f"{name}.jpg").read_bytes())
    found["clip"] = make_clip(root / "clip.mp4", size="320x240", seconds=1, rate=10)
    return found


@pytest.fixture(scope="module")
def state() -> dict[str, Any]:
    """What earlier tests learnt (asset ids by name) for later ones."""
    return {}


def go(page: Any, link: str, path: str) -> None:
    page.get_by_role("link", name=link, exact=True).click()
    page.wait_for_url(f"**{path}")


def thumbs(page: Any) -> Any:
    return page.locator("[data-testid=timeline] .thumb")


def test_login_opens_an_empty_timeline(page: Any, stack: Stack) -> None:
    login(page, stack)
    page.get_by_text("No photos yet").wait_for()
    me = page_api(page, stack).get("/api/users/me")
    page.get_by_text(me["email"]).wait_for()


def test_upload_photos_and_a_video_through_the_page(
    page: Any, stack: Stack, files: dict[str, Path], state: dict[str, Any]
) -> None:
    page.set_input_files("[data-testid=upload-input]", [str(p) for p in files.values()])
    panel = page.get_by_role("region", name="Uploads")
    panel.locator("li[data-status=done]").nth(len(files) - 1).wait_for()
    assert panel.locator("li[data-status=error]").count() == 0

    api = page_api(page, stack)
    assets = api.get("/api/assets", size=100)["items"]
    by_name = {a["originalFileName"]: a for a in assets}
    assert sorted(by_name) == sorted(p.name for p in files.values())
    for p in files.values():
        # The bytes S3 holds are the file's: the API verified the SHA-256 the page signed.
        assert by_name[p.name]["checksum"] in (sha256_b64(p), sha256_b64(p).rstrip("="))
    state["ids"] = {n: by_name[p.name]["id"] for n, p in files.items()}

    # The same file again is reported as a duplicate, not uploaded twice.
    page.set_input_files("[data-testid=upload-input]", [str(files["coffee"])])
    panel.locator("li[data-status=duplicate]").wait_for()
    assert "Already in your library" in panel.locator("li[data-status=duplicate]").inner_text()
    assert len(api.get("/api/assets", size=100)["items"]) == len(files)


def test_uploads_appear_in_the_timeline_with_thumbnails(
    page: Any, stack: Stack, state: dict[str, Any]
) -> None:
    api = page_api(page, stack)
    wait_for(
        "every asset processed",
        lambda: all(a["status"] == "ready" for a in api.get("/api/assets", size=100)["items"]),
    )
    # No reload: the page looks for pending assets after an upload and refreshes itself.
    grid = thumbs(page)
    grid.nth(len(state["ids"]) - 1).wait_for()
    assert page.get_by_test_id("timeline").get_attribute("data-total") == str(len(state["ids"]))
    assert sorted(grid.evaluate_all("els => els.map(e => e.dataset.assetId)")) == sorted(
        state["ids"].values()
    )
    # Each placeholder gave way to its thumbnail, fetched from S3 with a signed URL.
    page.locator("[data-testid=timeline] img.loaded").nth(len(state["ids"]) - 1).wait_for()
    sources = page.locator("[data-testid=timeline] img").evaluate_all(
        "els => els.map(e => [e.src, e.naturalWidth])"
    )
    for src, width in sources:
        assert "/thumbnail.webp?" in src and "X-Amz-Signature=" in src
        assert width > 0


def test_viewer_steps_through_every_asset_and_plays_the_video(
    page: Any, state: dict[str, Any]
) -> None:
    thumbs(page).first.locator("button.open").click()
    viewer = page.get_by_role("dialog", name="Viewer")
    seen = []
    for _ in range(len(state["ids"])):
        asset_id = viewer.get_attribute("data-asset-id")
        seen.append(asset_id)
        if asset_id == state["ids"]["clip"]:
            video = page.get_by_test_id("video")
            video.wait_for()
            assert re.search(r"/(original|encoded)\.mp4\?", video.get_attribute("src"))
        else:
            preview = page.get_by_test_id("preview")
            preview.wait_for()
            assert "/preview.jpeg?" in preview.get_attribute("src")
            page.wait_for_function(
                "() => document.querySelector('[data-testid=preview]')?.naturalWidth > 0"
            )
        page.keyboard.press("ArrowRight")
        if len(seen) < len(state["ids"]):
            page.wait_for_function(
                f"() => document.querySelector('[role=dialog]').dataset.assetId !== '{asset_id}'"
            )
    assert sorted(seen) == sorted(state["ids"].values())
    # Back once with the other arrow, then Esc closes.
    page.keyboard.press("ArrowLeft")
    page.wait_for_function(
        f"() => document.querySelector('[role=dialog]').dataset.assetId === '{seen[-2]}'"
    )
    page.keyboard.press("Escape")
    assert viewer.count() == 0


def test_favourite_then_trash_and_restore(page: Any, stack: Stack, state: dict[str, Any]) -> None:
    api = page_api(page, stack)
    coffee = state["ids"]["coffee"]
    page.locator(f"[data-asset-id='{coffee}'] button.open").click()
    page.keyboard.press("f")
    wait_for("favourite", lambda: api.get(f"/api/assets/{coffee}")["isFavorite"], 10)
    page.keyboard.press("Escape")

    go(page, "Favorites", "/favorites")
    timeline_total(page, 1)
    page.locator(f"[data-testid=timeline] [data-asset-id='{coffee}']").wait_for()
    assert thumbs(page).count() == 1

    page.locator(f"[data-asset-id='{coffee}'] button.open").click()
    page.keyboard.press("Delete")
    wait_for("trashed", lambda: api.get(f"/api/assets/{coffee}")["isTrashed"], 10)
    go(page, "Trash", "/trash")
    timeline_total(page, 1)
    page.locator(f"[data-testid=timeline] [data-asset-id='{coffee}']").wait_for()
    page.locator(f"[data-asset-id='{coffee}'] button.open").click()
    page.get_by_role("button", name="Restore").click()
    wait_for("restored", lambda: not api.get(f"/api/assets/{coffee}")["isTrashed"], 10)
    page.keyboard.press("Escape")
    timeline_total(page, 0)
    go(page, "Photos", "/")
    timeline_total(page, len(state["ids"]))
    page.locator(f"[data-testid=timeline] [data-asset-id='{coffee}']").wait_for()


def test_smart_search_finds_the_cat(page: Any, stack: Stack, state: dict[str, Any]) -> None:
    page.keyboard.press("Control+k")
    search = page.get_by_role("searchbox", name="Search")
    assert search.evaluate("el => el === document.activeElement")
    search.fill("cat")
    search.press("Enter")
    page.wait_for_url("**/search?q=cat")
    first = page.locator("[data-testid=grid] .thumb").first
    first.wait_for()
    assert first.get_attribute("data-asset-id") == state["ids"]["chelsea"]
    # The query lives in the URL: a reload shows the same result.
    page.reload()
    assert (
        page.locator("[data-testid=grid] .thumb").first.get_attribute("data-asset-id")
        == state["ids"]["chelsea"]
    )


def test_rename_a_person(page: Any, stack: Stack, state: dict[str, Any]) -> None:
    api = page_api(page, stack)
    people = wait_for("a person from the two portraits", lambda: api.get("/api/people")["people"])
    go(page, "People", "/people")
    page.locator(f"a[href='/people/{people[0]['id']}']").click()
    name = page.get_by_label("Name")
    name.fill("Ada Lovelace")
    page.get_by_role("button", name="Save name").click()
    wait_for(
        "renamed", lambda: api.get(f"/api/people/{people[0]['id']}")["name"] == "Ada Lovelace", 10
    )
    # The person's photos are the two portraits.
    timeline_total(page, 2)
    thumbs(page).nth(1).wait_for()
    shown = sorted(thumbs(page).evaluate_all("els => els.map(e => e.dataset.assetId)"))
    assert shown == sorted([state["ids"]["person_a_1"], state["ids"]["person_a_2"]])
    go(page, "People", "/people")
    page.get_by_text("Ada Lovelace").wait_for()


def test_album_shared_by_password_link_opens_for_a_visitor(
    page: Any, browser: Any, stack: Stack, state: dict[str, Any]
) -> None:
    api = page_api(page, stack)
    go(page, "Albums", "/albums")
    page.get_by_label("New album name").fill("Holiday")
    page.get_by_role("button", name="Create album").click()
    page.wait_for_url("**/albums/*")
    album_id = page.url.rsplit("/", 1)[1]

    # Pick two photos in the timeline (click, then shift-click) and add them to the album.
    go(page, "Photos", "/")
    timeline_total(page, len(state["ids"]))
    thumbs(page).nth(1).wait_for()
    ordered = thumbs(page).evaluate_all("els => els.map(e => e.dataset.assetId)")
    page.locator(f"[data-asset-id='{ordered[0]}'] .check").click()
    page.locator(f"[data-asset-id='{ordered[1]}'] .check").click(modifiers=["Shift"])
    page.get_by_role("toolbar", name="Selection").get_by_text("2 selected").wait_for()
    page.get_by_role("button", name="Add to album").click()
    page.get_by_role("menuitem", name="Holiday").click()
    wait_for("album filled", lambda: api.get(f"/api/albums/{album_id}")["assetCount"] == 2, 10)

    page.goto(f"{stack.web_url}/albums/{album_id}")
    timeline_total(page, 2)
    page.get_by_role("button", name="Share by link").click()
    page.get_by_label("Password (optional)").fill("sesame-open")
    page.get_by_role("button", name="Create link").click()
    url = page.get_by_test_id("share-url").input_value()
    key = url.rsplit("/share/", 1)[1]

    visitor = browser.new_context()
    try:
        v = visitor.new_page()
        v.set_default_timeout(20_000)
        urls: list[str] = []
        v.on("request", lambda req: urls.append(req.url))
        v.goto(f"{stack.web_url}/share/{key}")
        v.get_by_text("This link is protected").wait_for()
        v.get_by_label("Password").fill("wrong")
        v.get_by_role("button", name="Open").click()
        v.get_by_role("alert").get_by_text("Incorrect shared link password").wait_for()
        v.get_by_label("Password").fill("sesame-open")
        v.get_by_role("button", name="Open").click()
        v.get_by_role("heading", name="Holiday").wait_for()
        grid = v.locator("[data-testid=grid] .thumb")
        grid.nth(1).wait_for()
        assert sorted(grid.evaluate_all("els => els.map(e => e.dataset.assetId)")) == sorted(
            ordered[:2]
        )
        v.locator("[data-testid=grid] img.loaded").nth(1).wait_for()
        assert v.evaluate("localStorage.getItem('skyroll.token')") is None
        # The viewer's preview (or video, if the first is the clip) is a signed URL too.
        v.locator("[data-testid=grid] button.open").first.click()
        shown = v.locator("[role=dialog] [data-testid=preview], [role=dialog] video")
        shown.wait_for()
        assert "X-Amz-Signature=" in (shown.get_attribute("src") or "")
        if shown.evaluate("el => el.tagName") == "IMG":
            loaded = "el => el.complete && el.naturalWidth > 0"
            v.wait_for_function(loaded, arg=shown.element_handle())
        # The key, the password and the visitor token went as headers: no URL the page
        # fetched carries them; <img> tags load signed S3 URLs of one object each.
        api_urls = [u for u in urls if "/api/" in u]
        assert any(u.endswith("/api/shared-links/me/media-urls") for u in api_urls), api_urls
        page_url = f"{stack.web_url}/share/{key}"
        assert not [u for u in urls if key in u and u != page_url]
        assert not [u for u in urls if "token=" in u or "sesame-open" in u or "wrong" in u]
        images = grid.locator("img").evaluate_all("els => els.map(e => e.src)")
        assert images and all("X-Amz-Signature=" in src for src in images), images
        assert not [src for src in images if "/api/" in src]
    finally:
        visitor.close()


def test_empty_trash_waits_for_its_job_then_refreshes(
    page: Any, stack: Stack, state: dict[str, Any]
) -> None:
    # Last in the module: it deletes the clip for good.
    api = page_api(page, stack)
    clip = state["ids"]["clip"]
    page.goto(f"{stack.web_url}/")
    page.locator(f"[data-asset-id='{clip}'] button.open").click()
    page.keyboard.press("Delete")
    wait_for("trashed", lambda: api.get(f"/api/assets/{clip}")["isTrashed"], 10)
    page.keyboard.press("Escape")
    go(page, "Trash", "/trash")
    timeline_total(page, 1)
    # The server answers 202 with a job; the page polls it, then says how many went.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Empty trash").click()
    page.get_by_role("status").get_by_text("Deleted 1").wait_for()
    timeline_total(page, 0)
    (job, *_) = api.get("/api/bulk-jobs")
    assert (job["kind"], job["status"], job["processed"]) == ("empty-trash", "succeeded", 1)
    assert clip not in [a["id"] for a in api.get("/api/assets", size=100)["items"]]
    assert api.get("/api/assets", isTrashed="true")["items"] == []
