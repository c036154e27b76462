"""Helpers for the browser tests: log in through the page, read what it did through the API."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.support import timeouts
from tests.support.motion_photos import google_motion_photo
from tests.support.samples import CAMERA_SAMPLES
from tests.support.stack import ADMIN_EMAIL, ADMIN_PASSWORD, Stack


class Api:
    """The API as the page's user, for asserting what the page did (not for doing it)."""

    def __init__(self, base: str, token: str) -> None:
        self.client = httpx.Client(
            base_url=base,
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeouts.request(),
        )

    def get(self, path: str, **params: Any) -> Any:
        r = self.client.get(path, params=params)
        assert r.status_code == 200, r.text
        return r.json()

    def post(self, path: str, body: Any, timeout: float = 0) -> Any:
        """``timeout``: at least this long for a call known to be slow (never less than
        every call's ``timeouts.request()``)."""
        r = self.client.post(path, json=body, timeout=max(timeout, timeouts.request()))
        assert r.status_code in (200, 201), r.text
        return r.json()

    def put(self, path: str, body: Any) -> Any:
        r = self.client.put(path, json=body)
        assert r.status_code in (200, 204), r.text
        return r.json() if r.content else None

    def upload(self, name: str, data: bytes, **fields: Any) -> str:
        """One file straight to S3 with a ticket (the CLI's way, not the page's): its id."""
        created = self.post(
            "/api/assets/uploads",
            {
                "filename": name,
                "size": len(data),
                "checksum": base64.b64encode(hashlib.sha256(data).digest()).decode(),
                "contentType": "image/jpeg",
                "fileCreatedAt": "2020-01-01T00:00:00Z",
                "fileModifiedAt": "2020-01-01T00:00:00Z",
                **fields,
            },
            timeout=120,  # the stack's first upload warms it up: slow on a loaded machine
        )
        r = httpx.put(
            created["url"], content=data, headers=created["headers"], timeout=timeouts.request()
        )
        assert r.status_code == 200, r.text
        return str(created["assetId"])


def login(page: Any, stack: Stack, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD):
    page.goto(stack.web_url + "/")
    page.wait_for_url("**/login**")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(stack.web_url + "/")


def page_api(page: Any, stack: Stack) -> Api:
    token = page.evaluate("localStorage.getItem('skyroll.token')")
    assert token, "the page holds no session"
    return Api(stack.url, token)


def wait_for(what: str, check: Callable[[], Any], timeout: float = 120) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.5)


def sha256_b64(path: Path) -> str:
    return base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()


def dump(value: Any) -> str:
    return json.dumps(value, indent=1, default=str)[:2000]


def timeline_total(page: Any, total: int) -> None:
    page.locator(f"[data-testid=timeline][data-total='{total}']").wait_for()


def upload_motion_photo(api: Api, name: str, **fields: Any) -> str:
    """A Google motion photo (a real camera JPEG with a real MP4 appended), uploaded."""
    jpeg = (CAMERA_SAMPLES / "nikon-coolpix-gps.jpg").read_bytes()
    mp4 = (CAMERA_SAMPLES / "android-gps.mp4").read_bytes()
    return api.upload(name, google_motion_photo(jpeg, mp4), **fields)


def show_processed(page: Any, stack: Stack, api: Api, found: dict[str, str]) -> None:
    """Waits until every asset is ready and the motion photo's video is linked, then opens the
    timeline with all of them."""
    wait_for(
        "every asset processed, the motion part linked",
        lambda: (
            all(api.get(f"/api/assets/{i}")["status"] == "ready" for i in found.values())
            and api.get(f"/api/assets/{found['motion']}")["livePhotoVideoId"]
        ),
    )
    page.goto(f"{stack.web_url}/")
    timeline_total(page, len(found))


@contextmanager
def browser_page(browser: Any, timeout_ms: int) -> Iterator[Any]:
    """A page in a browser context of its own (a person of their own: their own storage),
    closed afterwards; fails the test if the page raised a JavaScript error meanwhile."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(timeout_ms)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == [], errors
