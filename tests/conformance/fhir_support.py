"""Shared helpers for the Weijian outside-client conformance suite.

Nothing here talks to the server on import; the HTTP helpers take the base URL
from the `base_url` fixture (see conftest.py).
"""

from __future__ import annotations

import datetime as _dt
import json
import random
import uuid
from typing import Any, Iterable
from urllib.parse import urlsplit

import requests
from fhir.resources import construct_fhir_element

FHIR_JSON = "application/fhir+json"
RESIDENT_ID_SYSTEM = "https://weijian.health/sid/resident-id"
# Business identifiers the suite puts on every resource it writes, so that one
# run never sees another run's data (the database may be reused between runs).
TEST_ID_SYSTEM = "https://weijian.health/sid/conformance-test"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
CVX = "http://hl7.org/fhir/sid/cvx"

# One id per pytest process; every identifier value starts with it.
RUN_ID = uuid.uuid4().hex[:12]

# ---------------------------------------------------------------------------
# GB 11643 resident identity numbers
# ---------------------------------------------------------------------------

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"


def resident_id_check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character for the first 17 digits of a GB 11643 number."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError(f"need 17 digits, got {first17!r}")
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS))
    return _CHECK_CHARS[total % 11]


_issued: set[str] = set()
_rng = random.SystemRandom()


def random_birth_date(first_year: int = 1940, last_year: int = 2005) -> _dt.date:
    """A random birth date, so that resident ids differ between runs on the same database
    (the server keeps one record per resident id: 一人一档)."""
    start = _dt.date(first_year, 1, 1).toordinal()
    end = _dt.date(last_year, 12, 31).toordinal()
    return _dt.date.fromordinal(_rng.randint(start, end))


def make_resident_id(birth: _dt.date | None = None, male: bool = True, region: str = "310105",
                     check: str | None = None) -> str:
    """A valid 18-character GB 11643 resident id not issued before in this run: region
    (310105 = 上海市长宁区), birth date, a sequence number whose last digit is odd for men and
    even for women, check character. `check` asks for a particular check character (e.g. "X")."""
    for _ in range(100_000):
        seq = _rng.randrange(0, 100) * 10 + _rng.choice((1, 3, 5, 7, 9) if male else (0, 2, 4, 6, 8))
        first17 = f"{region}{birth:%Y%m%d}{seq:03d}" if birth else None
        if first17 is None:
            first17 = f"{region}{random_birth_date():%Y%m%d}{seq:03d}"
        number = first17 + resident_id_check_char(first17)
        if number not in _issued and (check is None or number[-1] == check):
            _issued.add(number)
            return number
    raise RuntimeError("could not find an unused resident id")


def birth_date_of(resident_id: str) -> str:
    """The birth date a resident id encodes, as a FHIR date."""
    return f"{resident_id[6:10]}-{resident_id[10:12]}-{resident_id[12:14]}"


def corrupt_check_char(resident_id: str) -> str:
    """The same number with a wrong check character."""
    right = resident_id[-1]
    wrong = next(c for c in _CHECK_CHARS if c != right)
    return resident_id[:-1] + wrong


def run_identifier(label: str) -> dict:
    """A business identifier unique to this run."""
    return {"system": TEST_ID_SYSTEM, "value": f"{RUN_ID}-{label}"}


def token(identifier: dict) -> str:
    return f"{identifier['system']}|{identifier['value']}"


def patient_resource(label: str, family: str = "张", given: str = "伟", male: bool = True,
                     birth: _dt.date | None = None) -> dict:
    """A small valid Patient with a fresh resident id (birth date random unless given; the
    Patient's birthDate always matches the id) and a run-unique test identifier."""
    resident_id = make_resident_id(birth, male)
    return {
        "resourceType": "Patient",
        "identifier": [
            {"use": "official", "system": RESIDENT_ID_SYSTEM, "value": resident_id},
            run_identifier(label),
        ],
        "active": True,
        "name": [{"use": "official", "text": family + given, "family": family, "given": [given]}],
        "gender": "male" if male else "female",
        "birthDate": birth_date_of(resident_id),
        "address": [{
            "use": "home",
            "text": "上海市长宁区延安西路1160号",
            "line": ["延安西路1160号"],
            "city": "上海市",
            "district": "长宁区",
            "postalCode": "200052",
            "country": "CN",
        }],
    }


