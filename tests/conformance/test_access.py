"""Access control as an outside client sees it.

Every FHIR interaction needs a bearer token except `GET metadata`; without one the answer is a
401 OperationOutcome with `WWW-Authenticate: Bearer`, and a malformed or forged token is a 401
too (RFC 6750). Tokens come from `POST /auth/token` (RFC 6749): client credentials for systems,
the password grant for people; a wrong client secret is `401 invalid_client`, a wrong password
`400 invalid_grant`.

The token endpoint is rate limited per address (10 at once, then 20 a minute); scripts/conformance
takes 3 tokens and this file asks for 8 more, waiting out a 429 when it gets one.
"""

from __future__ import annotations

import base64
import json
import time
import uuid

import pytest
import requests

from fhir_support import FHIR_JSON, assert_operation_outcome, describe, patient_resource, validate

FORM = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _token_request(settings, data: dict, **kw) -> requests.Response:
    """POST /auth/token. The endpoint is rate limited per address; a `429 slow_down` is waited
    out (Retry-After, at most 30 s) and the request sent again, as a well-behaved client does."""
    for _ in range(3):
        resp = requests.post(settings.token_url, data=data, headers=FORM, timeout=30, **kw)
        if resp.status_code != 429:
            return resp
        wait = resp.headers.get("Retry-After", "")
        assert wait.isdigit() and 0 < int(wait) <= 30, describe(resp, "429 from the token endpoint without a usable Retry-After")
        time.sleep(int(wait))
    return resp


def _oauth_error(resp: requests.Response, status: int, error: str) -> dict:
    """Asserts an RFC 6749 §5.2 error response: the status, a JSON body with `error`, no token."""
    assert resp.status_code == status, describe(resp, f"expected HTTP {status} {error}")
    try:
        body = resp.json()
    except ValueError:
        raise AssertionError(describe(resp, "token endpoint error is not JSON")) from None
    assert body.get("error") == error, describe(resp, f"expected error={error!r}")
    assert "access_token" not in body, describe(resp, "an error response carries a token")
    return body


def _assert_bearer_challenge(resp: requests.Response, invalid_token: bool = False) -> None:
    challenge = resp.headers.get("WWW-Authenticate", "")
    assert challenge.lower().startswith("bearer"), describe(
        resp, f"a 401 from the FHIR API must challenge with WWW-Authenticate: Bearer …, got {challenge!r}")
    if invalid_token:
        assert 'error="invalid_token"' in challenge, describe(
            resp, f"RFC 6750 §3.1: a rejected token is error=\"invalid_token\", got {challenge!r}")


# ---------------------------------------------------------------------------
# no token
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def stored_patient(http) -> dict:
    """A Patient written with the platform's token, for the anonymous reads to aim at."""
    return http.create(patient_resource("access-target", family="冯", given="晓", male=False))


ANONYMOUS_REQUESTS = [
    ("GET", "Patient/{id}"),
    ("GET", "Patient/{id}/_history/1"),
    ("GET", "Patient?_id={id}"),
    ("POST", "Patient/_search"),
    ("GET", "Patient/{id}/_history"),
    ("GET", "_history"),
    ("PUT", "Patient/{id}"),
    ("DELETE", "Patient/{id}"),
    ("GET", "Observation?subject=Patient/{id}"),
]


@pytest.mark.parametrize("method, template", ANONYMOUS_REQUESTS, ids=[f"{m} {t}" for m, t in ANONYMOUS_REQUESTS])
def test_request_without_token_is_401_operation_outcome(anonymous, http, stored_patient, method, template):
    pid = stored_patient["id"]
    body = None
    if method == "PUT":
        body = dict(stored_patient)
        body["active"] = False
    resp = anonymous.request(method, template.format(id=pid), json_body=body)
    assert_operation_outcome(resp, 401)
    _assert_bearer_challenge(resp)
    assert "冯晓" not in resp.text, describe(resp, "a 401 leaks the record")
    # nothing changed
    current = http.get(f"Patient/{pid}")
    assert current.status_code == 200, describe(current, "the anonymous request changed the record")
    assert current.json()["meta"]["versionId"] == "1", describe(current, "the anonymous request wrote a version")


