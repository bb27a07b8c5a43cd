"""A real browser for the pages people open: headless Chromium (Debian's, never a downloaded one),
one per test package, and per test a fresh context in which every request that is not to
127.0.0.1 is aborted and recorded."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
INSTALL = "apt-get install chromium fonts-wqy-microhei (the font, or Chinese renders as boxes)"


@pytest.fixture(scope="package")
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests: {INSTALL}")
        pytest.skip(f"Chromium is not installed at {CHROMIUM}: {INSTALL}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield chromium
        chromium.close()


@dataclass
class OfflinePage:
    """A page whose requests to other hosts never leave the machine; `elsewhere` lists them."""

    page: object  # playwright.sync_api.Page
    elsewhere: list[str] = field(default_factory=list)


@pytest.fixture
def offline_page(browser) -> Iterator[OfflinePage]:
    context = browser.new_context()
    offline = OfflinePage(context.new_page())

    def only_this_machine(route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            offline.elsewhere.append(route.request.url)
            route.abort()

    context.route("**/*", only_this_machine)
    yield offline
    context.close()
