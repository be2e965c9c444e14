"""The web sign-in as a person sees it, in a real headless Chromium.

Needs a server started with the demo district (`weijian serve --demo-residents N`): its accounts
resident, doctor, chc.staff, chc.manager, clinician and sysadmin all have the password
weijian-demo-2026; `resident` is Patient p310105-0 and `doctor` is their family doctor.

Sign-in limits the tests are built around (all attempts come from one address):
  * per address 10 attempts at once, then 20 a minute; per user name 5 at once, then 5 a minute
    (429 "尝试过于频繁，请 N 秒后再试");
  * per account: 3 wrong passwords free, then a wait of 1, 2, 4 … s after each further one (429
    "密码错误次数较多，请 N 秒后再试"), and the 10th wrong password in a row locks the account for
    15 minutes (423 "账号已锁定"). Reaching the lock therefore takes at least 1+2+…+64 = 127 s.
A CSRF failure is refused before any of these counters is touched.
"""

from __future__ import annotations

import secrets
import time

import pytest
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from e2e_support import (
    DEMO_PASSWORD, LOGIN_CSRF_COOKIE, RESIDENT_PATIENT, SESSION_COOKIE, WAIT_MESSAGE, Api, alert_text, cookie,
    describe_page, fill_login, heading, login, open_page, page_text, path_of, submit,
)

ACCESS_LOG_TITLE = "谁查看了我的健康档案"


def _access_rows(browser) -> list[list[str]]:
    """The access-log table's rows as lists of cell texts (the "暂无记录" row excluded)."""
    rows = []
    for row in browser.find_elements(By.CSS_SELECTOR, "table tbody tr"):
        cells = [cell.text.strip() for cell in row.find_elements(By.TAG_NAME, "td")]
        if len(cells) >= 4:
            rows.append(cells)
    return rows


def _family_doctor_reads(rows: list[list[str]]) -> list[list[str]]:
    """Rows saying the family doctor (查阅人 家庭医生) viewed (查看) the record."""
    return [r for r in rows if "家庭医生" in r[1] and r[2] == "查看"]


# ---------------------------------------------------------------------------
# (a) the resident sees who read their record
# ---------------------------------------------------------------------------

def test_resident_sees_the_family_doctors_read_in_the_access_log(browser, base_url, api):
    doctor = api.token("doctor", DEMO_PASSWORD)
    read = api.get(f"/fhir/r4/Patient/{RESIDENT_PATIENT}", doctor)
    assert read.status_code == 200, f"the family doctor's read: HTTP {read.status_code}: {read.text[:500]}"
    assert read.json().get("id") == RESIDENT_PATIENT

    login(browser, base_url, "resident", DEMO_PASSWORD)
    assert path_of(browser) == "/portal", describe_page(browser)
    open_page(browser, f"{base_url}/me/access-log")
    assert heading(browser) == ACCESS_LOG_TITLE, describe_page(browser)
    assert ACCESS_LOG_TITLE in browser.title, describe_page(browser)
    rows = _access_rows(browser)
    assert rows, f"the access log lists no access after the family doctor read the record\n{describe_page(browser)}"
    before = _family_doctor_reads(rows)
    assert before, f"no row with 家庭医生 / 查看 after the family doctor read the record\n{describe_page(browser)}"

    # The log is live: one more read by the doctor is one more row.
    again = api.get(f"/fhir/r4/Patient/{RESIDENT_PATIENT}", doctor)
    assert again.status_code == 200, again.text[:500]
    open_page(browser, f"{base_url}/me/access-log")
    after = _family_doctor_reads(_access_rows(browser))
    assert len(after) == len(before) + 1, (
        f"the family doctor's second read did not add a row ({len(before)} → {len(after)})\n{describe_page(browser)}")


# ---------------------------------------------------------------------------
# (b) cookies
# ---------------------------------------------------------------------------

