"""The web client's screens beyond the basics, in a real browser against the real local stack:
editing an asset's date, place and description (one, then many), stacks, a Live Photo's
motion part, the folder view, album activity, the server settings and external libraries.
Each drives the page, then asserts what the page shows and what the API then returns.

The tests build on each other (one library per module): one worker runs the file in order.
"""

from __future__ import annotations

import re
from typing import Any

import boto3
import httpx
import pytest

from tests.support.samples import photo
from tests.support.stack import Stack
from tests.support.web import (
    Api,
    login,
    page_api,
    show_processed,
    timeline_total,
    upload_motion_photo,
    wait_for,
)

PICTURES = "/home/ada/Pictures"
FILES = {
    "a": (f"{PICTURES}/2020/a.jpg", "2020-03-01T10:00:00Z"),
    "b": (f"{PICTURES}/2020/b.jpg", "2020-03-02T10:00:00Z"),
    "c": (f"{PICTURES}/2021/Trip/c.jpg", "2021-06-01T10:00:00Z"),
    "d": (f"{PICTURES}/2021/Trip/d.jpg", "2021-06-02T10:00:00Z"),
}
MOTION = "PXL_20240101_120000000.MP.jpg"


@pytest.fixture(scope="module")
def ids(page: Any, stack: Stack) -> dict[str, str]:
    """The library the tests share: four photos from two folders and a Google motion photo,
    uploaded through the API (the page's upload has its own tests), every one processed."""
    # This machine's tests share two cores: a step may wait longer than the usual 20 s.
    page.set_default_timeout(60_000)
    login(page, stack)
    api = page_api(page, stack)
    found = {}
    for seed, (name, (path, taken)) in enumerate(FILES.items(), start=1):
        found[name] = api.upload(
            path.rsplit("/", 1)[1],
            photo(seed=seed, size=(320, 240)),
            originalPath=path,
            fileCreatedAt=taken,
            fileModifiedAt=taken,
        )
    found["motion"] = upload_motion_photo(api, MOTION, originalPath=f"/home/ada/Phone/{MOTION}")
    show_processed(page, stack, api, found)
    return found


def open_viewer(page: Any, asset_id: str) -> Any:
    page.locator(f"[data-testid=timeline] [data-asset-id='{asset_id}'] button.open").click()
    viewer = page.get_by_role("dialog", name="Viewer")
    page.locator(f"[role=dialog][data-asset-id='{asset_id}']").wait_for()
    return viewer


def month(page: Any, label: str) -> Any:
    return page.locator("[data-testid=timeline] h2.month", has_text=label)


def select(page: Any, *asset_ids: str) -> None:
    for asset_id in asset_ids:
        page.locator(f"[data-testid=timeline] [data-asset-id='{asset_id}'] .check").click()
    bar = page.get_by_role("toolbar", name="Selection")
    bar.get_by_text(f"{len(asset_ids)} selected").wait_for()


