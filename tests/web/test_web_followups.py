"""More of the web client in a real browser against the real local stack: a photo's own likes
and comments in a shared album's viewer (another member adds them, the owner sees them on
that photo), a Live Photo playing its motion part while the pointer rests on its timeline
tile, the selection's keyboard shortcuts for Stack and Edit, and uploading a whole folder
(its paths make the folder view, as the CLI's do). Each drives the page, then asserts what
the page shows and what the API then returns.

The tests build on each other (one library per module): one worker runs the file in order.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.samples import photo
from tests.support.stack import Stack
from tests.support.web import (
    browser_page,
    login,
    page_api,
    show_processed,
    timeline_total,
    upload_motion_photo,
    wait_for,
)

PHOTOS = {  # name: the day it was taken (the timeline's order, newest first)
    "x": "2022-05-06",
    "y": "2022-05-05",
    "s1": "2022-04-02",
    "s2": "2022-04-01",
    "e1": "2022-03-02",
    "e2": "2022-03-01",
}
MOTION = "PXL_20240101_120000000.MP.jpg"
GRACE = {"name": "Grace Hopper", "email": "grace@e2e.test", "password": "grace-password-1"}


@pytest.fixture(scope="module")
def ids(page: Any, stack: Stack) -> dict[str, str]:
    """Six photos and a Google motion photo, uploaded through the API (the page's own upload
    is tested below), every one processed."""
    # This machine's tests share two cores: a step may wait longer than the usual 20 s.
    page.set_default_timeout(60_000)
    login(page, stack)
    api = page_api(page, stack)
    found = {}
    for seed, (name, day) in enumerate(PHOTOS.items(), start=30):
        taken = f"{day}T10:00:00Z"
        found[name] = api.upload(
            f"{name}.jpg",
            photo(seed=seed, size=(320, 240)),
            fileCreatedAt=taken,
            fileModifiedAt=taken,
        )
    found["motion"] = upload_motion_photo(api, MOTION)
    show_processed(page, stack, api, found)
    return found


@pytest.fixture
def grace_page(browser: Any, stack: Stack) -> Iterator[Any]:
    """A second person in their own browser context."""
    with browser_page(browser, timeout_ms=60_000) as p:
        yield p


def tile(page: Any, asset_id: str) -> Any:
    return page.locator(f"[data-testid=timeline] [data-asset-id='{asset_id}']")


def open_viewer(page: Any, asset_id: str) -> Any:
    tile(page, asset_id).locator("button.open").click()
    page.locator(f"[role=dialog][data-asset-id='{asset_id}']").wait_for()
    return page.get_by_role("dialog", name="Viewer")


def select(page: Any, *asset_ids: str) -> None:
    for asset_id in asset_ids:
        tile(page, asset_id).locator(".check").click()
    bar = page.get_by_role("toolbar", name="Selection")
    bar.get_by_text(f"{len(asset_ids)} selected").wait_for()


def test_a_member_likes_and_comments_on_one_photo_the_owner_sees_it_there(
    page: Any, grace_page: Any, stack: Stack, ids: dict[str, str]
) -> None:
    api = page_api(page, stack)
    x, y = ids["x"], ids["y"]
    grace = api.post("/api/admin/users", GRACE)
    album = api.post("/api/albums", {"albumName": "Spring", "assetIds": [x, y]})
    # A viewer may like and comment too: the API lets everyone who sees the album do so.
    api.put(
        f"/api/albums/{album['id']}/users",
        {"albumUsers": [{"userId": grace["id"], "role": "viewer"}]},
    )

    # Grace likes photo x and comments on it from the viewer opened in the album.
    login(grace_page, stack, GRACE["email"], GRACE["password"])
    grace_page.goto(f"{stack.web_url}/albums/{album['id']}")
    viewer = open_viewer(grace_page, x)
    viewer.get_by_role("button", name="Activity on this photo").click()
    panel = viewer.get_by_role("complementary", name="Photo activity")
    panel.get_by_text("No likes or comments yet.").wait_for()
    panel.get_by_role("button", name="Like", exact=True).click()
    panel.get_by_role("button", name="Unlike", exact=True).wait_for()
    panel.get_by_label("Comment", exact=True).fill("What a sky!")
    panel.get_by_role("button", name="Send").click()
    panel.get_by_text("What a sky!").wait_for()
    viewer.get_by_test_id("photo-activity-count").get_by_text("1 ♥ 1").wait_for()

    # The API holds both on the photo, none on the album itself.
    said = api.get("/api/activities", albumId=album["id"])
    assert sorted((a["user"]["id"], a["type"], a["assetId"], a["comment"]) for a in said) == [
        (grace["id"], "comment", x, "What a sky!"),
        (grace["id"], "like", x, None),
    ]
    assert api.get("/api/activities", albumId=album["id"], level="album") == []

    # The owner sees them on photo x, with its count before opening the panel...
    page.goto(f"{stack.web_url}/albums/{album['id']}")
    viewer = open_viewer(page, x)
    viewer.get_by_test_id("photo-activity-count").get_by_text("1 ♥ 1").wait_for()
    viewer.get_by_role("button", name="Activity on this photo").click()
    panel = viewer.get_by_role("complementary", name="Photo activity")
    comment = panel.locator("li[data-type=comment]")
    comment.get_by_text("What a sky!").wait_for()
    assert "Grace Hopper" in comment.inner_text()
    assert panel.get_by_role("button", name="Like", exact=True).inner_text().strip() == "♡ 1"
    # ...and likes it too, on the photo.
    panel.get_by_role("button", name="Like", exact=True).click()
    panel.get_by_role("button", name="Unlike", exact=True).wait_for()
    # The viewer's count: comments, then likes.
    viewer.get_by_test_id("photo-activity-count").get_by_text("1 ♥ 2").wait_for()
    assert api.get("/api/activities/statistics", albumId=album["id"], assetId=x) == {
        "comments": 1,
        "likes": 2,
    }

    # Photo y has none: the panel follows the viewer to the next photo.
    page.keyboard.press("ArrowRight")
    page.locator(f"[role=dialog][data-asset-id='{y}']").wait_for()
    panel = viewer.get_by_role("complementary", name="Photo activity")
    panel.get_by_text("No likes or comments yet.").wait_for()
    assert panel.get_attribute("data-asset-id") == y
    page.keyboard.press("Escape")
    viewer.wait_for(state="detached")

    # The album's feed lists the comment with its photo, not as one about the album; the
    # album itself has no like.
    page.get_by_role("button", name="Activity (2 ♥, 1 💬)").click()
    feed = page.get_by_role("complementary", name="Activity")
    item = feed.locator("li[data-type=comment]")
    item.get_by_text("What a sky!").wait_for()
    assert item.get_attribute("data-asset-id") == x
    assert "on a photo" in item.inner_text()
    item.get_by_role("img", name="The photo").wait_for()
    assert feed.get_by_role("button", name="Like", exact=True).inner_text().strip() == "♡ 0"

    # The owner may delete a member's comment, from the photo's panel.
    viewer = open_viewer(page, x)
    viewer.get_by_role("button", name="Activity on this photo").click()
    panel = viewer.get_by_role("complementary", name="Photo activity")
    panel.get_by_role("button", name="Delete comment by Grace Hopper").click()
    panel.get_by_text("What a sky!").wait_for(state="detached")
    left = api.get("/api/activities", albumId=album["id"])
    assert sorted((a["type"], a["assetId"]) for a in left) == [("like", x), ("like", x)]
    page.keyboard.press("Escape")
    viewer.wait_for(state="detached")


def test_a_live_photo_plays_while_hovering_its_tile(
    page: Any, stack: Stack, ids: dict[str, str]
) -> None:
    api = page_api(page, stack)
    part = api.get(f"/api/assets/{ids['motion']}")["livePhotoVideoId"]
    asked: list[str] = []
    page.on("request", lambda r: f"/api/assets/{part}/playback" in r.url and asked.append(r.url))
    page.goto(f"{stack.web_url}/")
    timeline_total(page, len(ids))
    live = tile(page, ids["motion"])
    assert live.get_by_label("Live photo").inner_text().strip() == "◎ LIVE"
    # Nothing is fetched for the motion part until the pointer comes.
    tile(page, ids["x"]).hover()
    assert asked == [] and page.get_by_test_id("tile-motion").count() == 0

    live.hover()
    motion = live.get_by_test_id("tile-motion")
    motion.wait_for()
    assert re.search(r"/(original|encoded)\.mp4\?", motion.get_attribute("src"))
    assert part in motion.get_attribute("src")
    assert len(asked) == 1
    # It really plays: Chromium has decoded its first frames.
    page.wait_for_function(
        "v => v.readyState >= 2 || v.error", arg=motion.element_handle(), timeout=60_000
    )
    assert motion.evaluate("v => v.error && v.error.code") is None
    # Leaving stops it; coming back plays it again without asking again.
    tile(page, ids["x"]).hover()
    motion.wait_for(state="detached")
    live.hover()
    motion.wait_for()
    assert len(asked) == 1
    page.mouse.move(5, 890)
    motion.wait_for(state="detached")
    # A photo without a motion part plays nothing.
    tile(page, ids["y"]).hover()
    assert page.get_by_test_id("tile-motion").count() == 0


def test_s_stacks_and_e_edits_the_selection(page: Any, stack: Stack, ids: dict[str, str]) -> None:
    api = page_api(page, stack)
    # Both are in the shortcuts' list.
    page.keyboard.press("?")
    help_ = page.get_by_role("dialog", name="Keyboard shortcuts")
    help_.get_by_text("Stack the selected photos").wait_for()
    keys = help_.locator("dt").all_inner_texts()
    assert "s" in keys and "e (with a selection)" in keys
    help_.get_by_role("button", name="Close").click()

    # Without a selection, s does nothing.
    page.keyboard.press("s")
    assert api.get("/api/stacks") == []

    select(page, ids["s1"], ids["s2"])
    page.keyboard.press("s")
    page.get_by_role("status").get_by_text("Stacked: 2").wait_for()
    (made,) = api.get("/api/stacks")
    assert made["primaryAssetId"] == ids["s1"]
    assert sorted(a["id"] for a in made["assets"]) == sorted([ids["s1"], ids["s2"]])
    timeline_total(page, len(ids) - 1)
    assert tile(page, ids["s1"]).get_by_label("Stack of 2").inner_text().strip() == "❐ 2"

    select(page, ids["e1"], ids["e2"])
    page.keyboard.press("e")
    form = page.get_by_role("dialog", name="Edit 2 assets")
    form.get_by_label("Date", exact=True).fill("2017-08-09")
    form.get_by_label("Time", exact=True).fill("07:30:00")
    form.get_by_label("Time zone").select_option("+01:00")
    form.get_by_role("button", name="Save").click()
    page.get_by_role("status").get_by_text("Updated 2").wait_for()
    for name in ("e1", "e2"):
        edited = api.get(f"/api/assets/{ids[name]}")
        assert edited["localDateTime"].startswith("2017-08-09T07:30:00"), edited
        assert edited["exifInfo"]["timeZone"] == "+01:00"
    page.locator("[data-testid=timeline] h2.month", has_text="August 2017").wait_for()
    # e again closes the form it opened.
    select(page, ids["x"])
    page.keyboard.press("e")
    page.get_by_role("dialog", name="Edit 1 assets").wait_for()
    page.keyboard.press("e")
    page.get_by_role("dialog", name="Edit 1 assets").wait_for(state="detached")
    page.keyboard.press("Escape")
    page.get_by_role("toolbar", name="Selection").wait_for(state="detached")


def test_uploading_a_folder_sends_its_paths_to_the_folder_view(
    page: Any, stack: Stack, ids: dict[str, str], tmp_path: Path
) -> None:
    api = page_api(page, stack)
    folder = tmp_path / "Holiday"
    folder.mkdir()
    (folder / "sun.jpg").write_bytes(photo(seed=90, size=(320, 240)))
    (folder / "sea.jpg").write_bytes(photo(seed=91, size=(320, 240)))
    (tmp_path / "alone.jpg").write_bytes(photo(seed=92, size=(320, 240)))

    page.goto(f"{stack.web_url}/")
    page.get_by_test_id("upload-folder-input").set_input_files(str(folder))
    panel = page.get_by_role("region", name="Uploads")
    panel.locator("li[data-status=done]").nth(1).wait_for()
    assert panel.locator("li[data-status=error]").count() == 0
    # The panel names each file by its path in the folder.
    shown = panel.locator("li .file").all_inner_texts()
    assert sorted(t.split()[0] for t in shown) == ["Holiday/sea.jpg", "Holiday/sun.jpg"]
    # A lone file keeps today's behaviour: no path.
    page.get_by_test_id("upload-input").set_input_files(str(tmp_path / "alone.jpg"))
    panel.locator("li[data-status=done]").nth(2).wait_for()

    names = {"sun.jpg", "sea.jpg", "alone.jpg"}
    uploaded = wait_for(
        "all three processed",
        lambda: (
            len(
                x := [
                    a
                    for a in api.get("/api/assets", size=100)["items"]
                    if a["originalFileName"] in names
                ]
            )
            == 3
            and all(a["status"] == "ready" for a in x)
            and x
        ),
    )
    by_name = {a["originalFileName"]: a["id"] for a in uploaded}
    paths = {n: api.get(f"/api/assets/{i}")["originalPath"] for n, i in by_name.items()}
    assert paths == {"sun.jpg": "Holiday/sun.jpg", "sea.jpg": "Holiday/sea.jpg", "alone.jpg": None}

    page.get_by_role("link", name="Folders", exact=True).click()
    page.wait_for_url("**/folders")
    tree = page.get_by_role("tree", name="Folder tree")
    tree.get_by_role("link", name="📁 Holiday", exact=True).click()
    page.wait_for_url(re.compile(r"/folders\?path=Holiday$"))
    page.get_by_test_id("folder-count").get_by_text("2 items").wait_for()
    grid = page.locator("[data-testid=grid] .thumb")
    grid.nth(1).wait_for()
    assert sorted(grid.evaluate_all("els => els.map(e => e.dataset.assetId)")) == sorted(
        [by_name["sun.jpg"], by_name["sea.jpg"]]
    )
