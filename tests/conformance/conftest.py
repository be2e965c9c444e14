"""Fixtures for the Weijian conformance suite.

The suite runs against a live server whose FHIR base URL is given in WEIJIAN_FHIR_BASE, e.g.
http://127.0.0.1:18080/fhir/r4, with a bearer token for a client that may read and write every
personal record (a district exchange platform, `system/*.*`) in WEIJIAN_FHIR_TOKEN. Directory
resources are written with a system administrator's token (WEIJIAN_ADMIN_TOKEN) and the audit log
is read with an audit administrator's (WEIJIAN_AUDITOR_TOKEN). scripts/conformance registers the
client, creates the accounts, obtains the tokens and sets them all. Without them every test that
needs the server fails; nothing is skipped.

test_access.py also needs the client's credentials and a person's account (see `access_settings`).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fhir_support import FHIR_JSON, FhirHttp, describe  # noqa: E402


def _required_env(name: str, what: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        pytest.fail(
            f"{name} is not set: {what}. scripts/conformance sets it (it registers a client, "
            f"creates an account and obtains a token before it runs the suite).",
            pytrace=False,
        )
    return value


@pytest.fixture(scope="session")
def base_url() -> str:
    base = os.environ.get("WEIJIAN_FHIR_BASE", "").strip()
    if not base:
        pytest.fail(
            "WEIJIAN_FHIR_BASE is not set: export the FHIR base URL of a running Weijian server, "
            "e.g. WEIJIAN_FHIR_BASE=http://127.0.0.1:18080/fhir/r4, or run scripts/conformance, "
            "which starts a server and sets it.",
            pytrace=False,
        )
    if not base.startswith(("http://", "https://")):
        pytest.fail(f"WEIJIAN_FHIR_BASE must be an http(s) URL, got {base!r}", pytrace=False)
    base = base.rstrip("/")
    try:
        requests.get(f"{base}/metadata", headers={"Accept": FHIR_JSON}, timeout=10)
    except requests.RequestException as exc:
        pytest.fail(f"WEIJIAN_FHIR_BASE={base} is not reachable: {exc}", pytrace=False)
    return base


@pytest.fixture(scope="session")
def fhir_token(base_url: str) -> str:
    """The bearer token of a district exchange platform client (`system/*.*`), from
    WEIJIAN_FHIR_TOKEN; checked once against the server so that a missing, expired or wrong
    token fails with that message instead of a 401 in every test."""
    token = _required_env(
        "WEIJIAN_FHIR_TOKEN",
        "the FHIR API needs a bearer token (POST /auth/token with grant_type=client_credentials "
        "for a client registered with `weijian client register --scopes 'system/*.*' --district …`)")
    resp = requests.get(f"{base_url}/Patient", params={"_summary": "count"},
                        headers={"Accept": FHIR_JSON, "Authorization": f"Bearer {token}"}, timeout=30)
    if resp.status_code != 200:
        pytest.fail(describe(resp, "the server does not accept WEIJIAN_FHIR_TOKEN (expired, or signed with "
                                   "another key file?)"), pytrace=False)
    return token


@pytest.fixture(scope="session")
def http(base_url: str, fhir_token: str) -> FhirHttp:
    return FhirHttp(base_url, fhir_token)


@pytest.fixture(scope="session")
def admin_http(base_url: str) -> FhirHttp:
    """A system administrator (系统管理员), the role that writes the directory types
    (Organization, Location, Practitioner, PractitionerRole, Measure): WEIJIAN_ADMIN_TOKEN."""
    return FhirHttp(base_url, _required_env("WEIJIAN_ADMIN_TOKEN", "a system administrator's bearer token "
                                            "(password grant), for writing directory resources"))


@pytest.fixture(scope="session")
def auditor_http(base_url: str) -> FhirHttp:
    """An audit administrator (审计管理员), the only reader of AuditEvent: WEIJIAN_AUDITOR_TOKEN."""
    return FhirHttp(base_url, _required_env("WEIJIAN_AUDITOR_TOKEN", "an audit administrator's bearer token "
                                            "(password grant), for reading AuditEvent"))


@pytest.fixture(scope="session")
def anonymous(base_url: str) -> FhirHttp:
    """A client that sends no Authorization header."""
    return FhirHttp(base_url, None)


@dataclass(frozen=True)
class AccessSettings:
    token_url: str
    client_id: str
    client_secret: str
    username: str
    password: str


@pytest.fixture(scope="session")
def access_settings(base_url: str) -> AccessSettings:
    """Where tokens come from and whose credentials to use: the token endpoint
    (WEIJIAN_TOKEN_URL, default <server>/auth/token), the registered client
    (WEIJIAN_FHIR_CLIENT_ID, WEIJIAN_FHIR_CLIENT_SECRET) and a person's account
    (WEIJIAN_TEST_USERNAME, WEIJIAN_TEST_PASSWORD)."""
    parts = urlsplit(base_url)
    default_token_url = f"{parts.scheme}://{parts.netloc}/auth/token"
    return AccessSettings(
        token_url=os.environ.get("WEIJIAN_TOKEN_URL", "").strip() or default_token_url,
        client_id=_required_env("WEIJIAN_FHIR_CLIENT_ID", "the id of the registered client"),
        client_secret=_required_env("WEIJIAN_FHIR_CLIENT_SECRET", "the secret of the registered client"),
        username=_required_env("WEIJIAN_TEST_USERNAME", "a person's account for the password grant"),
        password=_required_env("WEIJIAN_TEST_PASSWORD", "that account's password"),
    )
