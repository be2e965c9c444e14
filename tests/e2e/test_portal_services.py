"""An online return visit (互联网+复诊) end to end in a real browser at phone size: the demo resident asks for a
return visit of a diagnosis in their record; the family doctor accepts it, writes the note, and prescribes — a
nifedipine prescription that the pre-review refuses (duplicate therapy with the amlodipine the resident already
takes, the reason shown on the page), then atorvastatin, which it accepts; the resident sees the prescription, pays
the consultation fee and finds the payment in their records; large-text mode switches on.
Screenshots: portal-1-request, portal-2-rejected, portal-3-prescription, portal-4-payments."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from e2e_support import describe_page, keep_screenshot, open_page, page_text
from test_referral import PHONE, press, switch_to


def prescribe(browser, atc: str, dose: str) -> None:
    form = browser.find_element(By.ID, "prescription-form")
    Select(form.find_element(By.NAME, "atc1")).select_by_value(atc)
    form.find_element(By.NAME, "dose1").clear()
    form.find_element(By.NAME, "dose1").send_keys(dose)
    press(browser, form, "提交处方")


def test_an_online_return_visit_from_request_to_prescription_and_payment(browser, base_url):
    browser.set_window_size(*PHONE)
    sessions: dict = {}
    switch_to(browser, base_url, sessions, "resident")
    open_page(browser, f"{base_url}/portal/visits")
    form = browser.find_element(By.ID, "visit-form")
    assert form.find_elements(By.NAME, "condition"), describe_page(browser)
    form.find_element(By.NAME, "description").send_keys("早上血压偏高，140/90 左右，想调整用药")
    keep_screenshot(browser, "portal-1-request")
    press(browser, form, "提交申请")
    assert "复诊申请已提交" in page_text(browser), describe_page(browser)
    newest = browser.find_elements(By.CSS_SELECTOR, "#visits li[data-status='requested']")
    assert newest, describe_page(browser)
    visit = newest[0].get_attribute("data-visit")

    # The family doctor accepts, writes the note and prescribes.
    switch_to(browser, base_url, sessions, "doctor")
    open_page(browser, f"{base_url}/visits")
    assert browser.find_elements(By.CSS_SELECTOR, f"#waiting li[data-visit='{visit}']"), describe_page(browser)
    open_page(browser, f"{base_url}/visits/{visit}")
    press(browser, browser.find_element(By.ID, "accept-form"), "接诊")
    assert "复诊已接诊" in page_text(browser), describe_page(browser)
    form = browser.find_element(By.ID, "note-form")
    form.find_element(By.NAME, "note").send_keys("晨峰血压偏高，氨氯地平继续；血脂偏高，加用他汀。")
    press(browser, form, "保存诊疗记录")
    assert "诊疗记录已保存" in page_text(browser), describe_page(browser)
    # Nifedipine beside the amlodipine the resident takes: refused, with the reason on the page.
    prescribe(browser, "C08CA05", "30")
    assert "处方前置审核未通过" in page_text(browser), describe_page(browser)
    rejected = browser.find_elements(By.CSS_SELECTOR, "[data-status='rejected'] .reasons")
    assert rejected and "重复用药" in rejected[0].text, describe_page(browser)
    keep_screenshot(browser, "portal-2-rejected")
    prescribe(browser, "C10AA05", "20")
    assert "处方已通过前置审核并开具" in page_text(browser), describe_page(browser)
    assert browser.find_element(By.ID, "visit").get_attribute("data-status") == "completed"

    # The resident sees the prescription and pays the fee.
    switch_to(browser, base_url, sessions, "resident")
    open_page(browser, f"{base_url}/portal/visits/{visit}")
    assert "阿托伐他汀" in browser.find_element(By.ID, "prescription").text, describe_page(browser)
    keep_screenshot(browser, "portal-3-prescription")
    pay = browser.find_element(By.CSS_SELECTOR, "form.pay")
    press(browser, pay, pay.find_element(By.TAG_NAME, "button").text.strip())
    assert "支付成功" in page_text(browser), describe_page(browser)
    assert browser.find_elements(By.ID, "paid"), describe_page(browser)
    open_page(browser, f"{base_url}/portal/payments")
    assert browser.find_elements(By.CSS_SELECTOR, "#payments tr[data-status='succeeded']"), describe_page(browser)

    # Large text (适老化), then back.
    old = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.ID, "large-text").click()
    assert "large" in (browser.find_element(By.TAG_NAME, "body").get_attribute("class") or ""), describe_page(browser)
    assert "/portal/payments" in browser.current_url
    keep_screenshot(browser, "portal-4-payments")
    browser.find_element(By.ID, "large-text").click()
    assert "large" not in (browser.find_element(By.TAG_NAME, "body").get_attribute("class") or "")