def test_create_and_transaction_without_token_store_nothing(anonymous, http):
    body = patient_resource("access-anonymous-create", family="冯", given="刚")
    resp = anonymous.post("Patient", body)
    assert_operation_outcome(resp, 401)
    _assert_bearer_challenge(resp)
    assert http.ids_for("Patient", body["identifier"][1]) == [], "an anonymous create was stored"

    tx_patient = patient_resource("access-anonymous-transaction", family="冯", given="敏", male=False)
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": f"urn:uuid:{uuid.uuid4()}", "request": {"method": "POST", "url": "Patient"},
         "resource": tx_patient}]}
    resp = anonymous.post("", bundle)
    assert_operation_outcome(resp, 401)
    _assert_bearer_challenge(resp)
    assert http.ids_for("Patient", tx_patient["identifier"][1]) == [], "an anonymous transaction was stored"


# ---------------------------------------------------------------------------
# malformed and forged tokens
# ---------------------------------------------------------------------------

def _forgeries(real: str) -> dict[str, str]:
    """Authorization header values that must all be refused, derived from a real token."""
    parts = real.split(".")
    assert len(parts) == 3, f"the platform's token is not a JWS compact serialisation: {real[:40]}…"
    header, payload, signature = parts
    claims = json.loads(_b64url_decode(payload))
    # The same claims with a different district: the original signature no longer matches.
    other = dict(claims)
    other["dist"] = "310101" if claims.get("dist") != "310101" else "310104"
    other["sub"] = f"{claims.get('sub', 'x')}-forged"
    forged_payload = _b64url(json.dumps(other, separators=(",", ":")).encode())
    # A flipped character in the middle of the signature.
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    unsigned = _b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return {
        "not-a-jwt": "Bearer not-a-token",
        "garbage-jwt": "Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl",
        "tampered-claims": f"Bearer {header}.{forged_payload}.{signature}",
        "tampered-signature": f"Bearer {header}.{payload}.{flipped}",
        "alg-none": f"Bearer {unsigned}.{payload}.",
        "no-signature": f"Bearer {header}.{payload}",
        "wrong-scheme": f"Token {real}",
    }


FORGERY_KINDS = ["not-a-jwt", "garbage-jwt", "tampered-claims", "tampered-signature", "alg-none",
                 "no-signature", "wrong-scheme"]


@pytest.mark.parametrize("kind", FORGERY_KINDS)
def test_malformed_or_forged_token_is_401(base_url, fhir_token, stored_patient, kind):
    authorization = _forgeries(fhir_token)[kind]
    url = f"{base_url}/Patient/{stored_patient['id']}"
    resp = requests.get(url, headers={"Accept": FHIR_JSON, "Authorization": authorization}, timeout=30)
    assert resp.status_code == 401, describe(resp, f"{kind} token must be refused")
    _assert_bearer_challenge(resp, invalid_token=kind != "wrong-scheme")
    assert "冯晓" not in resp.text, describe(resp, "a 401 leaks the record")
    # The same request with the real token is allowed, so the 401 was the token's doing.
    ok = requests.get(url, headers={"Accept": FHIR_JSON, "Authorization": f"Bearer {fhir_token}"}, timeout=30)
    assert ok.status_code == 200, describe(ok)


def test_forged_token_cannot_write(base_url, http, fhir_token):
    body = patient_resource("access-forged-create", family="冯", given="军")
    resp = requests.post(f"{base_url}/Patient", data=json.dumps(body, ensure_ascii=False).encode(),
                         headers={"Accept": FHIR_JSON, "Content-Type": FHIR_JSON,
                                  "Authorization": _forgeries(fhir_token)["tampered-claims"]}, timeout=30)
    assert resp.status_code == 401, describe(resp, "a forged token must not create")
    assert http.ids_for("Patient", body["identifier"][1]) == [], "a create with a forged token was stored"


# ---------------------------------------------------------------------------
# metadata is public
# ---------------------------------------------------------------------------

def test_metadata_is_public(anonymous):
    resp = anonymous.get("metadata")
    assert resp.status_code == 200, describe(resp, "GET metadata must not need a token")
    statement = resp.json()
    assert statement.get("resourceType") == "CapabilityStatement", describe(resp)
    assert statement.get("fhirVersion") == "4.0.1", describe(resp)
    validate(statement)


