"""The status page in a real browser: Debian's Chromium, headless, driven by Selenium.

Nothing is downloaded: chromedriver is the distribution's (``/usr/bin/chromedriver``, given
to Selenium as its Service so Selenium Manager never runs). The page is ``brain serve``'s app
under uvicorn on loopback. Without Chromium the test skips with the reason, except under
``CI=true``, where that is a failure (``make test`` installs it there).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from functions.app import build_app
from tests.functions.test_status import (  # noqa: F401 - environment: autouse fixture
    SOURCE,
    Scenario,
    build_scenario,
    environment,
)

CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM = Path("/usr/bin/chromium")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-dev-shm-usage",
)
PHONE = (390, 844)  # a phone's CSS viewport, portrait


def _need_chromium() -> None:
    if CHROMEDRIVER.is_file() and CHROMIUM.is_file():
        return
    reason = (
        f"Chromium is not installed ({CHROMIUM} and {CHROMEDRIVER}): "
        "apt-get install chromium chromium-driver"
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true requires the browser test to run: {reason}")
    pytest.skip(reason)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    _need_chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    profile = tmp_path / "chromium-profile"  # a fresh profile: no state from elsewhere
    options.add_argument(f"--user-data-dir={profile}")
    # A phone: a mobile viewport honours <meta name="viewport"> (without it, 980 px wide).
    options.add_experimental_option(
        "mobileEmulation",
        {"deviceMetrics": {"width": PHONE[0], "height": PHONE[1], "pixelRatio": 3.0}},
    )
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Scenario]]:
    """The scenario's runtime behind brain serve's app, on a free loopback port."""
    scenario = build_scenario(tmp_path)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    app = build_app(scenario.runtime, drain=False, host="127.0.0.1")
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", scenario
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        scenario.runtime.close()
    assert not thread.is_alive()


def test_the_status_page_reads_at_a_glance_on_a_phone_and_fetches_nothing_else(
    browser: Any, served: tuple[str, Scenario]
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.wait import WebDriverWait

    base, _ = served
    browser.get(f"{base}/status")
    WebDriverWait(browser, 10).until(
        expected_conditions.visibility_of_element_located((By.ID, "headline"))
    )

    # What a person sees: the verdict, the sentences, the tables.
    assert browser.title == "Context Index status"
    assert browser.find_element(By.ID, "headline").text == "2 anomalies."
    lines = [li.text for li in browser.find_elements(By.CSS_SELECTOR, "#lines li")]
    assert lines[0].startswith("Index: ") and "1 stale (finance): run brain sync" in lines[0]
    assert lines[1].startswith("Last sync ") and "Index sync:" in lines[1]
    assert lines[2].startswith("Webhook logger: 3 events logged, 1 dead letter, 1 refused.")
    anomalies = browser.find_element(By.ID, "anomalies").text
    assert "brain webhooks retry-dead" in anomalies and "finance" in anomalies
    cells = [
        [td.text for td in tr.find_elements(By.TAG_NAME, "td")]
        for tr in browser.find_elements(By.CSS_SELECTOR, "#webhooks-table tbody tr")
    ]
    assert [SOURCE, "3", "1", "1"] in cells
    shard_rows = [r.text for r in browser.find_elements(By.CSS_SELECTOR, "#shards-table tbody tr")]
    at = next(i for i, text in enumerate(shard_rows) if text.startswith("finance"))
    assert "stale" in shard_rows[at]
    assert shard_rows[at + 1].startswith("To fix:") and "brain sync" in shard_rows[at + 1]
    # the table fits the phone: no column hidden behind a sideways scroll
    table = browser.execute_script(
        "const t = document.getElementById('shards-table'); return [t.scrollWidth, "
        "t.parentElement.clientWidth]"
    )
    assert table[0] <= table[1], f"the shards table is {table[0]}px in {table[1]}px"
    dead = browser.find_element(By.ID, "dead-table").text
    assert "validation_error" in dead

    # Readable on a phone: the layout is the viewport's width, no sideways page scroll.
    viewport = browser.execute_script("return window.innerWidth")
    assert viewport == PHONE[0]
    width = browser.execute_script("return document.documentElement.scrollWidth")
    assert width <= viewport, f"the page is {width}px wide on a {viewport}px screen"
    font = browser.execute_script("return parseFloat(getComputedStyle(document.body).fontSize)")
    assert font >= 14

    # Nothing fetched from anywhere but this origin (the document itself included).
    origins = browser.execute_script(
        "return [location.href].concat(performance.getEntriesByType('resource')"
        ".map(e => e.name)).map(u => new URL(u).origin)"
    )
    assert set(origins) == {base}
    # The inline style is the one the CSP allows by its hash: the page is styled.
    headline_weight = browser.execute_script(
        "return getComputedStyle(document.getElementById('headline')).fontWeight"
    )
    assert headline_weight == "600"


def test_the_json_link_on_the_page_leads_to_the_same_data(
    browser: Any, served: tuple[str, Scenario]
) -> None:
    from selenium.webdriver.common.by import By

    base, _ = served
    browser.get(f"{base}/status")
    browser.find_element(By.LINK_TEXT, "status.json").click()
    assert browser.current_url == f"{base}/status.json"
    assert '"accepted":3' in browser.find_element(By.TAG_NAME, "body").text


@pytest.mark.parametrize(("ci", "outcome"), [("true", "fail"), ("", "skip")])
def test_a_missing_chromium_skips_locally_and_fails_under_ci(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, ci: str, outcome: str
) -> None:
    import tests.functions.test_status_browser as here

    monkeypatch.setattr(here, "CHROMEDRIVER", tmp_path / "no-chromedriver")
    monkeypatch.setenv("CI", ci)
    expected = pytest.fail.Exception if outcome == "fail" else pytest.skip.Exception
    with pytest.raises(expected, match="apt-get install chromium chromium-driver"):
        here._need_chromium()