def test_edit_date_place_and_description_in_the_viewer(
    page: Any, stack: Stack, ids: dict[str, str]
) -> None:
    api = page_api(page, stack)
    viewer = open_viewer(page, ids["a"])
    page.keyboard.press("e")
    form = viewer.get_by_role("form", name="Edit details")
    form.get_by_label("Date", exact=True).fill("2019-07-24")
    form.get_by_label("Time", exact=True).fill("11:25:40")
    form.get_by_label("Time zone").select_option("+02:00")
    form.get_by_label("Latitude").fill("48.8584")
    form.get_by_label("Longitude").fill("2.2945")
    form.get_by_label("Description").fill("The tower at noon")
    form.get_by_role("button", name="Save").click()

    a = wait_for(
        "the edit saved",
        lambda: (x := api.get(f"/api/assets/{ids['a']}"))["exifInfo"].get("description") and x,
        60,  # the first place looked up loads the geocoder's data
    )
    e = a["exifInfo"]
    assert a["localDateTime"].startswith("2019-07-24T11:25:40")
    assert (e["timeZone"], e["dateSource"], e["timeZoneSource"]) == ("+02:00", "user", "user")
    assert (e["latitude"], e["longitude"], e["description"]) == (
        48.8584,
        2.2945,
        "The tower at noon",
    )
    # The panel shows what was saved, and the viewer stayed on the photo while the timeline
    # moved it to its new month.
    assert "The tower at noon" in viewer.get_by_test_id("info-description").inner_text()
    assert "UTC+02:00" in viewer.get_by_test_id("info-date").inner_text()
    assert "48.8584, 2.2945" in viewer.get_by_test_id("info-place").inner_text()
    assert viewer.get_attribute("data-asset-id") == ids["a"]
    page.keyboard.press("Escape")
    month(page, "July 2019").wait_for()
    buckets = {
        b["timeBucket"][:7]: b["count"] for b in api.get("/api/timeline/buckets", size="MONTH")
    }
    assert buckets["2019-07"] == 1 and buckets["2020-03"] == 1

    # A half-filled place is refused in the form, and nothing is sent.
    open_viewer(page, ids["a"])
    page.keyboard.press("e")
    form.get_by_label("Latitude").fill("")
    form.get_by_role("button", name="Save").click()
    form.get_by_role("alert").get_by_text("Give both latitude and longitude").wait_for()
    assert api.get(f"/api/assets/{ids['a']}")["exifInfo"]["latitude"] == 48.8584
    page.keyboard.press("Escape")


def test_bulk_edit_of_date_and_place(page: Any, stack: Stack, ids: dict[str, str]) -> None:
    api = page_api(page, stack)
    select(page, ids["b"], ids["c"])
    page.get_by_role("button", name="Edit date & place").click()
    form = page.get_by_role("dialog", name="Edit 2 assets")
    form.get_by_label("Date", exact=True).fill("2018-01-05")
    form.get_by_label("Time", exact=True).fill("08:00:00")
    form.get_by_label("Time zone").select_option("-05:00")
    form.get_by_label("Latitude").fill("40.7128")
    form.get_by_label("Longitude").fill("-74.006")
    form.get_by_role("button", name="Save").click()
    page.get_by_role("status").get_by_text("Updated 2").wait_for()

    for name in ("b", "c"):
        x = api.get(f"/api/assets/{ids[name]}")
        assert x["localDateTime"].startswith("2018-01-05T08:00:00"), x
        e = x["exifInfo"]
        assert (e["timeZone"], e["latitude"], e["longitude"]) == ("-05:00", 40.7128, -74.006)
        assert e.get("description") is None  # a bulk edit leaves descriptions alone
    month(page, "January 2018").wait_for()
    assert month(page, "January 2018").inner_text().split()[-1] == "2"
    assert api.get(f"/api/assets/{ids['d']}")["localDateTime"].startswith("2021-06-02")


