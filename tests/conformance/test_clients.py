"""The server as two independent FHIR client libraries see it:
SMART's `fhirclient` (R4 4.0.1 models) and Beda's `fhirpy`.

Create, conditional create, read, versioned update, paging through several pages,
a transaction with urn:uuid references, a batch, and history.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import requests
from fhirclient.models.bundle import Bundle as FcBundle
from fhirclient.models.observation import Observation as FcObservation
from fhirclient.models.patient import Patient as FcPatient
from fhirclient.models.practitioner import Practitioner as FcPractitioner
from fhirclient.server import FHIRServer
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import MultipleResourcesFound, ResourceNotFound
from fhirpy.base.resource import serialize

from fhir_support import (
    FHIR_JSON, LOINC, RESIDENT_ID_SYSTEM, UCUM, assert_operation_outcome, birth_date_of, describe, entries,
    make_resident_id, patient_resource, run_identifier, token, validate,
)

PAGE_SIZE = 10
OBSERVATION_COUNT = 25


@pytest.fixture(scope="module")
def smart(base_url, fhir_token) -> FHIRServer:
    """fhirclient's server object. fhirclient only signs requests itself after a SMART
    authorisation flow, so the bearer token from the client-credentials grant goes on the
    requests session it sends everything through."""
    server = FHIRServer(None, base_uri=base_url)
    server.session.headers["Authorization"] = f"Bearer {fhir_token}"
    return server


@pytest.fixture(scope="module")
def smart_admin(base_url, admin_http) -> FHIRServer:
    """fhirclient with the system administrator's token (directory resources)."""
    server = FHIRServer(None, base_uri=base_url)
    server.session.headers["Authorization"] = admin_http.session.headers["Authorization"]
    return server


@pytest.fixture(scope="module")
def fpy(base_url, fhir_token) -> SyncFHIRClient:
    """fhirpy's synchronous client; sends application/fhir+json bodies and the bearer token."""
    return SyncFHIRClient(base_url, authorization=f"Bearer {fhir_token}",
                          extra_headers={"Content-Type": FHIR_JSON}, requests_config={"timeout": 30})


def _fpy_resource(fpy: SyncFHIRClient, body: dict):
    """A fhirpy resource object from plain JSON."""
    fields = {k: v for k, v in body.items() if k != "resourceType"}
    return fpy.resource(body["resourceType"], **fields)


def _fpy_request(fpy: SyncFHIRClient, method: str, path: str, body: dict | None = None, headers: dict | None = None):
    """fhirpy's request path with extra headers (If-None-Exist, If-Match), returning (json, status).

    fhirpy's public `create(**params)` / `get_or_create` send the search as URL parameters
    of the POST rather than the standard If-None-Exist header, so the header is set here."""
    return fpy._do_request(method, path, data=body, extra_headers=headers, returning_status=True)


# ---------------------------------------------------------------------------
# create / read
# ---------------------------------------------------------------------------

def test_fhirclient_create_and_read(smart, http):
    body = patient_resource("fc-create", family="陈", given="静", male=False)
    patient = FcPatient(jsondict=body)
    response = patient.create(smart)
    assert response and response.get("id"), f"create returned {response!r}"
    pid = response["id"]

    read = FcPatient.read(pid, smart)
    assert read.id == pid
    assert read.meta.versionId == "1"
    assert read.name[0].text == "陈静"
    assert read.gender == "female"
    assert read.birthDate.isostring == body["birthDate"]
    resident = [i.value for i in read.identifier if i.system == RESIDENT_ID_SYSTEM]
    assert resident == [body["identifier"][0]["value"]]
    assert read.address[0].district == "长宁区"
    validate(read.as_json())


def test_fhirpy_create_read_delete(fpy, http):
    body = patient_resource("fpy-create", family="刘", given="洋")
    patient = _fpy_resource(fpy, body)
    patient.save()
    assert patient.id, "fhirpy save() left no id"
    assert patient["meta"]["versionId"] == "1"

    again = fpy.reference("Patient", patient.id).to_resource()
    assert again["name"][0]["text"] == "刘洋"
    assert again["identifier"][1]["value"] == body["identifier"][1]["value"]

    patient.delete()
    with pytest.raises(ResourceNotFound):
        fpy.reference("Patient", patient.id).to_resource()
    gone = http.get(f"Patient/{patient.id}")
    assert_operation_outcome(gone, 410)


