"""Chronic care in a real browser at phone size: the family doctor enters a hypertension follow-up, and the
resident's next due day and the doctor's chronic worklist change. Screenshots are kept under
WEIJIAN_E2E_ARTIFACTS (default .build/e2e-artifacts/chronic-*.png)."""

from __future__ import annotations

import datetime

from selenium.webdriver.common.by import By

from e2e_support import DEMO_PASSWORD, RESIDENT_PATIENT, describe_page, keep_screenshot, login, open_page, page_text, submit


def shanghai_today() -> datetime.date:
    return (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=8)).date()


def test_a_follow_up_entered_in_the_browser_moves_the_next_due_day_and_the_worklist(browser, base_url, api):
    doctor = api.token("doctor", DEMO_PASSWORD)
    # The demo resident (on the doctor's panel) is diagnosed with hypertension two years ago: enrolled, and due.
    onset = (shanghai_today() - datetime.timedelta(days=730)).isoformat()
    condition = {
        "resourceType": "Condition",
        "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "I10", "display": "原发性高血压"}]},
        "subject": {"reference": f"Patient/{RESIDENT_PATIENT}"},
        "onsetDateTime": onset,
    }
    made = api.post_json("/fhir/r4/Condition", doctor, condition)
    assert made.status_code == 201, made.text[:500]

    browser.set_window_size(390, 1200)
    login(browser, base_url, "doctor", DEMO_PASSWORD)
    open_page(browser, f"{base_url}/chronic")
    entry = browser.find_elements(By.CSS_SELECTOR, f"#managed li[data-patient='{RESIDENT_PATIENT}'][data-programme='hypertension']")
    assert entry, f"the resident is not among the managed residents\n{describe_page(browser)}"
    before = entry[0].find_element(By.CLASS_NAME, "next-due").text
    # Never checked since enrolment: the yearly health check is due.
    annual = f"#checks-due li[data-patient='{RESIDENT_PATIENT}'][data-check='annual-check']"
    assert browser.find_elements(By.CSS_SELECTOR, annual), describe_page(browser)
    keep_screenshot(browser, "chronic-1-worklist-before")

    open_page(browser, f"{base_url}/chronic/followup/{RESIDENT_PATIENT}?programme=hypertension")
    # A bad reading is refused with a message, and nothing changes.
    browser.find_element(By.NAME, "systolic").send_keys("400")
    browser.find_element(By.NAME, "diastolic").send_keys("20")
    submit(browser, "保存随访")
    assert browser.find_elements(By.ID, "problems"), describe_page(browser)
    assert "收缩压" in page_text(browser), describe_page(browser)
    keep_screenshot(browser, "chronic-2-form-refused")

    systolic = browser.find_element(By.NAME, "systolic")
    systolic.clear()
    systolic.send_keys("132")
    diastolic = browser.find_element(By.NAME, "diastolic")
    diastolic.clear()
    diastolic.send_keys("84")
    browser.find_element(By.NAME, "weight").send_keys("68")
    browser.find_element(By.NAME, "height").send_keys("165")
    browser.find_element(By.NAME, "check-annual-check").click()
    submit(browser, "保存随访")
    expected = (shanghai_today() + datetime.timedelta(days=90)).isoformat()
    assert browser.find_elements(By.ID, "saved"), describe_page(browser)
    assert browser.find_element(By.ID, "next-due").text == expected, describe_page(browser)
    keep_screenshot(browser, "chronic-3-form-saved")

    open_page(browser, f"{base_url}/chronic")
    entry = browser.find_elements(By.CSS_SELECTOR, f"#managed li[data-patient='{RESIDENT_PATIENT}'][data-programme='hypertension']")
    after = entry[0].find_element(By.CLASS_NAME, "next-due").text
    assert after == expected and after != before, f"{before} → {after}\n{describe_page(browser)}"
    overdue = browser.find_elements(By.CSS_SELECTOR, f"#overdue a[href^='/chronic/followup/{RESIDENT_PATIENT}?']")
    assert not overdue, "still listed as overdue after the follow-up"
    assert not browser.find_elements(By.CSS_SELECTOR, annual), "the yearly health check done at the visit is still due"
    assert browser.find_elements(By.CSS_SELECTOR, f"#checks-due li[data-patient='{RESIDENT_PATIENT}'][data-check='kidney']"), describe_page(browser)
    keep_screenshot(browser, "chronic-4-worklist-after")

    # Screening the panel with the diabetes risk score reports what it did.
    submit(browser, "筛查签约居民（中国糖尿病风险评分）")
    assert "已筛查" in browser.find_element(By.ID, "saved").text, describe_page(browser)

    # The manager's control-rate view lists the district's 街道.
    browser.delete_all_cookies()
    login(browser, base_url, "manager", DEMO_PASSWORD)
    open_page(browser, f"{base_url}/chronic/rates")
    assert browser.find_elements(By.CSS_SELECTOR, "#rates-hypertension tbody tr"), describe_page(browser)
    keep_screenshot(browser, "chronic-5-manager-rates")