def test_session_cookie_is_httponly_and_samesite_strict(browser, base_url):
    open_page(browser, f"{base_url}/login")
    login_csrf = cookie(browser, LOGIN_CSRF_COOKIE)
    assert login_csrf, f"GET /login set no {LOGIN_CSRF_COOKIE} cookie: {browser.get_cookies()}"
    assert login_csrf.get("httpOnly") is True, login_csrf
    assert login_csrf.get("sameSite") == "Strict", login_csrf

    login(browser, base_url, "chc.staff", DEMO_PASSWORD)
    assert path_of(browser) == "/me", describe_page(browser)
    assert "社区工作人员" in page_text(browser) and "社区卫生服务中心工作人员" in page_text(browser), describe_page(browser)
    session = cookie(browser, SESSION_COOKIE)
    assert session, f"no {SESSION_COOKIE} cookie after signing in: {browser.get_cookies()}"
    assert session.get("httpOnly") is True, f"the session cookie is not HttpOnly: {session}"
    assert session.get("sameSite") == "Strict", f"the session cookie is not SameSite=Strict: {session}"
    assert session.get("secure") is True, f"the session cookie is not Secure: {session}"
    assert session.get("path") == "/", session
    # HttpOnly in effect: the page's scripts cannot read it.
    visible = browser.execute_script("return document.cookie")
    assert SESSION_COOKIE not in visible, f"document.cookie shows the session cookie: {visible!r}"


# ---------------------------------------------------------------------------
# (c) CSRF
# ---------------------------------------------------------------------------

TAMPERINGS = {
    "tampered": "document.querySelector('input[name=csrf]').value = 'tampered-' + "
                "document.querySelector('input[name=csrf]').value.slice(8);",
    "removed": "document.querySelector('input[name=csrf]').remove();",
}


@pytest.mark.parametrize("how", ["tampered", "removed", "cookie-deleted"])
def test_login_with_a_bad_csrf_token_is_refused(browser, base_url, how):
    fill_login(browser, base_url, "chc.manager", DEMO_PASSWORD)   # the right password
    if how == "cookie-deleted":
        browser.delete_cookie(LOGIN_CSRF_COOKIE)
    else:
        browser.execute_script(TAMPERINGS[how])
        fields = browser.find_elements(By.CSS_SELECTOR, "input[name=csrf]")
        if how == "tampered":
            assert fields and fields[0].get_attribute("value").startswith("tampered-")
        else:
            assert not fields
    submit(browser, "登录")
    assert "页面已过期" in alert_text(browser), describe_page(browser)
    assert path_of(browser) == "/login", describe_page(browser)
    assert cookie(browser, SESSION_COOKIE) is None, f"a session cookie was set: {browser.get_cookies()}"
    open_page(browser, f"{base_url}/me")
    assert path_of(browser) == "/login", f"/me did not send the visitor to /login\n{describe_page(browser)}"


# ---------------------------------------------------------------------------
# (e) logout
# ---------------------------------------------------------------------------

def test_logout_ends_the_session(browser, base_url):
    login(browser, base_url, "clinician", DEMO_PASSWORD)
    assert path_of(browser) == "/me", describe_page(browser)
    text = page_text(browser)
    assert "医院医生" in text and "医院临床医生" in text, describe_page(browser)
    session = cookie(browser, SESSION_COOKIE)
    assert session, browser.get_cookies()

    submit(browser, "退出登录")
    assert path_of(browser) == "/login", f"logout did not land on /login\n{describe_page(browser)}"
    # The logout response expires the cookie with `Expires=<now>` (whole seconds), so the browser may
    # hold on to it until that second has passed.
    try:
        WebDriverWait(browser, 3, poll_frequency=0.2).until(lambda d: cookie(d, SESSION_COOKIE) is None)
    except TimeoutException:
        pytest.fail(f"the session cookie outlived the logout: {browser.get_cookies()}")
    open_page(browser, f"{base_url}/me")
    assert path_of(browser) == "/login", f"/me after logout did not redirect to /login\n{describe_page(browser)}"

    # The session is ended on the server too: the old cookie, put back, opens nothing.
    browser.add_cookie({"name": SESSION_COOKIE, "value": session["value"], "path": "/",
                        "secure": session.get("secure", False), "httpOnly": True, "sameSite": "Strict"})
    open_page(browser, f"{base_url}/me")
    assert path_of(browser) == "/login", f"the logged-out session cookie still works\n{describe_page(browser)}"
    open_page(browser, f"{base_url}/me/access-log")
    assert path_of(browser) == "/login", describe_page(browser)


