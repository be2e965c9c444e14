"""Infectious disease reporting in a real browser: a cholera diagnosis pushed through the FHIR API makes a
case report card; the district CDC (demo account `cdc`) verifies it on its worklist, runs the early-warning
model, opens the signal with its epidemic curve and works it through to closed. Screenshots are kept under
WEIJIAN_E2E_ARTIFACTS (default .build/e2e-artifacts/surveillance-*.png)."""

from __future__ import annotations

import datetime

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

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

    # The true signal calls for an emergency response: open the incident, assign a task, work it, close.
    submit(browser, "启动应急响应")
    assert browser.find_element(By.ID, "incident-status").text == "响应中", describe_page(browser)
    Select(browser.find_element(By.NAME, "team")).select_by_value("epidemiology")
    browser.find_element(By.CSS_SELECTOR, "#tasks input[name=title]").send_keys("密切接触者追踪")
    browser.find_element(By.NAME, "assignee").send_keys("流调一组")
    submit(browser, "派发任务")
    task = browser.find_element(By.CSS_SELECTOR, "#tasks li[data-task]")
    assert "密切接触者追踪" in task.text and "已派发" in task.text, describe_page(browser)
    submit(browser, "开始处置")
    submit(browser, "完成")
    assert "已完成" in browser.find_element(By.CSS_SELECTOR, "#tasks li[data-task]").text, describe_page(browser)
    keep_screenshot(browser, "surveillance-4-incident")
    browser.find_element(By.NAME, "summary").send_keys("无续发病例，解除应急响应")
    submit(browser, "结束应急响应")
    assert browser.find_element(By.ID, "incident-status").text == "已结束", describe_page(browser)
    log = browser.find_element(By.ID, "log").text
    assert "派发任务（流行病学调查组）：密切接触者追踪" in log and "结束应急响应" in log, log


def test_a_sentinel_enters_its_days_count_and_a_tip_off_in_the_browser(browser, base_url, api):
    browser.set_window_size(390, 1400)
    login(browser, base_url, "chc.staff", DEMO_PASSWORD)
    open_page(browser, f"{base_url}/surveillance/streams")
    form = browser.find_element(By.ID, "count-form")
    Select(form.find_element(By.NAME, "stream")).select_by_value("fever-clinic")
    form.find_element(By.NAME, "count").send_keys("37")
    submit(browser, "提交计数")
    assert "计数已提交" in browser.find_element(By.ID, "saved").text, describe_page(browser)
    form = browser.find_element(By.ID, "item-form")
    Select(form.find_element(By.NAME, "stream")).select_by_value("tip-off")
    form.find_element(By.NAME, "text").send_keys("某幼儿园多名儿童发热")
    submit(browser, "提交线索")
    assert "线索已提交" in browser.find_element(By.ID, "saved").text, describe_page(browser)
    keep_screenshot(browser, "surveillance-5-streams")

    cdc = api.token("cdc", DEMO_PASSWORD)
    today = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8))).date().isoformat()
    totals = api.get(f"/api/v1/surveillance/streams/fever-clinic?by=district&from={today}", cdc)
    assert totals.status_code == 200 and sum(row["count"] for row in totals.json()) >= 37, totals.text[:500]
    items = api.get(f"/api/v1/surveillance/streams/tip-off?by=district&from={today}", cdc)
    assert items.status_code == 200 and sum(row["count"] for row in items.json()) >= 1, items.text[:500]
