"""Helpers for the browser end-to-end suite: the demo accounts, filling in the login form,
reading what the page says, and API calls made beside the browser."""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

# Every demo account has this password (`weijian serve --demo-residents N` prints it).
DEMO_PASSWORD = "weijian-demo-2026"
# The demo's first resident (the `resident` account) and the account of their family doctor.
RESIDENT_PATIENT = "p310105-0"
SESSION_COOKIE = "weijian_session"
LOGIN_CSRF_COOKIE = "weijian_login_csrf"

ARTIFACTS = Path(os.environ.get("WEIJIAN_E2E_ARTIFACTS", Path(__file__).resolve().parents[2] / ".build" / "e2e-artifacts"))


def keep_screenshot(driver: WebDriver, name: str) -> Path:
    """Saves a screenshot of the page as ARTIFACTS/`name`.png (WEIJIAN_E2E_ARTIFACTS, default
    .build/e2e-artifacts) and checks it is not empty."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    assert driver.save_screenshot(str(path)), f"could not save {path}"
    assert path.stat().st_size > 1000, f"{path} is empty"
    return path


WAIT_MESSAGE = re.compile(r"请\s*(\d+)\s*秒后再试")


def is_gone(element) -> bool:
    """Whether `element` no longer belongs to the shown document. Chromium reports a replaced
    document either as a stale element or as "Node with given id does not belong to the document".
    Any other driver error (a busy browser mid-navigation) is not taken as proof: taking it so once
    let a test go on before the sign-in's answer had arrived, and the next page load cancelled it."""
    try:
        element.is_enabled()
        return False
    except StaleElementReferenceException:
        return True
    except WebDriverException as error:
        return "does not belong to the document" in (error.msg or "")


def wait_for_new_page(driver: WebDriver, old_html, timeout: float = 15) -> None:
    """Waits until the page that `old_html` belonged to has been replaced and the new one has loaded."""
    WebDriverWait(driver, timeout).until(lambda _: is_gone(old_html))
    WebDriverWait(driver, timeout).until(lambda d: d.execute_script("return document.readyState") == "complete")


def open_page(driver: WebDriver, url: str) -> None:
    driver.get(url)
    WebDriverWait(driver, 15).until(lambda d: d.execute_script("return document.readyState") == "complete")


def fill_login(driver: WebDriver, base_url: str, username: str, password: str) -> None:
    """Opens /login and types the credentials (does not submit)."""
    open_page(driver, f"{base_url}/login")
    user_field = driver.find_element(By.NAME, "username")
    user_field.clear()
    user_field.send_keys(username)
    driver.find_element(By.NAME, "password").send_keys(password)


def submit(driver: WebDriver, button_text: str | None = None) -> None:
    """Clicks the page's submit button (the one labelled `button_text` if given) and waits for
    the next page."""
    old = driver.find_element(By.TAG_NAME, "html")
    buttons = driver.find_elements(By.CSS_SELECTOR, "button[type=submit], input[type=submit]")
    if button_text is not None:
        buttons = [b for b in buttons if b.text.strip() == button_text]
    assert buttons, f"no submit button{' labelled ' + button_text if button_text else ''} on {driver.current_url}:\n{page_text(driver)}"
    buttons[0].click()
    wait_for_new_page(driver, old)


def login(driver: WebDriver, base_url: str, username: str, password: str) -> None:
    """Signs in and checks that it worked (the sign-in page is left, with a session cookie)."""
    for _ in range(3):
        fill_login(driver, base_url, username, password)
        submit(driver, "登录")
        # The suite signs in many times from one address; wait out that rate limit (and only that).
        busy = re.search(r"尝试过于频繁，请\s*(\d+)\s*秒后再试", alert_text(driver))
        if busy is None:
            break
        time.sleep(min(30, int(busy.group(1))))
    assert path_of(driver) != "/login" and cookie(driver, SESSION_COOKIE) is not None, \
        f"sign-in as {username} did not succeed: {alert_text(driver) or 'no message'}\n{describe_page(driver)}"


def page_text(driver: WebDriver) -> str:
    """The shown page's text. A page being replaced (a reload a script started) can make the body
    found stale before its text is read; the new page's body is then read instead."""
    for _ in range(20):
        try:
            return driver.find_element(By.TAG_NAME, "body").text
        except StaleElementReferenceException:
            time.sleep(0.1)
    return driver.find_element(By.TAG_NAME, "body").text


def heading(driver: WebDriver) -> str:
    found = driver.find_elements(By.TAG_NAME, "h1")
    return found[0].text.strip() if found else ""


def alert_text(driver: WebDriver) -> str:
    """The page's error message (`<p class="error" role="alert">`), or "" when there is none."""
    found = driver.find_elements(By.CSS_SELECTOR, "[role=alert], .error")
    return " ".join(element.text.strip() for element in found)


def path_of(driver: WebDriver) -> str:
    """The path of the page the browser shows (after any redirects)."""
    return urlsplit(driver.current_url).path


def cookie(driver: WebDriver, name: str) -> dict | None:
    return next((c for c in driver.get_cookies() if c["name"] == name), None)


def describe_page(driver: WebDriver) -> str:
    return f"page {driver.current_url} (title {driver.title!r}):\n{page_text(driver)[:1500]}"


# ---------------------------------------------------------------------------
# API beside the browser
# ---------------------------------------------------------------------------

@dataclass
class Api:
    base_url: str

    def token(self, username: str, password: str) -> str:
        """A token by the password grant; waits out a `429 slow_down` (the endpoint is rate limited)."""
        for _ in range(3):
            resp = requests.post(f"{self.base_url}/auth/token", timeout=30,
                                 data={"grant_type": "password", "username": username, "password": password},
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
            if resp.status_code == 429 and resp.headers.get("Retry-After", "").isdigit():
                time.sleep(min(30, int(resp.headers["Retry-After"])))
                continue
            break
        assert resp.status_code == 200, f"password grant for {username}: HTTP {resp.status_code}: {resp.text}"
        body = resp.json()
        assert body.get("token_type", "").lower() == "bearer" and body.get("access_token"), body
        return body["access_token"]

    def get(self, path: str, token: str) -> requests.Response:
        return requests.get(f"{self.base_url}{path}", timeout=30,
                            headers={"Authorization": f"Bearer {token}", "Accept": "application/fhir+json"})

    def post_json(self, path: str, token: str, body: dict) -> requests.Response:
        return requests.post(f"{self.base_url}{path}", json=body, timeout=30,
                             headers={"Authorization": f"Bearer {token}"})
