"""Supervision cases in a real browser: a member of the public reports unlicensed practice without an account;
the inspector (demo account `inspector`) finds the case the report opened, takes it through assignment,
evidence (uploaded from the page), finding, a fine, rectification and its verification to 已结案; the credit page
grades the district's institutions. Screenshots kept as enforcement-1.png (the closed case) and
enforcement-2.png (the credit grades)."""

from __future__ import annotations

import datetime
import tempfile
from pathlib import Path

from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from e2e_support import DEMO_PASSWORD, describe_page, is_gone, keep_screenshot, login, open_page, submit


def act(browser, action: str, detail: str, **fields: str) -> None:
    """Takes a step through the case page's form and checks the page says it was done."""
    Select(browser.find_element(By.CSS_SELECTOR, "#action-form select[name=action]")).select_by_value(action)
    browser.find_element(By.CSS_SELECTOR, "#action-form textarea[name=detail]").send_keys(detail)
    for name, value in fields.items():
        element = browser.find_element(By.CSS_SELECTOR, f"#action-form [name={name}]")
        if element.tag_name == "select":
            Select(element).select_by_value(value)
        else:
            # Date inputs take their value in the browser's locale when typed; set it as the form sends it.
            browser.execute_script("arguments[0].value = arguments[1]", element, value)
    submit(browser, "提交")
    message = browser.find_element(By.ID, "message").text
    assert message.startswith("已"), f"{action}: {message}\n{describe_page(browser)}"


def test_a_public_report_becomes_a_case_the_inspector_closes(browser, base_url):
    browser.set_window_size(390, 1400)
    # The public: no account.
    open_page(browser, f"{base_url}/report")
    Select(browser.find_element(By.NAME, "kind")).select_by_value("unlicensed-practice")
    browser.find_element(By.NAME, "place").send_keys("天山路 300 弄 5 号底商")
    browser.find_element(By.NAME, "description").send_keys("有人在居民楼底商挂吊瓶，没有招牌")
    browser.find_element(By.NAME, "contactPhone").send_keys("13900001111")
    submit(browser, "提交")
    receipt = browser.find_element(By.ID, "receipt")
    assert "受理编号" in receipt.text, describe_page(browser)
    number = receipt.find_element(By.TAG_NAME, "strong").text

    login(browser, base_url, "inspector", DEMO_PASSWORD)
    open_page(browser, f"{base_url}/supervision/cases?status=open")
    row = [r for r in browser.find_elements(By.CSS_SELECTOR, "#cases tr[data-case]") if "天山路 300 弄 5 号底商" in r.text]
    assert row and "群众举报" in row[0].text, describe_page(browser)
    old = browser.find_element(By.TAG_NAME, "html")
    row[0].find_element(By.TAG_NAME, "a").click()
    WebDriverWait(browser, 15).until(lambda d: d.find_elements(By.ID, "case"))
    assert number in browser.find_element(By.ID, "report").text and "13900001111" in browser.find_element(By.ID, "report").text

    act(browser, "assign", "交第一监督组核查", assignee="第一监督组")
    # Evidence from the page: the file read in the browser and sent to the API; the page shows its digest.
    with tempfile.TemporaryDirectory() as folder:
        record = Path(folder) / "现场笔录.txt"
        record.write_text("2026 年现场检查笔录：发现输液器具及药品若干。", encoding="utf-8")
        form = browser.find_element(By.ID, "evidence-form")
        form.find_element(By.NAME, "name").send_keys("现场检查笔录")
        form.find_element(By.NAME, "file").send_keys(str(record))
        old = browser.find_element(By.TAG_NAME, "html")
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        # The script reloads the page once the upload is stored; a failed upload leaves its message on this page.
        WebDriverWait(browser, 15, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)).until(
            lambda d: is_gone(old) or d.find_element(By.ID, "evidence-message").text.strip(),
            "the evidence upload neither reloaded the page nor showed a message")
        assert is_gone(old), describe_page(browser)
        WebDriverWait(browser, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#evidence li"), "no evidence listed after the reload")
    evidence = browser.find_element(By.CSS_SELECTOR, "#evidence li").text
    assert "现场检查笔录" in evidence and "SHA-256" in evidence, evidence

    act(browser, "find", "查实无证行医", severity="serious")
    act(browser, "penalise", "没收药品器械并处罚款", penalty="fine", fineYuan="30000")
    deadline = (datetime.date.today() + datetime.timedelta(days=10)).isoformat()
    act(browser, "order-rectification", "责令立即停止执业活动", deadline=deadline)
    act(browser, "verify-rectification", "复查：场所已关闭")
    case = browser.find_element(By.ID, "case")
    assert case.get_attribute("data-status") == "closed" and "已结案" in case.text and "30000 元" in case.text, case.text
    steps = [li.get_attribute("data-action") for li in browser.find_elements(By.CSS_SELECTOR, "#events li")]
    assert steps == ["open", "assign", "evidence", "find", "penalise", "order-rectification", "verify-rectification"], steps
    assert not browser.find_elements(By.ID, "action-form"), "a closed case offers no more steps"
    keep_screenshot(browser, "enforcement-1")

    # Credit grades: the demo's CHC with a medical-waste alert loses 2 points for it; every score is 100 less
    # the deductions shown beside it, and its grade follows from it.
    open_page(browser, f"{base_url}/supervision/credit")
    rows = browser.find_elements(By.CSS_SELECTOR, "#credit tr[data-grade]")
    assert len(rows) > 10, describe_page(browser)
    assert any("医疗废物预警 1 次 −2" in r.text for r in rows), describe_page(browser)
    for row in rows:
        cells = row.find_elements(By.TAG_NAME, "td")
        points = [int(line.rsplit("−", 1)[1]) for line in cells[4].text.splitlines() if "−" in line]
        score = int(cells[1].text)
        assert score == max(0, 100 - sum(points)), row.text
        assert row.get_attribute("data-grade") == ("A" if score >= 90 else "B" if score >= 75 else "C" if score >= 60 else "D"), row.text
    keep_screenshot(browser, "enforcement-2")
