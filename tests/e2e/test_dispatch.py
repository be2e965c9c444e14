"""Pre-hospital emergency care in a real browser at phone size: the dispatcher (demo account `dispatcher`)
receives a chest-pain call, dispatches a waiting ambulance and records it on scene and leaving for 同仁医院; the
hospital's emergency department (`clinician`) takes the pre-arrival notice, which opens a chest-pain case with the
call's times on the centre's page. Screenshots: dispatch-1-board, dispatch-2-notice."""

from __future__ import annotations

import time

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from e2e_support import describe_page, keep_screenshot, open_page, page_text
from test_referral import PHONE, press, switch_to


def test_a_call_from_the_dispatchers_board_to_the_emergency_department(browser, base_url):
    browser.set_window_size(*PHONE)
    sessions: dict = {}
    switch_to(browser, base_url, sessions, "dispatcher")
    open_page(browser, f"{base_url}/emergency/dispatch")
    assert "近 30 天平均反应时间" in page_text(browser), describe_page(browser)
    address = f"天山路 {int(time.time()) % 1000} 号"
    form = browser.find_element(By.ID, "call-form")
    form.find_element(By.NAME, "address").send_keys(address)
    Select(form.find_element(By.NAME, "category")).select_by_value("chest-pain")
    press(browser, form, "受理")
    assert "已受理" in page_text(browser), describe_page(browser)

    def row():
        rows = [r for r in browser.find_elements(By.CSS_SELECTOR, "#calls li[data-call]") if address in r.text]
        assert rows, describe_page(browser)
        return rows[0]

    assert row().get_attribute("data-status") == "received"
    press(browser, row(), "派车")
    assert row().get_attribute("data-status") == "dispatched", describe_page(browser)
    assert "任务中" in browser.find_element(By.ID, "stations").text
    press(browser, row(), "到达现场")
    assert row().get_attribute("data-status") == "on-scene" and "反应" in row().text
    Select(row().find_element(By.NAME, "hospital")).select_by_value("cn-tongren")
    keep_screenshot(browser, "dispatch-1-board")
    press(browser, row(), "离开现场送院")
    assert row().get_attribute("data-status") == "leaving", describe_page(browser)
    call = row().get_attribute("data-call")

    # The emergency department of 同仁医院 takes the notice: a chest-pain case with the call's times.
    switch_to(browser, base_url, sessions, "clinician")
    open_page(browser, f"{base_url}/emergency/notices")
    notices = browser.find_elements(By.CSS_SELECTOR, f"#notices li[data-call='{call}']")
    assert notices and "胸痛" in notices[0].text, describe_page(browser)
    press(browser, notices[0], "接收")
    assert "已接收" in page_text(browser), describe_page(browser)
    keep_screenshot(browser, "dispatch-2-notice")
    link = browser.find_element(By.CSS_SELECTOR, f"#notices li[data-call='{call}'] a")
    case_id = link.get_attribute("href").rsplit("#", 1)[1]
    open_page(browser, f"{base_url}/critical-care")
    case = browser.find_element(By.ID, case_id)
    assert "胸痛中心" in case.text and "院前转运" in case.text, case.text
    # 呼救 and 首次医疗接触 are filled from the call; 到达医院 is still to be recorded.
    assert "呼救 —" not in case.text and "首次医疗接触 —" not in case.text and "到达医院 —" in case.text, case.text

    # Back on the board, the ambulance reaches the hospital and is free again.
    switch_to(browser, base_url, sessions, "dispatcher")
    open_page(browser, f"{base_url}/emergency/dispatch")
    press(browser, row(), "送达医院")
    assert not [r for r in browser.find_elements(By.CSS_SELECTOR, "#calls li[data-call]") if address in r.text], describe_page(browser)