# ---------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------

class FhirHttp:
    """A thin requests wrapper that speaks application/fhir+json to one base URL.

    `access_token` is sent as `Authorization: Bearer …` on every request; pass None explicitly
    for an anonymous client (only the access tests do)."""

    def __init__(self, base: str, access_token: str | None, timeout: float = 30.0):
        self.base = base.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers.update({"Accept": FHIR_JSON})
        if access_token is not None:
            assert access_token.strip(), "FhirHttp: empty access token"
            self.session.headers["Authorization"] = f"Bearer {access_token}"

    def url(self, path: str) -> str:
        if path.startswith("http://") or path.startswith("https://"):
            return path
        return f"{self.base}/{path.lstrip('/')}" if path else self.base

    def request(self, method: str, path: str, *, json_body: Any = None, data: bytes | str | None = None,
                headers: dict | None = None, params: Any = None) -> requests.Response:
        hdrs = dict(headers or {})
        if json_body is not None:
            data = json.dumps(json_body, ensure_ascii=False).encode("utf-8")
        if data is not None:
            hdrs.setdefault("Content-Type", f"{FHIR_JSON}; charset=utf-8")
        return self.session.request(method, self.url(path), data=data, headers=hdrs, params=params,
                                    timeout=self.timeout)

    def get(self, path: str, **kw) -> requests.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw) -> requests.Response:
        return self.request("POST", path, json_body=body, **kw)

    def put(self, path: str, body: Any = None, **kw) -> requests.Response:
        return self.request("PUT", path, json_body=body, **kw)

    def delete(self, path: str, **kw) -> requests.Response:
        return self.request("DELETE", path, **kw)

    def create(self, resource: dict, **kw) -> dict:
        """POST a resource; asserts 201 and returns the stored resource."""
        resp = self.post(resource["resourceType"], resource, **kw)
        assert resp.status_code == 201, describe(resp, f"create {resource['resourceType']}")
        body = resp.json()
        assert body.get("resourceType") == resource["resourceType"], describe(resp)
        assert body.get("id"), describe(resp, "created resource has no id")
        return body

    def search_all(self, path: str, params: Any = None, max_pages: int = 50) -> tuple[list[dict], list[dict]]:
        """Runs a search and follows `next` links. Returns (pages, match entries)."""
        pages: list[dict] = []
        matches: list[dict] = []
        resp = self.get(path, params=params)
        while True:
            assert resp.status_code == 200, describe(resp, f"search page {len(pages) + 1}")
            bundle = resp.json()
            assert bundle.get("resourceType") == "Bundle" and bundle.get("type") == "searchset", describe(resp)
            pages.append(bundle)
            matches.extend(entries(bundle, "match"))
            nxt = link(bundle, "next")
            if nxt is None:
                return pages, matches
            assert len(pages) < max_pages, f"more than {max_pages} pages: the next links never end"
            resp = self.get(nxt)

    def ids_for(self, resource_type: str, identifier: dict) -> list[str]:
        """Ids of the resources of a type carrying the identifier (all pages)."""
        _, found = self.search_all(resource_type, params={"identifier": token(identifier)})
        return [entry["resource"]["id"] for entry in found]


def describe(resp: requests.Response, what: str = "") -> str:
    """A failure message showing the request and the response."""
    req = resp.request
    body = req.body
    if isinstance(body, bytes):
        body = body[:400].decode("utf-8", "replace")
    elif isinstance(body, str):
        body = body[:400]
    text = resp.text
    if len(text) > 1500:
        text = text[:1500] + "…"
    prefix = f"{what}: " if what else ""
    return (f"{prefix}{req.method} {req.url} -> {resp.status_code}\n"
            f"request body: {body!r}\nresponse: {text}")