# ---------------------------------------------------------------------------
# the token endpoint
# ---------------------------------------------------------------------------

def test_client_credentials_token_works(access_settings, base_url):
    resp = _token_request(access_settings, {"grant_type": "client_credentials",
                                            "client_id": access_settings.client_id,
                                            "client_secret": access_settings.client_secret})
    assert resp.status_code == 200, describe(resp, "client_credentials with the right secret")
    body = resp.json()
    assert body.get("token_type", "").lower() == "bearer", describe(resp)
    assert isinstance(body.get("expires_in"), int) and body["expires_in"] > 0, describe(resp)
    assert body.get("scope") == "system/*.*", describe(resp, "the registered scopes")
    token = body.get("access_token")
    assert isinstance(token, str) and token, describe(resp)
    read = requests.get(f"{base_url}/Patient", params={"_summary": "count"},
                        headers={"Accept": FHIR_JSON, "Authorization": f"Bearer {token}"}, timeout=30)
    assert read.status_code == 200, describe(read, "the new token is refused")


def test_token_response_is_not_cacheable(access_settings):
    """RFC 6749 §5.1: a response carrying a token MUST have Cache-Control: no-store."""
    resp = _token_request(access_settings, {"grant_type": "client_credentials",
                                            "client_id": access_settings.client_id,
                                            "client_secret": access_settings.client_secret})
    assert resp.status_code == 200, describe(resp)
    assert "no-store" in resp.headers.get("Cache-Control", "").lower(), describe(
        resp, f"token response without Cache-Control: no-store (headers {dict(resp.headers)})")


def test_client_credentials_with_http_basic(access_settings):
    """RFC 6749 §2.3.1: the client may authenticate with HTTP Basic instead of form fields."""
    resp = _token_request(access_settings, {"grant_type": "client_credentials"},
                          auth=(access_settings.client_id, access_settings.client_secret))
    assert resp.status_code == 200, describe(resp, "client_credentials with HTTP Basic client authentication")
    assert resp.json().get("access_token"), describe(resp)


def test_client_credentials_with_wrong_secret_is_invalid_client(access_settings):
    resp = _token_request(access_settings, {"grant_type": "client_credentials",
                                            "client_id": access_settings.client_id,
                                            "client_secret": access_settings.client_secret[:-4] + "0000"})
    _oauth_error(resp, 401, "invalid_client")

    resp = _token_request(access_settings, {"grant_type": "client_credentials",
                                            "client_id": f"no-such-client-{uuid.uuid4().hex[:8]}",
                                            "client_secret": access_settings.client_secret})
    _oauth_error(resp, 401, "invalid_client")


def test_password_grant(access_settings, base_url):
    resp = _token_request(access_settings, {"grant_type": "password", "username": access_settings.username,
                                            "password": access_settings.password})
    assert resp.status_code == 200, describe(resp, "password grant with the right password")
    body = resp.json()
    assert body.get("token_type", "").lower() == "bearer" and body.get("access_token"), describe(resp)
    assert body.get("scope", "").startswith("user/"), describe(resp, "a person's token has user/ scopes")


def test_password_grant_with_wrong_password_is_invalid_grant(access_settings):
    wrong = _token_request(access_settings, {"grant_type": "password", "username": access_settings.username,
                                             "password": access_settings.password + "-wrong"})
    wrong_body = _oauth_error(wrong, 400, "invalid_grant")
    unknown = _token_request(access_settings, {"grant_type": "password",
                                               "username": f"nobody-{uuid.uuid4().hex[:8]}",
                                               "password": access_settings.password})
    unknown_body = _oauth_error(unknown, 400, "invalid_grant")
    assert wrong_body == unknown_body, (
        "a wrong password and an unknown user must look the same (no account enumeration): "
        f"{wrong_body!r} vs {unknown_body!r}")


def test_unsupported_grant_type(access_settings):
    resp = _token_request(access_settings, {"grant_type": "authorization_code", "code": "x"})
    _oauth_error(resp, 400, "unsupported_grant_type")
