"""A consultation end to end in a real browser at phone size: the family doctor asks 同仁医院 for a
multidisciplinary consultation (多学科会诊) about the demo resident with a record attached; the hospital's clinician
schedules it with two specialists and writes the conclusion; the conclusion reaches the family doctor's worklist
and the resident's record (a ClinicalImpression, on the record's timeline and through the FHIR API).
Screenshots: consultation-1-request, -2-hospital, -3-worklist, -4-record."""

from __future__ import annotations

import datetime
import re
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from e2e_support import RESIDENT_PATIENT, describe_page, keep_screenshot, open_page, page_text
from test_referral import PHONE, press, session_get, switch_to


def test_a_consultation_from_the_family_doctor_to_the_conclusion_in_the_record(browser, base_url):
    browser.set_window_size(*PHONE)
    sessions: dict = {}
    switch_to(browser, base_url, sessions, "doctor")
    open_page(browser, f"{base_url}/consultations/new?patient={RESIDENT_PATIENT}")
    form = browser.find_element(By.ID, "request-form")
    Select(form.find_element(By.NAME, "kind")).select_by_value("mdt")
    Select(form.find_element(By.NAME, "targetInstitution")).select_by_value("cn-tongren")
    form.find_element(By.NAME, "specialties").send_keys("心内科、内分泌科")
    form.find_element(By.NAME, "question").send_keys("糖尿病合并高血压，近期活动后胸闷，请心内科、内分泌科共同会诊")
    attached = form.find_elements(By.NAME, "material")
    if attached:
        attached[0].click()
    keep_screenshot(browser, "consultation-1-request")
    press(browser, form, "提交会诊申请")
    assert "会诊申请已提交" in page_text(browser), describe_page(browser)
    found = re.search(r"/consultations/(cs[0-9a-z]+)", browser.current_url)
    assert found, browser.current_url
    consultation = found.group(1)
    assert len(browser.find_elements(By.CSS_SELECTOR, "#materials li:not(.muted)")) == (1 if attached else 0), describe_page(browser)

    # The hospital schedules it with two specialists and concludes.
    switch_to(browser, base_url, sessions, "clinician")
    open_page(browser, f"{base_url}/consultations")
    rows = browser.find_elements(By.CSS_SELECTOR, f"#inbox tr[data-consultation='{consultation}']")
    assert rows and "待安排" in rows[0].text, describe_page(browser)
    open_page(browser, f"{base_url}/consultations/{consultation}")
    form = browser.find_element(By.ID, "schedule-form")
    when = (datetime.datetime.now() + datetime.timedelta(days=1)).strftime("%Y-%m-%dT09:00")
    browser.execute_script("arguments[0].value = arguments[1]", form.find_element(By.NAME, "scheduledAt"), when)
    form.find_element(By.NAME, "participants").send_keys("王建国 心内科\n李敏 内分泌科")
    press(browser, form, "安排")
    assert "会诊已安排" in page_text(browser) and "王建国（心内科）" in page_text(browser), describe_page(browser)
    conclusion = f"建议行冠脉CTA评估胸闷原因；二甲双胍加量至每日2000毫克，三个月后复查糖化血红蛋白。{int(time.time())}"
    form = browser.find_element(By.ID, "conclusion-form")
    form.find_element(By.NAME, "conclusion").send_keys(conclusion)
    keep_screenshot(browser, "consultation-2-hospital")
    press(browser, form, "提交意见")
    assert "会诊已出具意见" in page_text(browser), describe_page(browser)

    # Back with the family doctor: in the worklist until read, then in the resident's record.
    switch_to(browser, base_url, sessions, "doctor")
    open_page(browser, f"{base_url}/workstation")
    worklist = browser.find_element(By.ID, "conclusions").text
    assert conclusion[:20] in worklist, describe_page(browser)
    keep_screenshot(browser, "consultation-3-worklist")
    open_page(browser, f"{base_url}/consultations/{consultation}")
    assert conclusion in browser.find_element(By.ID, "conclusion").text
    press(browser, browser.find_element(By.TAG_NAME, "body"), "已阅")
    open_page(browser, f"{base_url}/workstation")
    assert conclusion[:20] not in browser.find_element(By.ID, "conclusions").text, "read conclusions leave the worklist"
    open_page(browser, f"{base_url}/workstation/residents/{RESIDENT_PATIENT}")
    assert conclusion in browser.find_element(By.ID, "timeline").text, describe_page(browser)
    keep_screenshot(browser, "consultation-4-record")
    bundle = session_get(browser, base_url, f"/fhir/r4/ClinicalImpression?subject=Patient/{RESIDENT_PATIENT}").json()
    summaries = [entry["resource"].get("summary") for entry in bundle.get("entry", [])]
    assert conclusion in summaries, bundle