def test_fhirpy_default_json_content_type_is_accepted(base_url, fhir_token):
    """fhirpy (like most HTTP libraries) sends `Content-Type: application/json` by default;
    FHIR servers should accept it as JSON."""
    plain = SyncFHIRClient(base_url, authorization=f"Bearer {fhir_token}", requests_config={"timeout": 30})
    patient = _fpy_resource(plain, patient_resource("fpy-plain-json", given="磊"))
    patient.save()
    assert patient.id and patient["meta"]["versionId"] == "1"


# ---------------------------------------------------------------------------
# conditional create
# ---------------------------------------------------------------------------

def test_conditional_create_same_identifier_twice_gives_one_resource(fpy, http):
    body = patient_resource("conditional", family="周", given="敏", male=False)
    ident = body["identifier"][1]
    condition = f"identifier={token(ident)}"

    first, status1 = _fpy_request(fpy, "post", "Patient", body, {"If-None-Exist": condition})
    assert status1 == 201, f"first conditional create: HTTP {status1}"
    second, status2 = _fpy_request(fpy, "post", "Patient", body, {"If-None-Exist": condition})
    assert status2 == 200, f"second conditional create must find the first (200), got HTTP {status2}"
    assert second["id"] == first["id"]
    assert second["meta"]["versionId"] == "1", "a matched conditional create must not write a new version"

    found = fpy.resources("Patient").search(identifier=token(ident)).fetch_all()
    assert [p.id for p in found] == [first["id"]]
    # by the resident id as well
    found = fpy.resources("Patient").search(identifier=token(body["identifier"][0])).fetch_all()
    assert [p.id for p in found] == [first["id"]]


# ---------------------------------------------------------------------------
# versioned update
# ---------------------------------------------------------------------------

def test_update_with_if_match_and_vread(fpy, smart, http):
    patient = _fpy_resource(fpy, patient_resource("versioned", family="孙", given="杰"))
    patient.save()
    pid = patient.id

    current = fpy.reference("Patient", pid).to_resource()
    data = serialize(current)
    data["telecom"] = [{"system": "phone", "value": "13611112222", "use": "mobile"}]
    updated, status = _fpy_request(fpy, "put", f"Patient/{pid}", data, {"If-Match": 'W/"1"'})
    assert status == 200
    assert updated["meta"]["versionId"] == "2"
    assert updated["telecom"][0]["value"] == "13611112222"

    # The same stale version again: 412, which fhirpy reports as MultipleResourcesFound.
    data["telecom"][0]["value"] = "13699999999"
    with pytest.raises(MultipleResourcesFound):
        _fpy_request(fpy, "put", f"Patient/{pid}", data, {"If-Match": 'W/"1"'})

    # fhirclient's update (no If-Match) makes version 3.
    model = FcPatient.read(pid, smart)
    model.active = False
    result = model.update(smart)
    assert result["meta"]["versionId"] == "3"
    assert result["active"] is False

    v2 = FcPatient.read_from(f"Patient/{pid}/_history/2", smart)
    assert v2.meta.versionId == "2"
    assert v2.telecom[0].value == "13611112222"
    assert v2.active is True
    latest = http.get(f"Patient/{pid}")
    assert latest.headers.get("ETag") == 'W/"3"', describe(latest)


# ---------------------------------------------------------------------------
# paging
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def paged(fpy, smart):
    """One patient with 25 heart-rate Observations, a minute apart."""
    body = patient_resource("paging", family="赵", given="刚")
    pid = FcPatient(jsondict=body).create(smart)["id"]
    start = dt.datetime(2024, 5, 1, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    ids = []
    for i in range(OBSERVATION_COUNT):
        obs = fpy.resource("Observation", **{
            "identifier": [run_identifier(f"paging-{i:02d}")],
            "status": "final",
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                      "code": "vital-signs"}]}],
            "code": {"coding": [{"system": LOINC, "code": "8867-4", "display": "Heart rate"}], "text": "心率"},
            "subject": {"reference": f"Patient/{pid}"},
            "effectiveDateTime": (start + dt.timedelta(minutes=i)).isoformat(),
            "valueQuantity": {"value": 60 + i, "unit": "次/分", "system": UCUM, "code": "/min"},
        })
        obs.save()
        ids.append(obs.id)
    assert len(set(ids)) == OBSERVATION_COUNT
    return {"patient": pid, "observations": ids}