def test_stack_switch_set_primary_and_unstack(page: Any, stack: Stack, ids: dict[str, str]) -> None:
    api = page_api(page, stack)
    c, d = ids["c"], ids["d"]
    select(page, c, d)
    page.get_by_role("toolbar", name="Selection").get_by_role(
        "button", name="Stack", exact=True
    ).click()
    page.get_by_role("status").get_by_text("Stacked: 2").wait_for()
    (made,) = api.get("/api/stacks")
    assert made["primaryAssetId"] == c and sorted(x["id"] for x in made["assets"]) == sorted([c, d])
    # The timeline shows the primary only, with the stack's count.
    timeline_total(page, len(ids) - 1)
    tile = page.locator(f"[data-testid=timeline] [data-asset-id='{c}']")
    assert tile.get_by_label("Stack of 2").inner_text().strip() == "❐ 2"
    assert page.locator(f"[data-testid=timeline] [data-asset-id='{d}']").count() == 0

    viewer = open_viewer(page, c)
    members = viewer.get_by_role("group", name="Stack of 2")
    members.get_by_role("button", name="c.jpg (primary)").wait_for()
    members.get_by_role("button", name="d.jpg").click()
    page.locator(f"[role=dialog][data-asset-id='{d}']").wait_for()
    assert members.get_by_role("button", name="d.jpg").get_attribute("aria-pressed") == "true"
    members.get_by_role("button", name="Set as primary").click()
    wait_for("d primary", lambda: api.get(f"/api/stacks/{made['id']}")["primaryAssetId"] == d, 10)
    # The timeline now shows d for the stack, and the viewer stayed on it.
    page.locator(f"[data-testid=timeline] [data-asset-id='{d}']").wait_for()
    assert page.locator(f"[data-testid=timeline] [data-asset-id='{c}']").count() == 0
    members.get_by_role("button", name="d.jpg (primary)").wait_for()
    assert viewer.get_attribute("data-asset-id") == d

    members.get_by_role("button", name="Unstack").click()
    timeline_total(page, len(ids))
    assert api.get("/api/stacks") == []
    assert api.get(f"/api/assets/{c}")["stack"] is None
    assert members.count() == 0
    page.locator(f"[role=dialog][data-asset-id='{d}']").wait_for()
    page.keyboard.press("Escape")
    viewer.wait_for(state="detached")

    # Stacked again (by the API): d, not the primary, is taken out; a stack of one is none.
    again = api.post("/api/stacks", {"assetIds": [c, d]})
    page.goto(f"{stack.web_url}/")
    timeline_total(page, len(ids) - 1)
    viewer = open_viewer(page, c)
    members = viewer.get_by_role("group", name="Stack of 2")
    remove = members.get_by_role("button", name="Remove from stack")
    assert remove.is_disabled()  # c is the primary
    members.get_by_role("button", name="d.jpg").click()
    page.locator(f"[role=dialog][data-asset-id='{d}']").wait_for()
    remove.click()
    timeline_total(page, len(ids))
    assert api.get("/api/stacks") == []
    assert api.client.get(f"/api/stacks/{again['id']}").status_code == 404
    page.keyboard.press("Escape")
    viewer.wait_for(state="detached")


def test_live_photo_plays_its_motion_part(page: Any, stack: Stack, ids: dict[str, str]) -> None:
    api = page_api(page, stack)
    part = api.get(f"/api/assets/{ids['motion']}")["livePhotoVideoId"]
    viewer = open_viewer(page, ids["motion"])
    page.get_by_test_id("preview").wait_for()
    button = viewer.get_by_role("button", name="Play live photo (l)")
    button.hover()
    motion = page.get_by_test_id("motion")
    motion.wait_for()
    assert re.search(r"/(original|encoded)\.mp4\?", motion.get_attribute("src"))
    assert part in motion.get_attribute("src")
    assert button.get_attribute("aria-pressed") == "true"
    # Moving off the button shows the still again; `l` plays it from the keyboard.
    page.mouse.move(5, 450)
    motion.wait_for(state="detached")
    page.get_by_test_id("preview").wait_for()
    page.keyboard.press("l")
    motion.wait_for()
    page.keyboard.press("l")
    motion.wait_for(state="detached")
    page.keyboard.press("Escape")


def test_folder_view_browses_the_upload_folders(
    page: Any, stack: Stack, ids: dict[str, str]
) -> None:
    page.get_by_role("link", name="Folders", exact=True).click()
    page.wait_for_url("**/folders")
    tree = page.get_by_role("tree", name="Folder tree")
    for name in ("home", "ada", "Pictures", "2020", "2021", "Trip", "Phone"):
        tree.get_by_role("link", name=f"📁 {name}", exact=True).wait_for()
    tree.get_by_role("link", name="📁 2020", exact=True).click()
    page.wait_for_url(re.compile(r"/folders\?path=%2Fhome%2Fada%2FPictures%2F2020$"))
    grid = page.locator("[data-testid=grid] .thumb")
    grid.nth(1).wait_for()
    assert page.get_by_test_id("folder-count").inner_text() == "2 items"
    assert sorted(grid.evaluate_all("els => els.map(e => e.dataset.assetId)")) == sorted(
        [ids["a"], ids["b"]]
    )
    # 2021 holds only a folder: its page lists it, and the breadcrumb leads back up.
    tree.get_by_role("link", name="📁 2021", exact=True).click()
    page.get_by_test_id("folder-count").get_by_text("0 items").wait_for()
    page.locator(".subfolders").get_by_role("button", name="📁 Trip").click()
    page.get_by_test_id("folder-count").get_by_text("2 items").wait_for()
    grid.nth(1).wait_for()
    assert sorted(grid.evaluate_all("els => els.map(e => e.dataset.assetId)")) == sorted(
        [ids["c"], ids["d"]]
    )
    crumbs = page.get_by_label("Path", exact=True)
    assert [c.strip() for c in crumbs.inner_text().split("›")] == [
        "/",
        "home",
        "ada",
        "Pictures",
        "2021",
        "Trip",
    ]
    # The folder's photos open in the viewer.
    grid.first.locator("button.open").click()
    page.get_by_role("dialog", name="Viewer").wait_for()
    page.keyboard.press("Escape")


