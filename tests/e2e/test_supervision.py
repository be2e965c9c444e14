"""Drinking-water safety in a real browser: an inspector (demo account `inspector`) adds a site and a sampling
through the API; the inspectors' list draws each site's QR code with qrcode.js; the public page behind it, read
without signing in, shows the result. The screenshot is kept as supervision-1.png."""

from __future__ import annotations

from selenium.webdriver.common.by import By

from e2e_support import DEMO_PASSWORD, describe_page, keep_screenshot, login, open_page


def test_a_water_sites_qr_code_leads_to_its_public_result(browser, base_url, api):
    token = api.token("inspector", DEMO_PASSWORD)
    divisions = api.get("/api/v1/divisions?parent=310105", token).json()
    place = divisions[0]["code"]
    created = api.post_json("/api/v1/supervision/water/sites", token,
                            {"subdistrict": place, "name": "仙霞新村二次供水水箱", "kind": "secondary-supply", "address": "仙霞路 1 号"})
    assert created.status_code == 201, created.text
    site = created.json()["id"]
    results = {"turbidity": 0.3, "colour": 5, "ph": 7.4, "total-coliforms": 0, "colony-count": 8, "free-chlorine": 0.4}
    sampled = api.post_json(f"/api/v1/supervision/water/sites/{site}/tests", token, {"sampledAt": "2026-11-02T09:30:00+08:00", "results": results})
    assert sampled.status_code == 201 and sampled.json()["qualified"], sampled.text

    browser.set_window_size(390, 1200)
    login(browser, base_url, "inspector", DEMO_PASSWORD)
    open_page(browser, f"{base_url}/supervision/water")
    qr = browser.find_element(By.CSS_SELECTOR, f"tr[data-site='{site}'] [data-qr]")
    assert qr.get_attribute("data-drawn") == "true", describe_page(browser)
    # The code holds the page's absolute address (drawn as an SVG of dark modules).
    assert qr.find_elements(By.CSS_SELECTOR, "svg path, svg rect"), qr.get_attribute("innerHTML")[:300]
    keep_screenshot(browser, "supervision-1")

    browser.delete_all_cookies()
    open_page(browser, f"{base_url}/water/{site}")
    result = browser.find_element(By.ID, "result")
    assert result.get_attribute("data-qualified") == "true" and "合格" in result.text, describe_page(browser)
    assert "仙霞新村二次供水水箱" in browser.find_element(By.ID, "site").text