# ---------------------------------------------------------------------------
# (d) back-off and lockout
# ---------------------------------------------------------------------------

@pytest.fixture
def fresh_account(api) -> tuple[str, str]:
    """A new health-inspector account made by the demo system administrator, so that locking it
    touches no demo account and the test can run again against the same server."""
    admin = api.token("sysadmin", DEMO_PASSWORD)
    username = f"e2e.lock.{secrets.token_hex(4)}"
    password = f"Lockout-{secrets.token_urlsafe(12)}-2026"   # letters and digits, as the password rules require
    resp = api.post_json("/api/v1/admin/accounts", admin, {
        "username": username, "displayName": "锁定测试", "role": "health_inspector",
        "password": password, "district": "310105"})
    assert resp.status_code == 201, f"creating the account: HTTP {resp.status_code}: {resp.text}"
    return username, password


def test_wrong_passwords_back_off_then_lock_the_account(browser, base_url, fresh_account):
    """Wrong passwords one after another, waiting whenever the page says how long: the first
    3 are refused plainly, then the page asks for growing waits, and the 10th wrong password in a
    row locks the account, after which even the right password is refused."""
    username, password = fresh_account
    wrong = password + "-x"
    failures = 0                      # wrong passwords the server counted
    back_offs: list[tuple[int, int]] = []   # (failures so far, seconds asked for)
    rate_limited = 0
    locked_message = ""
    started = time.monotonic()
    deadline = started + 330
    while not locked_message:
        assert time.monotonic() < deadline, f"not locked after {failures} wrong passwords; back-offs {back_offs}"
        fill_login(browser, base_url, username, wrong)
        submit(browser, "登录")
        message = alert_text(browser)
        assert path_of(browser) == "/login", describe_page(browser)
        assert cookie(browser, SESSION_COOKIE) is None, "a wrong password gave a session"
        wait = WAIT_MESSAGE.search(message)
        if "账号已锁定" in message:
            failures += 1
            locked_message = message
        elif "用户名或密码错误" in message:
            failures += 1
        elif "密码错误次数较多" in message:
            assert wait, f"back-off without a wait: {message!r}"
            assert failures >= 3, f"a back-off after only {failures} wrong passwords: {message!r}"
            back_offs.append((failures, int(wait.group(1))))
            time.sleep(int(wait.group(1)))
        elif "尝试过于频繁" in message:   # the per-user / per-address rate limit
            assert wait, f"rate limit without a wait: {message!r}"
            rate_limited += 1
            time.sleep(int(wait.group(1)))
        else:
            pytest.fail(f"unexpected answer to a wrong password after {failures} failures\n{describe_page(browser)}")

    print(f"\nlockout: {failures} wrong passwords in {time.monotonic() - started:.0f} s; back-offs (failures, s) "
          f"{back_offs}; rate limited {rate_limited} times; {locked_message!r}")
    assert failures == 10, f"locked after {failures} wrong passwords, expected the 10th: {locked_message!r}"
    assert back_offs, "no back-off message (密码错误次数较多，请 N 秒后再试) before the lock"
    # The first wait is 1 s after the 3rd failure; a slow browser may miss it and meet the 2 s one.
    assert back_offs[0][0] <= 5, f"the first back-off came only after {back_offs[0][0]} failures: {back_offs}"
    later = [s for k, s in back_offs if k >= 8]
    assert later and max(later) >= 16, f"the waits did not grow: {back_offs}"
    assert "分钟" in locked_message, locked_message

    # Locked: the right password is refused too.
    for _ in range(5):
        fill_login(browser, base_url, username, password)
        submit(browser, "登录")
        message = alert_text(browser)
        wait = WAIT_MESSAGE.search(message)
        if "尝试过于频繁" in message and wait:
            time.sleep(int(wait.group(1)))
            continue
        break
    assert "账号已锁定" in message, f"the right password on a locked account\n{describe_page(browser)}"
    assert cookie(browser, SESSION_COOKIE) is None, "a locked account got a session"