def test_album_activity_likes_and_comments(page: Any, stack: Stack, ids: dict[str, str]) -> None:
    api = page_api(page, stack)
    me = api.get("/api/users/me")
    # A shared album: a friend (a member) has commented already.
    friend = api.post(
        "/api/admin/users",
        {"name": "Grace Hopper", "email": "grace@e2e.test", "password": "grace-password-1"},
    )
    album = api.post("/api/albums", {"albumName": "Trip", "assetIds": [ids["a"]]})
    api.put(
        f"/api/albums/{album['id']}/users",
        {"albumUsers": [{"userId": friend["id"], "role": "editor"}]},
    )
    token = httpx.post(
        f"{stack.url}/api/auth/login",
        json={"email": "grace@e2e.test", "password": "grace-password-1"},
        timeout=60,  # password hashing on a loaded machine
    ).json()["accessToken"]
    Api(stack.url, token).post(
        "/api/activities", {"albumId": album["id"], "type": "comment", "comment": "Lovely light"}
    )

    page.goto(f"{stack.web_url}/albums/{album['id']}")
    page.get_by_role("button", name="Activity (0 ♥, 1 💬)").click()
    panel = page.get_by_role("complementary", name="Activity")
    panel.get_by_text("Lovely light").wait_for()
    assert "Grace Hopper" in panel.locator("li[data-type=comment]").first.inner_text()

    panel.get_by_role("button", name="Like", exact=True).click()
    panel.get_by_role("button", name="Unlike", exact=True).wait_for()
    panel.get_by_label("Comment", exact=True).fill("Thanks, Grace!")
    panel.get_by_role("button", name="Send").click()
    panel.get_by_text("Thanks, Grace!").wait_for()
    stats = api.get("/api/activities/statistics", albumId=album["id"])
    assert stats == {"comments": 2, "likes": 1}
    mine = [
        (x["type"], x.get("comment"))
        for x in api.get("/api/activities", albumId=album["id"])
        if x["user"]["id"] == me["id"]
    ]
    assert sorted(mine, key=str) == sorted([("like", None), ("comment", "Thanks, Grace!")], key=str)
    page.get_by_role("button", name="Activity (1 ♥, 2 💬)").wait_for()

    # Deleting my comment and unliking leave only the friend's comment.
    panel.get_by_role("button", name=f"Delete comment by {me['name']}").click()
    panel.get_by_text("Thanks, Grace!").wait_for(state="detached")
    panel.get_by_role("button", name="Unlike", exact=True).click()
    panel.get_by_role("button", name="Like", exact=True).wait_for()
    left = api.get("/api/activities", albumId=album["id"])
    assert [(x["user"]["id"], x["type"], x["comment"]) for x in left] == [
        (friend["id"], "comment", "Lovely light")
    ]


