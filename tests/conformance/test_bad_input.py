"""Requests the server must refuse, and how: the HTTP status and an OperationOutcome
with diagnostics. Also the all-or-nothing transaction and If-Match under concurrency."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import pytest
import requests

from fhir_support import (
    LOINC, RESIDENT_ID_SYSTEM, FhirHttp, assert_operation_outcome, birth_date_of, corrupt_check_char, describe,
    entries, make_resident_id, patient_resource, resident_id_check_char, run_identifier, token, validate,
)

MAX_BODY_BYTES = 1_048_576  # scripts/conformance starts the server with WEIJIAN_MAX_BODY_BYTES=1048576


def test_resident_id_generator_matches_gb11643():
    # The standard's own example and a second well-known valid number.
    assert resident_id_check_char("11010519491231002") == "X"
    assert resident_id_check_char("44052418800101001") == "4"
    rid = make_resident_id(dt.date(1990, 2, 28), male=False)
    assert len(rid) == 18 and rid[6:14] == "19900228" and int(rid[16]) % 2 == 0
    assert resident_id_check_char(rid[:17]) == rid[17]
    assert corrupt_check_char(rid) != rid and corrupt_check_char(rid)[:17] == rid[:17]


# ---------------------------------------------------------------------------
# bodies that are not FHIR JSON
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("raw", [
    b'{"resourceType": "Patient", "name": [{"text": "\xe5\xbc\xa0\xe4\xbc\x9f"}',  # truncated
    b'{"resourceType": "Patient",, "gender": "male"}',
    "这不是JSON".encode("utf-8"),
    b'<Patient xmlns="http://hl7.org/fhir"><gender value="male"/></Patient>',
    b'["resourceType", "Patient"]',
], ids=["truncated", "double-comma", "chinese-text", "xml", "json-array"])
def test_body_that_is_not_a_json_resource_is_400(http, raw):
    resp = http.post("Patient", data=raw)
    assert_operation_outcome(resp, 400)


def test_malformed_json_in_transaction_is_400(http):
    resp = http.post("", data=b'{"resourceType": "Bundle", "type": "transaction", "entry": [')
    assert_operation_outcome(resp, 400)


def test_wrong_resource_type_for_url_is_400(http):
    observation = {
        "resourceType": "Observation", "identifier": [run_identifier("wrong-type-obs")], "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "8867-4"}]},
    }
    resp = http.post("Patient", observation)
    assert_operation_outcome(resp, 400)
    assert http.ids_for("Observation", observation["identifier"][0]) == []

    patient = http.create(patient_resource("wrong-type-target"))
    organization = {"resourceType": "Organization", "id": patient["id"], "name": "长宁区某医院",
                    "identifier": [run_identifier("wrong-type-org")]}
    resp = http.put(f"Patient/{patient['id']}", organization)
    assert_operation_outcome(resp, 400)
    assert http.get(f"Patient/{patient['id']}").json()["meta"]["versionId"] == "1"


def test_update_with_body_id_not_matching_url_is_400(http):
    patient = http.create(patient_resource("id-mismatch"))
    body = dict(patient)
    body["id"] = uuid.uuid4().hex
    resp = http.put(f"Patient/{patient['id']}", body)
    assert_operation_outcome(resp, 400)


@pytest.mark.parametrize("method,path", [
    ("GET", "Spaceship"), ("POST", "Spaceship"), ("GET", "Spaceship/1"), ("GET", "Medication"),
])
def test_unknown_resource_type_is_404(http, method, path):
    body = {"resourceType": path.split("/")[0], "name": "神舟"} if method == "POST" else None
    resp = http.request(method, path, json_body=body)
    assert_operation_outcome(resp, 404)


def test_read_of_missing_resource_is_404(http):
    assert_operation_outcome(http.get(f"Observation/{uuid.uuid4()}"), 404)


@pytest.mark.parametrize("mutate,label", [
    (lambda p: p.update(favouriteColour="蓝色"), "unknown-element"),
    (lambda p: p.update(birthDate="1980-02-30"), "impossible-date"),
    (lambda p: p.update(gender="man"), "code-not-in-required-value-set"),
    (lambda p: p.update(name={"text": "张伟"}), "object-where-array-required"),
], ids=["unknown-element", "impossible-date", "bad-code", "not-an-array"])
def test_invalid_resource_content_is_rejected(http, mutate, label):
    body = patient_resource(f"invalid-{label}")
    mutate(body)
    resp = http.post("Patient", body)
    assert_operation_outcome(resp, (400, 422))
    assert http.ids_for("Patient", body["identifier"][1]) == []


# ---------------------------------------------------------------------------
# resident id check digit
# ---------------------------------------------------------------------------

def test_resident_id_with_wrong_check_digit_is_422(http):
    body = patient_resource("bad-check-digit", family="马", given="骁")
    good = body["identifier"][0]["value"]
    body["identifier"][0]["value"] = corrupt_check_char(good)
    resp = http.post("Patient", body)
    outcome = assert_operation_outcome(resp, 422)
    hints = ("identifier", "resident", "check", corrupt_check_char(good), "校验", "身份证")
    assert any(any(h in " ".join(i.get("expression") or []) + " " + i.get("diagnostics", "") for h in hints)
               for i in outcome["issue"]), describe(resp, "the outcome should point at the resident id")
    assert http.ids_for("Patient", body["identifier"][1]) == []

    # The same Patient with the right check digit is accepted.
    body["identifier"][0]["value"] = good
    assert http.post("Patient", body).status_code == 201


def test_resident_id_with_wrong_check_digit_in_update_is_422(http):
    patient = http.create(patient_resource("bad-check-digit-update", family="马", given="丽", male=False))
    body = dict(patient)
    body["identifier"] = [dict(i) for i in patient["identifier"]]
    body["identifier"][0]["value"] = corrupt_check_char(body["identifier"][0]["value"])
    resp = http.put(f"Patient/{patient['id']}", body, headers={"If-Match": 'W/"1"'})
    assert_operation_outcome(resp, 422)
    assert http.get(f"Patient/{patient['id']}").json()["meta"]["versionId"] == "1"


def test_resident_id_ending_in_x_is_accepted(http):
    number = make_resident_id(male=True, check="X")
    body = patient_resource("check-x", family="何", given="平")
    body["identifier"][0]["value"] = number
    body["birthDate"] = birth_date_of(number)
    created = http.create(body)
    assert created["identifier"][0]["value"].endswith("X")


# ---------------------------------------------------------------------------
# unknown search parameters
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def searchable_patient(http):
    return http.create(patient_resource("unknown-param", family="罗", given="斌"))


def test_unknown_search_parameter_is_ignored_with_a_warning(http, searchable_patient):
    ident = searchable_patient["identifier"][1]
    resp = http.get("Patient", params={"identifier": token(ident), "favourite-colour": "blue"})
    assert resp.status_code == 200, describe(resp)
    bundle = resp.json()
    validate(bundle)
    assert [e["resource"]["id"] for e in entries(bundle, "match")] == [searchable_patient["id"]], describe(resp)
    outcomes = [e["resource"] for e in entries(bundle, "outcome")]
    assert len(outcomes) == 1 and outcomes[0]["resourceType"] == "OperationOutcome", \
        describe(resp, "expected one entry with search.mode=outcome")
    issues = outcomes[0]["issue"]
    assert any(i["severity"] == "warning" and "favourite-colour" in i.get("diagnostics", "") for i in issues), issues


def test_unknown_search_parameter_with_strict_handling_is_400(http, searchable_patient):
    ident = searchable_patient["identifier"][1]
    strict = {"Prefer": "handling=strict"}
    resp = http.get("Patient", params={"identifier": token(ident), "favourite-colour": "blue"}, headers=strict)
    outcome = assert_operation_outcome(resp, 400)
    assert any("favourite-colour" in i.get("diagnostics", "") for i in outcome["issue"]), describe(resp)

    # Strict with known parameters only is fine, and carries no warning.
    resp = http.get("Patient", params={"identifier": token(ident)}, headers=strict)
    assert resp.status_code == 200, describe(resp)
    assert [e["resource"]["id"] for e in entries(resp.json(), "match")] == [searchable_patient["id"]]
    assert entries(resp.json(), "outcome") == []


# ---------------------------------------------------------------------------
# body size
# ---------------------------------------------------------------------------

def test_oversized_body_is_413(http):
    body = patient_resource("oversized", family="林", given="海")
    body["name"][0]["text"] = "林" * 700_000  # 3 bytes each in UTF-8: about 2.1 MB
    raw = __import__("json").dumps(body, ensure_ascii=False).encode("utf-8")
    assert len(raw) > 2 * MAX_BODY_BYTES
    try:
        resp = http.post("Patient", data=raw)
    except requests.ConnectionError as exc:
        raise AssertionError(f"the server dropped the connection instead of answering 413: {exc}") from None
    assert_operation_outcome(resp, 413)
    assert http.ids_for("Patient", body["identifier"][1]) == []
    # and it still serves requests afterwards
    assert http.get("metadata").status_code == 200


# ---------------------------------------------------------------------------
# references
# ---------------------------------------------------------------------------

def test_create_with_reference_to_missing_resource_is_422(http):
    obs = {"resourceType": "Observation", "identifier": [run_identifier("dangling-create")], "status": "final",
           "code": {"coding": [{"system": LOINC, "code": "8867-4"}]},
           "subject": {"reference": f"Patient/{uuid.uuid4()}"},
           "valueQuantity": {"value": 72, "unit": "/min", "system": "http://unitsofmeasure.org", "code": "/min"}}
    resp = http.post("Observation", obs)
    assert_operation_outcome(resp, 422)
    assert http.ids_for("Observation", obs["identifier"][0]) == []


def test_transaction_with_reference_to_missing_resource_is_rolled_back(http):
    p, e, c, o = (f"urn:uuid:{uuid.uuid4()}" for _ in range(4))
    missing_practitioner = f"Practitioner/{uuid.uuid4()}"
    resident_id = make_resident_id(male=False)
    identifiers = {k: run_identifier(f"rollback-{k}") for k in ("Patient", "Encounter", "Condition", "Observation")}
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": p, "request": {"method": "POST", "url": "Patient"}, "resource": {
            "resourceType": "Patient",
            "identifier": [{"system": RESIDENT_ID_SYSTEM, "value": resident_id},
                           identifiers["Patient"]],
            "name": [{"text": "徐桂英", "family": "徐", "given": ["桂英"]}], "gender": "female",
            "birthDate": birth_date_of(resident_id)}},
        {"fullUrl": e, "request": {"method": "POST", "url": "Encounter"}, "resource": {
            "resourceType": "Encounter", "identifier": [identifiers["Encounter"]], "status": "finished",
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
            "subject": {"reference": p}}},
        {"fullUrl": c, "request": {"method": "POST", "url": "Condition"}, "resource": {
            "resourceType": "Condition", "identifier": [identifiers["Condition"]],
            "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "I10"}]},
            "subject": {"reference": p}, "encounter": {"reference": e}}},
        {"fullUrl": o, "request": {"method": "POST", "url": "Observation"}, "resource": {
            "resourceType": "Observation", "identifier": [identifiers["Observation"]], "status": "final",
            "code": {"coding": [{"system": LOINC, "code": "8480-6"}]},
            "subject": {"reference": p}, "encounter": {"reference": e},
            "performer": [{"reference": missing_practitioner}],
            "valueQuantity": {"value": 150, "unit": "mmHg", "system": "http://unitsofmeasure.org",
                              "code": "mm[Hg]"}}},
    ]}
    resp = http.post("", bundle)
    outcome = assert_operation_outcome(resp, 422)
    assert any(missing_practitioner in i.get("diagnostics", "") or "Practitioner" in i.get("diagnostics", "")
               for i in outcome["issue"]), describe(resp, "the outcome should name the missing reference")
    for rtype, ident in identifiers.items():
        assert http.ids_for(rtype, ident) == [], f"{rtype} from the failed transaction was stored"


# ---------------------------------------------------------------------------
# If-Match
# ---------------------------------------------------------------------------

def test_stale_or_malformed_if_match(http):
    patient = http.create(patient_resource("stale-if-match"))
    body = dict(patient)
    body["active"] = False
    assert http.put(f"Patient/{patient['id']}", body, headers={"If-Match": 'W/"1"'}).status_code == 200
    resp = http.put(f"Patient/{patient['id']}", body, headers={"If-Match": 'W/"1"'})
    assert_operation_outcome(resp, 412)
    resp = http.put(f"Patient/{patient['id']}", body, headers={"If-Match": "version-one"})
    assert_operation_outcome(resp, 400)
    assert http.get(f"Patient/{patient['id']}").json()["meta"]["versionId"] == "2"


def test_concurrent_updates_of_the_same_version_exactly_one_wins(base_url, fhir_token):
    setup = FhirHttp(base_url, fhir_token)
    patient = setup.create(patient_resource("concurrent", family="郑", given="磊"))
    pid = patient["id"]
    rounds = 5
    for round_no in range(rounds):
        current = setup.get(f"Patient/{pid}").json()
        version = current["meta"]["versionId"]
        barrier = threading.Barrier(2)
        results: dict[int, requests.Response | BaseException] = {}
        phones = {0: f"1380000{round_no:02d}10", 1: f"1390000{round_no:02d}20"}

        def update(slot: int) -> None:
            client = FhirHttp(base_url, fhir_token)  # one session per thread
            body = dict(current)
            body["telecom"] = [{"system": "phone", "value": phones[slot], "use": "mobile"}]
            try:
                barrier.wait(timeout=10)
                results[slot] = client.put(f"Patient/{pid}", body, headers={"If-Match": f'W/"{version}"'})
            except BaseException as exc:  # report in the main thread
                results[slot] = exc

        threads = [threading.Thread(target=update, args=(slot,)) for slot in (0, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        for slot in (0, 1):
            assert isinstance(results.get(slot), requests.Response), f"round {round_no}: thread {slot}: {results.get(slot)!r}"
        statuses = sorted(results[slot].status_code for slot in (0, 1))
        assert statuses == [200, 412], (
            f"round {round_no}: two PUTs with If-Match W/\"{version}\" gave {statuses}\n"
            + "\n".join(describe(results[slot]) for slot in (0, 1)))
        winner = next(slot for slot in (0, 1) if results[slot].status_code == 200)
        loser = 1 - winner
        assert_operation_outcome(results[loser], 412)
        stored = setup.get(f"Patient/{pid}").json()
        assert stored["meta"]["versionId"] == str(int(version) + 1), stored["meta"]
        assert stored["telecom"][0]["value"] == phones[winner], "the stored version is not the winner's"
