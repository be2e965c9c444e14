"""Two-way referral in a real browser at phone size, the whole closed loop: the hospital clinician publishes a
cardiology expert session (20% reserved for CHCs), the family doctor refers the demo resident up, the hospital
accepts the referral into a reserved slot, records the visit and sends the discharge summary, and the summary
reaches the family doctor's referral desk and workstation worklist. Screenshots are kept under
WEIJIAN_E2E_ARTIFACTS (default .build/e2e-artifacts/referral-*.png)."""

from __future__ import annotations

import re
import time

import requests

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from e2e_support import DEMO_PASSWORD, RESIDENT_PATIENT, describe_page, keep_screenshot, login, open_page, page_text, wait_for_new_page

PHONE = (390, 1400)



def press(browser, scope, label: str) -> None:
    """Clicks the submit button labelled `label` inside `scope` and waits for the next page."""
    old = browser.find_element(By.TAG_NAME, "html")
    buttons = [b for b in scope.find_elements(By.CSS_SELECTOR, "button[type=submit]") if b.text.strip() == label]
    assert buttons, f"no button {label!r}\n{describe_page(browser)}"
    buttons[0].click()
    wait_for_new_page(browser, old)


def switch_to(browser, base_url: str, sessions: dict, username: str) -> None:
    """Signs in as `username` once, then reuses that session's cookies (sign-ins per account are rate limited)."""
    browser.delete_all_cookies()
    if username in sessions:
        open_page(browser, f"{base_url}/login")
        for cookie in sessions[username]:
            browser.add_cookie({k: v for k, v in cookie.items() if k in ("name", "value", "path", "secure", "httpOnly", "sameSite")})
    else:
        login(browser, base_url, username, DEMO_PASSWORD)
        sessions[username] = browser.get_cookies()


def session_get(browser, base_url: str, path: str) -> requests.Response:
    """An API read with the browser's session (no new sign-in)."""
    cookies = {c["name"]: c["value"] for c in browser.get_cookies()}
    return requests.get(f"{base_url}{path}", cookies=cookies, timeout=30, headers={"Accept": "application/fhir+json"})


def referral_item(browser, referral_id: str):
    items = browser.find_elements(By.ID, f"referral-{referral_id}")
    assert items, f"referral {referral_id} is not listed\n{describe_page(browser)}"
    return items[0]


def test_family_doctor_request_to_discharge_summary_in_the_worklist(browser, base_url):
    browser.set_window_size(*PHONE)
    sessions: dict = {}
    # The hospital publishes tomorrow's cardiology expert session: 14 quarter-hour slots, 20% reserved for CHCs.
    switch_to(browser, base_url, sessions, "clinician")
    open_page(browser, f"{base_url}/referral/schedules")
    form = browser.find_element(By.ID, "schedule-form")
    Select(form.find_element(By.NAME, "department")).select_by_value("cardiology")
    form.find_element(By.NAME, "expert").click()
    press(browser, form, "发布")
    assert "已发布" in page_text(browser) and "社区预留 2 个" in page_text(browser), describe_page(browser)
    keep_screenshot(browser, "referral-1-hospital-schedule")

    # The family doctor refers the demo resident up to 同仁医院 cardiology.
    switch_to(browser, base_url, sessions, "doctor")
    open_page(browser, f"{base_url}/referral")
    form = browser.find_element(By.ID, "referral-form")
    Select(form.find_element(By.NAME, "patient")).select_by_value(RESIDENT_PATIENT)
    Select(form.find_element(By.NAME, "toOrganization")).select_by_value("cn-tongren")
    Select(form.find_element(By.NAME, "department")).select_by_value("cardiology")
    form.find_element(By.NAME, "diagnosisCode").send_keys("I10")
    form.find_element(By.NAME, "diagnosisText").send_keys("原发性高血压")
    form.find_element(By.NAME, "reason").send_keys("连续三次随访血压未控制，请专科调整用药")
    press(browser, form, "发送转诊")
    assert "转诊已发送" in page_text(browser), describe_page(browser)
    keep_screenshot(browser, "referral-2-doctor-sent")
    found = re.search(r"转诊已发送（(r[0-9a-f]+)）", page_text(browser))
    assert found, describe_page(browser)
    referral_id = found.group(1)

    # The hospital accepts it into a reserved slot, records the visit and sends the discharge summary.
    switch_to(browser, base_url, sessions, "clinician")
    open_page(browser, f"{base_url}/referral")
    item = referral_item(browser, referral_id)
    assert "待接收" in item.text, item.text
    slot = Select(item.find_element(By.NAME, "slot"))
    reserved = [o for o in slot.options if "社区预留" in o.text]
    assert reserved, f"no reserved slot offered\n{item.text}"
    slot.select_by_value(reserved[0].get_attribute("value"))
    keep_screenshot(browser, "referral-3-hospital-inbox")
    press(browser, item.find_element(By.CSS_SELECTOR, "form.accept"), "接收")
    assert "已预约" in page_text(browser), describe_page(browser)
    press(browser, referral_item(browser, referral_id), "登记就诊")
    assert "已就诊" in page_text(browser), describe_page(browser)
    item = referral_item(browser, referral_id)
    summary = f"住院3天，冠脉CTA未见明显狭窄；降压方案调整为氨氯地平5mg每日一次，社区每2周随访血压。{int(time.time())}"
    item.find_element(By.NAME, "summary").send_keys(summary)
    press(browser, item, "发送出院小结")
    assert "已反馈" in page_text(browser), describe_page(browser)
    keep_screenshot(browser, "referral-4-hospital-summary-sent")

    # The discharge summary is back with the family doctor: on the referral desk and in the workstation's worklist.
    switch_to(browser, base_url, sessions, "doctor")
    open_page(browser, f"{base_url}/referral")
    item = referral_item(browser, referral_id)
    assert "已反馈" in item.text and summary in item.text, item.text
    keep_screenshot(browser, "referral-5-doctor-feedback")
    open_page(browser, f"{base_url}/workstation")
    feedback = browser.find_element(By.ID, "feedback").text
    assert "出院小结" in feedback, describe_page(browser)
    keep_screenshot(browser, "referral-6-doctor-worklist")

    # The record agrees: the referral's ServiceRequest is completed and the appointment fulfilled.
    done = session_get(browser, base_url, f"/api/v1/referral/referrals/{referral_id}").json()
    assert done["status"] == "completed" and done["summary"] == summary, done
    request = session_get(browser, base_url, f"/fhir/r4/ServiceRequest/ref-{referral_id}")
    assert request.status_code == 200 and request.json()["status"] == "completed", request.text[:300]
    appointment = session_get(browser, base_url, f"/fhir/r4/Appointment/{done['appointment']}")
    assert appointment.status_code == 200 and appointment.json()["status"] == "fulfilled", appointment.text[:300]
