"""The resident portal (智慧健康门户) in a real browser at phone size: the demo resident signs in with a
one-time code sent by SMS (the demo's sender writes it to the server's output, WEIJIAN_SERVER_LOG), lands on
the portal, reads their record, books a public slot, and downloads the whole record, which validates as
FHIR R4 with an independent validator (fhir.resources 6.4.0, models of R4 4.0.1). Screenshots are kept
under WEIJIAN_E2E_ARTIFACTS (default .build/e2e-artifacts/portal-*.png)."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import requests
from fhir.resources import construct_fhir_element
from selenium.webdriver.common.by import By

from e2e_support import (DEMO_PASSWORD, RESIDENT_PATIENT, describe_page, heading, keep_screenshot, open_page, page_text,
                         path_of, wait_for_new_page)

PHONE = (390, 1400)


def press(browser, label: str) -> None:
    old = browser.find_element(By.TAG_NAME, "html")
    buttons = [b for b in browser.find_elements(By.CSS_SELECTOR, "button[type=submit]") if b.text.strip() == label]
    assert buttons, f"no button {label!r}\n{describe_page(browser)}"
    buttons[0].click()
    wait_for_new_page(browser, old)


def sent_code(phone: str, after: int, timeout: float = 10) -> str:
    """The last sign-in code the demo's SMS sender wrote for `phone` (masked as 139****1234) after byte `after` of the log."""
    log = os.environ.get("WEIJIAN_SERVER_LOG", "")
    assert log, "WEIJIAN_SERVER_LOG is not set (scripts/e2e sets it to the server's output)"
    masked = re.escape(phone[:3]) + r"\*+" + re.escape(phone[-4:])
    pattern = re.compile(r"\[短信\] " + masked + r" login-code: 您的卫健登录验证码为 (\d{6})")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = Path(log).read_bytes()[after:].decode("utf-8", "replace")
        found = pattern.findall(text)
        if found:
            return found[-1]
        time.sleep(0.2)
    raise AssertionError(f"no sign-in code for {phone[:3]}…{phone[-4:]} in {log}")


def test_resident_signs_in_with_a_code_books_and_downloads_a_valid_record(browser, base_url, api):
    browser.set_window_size(*PHONE)
    # The phone on the demo resident's record (read as the resident, over the API).
    token = api.token("resident", DEMO_PASSWORD)
    patient = api.get(f"/fhir/r4/Patient/{RESIDENT_PATIENT}", token)
    assert patient.status_code == 200, patient.text[:500]
    phone = next(t["value"] for t in patient.json().get("telecom", []) if t.get("system") == "phone")

    log_size = Path(os.environ["WEIJIAN_SERVER_LOG"]).stat().st_size if os.environ.get("WEIJIAN_SERVER_LOG") else 0
    open_page(browser, f"{base_url}/login")
    links = [a for a in browser.find_elements(By.TAG_NAME, "a") if a.text.strip() == "居民短信验证码登录"]
    assert links, describe_page(browser)
    old = browser.find_element(By.TAG_NAME, "html")
    links[0].click()
    wait_for_new_page(browser, old)
    assert heading(browser) == "短信验证码登录", describe_page(browser)
    browser.find_element(By.NAME, "phone").send_keys(phone)
    press(browser, "获取验证码")
    assert "验证码已发送" in page_text(browser), describe_page(browser)
    code = sent_code(phone, log_size)
    browser.find_element(By.NAME, "code").send_keys(code)
    keep_screenshot(browser, "portal-1-code")
    press(browser, "登录")
    # The suite signs in many times from one address: wait out that rate limit (it does not spend the code).
    for _ in range(3):
        busy = re.search(r"尝试过于频繁，请\s*(\d+)\s*秒后再试", page_text(browser))
        if busy is None:
            break
        time.sleep(min(30, int(busy.group(1))))
        browser.find_element(By.NAME, "code").send_keys(code)
        press(browser, "登录")
    assert path_of(browser) == "/portal", describe_page(browser)
    assert heading(browser) == "智慧健康门户", describe_page(browser)
    keep_screenshot(browser, "portal-2-home")

    # My record: the sections are there, with the demo resident's data.
    open_page(browser, f"{base_url}/portal/record")
    assert heading(browser) == "我的健康档案", describe_page(browser)
    for section in ("results", "prescriptions", "vaccinations", "plans", "encounters"):
        assert browser.find_elements(By.ID, section), f"no section {section}\n{describe_page(browser)}"
    assert "就诊" in browser.find_element(By.ID, "encounters").text or "诊断" in browser.find_element(By.ID, "encounters").text, describe_page(browser)
    keep_screenshot(browser, "portal-3-record")

    # Booking a public slot (分时段预约) from the portal's menu.
    open_page(browser, f"{base_url}/portal")
    old = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.LINK_TEXT, "预约挂号").click()
    wait_for_new_page(browser, old)
    slots = browser.find_elements(By.CSS_SELECTOR, "#slots input[type=radio]")
    assert slots, f"no public slot to book\n{describe_page(browser)}"
    slots[0].click()
    press(browser, "预约")
    appointments = browser.find_element(By.ID, "appointments").text
    assert "已预约" in appointments, describe_page(browser)
    keep_screenshot(browser, "portal-4-booked")

    # The download, with the browser's session: a Bundle of the resident's own resources, valid R4.
    cookies = {c["name"]: c["value"] for c in browser.get_cookies()}
    response = requests.get(f"{base_url}/portal/record/download", cookies=cookies, timeout=60)
    assert response.status_code == 200, response.text[:500]
    assert response.headers["Content-Type"].startswith("application/fhir+json")
    assert "attachment" in response.headers.get("Content-Disposition", "")
    bundle = response.json()
    construct_fhir_element("Bundle", bundle)
    entries = bundle["entry"]
    assert entries[0]["resource"]["resourceType"] == "Patient" and entries[0]["resource"]["id"] == RESIDENT_PATIENT
    types = {entry["resource"]["resourceType"] for entry in entries}
    assert "Appointment" in types, types   # the booking just made
    for entry in entries:
        resource = entry["resource"]
        construct_fhir_element(resource["resourceType"], resource)
        text = str(resource)
        assert resource["resourceType"] == "Patient" or f"Patient/{RESIDENT_PATIENT}" in text, f"{resource['resourceType']}/{resource['id']} is not the resident's"

    # Another resident's record is not to be had through the portal.
    other = requests.get(f"{base_url}/portal/record/download?patient=p310105-1", cookies=cookies, timeout=30)
    assert other.status_code == 404, other.text[:300]
