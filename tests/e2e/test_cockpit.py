"""The cockpit (卫生健康驾驶舱) in a real browser: the commission manager (demo account `manager`) sees the
district's indicators with red/amber/green against their targets and Changning's plan rows with their
progress; the CSV export downloads with the same indicators. The screenshot is kept under
WEIJIAN_E2E_ARTIFACTS (default .build/e2e-artifacts/cockpit-1.png)."""

from __future__ import annotations

import requests
from selenium.webdriver.common.by import By

from e2e_support import DEMO_PASSWORD, describe_page, keep_screenshot, login, open_page, wait_for_new_page


def test_the_manager_sees_indicators_against_targets_and_the_plan(browser, base_url):
    browser.set_window_size(390, 1600)
    login(browser, base_url, "manager", DEMO_PASSWORD)
    open_page(browser, f"{base_url}/cockpit")
    rows = {row.get_attribute("data-code"): row for row in browser.find_elements(By.CSS_SELECTOR, "#indicators tbody tr")}
    assert "contract-rate" in rows and "icu-bed-ratio" in rows, describe_page(browser)
    # The demo hospitals reported beds: the ICU share has a value and is judged against plan row 13's 10%.
    icu = rows["icu-bed-ratio"]
    assert icu.get_attribute("data-rag") in ("green", "amber", "red"), icu.text
    assert "≥10" in icu.text, icu.text
    assert rows["contract-rate"].find_elements(By.CSS_SELECTOR, "td")[1].text.endswith("%"), rows["contract-rate"].text
    plan = browser.find_elements(By.CSS_SELECTOR, "#plan-000-6 tbody tr")
    assert len(plan) == 26, describe_page(browser)
    row13 = next(r for r in plan if r.get_attribute("data-row") == "000-6-13")
    assert "平台计算" in row13.text, row13.text
    keep_screenshot(browser, "cockpit-1")

    cookies = {c["name"]: c["value"] for c in browser.get_cookies()}
    csv = requests.get(f"{base_url}/api/v1/indicators/cockpit.csv", cookies=cookies, timeout=30)
    assert csv.status_code == 200 and csv.headers["Content-Type"].startswith("text/csv"), csv.text[:300]
    assert "icu-bed-ratio" in csv.content.decode("utf-8-sig"), csv.text[:300]


def test_a_subdistricts_health_portrait_against_the_district(browser, base_url):
    browser.set_window_size(390, 1600)
    login(browser, base_url, "manager", DEMO_PASSWORD)
    open_page(browser, f"{base_url}/cockpit")
    browser.find_element(By.ID, "portraits").click()
    # The demo's residents live in a few 街道: walk the list to one with residents.
    for _ in range(20):
        population = browser.find_element(By.ID, "population").text
        if "建档居民 0 人" not in population:
            break
        others = browser.find_elements(By.CSS_SELECTOR, "#places a")
        current = browser.current_url
        candidates = [a.get_attribute("href") for a in others]
        nxt = next((href for href in candidates if href > current), None)
        assert nxt, f"no 街道 with residents\n{describe_page(browser)}"
        open_page(browser, nxt)
    assert "建档居民" in population and "65 岁及以上" in population, describe_page(browser)
    bars = browser.find_elements(By.CSS_SELECTOR, "#pyramid rect")
    assert bars and any(float(bar.get_attribute("width")) > 0 for bar in bars), describe_page(browser)
    compared = {row.get_attribute("data-code"): row.text for row in browser.find_elements(By.CSS_SELECTOR, "#compared tbody tr")}
    assert "contract-rate" in compared and "%" in compared["contract-rate"], describe_page(browser)
    keep_screenshot(browser, "portrait-1")


def test_an_indicator_drills_down_with_charts(browser, base_url):
    """下钻: from the cockpit to the contracting rate by 街道, institution, sex and age group, drawn by Chart.js
    (served by the platform itself) on canvases, with the tables beside them."""
    browser.set_window_size(390, 1800)
    login(browser, base_url, "manager", DEMO_PASSWORD)
    open_page(browser, f"{base_url}/cockpit")
    browser.find_element(By.CSS_SELECTOR, "#indicators tr[data-code='contract-rate'] a").click()
    browser.find_element(By.ID, "subdistricts")
    assert "家庭医生签约覆盖率" in browser.title, describe_page(browser)
    for table in ("subdistricts", "organizations", "sexes", "ages"):
        rows = browser.find_elements(By.CSS_SELECTOR, f"#{table} tbody tr")
        assert rows, f"{table}\n{describe_page(browser)}"
    # Chart.js drew every chart: each canvas is marked and has a chart instance with the table's figures.
    canvases = browser.find_elements(By.CSS_SELECTOR, "canvas[data-chart]")
    assert len(canvases) >= 4, describe_page(browser)
    assert all(c.get_attribute("data-drawn") == "true" for c in canvases), describe_page(browser)
    figures = browser.execute_script(
        "return Chart.getChart(document.getElementById('chart-ages')).data.datasets[0].data.length")
    assert figures == len(browser.find_elements(By.CSS_SELECTOR, "#ages tbody tr"))
    # A 街道 row leads to its portrait.
    browser.find_element(By.CSS_SELECTOR, "#subdistricts tbody tr a").click()
    browser.find_element(By.ID, "pyramid")
    browser.back()
    browser.find_element(By.ID, "subdistricts")
    keep_screenshot(browser, "drilldown-1")


def test_the_manager_records_progress_on_a_plan_task(browser, base_url):
    """规划任务跟踪: from the cockpit to Changning's task list, one task's page, a progress note saved through
    the form, and the list showing the new status."""
    browser.set_window_size(390, 1600)
    login(browser, base_url, "manager", DEMO_PASSWORD)
    open_page(browser, f"{base_url}/cockpit")
    browser.find_element(By.ID, "plan-tasks").click()
    rows = browser.find_elements(By.CSS_SELECTOR, "#tasks tbody tr[data-task]")
    assert len(rows) == 19, describe_page(browser)
    assert browser.find_element(By.CSS_SELECTOR, "canvas[data-chart]").get_attribute("data-drawn") == "true"
    browser.find_element(By.CSS_SELECTOR, "#tasks tr[data-task='000-4-3-1'] a").click()
    assert "扩大签约覆盖面" in browser.find_element(By.ID, "task").text, describe_page(browser)
    form = browser.find_element(By.ID, "progress-form")
    form.find_element(By.CSS_SELECTOR, "select[name=status] option[value='in-progress']").click()
    progress = form.find_element(By.NAME, "progress")
    progress.clear()
    progress.send_keys("60")
    form.find_element(By.NAME, "owner").send_keys("基层卫生科")
    form.find_element(By.NAME, "note").send_keys("养老机构与功能社区签约已覆盖六个街道")
    old = browser.find_element(By.TAG_NAME, "html")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for_new_page(browser, old)
    assert "进展已保存" in browser.find_element(By.ID, "message").text, describe_page(browser)
    assert browser.find_element(By.ID, "state").get_attribute("data-status") == "in-progress"
    assert "养老机构与功能社区签约已覆盖六个街道" in browser.find_element(By.ID, "notes").text
    keep_screenshot(browser, "plan-task-1")
    open_page(browser, f"{base_url}/plan/tasks?status=in-progress")
    rows = browser.find_elements(By.CSS_SELECTOR, "#tasks tbody tr[data-task]")
    assert [r.get_attribute("data-task") for r in rows] == ["000-4-3-1"], describe_page(browser)