def link(bundle: dict, relation: str) -> str | None:
    for item in bundle.get("link", []) or []:
        if item.get("relation") == relation:
            return item.get("url")
    return None


def entries(bundle: dict, mode: str | None = None) -> list[dict]:
    out = []
    for entry in bundle.get("entry", []) or []:
        if mode is None or (entry.get("search") or {}).get("mode", "match") == mode:
            out.append(entry)
    return out


def same_origin(url: str, base: str) -> bool:
    a, b = urlsplit(url), urlsplit(base)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc) and a.path.startswith(b.path)


# ---------------------------------------------------------------------------
# Independent validation (fhir.resources, FHIR R4 4.0.1 models)
# ---------------------------------------------------------------------------

def validate(resource: dict):
    """Parses JSON with the fhir.resources R4 model for its resourceType; raises AssertionError on errors."""
    assert isinstance(resource, dict), f"not a JSON object: {resource!r}"
    rtype = resource.get("resourceType")
    assert rtype, f"no resourceType in {json.dumps(resource, ensure_ascii=False)[:300]}"
    try:
        return construct_fhir_element(rtype, resource)
    except Exception as exc:  # pydantic.ValidationError, LookupError for unknown types
        raise AssertionError(
            f"fhir.resources (R4 4.0.1) rejects the {rtype}: {exc}\n"
            f"JSON: {json.dumps(resource, ensure_ascii=False)[:2000]}") from None


def assert_operation_outcome(resp: requests.Response, status: int | Iterable[int]) -> dict:
    """Asserts the status, that the body is an OperationOutcome valid for R4, and that at
    least one issue carries non-empty diagnostics. Returns the outcome."""
    statuses = {status} if isinstance(status, int) else set(status)
    assert resp.status_code in statuses, describe(resp, f"expected HTTP {sorted(statuses)}")
    ctype = resp.headers.get("Content-Type", "")
    assert "json" in ctype, describe(resp, f"error response Content-Type is {ctype!r}, expected FHIR JSON")
    try:
        outcome = resp.json()
    except ValueError:
        raise AssertionError(describe(resp, "error body is not JSON")) from None
    assert outcome.get("resourceType") == "OperationOutcome", describe(resp, "error body is not an OperationOutcome")
    issues = outcome.get("issue") or []
    assert issues, describe(resp, "OperationOutcome has no issue")
    for issue in issues:
        assert issue.get("severity") in {"fatal", "error", "warning", "information"}, describe(resp, "bad severity")
        assert issue.get("code"), describe(resp, "issue without code")
    assert any(isinstance(i.get("diagnostics"), str) and i["diagnostics"].strip() for i in issues), \
        describe(resp, "no issue has non-empty diagnostics")
    if resp.status_code >= 400:
        assert any(i["severity"] in {"error", "fatal"} for i in issues), \
            describe(resp, "a failed request's OperationOutcome has no error/fatal issue")
    validate(outcome)
    return outcome


def subset_differences(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Where `actual` does not contain everything in `expected` (lists compared item by item)."""
    diffs: list[str] = []
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path or '<root>'}: expected an object, got {actual!r}"]
        for key, value in expected.items():
            if key not in actual:
                diffs.append(f"{path}.{key}: missing")
            else:
                diffs.extend(subset_differences(value, actual[key], f"{path}.{key}"))
    elif isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{path}: expected {len(expected)} items, got {actual!r}"]
        for index, (e, a) in enumerate(zip(expected, actual)):
            diffs.extend(subset_differences(e, a, f"{path}[{index}]"))
    elif isinstance(expected, float) or isinstance(actual, float):
        if not isinstance(actual, (int, float)) or isinstance(actual, bool) or abs(float(expected) - float(actual)) > 1e-9:
            diffs.append(f"{path}: expected {expected!r}, got {actual!r}")
    elif expected != actual or type(expected) is not type(actual):
        diffs.append(f"{path}: expected {expected!r}, got {actual!r}")
    return diffs