def test_fhirclient_follows_next_links_through_three_pages(smart, paged):
    search = FcObservation.where({"subject": f"Patient/{paged['patient']}", "_count": str(PAGE_SIZE)})
    pages = list(search.perform_iter(smart))
    sizes = [len([e for e in (b.entry or []) if e.search is None or e.search.mode == "match"]) for b in pages]
    assert len(pages) >= 3, f"expected at least 3 pages of {PAGE_SIZE}, got sizes {sizes}"
    assert sizes == [10, 10, 5], sizes
    seen = [e.resource.id for b in pages for e in (b.entry or []) if e.resource.resource_type == "Observation"]
    assert len(seen) == len(set(seen)), "a resource appeared on two pages"
    assert sorted(seen) == sorted(paged["observations"])
    for bundle in pages:
        validate(bundle.as_json())


def test_fhirpy_fetch_all_with_sort_across_pages(fpy, paged):
    found = (fpy.resources("Observation").search(subject=f"Patient/{paged['patient']}")
             .sort("-date").limit(PAGE_SIZE).fetch_all())
    assert len(found) == OBSERVATION_COUNT
    assert sorted(o.id for o in found) == sorted(paged["observations"])
    values = [o["valueQuantity"]["value"] for o in found]
    assert values == list(range(60 + OBSERVATION_COUNT - 1, 59, -1)), "_sort=-date must hold across pages"


def test_summary_count_and_post_search(http, paged):
    resp = http.get("Observation", params={"subject": f"Patient/{paged['patient']}", "_summary": "count"})
    assert resp.status_code == 200, describe(resp)
    bundle = resp.json()
    assert bundle.get("total") == OBSERVATION_COUNT, describe(resp)
    assert not entries(bundle, "match"), describe(resp, "_summary=count returns no resources")

    resp = http.session.post(
        http.url("Observation/_search"),
        data={"subject": f"Patient/{paged['patient']}", "value-quantity": "gt80", "_count": "50"},
        headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=30)
    assert resp.status_code == 200, describe(resp)
    values = sorted(e["resource"]["valueQuantity"]["value"] for e in entries(resp.json(), "match"))
    assert values == list(range(81, 60 + OBSERVATION_COUNT)), describe(resp, "POST _search value-quantity=gt80")


# ---------------------------------------------------------------------------
# transaction and batch
# ---------------------------------------------------------------------------

def test_transaction_resolves_urn_uuid_references(smart, http):
    p, e, c, o = (f"urn:uuid:{uuid.uuid4()}" for _ in range(4))
    resident_id = make_resident_id(male=True)
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"fullUrl": p, "request": {"method": "POST", "url": "Patient"}, "resource": {
                "resourceType": "Patient",
                "identifier": [{"system": RESIDENT_ID_SYSTEM, "value": resident_id},
                               run_identifier("tx-patient")],
                "name": [{"text": "黄建国", "family": "黄", "given": ["建国"]}],
                "gender": "male", "birthDate": birth_date_of(resident_id)}},
            {"fullUrl": e, "request": {"method": "POST", "url": "Encounter"}, "resource": {
                "resourceType": "Encounter", "identifier": [run_identifier("tx-encounter")],
                "status": "finished",
                "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "HH"},
                "subject": {"reference": p}, "period": {"start": "2024-05-22T14:00:00+08:00"}}},
            {"fullUrl": c, "request": {"method": "POST", "url": "Condition"}, "resource": {
                "resourceType": "Condition", "identifier": [run_identifier("tx-condition")],
                "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "E11.9"}],
                         "text": "2型糖尿病，无并发症"},
                "subject": {"reference": p}, "encounter": {"reference": e}}},
            {"fullUrl": o, "request": {"method": "POST", "url": "Observation"}, "resource": {
                "resourceType": "Observation", "identifier": [run_identifier("tx-observation")],
                "status": "final",
                "code": {"coding": [{"system": LOINC, "code": "2345-7"}], "text": "空腹血糖"},
                "subject": {"reference": p}, "encounter": {"reference": e},
                "valueQuantity": {"value": 7.8, "unit": "mmol/L", "system": UCUM, "code": "mmol/L"}}},
        ],
    }
    response = FcBundle(jsondict=bundle).create(smart)
    validate(response)
    assert response["type"] == "transaction-response"
    assert len(response["entry"]) == 4
    ids = {}
    for entry, rtype in zip(response["entry"], ["Patient", "Encounter", "Condition", "Observation"]):
        assert entry["response"]["status"].startswith("201"), entry
        location = entry["response"]["location"]
        parts = location.split("/_history/")[0].split("/")
        assert parts[-2] == rtype, location
        ids[rtype] = parts[-1]

    encounter = http.get(f"Encounter/{ids['Encounter']}").json()
    assert encounter["subject"]["reference"] == f"Patient/{ids['Patient']}"
    condition = http.get(f"Condition/{ids['Condition']}").json()
    assert condition["subject"]["reference"] == f"Patient/{ids['Patient']}"
    assert condition["encounter"]["reference"] == f"Encounter/{ids['Encounter']}"
    observation = FcObservation.read(ids["Observation"], smart)
    assert observation.subject.reference == f"Patient/{ids['Patient']}"
    assert observation.encounter.reference == f"Encounter/{ids['Encounter']}"
    # Searchable by the resolved reference.
    resp = http.get("Condition", params={"subject": f"Patient/{ids['Patient']}"})
    assert [x["resource"]["id"] for x in entries(resp.json(), "match")] == [ids["Condition"]], describe(resp)


