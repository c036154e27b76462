"""Browser tests: the built web client in Debian's Chromium (driven by Playwright through
``executable_path``) against the real local stack, started as ``make dev`` starts it."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from chalicelib.settings import REPO_ROOT
from tests.e2e.stack import ADMIN_EMAIL, ADMIN_PASSWORD, Stack, running_stack

CHROMIUM = Path("/usr/lib/chromium/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
BUILD = REPO_ROOT / "web" / "build" / "index.html"


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    if not BUILD.is_file():
        pytest.fail("the web client is not built: run `make web-build` (make test does)")
    # Two portraits of one person make a person (the sample set has two per person).
    with running_stack({"SKYROLL_PEOPLE_MIN_FACES": "2"}) as s:
        yield s


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium` (make test does)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def page(browser: Any, stack: Stack) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    p = context.new_page()
    p.set_default_timeout(20_000)
    errors: list[str] = []
    p.on("pageerror", lambda exc: errors.append(str(exc)))
    yield p
    context.close()
    assert errors == [], errors


class Api:
    """The API as the page's user, for asserting what the page did (not for doing it)."""

    def __init__(self, base: str, token: str) -> None:
        self.client = httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )

    def get(self, path: str, **params: Any) -> Any:
        r = self.client.get(path, params=params)
        assert r.status_code == 200, r.text
        return r.json()

    def post(self, path: str, body: Any) -> Any:
        r = self.client.post(path, json=body)
        assert r.status_code in (200, 201), r.text
        return r.json()


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
    import base64

    return base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()


def dump(value: Any) -> str:
    return json.dumps(value, indent=1, default=str)[:2000]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Iterator[None]:
    """On a failure, keep the page's screenshot and HTML under .skyroll/web-failures/."""
    outcome = yield
    report = outcome.get_result()
    page = item.funcargs.get("page")
    if report.when == "call" and report.failed and page is not None:
        out = REPO_ROOT / ".skyroll" / "web-failures"
        out.mkdir(parents=True, exist_ok=True)
        try:
            page.screenshot(path=str(out / f"{item.name}.png"))
            (out / f"{item.name}.html").write_text(page.content())
        except Exception as exc:  # noqa: BLE001 - a closed page must not hide the failure
            report.sections.append(("web-failures", f"could not save the page: {exc}"))