def test_server_settings_validate_save_and_show_history(
    page: Any, stack: Stack, ids: dict[str, str]
) -> None:
    api = page_api(page, stack)
    default = api.get("/api/system-config/defaults")["image"]["thumbnail"]["size"]
    page.get_by_role("link", name="Settings", exact=True).click()
    page.wait_for_url("**/admin/settings")
    size = page.locator("[data-path='image.thumbnail.size']")
    assert size.input_value() == str(default)

    # Too small: the server's 400 is shown at the field, and nothing changed.
    size.fill("8")
    page.get_by_role("button", name="Save settings").click()
    page.get_by_role("alert").get_by_text("image.thumbnail.size").wait_for()
    error = page.locator("[data-error-for='image.thumbnail.size']")
    assert "greater than or equal to 16" in error.inner_text()
    assert api.get("/api/system-config")["image"]["thumbnail"]["size"] == default

    size.fill(str(default + 50))
    page.get_by_role("button", name="Save settings").click()
    page.get_by_role("status").get_by_text("Settings saved").wait_for()
    assert api.get("/api/system-config")["image"]["thumbnail"]["size"] == default + 50
    # The change leaves the thumbnails out of date: the page offers to redo them.
    page.get_by_role("region", name="Reprocessing").get_by_role(
        "button", name="Re-queue thumbnail"
    ).wait_for()
    history = page.get_by_role("table", name="Settings history")
    history.get_by_text(f"image.thumbnail.size: {default} → {default + 50}").wait_for()
    assert me_email(api) in history.locator("tbody tr").first.inner_text()

    # Back to the default, from the field's reset button.
    page.get_by_role("button", name="Reset image.thumbnail.size to its default").click()
    assert size.input_value() == str(default)
    page.get_by_role("button", name="Save settings").click()
    history.get_by_text(f"image.thumbnail.size: {default + 50} → {default}").wait_for()
    assert api.get("/api/system-config")["image"]["thumbnail"]["size"] == default
    entries = api.get("/api/system-config/history")
    assert [c["new"] for e in entries[:2] for c in e["changes"]] == [default, default + 50]


def me_email(api: Api) -> str:
    return str(api.get("/api/users/me")["email"])


def test_external_library_register_approve_scan_and_delete(
    page: Any, stack: Stack, ids: dict[str, str]
) -> None:
    api = page_api(page, stack)
    s3 = boto3.client(
        "s3",
        region_name="us-east-1",
        endpoint_url=f"http://127.0.0.1:{stack.ports['moto']}",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    keys = [f"pics/{n}.jpg" for n in range(2)]
    for n, key in enumerate(keys):
        s3.put_object(Bucket="skyroll-library", Key=key, Body=photo(seed=70 + n))

    page.get_by_role("link", name="External libraries", exact=True).click()
    page.wait_for_url("**/libraries")
    page.get_by_label("Library name").fill("Old photos")
    page.get_by_label("Bucket").fill("skyroll-library")
    page.get_by_label("Prefix").fill("pics/")
    page.get_by_role("button", name="Register").click()
    (lib,) = wait_for("registered", lambda: api.get("/api/libraries"), 10)
    assert (lib["name"], lib["bucket"], lib["prefix"], lib["isApproved"]) == (
        "Old photos",
        "skyroll-library",
        "pics/",
        False,
    )
    row = page.locator(f"tr[data-library-id='{lib['id']}']")
    row.get_by_test_id("library-status").get_by_text("Waiting for approval").wait_for()
    assert row.get_by_role("button", name="Scan").is_disabled()

    row.get_by_role("button", name="Approve").click()
    row.get_by_test_id("library-status").get_by_text("Not scanned yet").wait_for()
    assert api.get(f"/api/libraries/{lib['id']}")["isApproved"] is True
    row.get_by_role("button", name="Scan").click()
    row.get_by_test_id("library-status").get_by_text(re.compile("^Scanned ")).wait_for(
        timeout=120_000
    )
    stats = wait_for(
        "both photos in",
        lambda: (x := api.get(f"/api/libraries/{lib['id']}/statistics"))["photos"] == 2 and x,
    )
    row.locator("td").nth(3).get_by_text("2", exact=True).wait_for()
    assert stats["offline"] == 0

    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Delete Old photos").click()
    row.wait_for(state="detached")
    assert api.get("/api/libraries") == []
    # Skyroll never deletes from your bucket.
    listed = s3.list_objects_v2(Bucket="skyroll-library", Prefix="pics/")["Contents"]
    assert sorted(o["Key"] for o in listed) == keys