def test_batch_entries_succeed_or_fail_on_their_own(smart, http):
    good = patient_resource("batch-good", family="吴", given="芳", male=False)
    bad = patient_resource("batch-bad", family="吴", given="强")
    bad["gender"] = "unknown-gender-code"
    bundle = {"resourceType": "Bundle", "type": "batch", "entry": [
        {"request": {"method": "POST", "url": "Patient"}, "resource": good},
        {"request": {"method": "POST", "url": "Patient"}, "resource": bad},
        {"request": {"method": "GET", "url": f"Patient?identifier={token(good['identifier'][1])}"}},
    ]}
    response = FcBundle(jsondict=bundle).create(smart)
    validate(response)
    assert response["type"] == "batch-response"
    statuses = [e["response"]["status"].split()[0] for e in response["entry"]]
    assert statuses[0] == "201", statuses
    assert statuses[1].startswith("4"), statuses
    assert len(http.ids_for("Patient", good["identifier"][1])) == 1
    assert http.ids_for("Patient", bad["identifier"][1]) == []


# ---------------------------------------------------------------------------
# history
# ---------------------------------------------------------------------------

def test_history_instance_and_type(smart, smart_admin, http):
    """Practitioner is a directory type: the system administrator writes it, the platform reads it."""
    body = {"resourceType": "Practitioner", "identifier": [run_identifier("history-practitioner")],
            "active": True, "name": [{"text": "钱磊", "family": "钱", "given": ["磊"]}], "gender": "male"}
    created = FcPractitioner(jsondict=body).create(smart_admin)
    rid = created["id"]
    since = created["meta"]["lastUpdated"]
    model = FcPractitioner.read(rid, smart)
    model.name[0].text = "钱磊（主任医师）"
    assert model.update(smart_admin)["meta"]["versionId"] == "2"
    model = FcPractitioner.read(rid, smart)
    model.active = False
    assert model.update(smart_admin)["meta"]["versionId"] == "3"
    model.delete(smart_admin)

    with pytest.raises(requests.HTTPError) as failure:
        FcPractitioner.read(rid, smart)
    assert failure.value.response.status_code == 410

    history = FcBundle.read_from(f"Practitioner/{rid}/_history", smart)
    validate(history.as_json())
    assert history.type == "history"
    assert len(history.entry) == 4, [e.as_json() for e in history.entry]
    newest = history.entry[0]
    assert newest.resource is None and newest.request.method == "DELETE"
    versions = [e.resource.meta.versionId for e in history.entry[1:]]
    assert versions == ["3", "2", "1"]
    assert history.entry[2].resource.name[0].text == "钱磊（主任医师）"
    assert history.entry[3].resource.name[0].text == "钱磊"

    type_history = http.get("Practitioner/_history", params={"_since": since, "_count": "100"})
    assert type_history.status_code == 200, describe(type_history)
    validate(type_history.json())
    mine = [e for e in type_history.json().get("entry", []) if e["fullUrl"].endswith(f"/Practitioner/{rid}")]
    assert len(mine) == 4, describe(type_history, "type history with _since must hold all four versions")
