"""Browser tests: the built web client in Debian's Chromium (driven by Playwright through
``executable_path``) against the real local stack, started as ``make dev`` starts it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chalicelib.settings import REPO_ROOT
from tests.support.stack import Stack, running_stack
from tests.support.web import browser_page

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
    with browser_page(browser, timeout_ms=20_000) as p:
        yield p


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
