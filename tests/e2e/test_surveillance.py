"""Infectious disease reporting in a real browser: a cholera diagnosis pushed through the FHIR API makes a
case report card; the district CDC (demo account `cdc`) verifies it on its worklist, runs the early-warning
model, opens the signal with its epidemic curve and works it through to closed. Screenshots are kept under
WEIJIAN_E2E_ARTIFACTS (default .build/e2e-artifacts/surveillance-*.png)."""

from __future__ import annotations

import datetime

from selenium.webdriver.common.by import By

from e2e_support import DEMO_PASSWORD, RESIDENT_PATIENT, describe_page, keep_screenshot, login, open_page, submit, wait_for_new_page


def test_a_pushed_diagnosis_is_reviewed_and_its_signal_worked_through_by_the_cdc(browser, base_url, api):
    doctor = api.token("doctor", DEMO_PASSWORD)
    now = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8)))
    condition = {
        "resourceType": "Condition",
        "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "A00.9", "display": "霍乱"}]},
        "subject": {"reference": f"Patient/{RESIDENT_PATIENT}"},
        "onsetDateTime": (now - datetime.timedelta(days=1)).date().isoformat(),
        "recordedDate": now.isoformat(timespec="seconds"),
    }
    made = api.post_json("/fhir/r4/Condition", doctor, condition)
    assert made.status_code == 201, made.text[:500]

    browser.set_window_size(390, 1400)
    login(browser, base_url, "cdc", DEMO_PASSWORD)
    open_page(browser, f"{base_url}/surveillance")
    cards = [li for li in browser.find_elements(By.CSS_SELECTOR, "#cards li[data-card]") if "霍乱" in li.text]
    assert cards, f"no cholera card on the CDC worklist\n{describe_page(browser)}"
    keep_screenshot(browser, "surveillance-1-worklist")
    old = browser.find_element(By.TAG_NAME, "html")
    cards[0].find_element(By.XPATH, ".//button[text()='审核通过']").click()
    wait_for_new_page(browser, old)
    assert "审核通过" in browser.find_element(By.ID, "saved").text, describe_page(browser)

    submit(browser, "立即运行预警模型")
    signals = [li for li in browser.find_elements(By.CSS_SELECTOR, "#signals li[data-signal]") if "霍乱" in li.text]
    assert signals, f"no cholera signal after running the model\n{describe_page(browser)}"
    old = browser.find_element(By.TAG_NAME, "html")
    signals[0].find_element(By.TAG_NAME, "a").click()
    wait_for_new_page(browser, old)
    assert browser.find_elements(By.CSS_SELECTOR, "#epicurve rect.here"), describe_page(browser)
    assert browser.find_elements(By.CSS_SELECTOR, "#breakdown tbody tr"), describe_page(browser)
    keep_screenshot(browser, "surveillance-2-signal")

    submit(browser, "核实：真实预警")
    assert browser.find_element(By.ID, "signal-status").text == "已核实", describe_page(browser)
    browser.find_element(By.NAME, "note").send_keys("已开展流行病学调查，密切接触者医学观察")
    submit(browser, "登记处置")
    assert browser.find_element(By.ID, "signal-status").text == "已处置", describe_page(browser)
    submit(browser, "关闭信号")
    assert browser.find_element(By.ID, "signal-status").text == "已关闭", describe_page(browser)
    keep_screenshot(browser, "surveillance-3-closed")
