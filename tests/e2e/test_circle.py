"""The 15-minute health service circle (15分钟健康服务圈) in a real browser: the commission manager (demo
account `manager`) follows the cockpit's link to /cockpit/circle and sees the district's two shares, the
table of 街道 with the short ones marked, the synthetic-data notice and the server-drawn map (街道, service
points with their reach, residential sites reached and not). The JSON API agrees with the page. The
screenshot is kept under WEIJIAN_E2E_ARTIFACTS (default .build/e2e-artifacts/circle-1.png)."""

from __future__ import annotations

import requests
from selenium.webdriver.common.by import By

from e2e_support import DEMO_PASSWORD, describe_page, keep_screenshot, login, open_page


def test_the_manager_sees_the_service_circle_with_its_map(browser, base_url):
    browser.set_window_size(390, 2200)
    login(browser, base_url, "manager", DEMO_PASSWORD)
    open_page(browser, f"{base_url}/cockpit")
    browser.find_element(By.ID, "circle").click()
    assert browser.current_url.endswith("/cockpit/circle"), describe_page(browser)
    residents = browser.find_element(By.ID, "residents-share").text
    area = browser.find_element(By.ID, "area-share").text
    assert residents.endswith("%") and area.endswith("%"), describe_page(browser)
    # The demo's geometry is synthetic, and the page says so.
    assert "合成" in browser.find_element(By.ID, "synthetic").text, describe_page(browser)

    rows = browser.find_elements(By.CSS_SELECTOR, "#subdistricts tbody tr")
    assert len(rows) == 10, describe_page(browser)  # Changning's ten 街道
    short = [row for row in rows if row.get_attribute("data-short") == "true"]
    assert short and len(short) < len(rows), describe_page(browser)
    assert all("未达标" in row.text for row in short), [row.text for row in short]
    assert all(row.find_elements(By.CSS_SELECTOR, "td")[1].text.endswith("%") for row in rows), [row.text for row in rows]

    svg = browser.find_element(By.ID, "circle-map")
    assert svg.is_displayed() and svg.size["width"] > 300, svg.size
    assert len(svg.find_elements(By.CSS_SELECTOR, "path.subdistrict")) == 10
    points = svg.find_elements(By.CSS_SELECTOR, "circle.service-point")
    assert len(points) >= 26, len(points)  # at least the registry's 10 CHCs and 16 stations
    assert len(svg.find_elements(By.CSS_SELECTOR, "#map-reach circle")) == len(points)
    reached = svg.find_elements(By.CSS_SELECTOR, "circle.site.reached")
    unreached = svg.find_elements(By.CSS_SELECTOR, "circle.site.unreached")
    assert reached and unreached, (len(reached), len(unreached))
    # The short 街道 are tinted on the map.
    tinted = {p.get_attribute("data-code") for p in svg.find_elements(By.CSS_SELECTOR, "path.subdistrict") if p.get_attribute("fill") == "#fde0dc"}
    assert tinted == {row.get_attribute("data-code") for row in short}, tinted
    keep_screenshot(browser, "circle-1")

    cookies = {c["name"]: c["value"] for c in browser.get_cookies()}
    report = requests.get(f"{base_url}/api/v1/indicators/circle/310105", cookies=cookies, timeout=30)
    assert report.status_code == 200, report.text[:300]
    body = report.json()
    assert f"{body['total']['residentsPercent']:g}%" == residents, (body["total"], residents)
    assert sorted(body["short"]) == sorted(row.get_attribute("data-code") for row in short)
    assert body["synthetic"] is True and body["radiusMetres"] == 900
