"""Family-doctor contracting in a real browser at phone size: the demo resident signs a family doctor
online (ending the demo's contract first, if any), and the doctor sees them on the workstation's panel
and worklist. A screenshot of each page is kept under WEIJIAN_E2E_ARTIFACTS (default
.build/e2e-artifacts/contracting-*.png), whether the test passes or fails."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from e2e_support import DEMO_PASSWORD, RESIDENT_PATIENT, describe_page, keep_screenshot, login, open_page, page_text, path_of, submit

PHONE = (390, 1200)


def test_resident_signs_online_and_the_doctor_sees_them_on_panel_and_worklist(browser, base_url, api):
    doctor_token = api.token("doctor", DEMO_PASSWORD)
    me = api.get("/api/v1/me", doctor_token)
    assert me.status_code == 200, me.text[:300]
    practitioner = me.json()["practitioner"]

    browser.set_window_size(*PHONE)
    login(browser, base_url, "resident", DEMO_PASSWORD)
    open_page(browser, f"{base_url}/contracting")
    keep_screenshot(browser, "contracting-1-resident-before")
    # The demo resident is already contracted: end that contract first (a reason is required).
    if browser.find_elements(By.ID, "contract"):
        browser.find_element(By.NAME, "reason").send_keys("测试：重新签约")
        submit(browser, "解约")
        assert "已解约" in page_text(browser), describe_page(browser)
    assert browser.find_elements(By.ID, "sign-form"), f"no signing form\n{describe_page(browser)}"
    keep_screenshot(browser, "contracting-2-resident-choose-doctor")

    radios = browser.find_elements(By.CSS_SELECTOR, f"input[name=practitioner][value='{practitioner}']")
    assert radios, f"the CHC's doctors do not include {practitioner}\n{describe_page(browser)}"
    radios[0].click()
    district = Select(browser.find_element(By.NAME, "districtHospital"))
    district.select_by_index(1)
    city = Select(browser.find_element(By.NAME, "cityHospital"))
    chosen = district.first_selected_option.get_attribute("value")
    for index, option in enumerate(city.options):
        if option.get_attribute("value") not in ("", chosen):
            city.select_by_index(index)
            break
    submit(browser, "确认签约")
    assert browser.find_elements(By.ID, "confirmation"), describe_page(browser)
    assert "签约成功" in page_text(browser), describe_page(browser)
    keep_screenshot(browser, "contracting-3-resident-confirmation")

    # The resident's page now shows the contract.
    open_page(browser, f"{base_url}/contracting")
    assert browser.find_elements(By.ID, "contract"), describe_page(browser)
    contract_id = browser.find_element(By.ID, "contract-id").text.strip()
    contract = api.get(f"/api/v1/contracting/contracts/{contract_id}", doctor_token)
    assert contract.status_code == 200 and contract.json()["channel"] == "online", contract.text[:300]

    # The doctor signs in on a fresh session and finds the resident on the panel and in the worklist.
    browser.delete_all_cookies()
    login(browser, base_url, "doctor", DEMO_PASSWORD)
    open_page(browser, f"{base_url}/workstation")
    assert path_of(browser) == "/workstation", describe_page(browser)
    link = f"a[href='/workstation/residents/{RESIDENT_PATIENT}']"
    assert browser.find_elements(By.CSS_SELECTOR, f"#new-signed {link}"), f"not in the worklist's new signings\n{describe_page(browser)}"
    assert browser.find_elements(By.CSS_SELECTOR, f"#panel-list {link}"), f"not on the panel\n{describe_page(browser)}"
    keep_screenshot(browser, "contracting-4-doctor-workstation")

    # The panel's filter narrows it; the resident's record opens as a timeline with the contract on it.
    Select(browser.find_element(By.NAME, "group")).select_by_value("elderly-65")
    submit(browser, "筛选")
    for age in browser.find_elements(By.CSS_SELECTOR, "#panel-list li"):
        assert "65岁及以上老年人" in age.text, age.text
    keep_screenshot(browser, "contracting-5-doctor-panel-filtered")
    open_page(browser, f"{base_url}/workstation/residents/{RESIDENT_PATIENT}")
    timeline = page_text(browser)
    assert "签约" in timeline and "家庭医生签约服务" in timeline, describe_page(browser)
    keep_screenshot(browser, "contracting-6-doctor-resident-timeline")


def test_resident_rates_and_the_chc_desk_signs_a_resident_found_by_id_number(browser, base_url, api):
    browser.set_window_size(*PHONE)
    # The resident rates their family doctor's service (the previous test left them contracted; sign if not).
    login(browser, base_url, "resident", DEMO_PASSWORD)
    open_page(browser, f"{base_url}/contracting")
    if not browser.find_elements(By.ID, "contract"):
        browser.find_elements(By.CSS_SELECTOR, "input[name=practitioner]")[0].click()
        submit(browser, "确认签约")
        open_page(browser, f"{base_url}/contracting")
    Select(browser.find_element(By.NAME, "stars")).select_by_value("5")
    browser.find_element(By.NAME, "comment").send_keys("医生很耐心")
    submit(browser, "提交评价")
    assert "感谢您的评价" in page_text(browser), describe_page(browser)
    keep_screenshot(browser, "contracting-7-resident-rated")

    # CHC staff find an unsigned resident of their CHC by ID number at the desk and sign them.
    staff = api.token("chc.staff", DEMO_PASSWORD)
    chc = api.get("/api/v1/me", staff).json()["institution"]
    listed = api.get(f"/fhir/r4/Patient?organization=Organization/{chc}&_count=100", staff)
    assert listed.status_code == 200, listed.text[:300]
    unsigned = [e["resource"]["id"] for e in listed.json().get("entry", []) if "generalPractitioner" not in e["resource"]]
    assert unsigned, "the demo CHC has no unsigned resident"
    record = api.get(f"/fhir/r4/Patient/{unsigned[0]}", staff).json()
    number = next(i["value"] for i in record["identifier"] if i["system"].endswith("resident-id"))
    assert "*" not in number, "a single record read by the CHC shows the full number"

    browser.delete_all_cookies()
    login(browser, base_url, "chc.staff", DEMO_PASSWORD)
    open_page(browser, f"{base_url}/desk")
    browser.find_element(By.NAME, "idNumber").send_keys(number)
    submit(browser, "查找")
    assert number not in browser.current_url
    assert browser.find_elements(By.ID, "resident"), describe_page(browser)
    shown = page_text(browser)
    assert number not in shown and number[-4:] in shown, "the desk shows the number masked"
    keep_screenshot(browser, "contracting-8-desk-found")
    submit(browser, "窗口签约")
    assert "签约成功" in page_text(browser), describe_page(browser)
    keep_screenshot(browser, "contracting-9-desk-signed")
    contracts = api.get(f"/api/v1/contracting/contracts?patient={unsigned[0]}", staff)
    assert contracts.status_code == 200 and contracts.json()[0]["channel"] == "desk", contracts.text[:300]
