"""Fixtures for the browser end-to-end suite: a real headless Chromium driven by Selenium
against a running Weijian server with the demo district (`serve --demo-residents N`).

WEIJIAN_BASE_URL is the server's origin, e.g. http://localhost:18080 (scripts/e2e starts a
server and sets it). The server's cookies are `Secure`; Chromium accepts them over plain http on
localhost (a secure context), so the server keeps its default. Without it every test fails;
nothing is skipped.

WEIJIAN_CHROMIUM and WEIJIAN_CHROMEDRIVER name the browser and driver (default Debian's
/usr/bin/chromium and /usr/bin/chromedriver); Selenium never downloads either.
On a failure the page's screenshot and HTML are saved under WEIJIAN_E2E_ARTIFACTS
(default .build/e2e-artifacts).
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

# Selenium Manager must not try to fetch a driver or a browser (there is no network for it).
os.environ.setdefault("SE_OFFLINE", "true")

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def base_url() -> str:
    base = os.environ.get("WEIJIAN_BASE_URL", "").strip().rstrip("/")
    if not base:
        pytest.fail("WEIJIAN_BASE_URL is not set: export the origin of a running Weijian server started with "
                    "--demo-residents, e.g. WEIJIAN_BASE_URL=http://localhost:18080, or run scripts/e2e, "
                    "which starts one and sets it.", pytrace=False)
    if not base.startswith(("http://", "https://")):
        pytest.fail(f"WEIJIAN_BASE_URL must be an http(s) URL, got {base!r}", pytrace=False)
    try:
        resp = requests.get(f"{base}/health/ready", timeout=10)
    except requests.RequestException as exc:
        pytest.fail(f"WEIJIAN_BASE_URL={base} is not reachable: {exc}", pytrace=False)
    if resp.status_code != 200:
        pytest.fail(f"{base}/health/ready answered {resp.status_code}", pytrace=False)
    return base


@pytest.fixture(scope="session")
def api(base_url):
    """API calls made beside the browser (tokens, reads)."""
    from e2e_support import Api
    return Api(base_url)


def _chrome_options() -> webdriver.ChromeOptions:
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("WEIJIAN_CHROMIUM", "/usr/bin/chromium")
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1280,900", "--lang=zh-CN", "--no-first-run", "--disable-extensions",
                     "--password-store=basic"):
        options.add_argument(argument)
    # No password-manager bubbles or leak checks getting in the way of the forms.
    options.add_experimental_option("prefs", {"credentials_enable_service": False,
                                              "profile.password_manager_enabled": False,
                                              "profile.password_manager_leak_detection": False})
    return options


@pytest.fixture
def browser(request):
    """A fresh Chromium (new profile, no cookies) for each test."""
    for path, name in ((os.environ.get("WEIJIAN_CHROMIUM", "/usr/bin/chromium"), "WEIJIAN_CHROMIUM"),
                       (os.environ.get("WEIJIAN_CHROMEDRIVER", "/usr/bin/chromedriver"), "WEIJIAN_CHROMEDRIVER")):
        if not os.access(path, os.X_OK):
            pytest.fail(f"{path} is missing: install Debian's chromium and chromium-driver "
                        f"(scripts/e2e does), or set {name}", pytrace=False)
    service = Service(executable_path=os.environ.get("WEIJIAN_CHROMEDRIVER", "/usr/bin/chromedriver"))
    driver = webdriver.Chrome(service=service, options=_chrome_options())
    driver.set_page_load_timeout(30)
    yield driver
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        _save_artifacts(driver, request.node.name)
    driver.quit()


def _save_artifacts(driver, test_name: str) -> None:
    folder = Path(os.environ.get("WEIJIAN_E2E_ARTIFACTS", ROOT / ".build" / "e2e-artifacts"))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name)
        driver.save_screenshot(str(folder / f"{stem}.png"))
        (folder / f"{stem}.html").write_text(f"<!-- {driver.current_url} -->\n{driver.page_source}", encoding="utf-8")
        print(f"\ne2e: screenshot and page of the failure in {folder / stem}.png/.html")
    except Exception as exc:  # the browser may be gone
        print(f"\ne2e: could not save the failing page: {exc}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.rep_call = report
    return report
