"""Online approvals (一网通办) in a real browser at phone width: a clinician (demo account `clinician`) applies for
a physician's registration through the page's form; the commission (`manager`) accepts it and approves it with a
licence number through its queue; the clinician sees 已准予许可 and rates the service; the new licence is listed by
the API. The screenshot is kept as approvals-1.png."""

from __future__ import annotations

import secrets

from selenium.webdriver.common.by import By

from e2e_support import DEMO_PASSWORD, describe_page, keep_screenshot, login, open_page, page_text, submit, wait_for_new_page


def fits_the_phone(browser) -> bool:
    return browser.execute_script("return document.documentElement.scrollWidth") <= 390


def click_and_wait(browser, element) -> None:
    old = browser.find_element(By.TAG_NAME, "html")
    element.click()
    wait_for_new_page(browser, old)


def test_an_application_goes_from_the_form_to_a_licence_and_a_rating(browser, base_url, api):
    number = "110310" + "".join(secrets.choice("0123456789") for _ in range(8))
    browser.set_window_size(390, 1200)

    login(browser, base_url, "clinician", DEMO_PASSWORD)
    open_page(browser, f"{base_url}/approvals")
    before = {li.get_attribute("data-approval") for li in browser.find_elements(By.CSS_SELECTOR, "#my-approvals li[data-approval]")}
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#kinds a[href$='kind=physician-registration']"))
    form = browser.find_element(By.ID, "new-application")
    assert fits_the_phone(browser), describe_page(browser)
    form.find_element(By.NAME, "scope-internal-medicine").click()
    for box in form.find_elements(By.CSS_SELECTOR, "input[name^='material-']"):
        if box.get_attribute("name") != "material-supplementary":
            box.click()
    submit(browser, "提交申请")
    assert "申请已提交" in page_text(browser), describe_page(browser)
    new = [li for li in browser.find_elements(By.CSS_SELECTOR, "#my-approvals li[data-approval]") if li.get_attribute("data-approval") not in before]
    assert len(new) == 1, describe_page(browser)
    approval = new[0].get_attribute("data-approval")
    assert new[0].find_element(By.CSS_SELECTOR, ".status").get_attribute("data-status") == "submitted"

    browser.delete_all_cookies()
    login(browser, base_url, "manager", DEMO_PASSWORD)
    open_page(browser, f"{base_url}/supervision/approvals")
    assert fits_the_phone(browser), describe_page(browser)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, f"#queue li[data-approval='{approval}'] a"))
    assert "医师执业注册" in page_text(browser), describe_page(browser)
    submit(browser, "受理")
    assert browser.find_element(By.ID, "approval").get_attribute("data-status") == "accepted", describe_page(browser)
    browser.find_element(By.NAME, "licenceNumber").send_keys(number)
    submit(browser, "准予许可")
    assert browser.find_element(By.ID, "approval").get_attribute("data-status") == "approved", describe_page(browser)
    assert number in page_text(browser)

    browser.delete_all_cookies()
    login(browser, base_url, "clinician", DEMO_PASSWORD)
    open_page(browser, f"{base_url}/approvals")
    item = browser.find_element(By.CSS_SELECTOR, f"#my-approvals li[data-approval='{approval}']")
    assert "已准予许可" in item.text and number in item.text, item.text
    item.find_element(By.CSS_SELECTOR, "input[name=score][value='5']").click()
    submit(browser, "提交评价")
    item = browser.find_element(By.CSS_SELECTOR, f"#my-approvals li[data-approval='{approval}']")
    assert item.find_element(By.CSS_SELECTOR, ".rating").get_attribute("data-rating") == "5", item.text
    assert fits_the_phone(browser), describe_page(browser)
    keep_screenshot(browser, "approvals-1")

    token = api.token("manager", DEMO_PASSWORD)
    licences = api.get("/api/v1/supervision/licences", token).json()
    assert [(l["kind"], l["scope"]) for l in licences if l["number"] == number] == [("physician", ["internal-medicine"])], licences
    shown = api.get(f"/api/v1/supervision/approvals/{approval}", token).json()
    assert [e["action"] for e in shown["history"]] == ["submit", "accept", "approve", "rate"], shown
