"""One realistic example of every supported resource type, written in dependency order,
read back and checked with an independent R4 validator (fhir.resources, FHIR 4.0.1 models).

Also validates a search Bundle, a history Bundle, the CapabilityStatement and an
OperationOutcome produced by the server.
"""

from __future__ import annotations

import json
import uuid

import pytest

from fhir_support import (
    CVX, ICD10, LOINC, RESIDENT_ID_SYSTEM, RUN_ID, UCUM, FhirHttp, assert_operation_outcome, describe,
    birth_date_of, entries, link, make_resident_id, run_identifier, same_origin, subset_differences, validate,
)

SUPPORTED_TYPES = [
    "Patient", "Practitioner", "PractitionerRole", "Organization", "Location", "Encounter", "Condition",
    "Observation", "DiagnosticReport", "MedicationRequest", "Immunization", "ServiceRequest", "Task",
    "Appointment", "Slot", "Schedule", "EpisodeOfCare", "CareTeam", "CarePlan", "Measure", "MeasureReport",
    "Communication", "AuditEvent",
]
# Under the access policy the system administrator (系统管理员) writes these directory types; the
# district exchange platform client writes everything else (personal records, Schedule, Slot).
ADMIN_WRITTEN_TYPES = {"Organization", "Location", "Practitioner", "PractitionerRole", "Measure"}
# AuditEvent is the server's own audit log: read and search only, by the audit administrator.
WRITABLE_TYPES = [t for t in SUPPORTED_TYPES if t != "AuditEvent"]

MEASURE_URL = f"https://weijian.health/fhir/Measure/hypertension-control-{RUN_ID}"
CHANGNING_ADDRESS = {
    "use": "work",
    "text": "上海市长宁区天山路1号",
    "line": ["天山路1号"],
    "city": "上海市",
    "district": "长宁区",
    "postalCode": "200051",
    "country": "CN",
}

# ---------------------------------------------------------------------------
# Example builders: type -> function(world) -> resource JSON. `world.ref(T)`
# creates T (and what T needs) first and returns a Reference to it.
# ---------------------------------------------------------------------------

BUILDERS = {}


def example(rtype):
    def register(fn):
        BUILDERS[rtype] = fn
        return fn
    return register


@example("Organization")
def _organization(w):
    return {
        "resourceType": "Organization",
        "identifier": [
            {"system": "https://weijian.health/sid/uscc", "value": f"12310105{RUN_ID[:10].upper()}"},
            run_identifier("org"),
        ],
        "active": True,
        "type": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/organization-type",
                              "code": "prov", "display": "Healthcare Provider"}],
                  "text": "社区卫生服务中心"}],
        "name": "上海市长宁区天山路街道社区卫生服务中心",
        "alias": ["天山社区卫生服务中心"],
        "telecom": [{"system": "phone", "value": "021-62595000", "use": "work"}],
        "address": [CHANGNING_ADDRESS],
    }


@example("Location")
def _location(w):
    return {
        "resourceType": "Location",
        "identifier": [run_identifier("location")],
        "status": "active",
        "name": "天山社区卫生服务中心 全科门诊（二楼）",
        "mode": "instance",
        "type": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "code": "GIM",
                              "display": "General internal medicine clinic"}], "text": "全科门诊"}],
        "telecom": [{"system": "phone", "value": "021-62595001", "use": "work"}],
        "address": CHANGNING_ADDRESS,
        "physicalType": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/location-physical-type",
                                     "code": "ro", "display": "Room"}]},
        "managingOrganization": w.ref("Organization"),
    }


@example("Practitioner")
def _practitioner(w):
    return {
        "resourceType": "Practitioner",
        "identifier": [
            {"system": "https://weijian.health/sid/physician-licence", "value": f"110310105{RUN_ID[:6]}"},
            run_identifier("practitioner"),
        ],
        "active": True,
        "name": [{"use": "official", "text": "李娜", "family": "李", "given": ["娜"]}],
        "telecom": [{"system": "phone", "value": "13917001234", "use": "mobile"}],
        "gender": "female",
        "birthDate": "1984-09-02",
        "qualification": [{"code": {"text": "全科医学 主治医师"},
                           "issuer": {"display": "上海市卫生健康委员会"}}],
        "communication": [{"coding": [{"system": "urn:ietf:bcp:47", "code": "zh-CN"}]}],
    }


@example("PractitionerRole")
def _practitioner_role(w):
    return {
        "resourceType": "PractitionerRole",
        "identifier": [run_identifier("practitioner-role")],
        "active": True,
        "period": {"start": "2019-07-01"},
        "practitioner": w.ref("Practitioner"),
        "organization": w.ref("Organization"),
        "code": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/practitioner-role",
                              "code": "doctor"}], "text": "家庭医生"}],
        "specialty": [{"coding": [{"system": "http://snomed.info/sct", "code": "394814009",
                                   "display": "General practice"}], "text": "全科"}],
        "location": [w.ref("Location")],
        "telecom": [{"system": "phone", "value": "021-62595001", "use": "work"}],
        "availableTime": [{"daysOfWeek": ["mon", "tue", "wed", "thu", "fri"],
                           "availableStartTime": "08:00:00", "availableEndTime": "16:30:00"}],
    }


@example("Patient")
def _patient(w):
    resident_id = make_resident_id(male=True)
    return {
        "resourceType": "Patient",
        "identifier": [
            {"use": "official", "system": RESIDENT_ID_SYSTEM, "value": resident_id},
            run_identifier("patient"),
        ],
        "active": True,
        "name": [{"use": "official", "text": "张伟", "family": "张", "given": ["伟"]}],
        "telecom": [{"system": "phone", "value": "13801234567", "use": "mobile"}],
        "gender": "male",
        "birthDate": birth_date_of(resident_id),
        "address": [{
            "use": "home",
            "text": "上海市长宁区延安西路1160弄3号502室",
            "line": ["延安西路1160弄3号502室"],
            "city": "上海市",
            "district": "长宁区",
            "postalCode": "200052",
            "country": "CN",
        }],
        "maritalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus",
                                      "code": "M", "display": "Married"}], "text": "已婚"},
        "contact": [{
            "relationship": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0131", "code": "N"}],
                              "text": "配偶"}],
            "name": {"text": "王芳", "family": "王", "given": ["芳"]},
            "telecom": [{"system": "phone", "value": "13901234568"}],
        }],
        "communication": [{"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "zh-CN"}],
                                        "text": "普通话"}, "preferred": True}],
        "generalPractitioner": [w.ref("Practitioner")],
        "managingOrganization": w.ref("Organization"),
    }


@example("EpisodeOfCare")
def _episode_of_care(w):
    return {
        "resourceType": "EpisodeOfCare",
        "identifier": [run_identifier("episode")],
        "status": "active",
        "type": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/episodeofcare-type", "code": "hacc"}],
                  "text": "高血压慢病管理"}],
        "patient": w.ref("Patient"),
        "managingOrganization": w.ref("Organization"),
        "period": {"start": "2024-03-01"},
        "careManager": w.ref("Practitioner"),
    }


@example("Encounter")
def _encounter(w):
    return {
        "resourceType": "Encounter",
        "identifier": [run_identifier("encounter")],
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB",
                  "display": "ambulatory"},
        "type": [{"text": "全科门诊随访"}],
        "subject": w.ref("Patient"),
        "episodeOfCare": [w.ref("EpisodeOfCare")],
        "participant": [{"individual": w.ref("Practitioner")}],
        "period": {"start": "2024-05-20T09:30:00+08:00", "end": "2024-05-20T09:50:00+08:00"},
        "reasonCode": [{"text": "高血压复诊"}],
        "location": [{"location": w.ref("Location")}],
        "serviceProvider": w.ref("Organization"),
    }


@example("Condition")
def _condition(w):
    return {
        "resourceType": "Condition",
        "identifier": [run_identifier("condition")],
        "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                       "code": "active"}]},
        "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                                           "code": "confirmed"}]},
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-category",
                                  "code": "problem-list-item"}]}],
        "code": {"coding": [{"system": ICD10, "code": "I10", "display": "Essential (primary) hypertension"}],
                 "text": "原发性高血压"},
        "subject": w.ref("Patient"),
        "encounter": w.ref("Encounter"),
        "onsetDateTime": "2019-08",
        "recordedDate": "2024-05-20",
        "recorder": w.ref("Practitioner"),
        "note": [{"text": "规律服药，血压控制欠佳。"}],
    }


@example("Observation")
def _observation(w):
    return {
        "resourceType": "Observation",
        "identifier": [run_identifier("observation")],
        "status": "final",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                  "code": "vital-signs"}]}],
        "code": {"coding": [{"system": LOINC, "code": "85354-9", "display": "Blood pressure panel"}],
                 "text": "血压"},
        "subject": w.ref("Patient"),
        "encounter": w.ref("Encounter"),
        "effectiveDateTime": "2024-05-20T09:35:00+08:00",
        "performer": [w.ref("Practitioner")],
        "component": [
            {"code": {"coding": [{"system": LOINC, "code": "8480-6", "display": "Systolic blood pressure"}],
                      "text": "收缩压"},
             "valueQuantity": {"value": 148, "unit": "mmHg", "system": UCUM, "code": "mm[Hg]"}},
            {"code": {"coding": [{"system": LOINC, "code": "8462-4", "display": "Diastolic blood pressure"}],
                      "text": "舒张压"},
             "valueQuantity": {"value": 92, "unit": "mmHg", "system": UCUM, "code": "mm[Hg]"}},
        ],
    }


@example("DiagnosticReport")
def _diagnostic_report(w):
    return {
        "resourceType": "DiagnosticReport",
        "identifier": [run_identifier("report")],
        "status": "final",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0074", "code": "OTH"}],
                      "text": "体征测量"}],
        "code": {"coding": [{"system": LOINC, "code": "85354-9", "display": "Blood pressure panel"}],
                 "text": "血压测量报告"},
        "subject": w.ref("Patient"),
        "encounter": w.ref("Encounter"),
        "effectiveDateTime": "2024-05-20T09:35:00+08:00",
        "issued": "2024-05-20T09:40:00+08:00",
        "performer": [w.ref("Practitioner")],
        "result": [w.ref("Observation")],
        "conclusion": "血压高于控制目标（<140/90 mmHg），建议调整用药并两周后复测。",
    }


@example("MedicationRequest")
def _medication_request(w):
    return {
        "resourceType": "MedicationRequest",
        "identifier": [run_identifier("medication-request")],
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": {
            "coding": [{"system": "https://weijian.health/CodeSystem/drug", "code": "XC08CAA014A001010104039",
                        "display": "苯磺酸氨氯地平片 5mg"}],
            "text": "苯磺酸氨氯地平片 5mg",
        },
        "subject": w.ref("Patient"),
        "encounter": w.ref("Encounter"),
        "authoredOn": "2024-05-20T09:45:00+08:00",
        "requester": w.ref("Practitioner"),
        "reasonReference": [w.ref("Condition")],
        "dosageInstruction": [{
            "text": "口服，每日一次，每次一片（5mg）",
            "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
            "route": {"coding": [{"system": "http://snomed.info/sct", "code": "26643006", "display": "Oral route"}],
                      "text": "口服"},
            "doseAndRate": [{"doseQuantity": {"value": 5, "unit": "mg", "system": UCUM, "code": "mg"}}],
        }],
        "dispenseRequest": {"quantity": {"value": 28, "unit": "片"},
                            "expectedSupplyDuration": {"value": 28, "unit": "天", "system": UCUM, "code": "d"}},
    }


@example("Immunization")
def _immunization(w):
    return {
        "resourceType": "Immunization",
        "identifier": [run_identifier("immunization")],
        "status": "completed",
        "vaccineCode": {"coding": [
            {"system": CVX, "code": "141", "display": "Influenza, seasonal, injectable"},
            {"system": "https://weijian.health/CodeSystem/vaccine", "code": "2401", "display": "流感疫苗（裂解疫苗）"},
        ], "text": "流感疫苗"},
        "patient": w.ref("Patient"),
        "encounter": w.ref("Encounter"),
        "occurrenceDateTime": "2024-05-20T10:00:00+08:00",
        "primarySource": True,
        "location": w.ref("Location"),
        "lotNumber": "202403A017",
        "expirationDate": "2025-03-31",
        "site": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActSite", "code": "LA"}],
                 "text": "左上臂"},
        "route": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-RouteOfAdministration",
                              "code": "IM"}], "text": "肌内注射"},
        "doseQuantity": {"value": 0.5, "unit": "mL", "system": UCUM, "code": "mL"},
        "performer": [{"actor": w.ref("Practitioner")}],
        "protocolApplied": [{"doseNumberPositiveInt": 1}],
    }


@example("ServiceRequest")
def _service_request(w):
    return {
        "resourceType": "ServiceRequest",
        "identifier": [run_identifier("service-request")],
        "status": "active",
        "intent": "order",
        "category": [{"coding": [{"system": "http://snomed.info/sct", "code": "108252007",
                                  "display": "Laboratory procedure"}]}],
        "code": {"coding": [{"system": LOINC, "code": "4548-4", "display": "Hemoglobin A1c/Hemoglobin.total in Blood"}],
                 "text": "糖化血红蛋白"},
        "subject": w.ref("Patient"),
        "encounter": w.ref("Encounter"),
        "occurrenceDateTime": "2024-06-03T08:00:00+08:00",
        "authoredOn": "2024-05-20T09:46:00+08:00",
        "requester": w.ref("Practitioner"),
        "performer": [w.ref("Organization")],
        "reasonReference": [w.ref("Condition")],
        "patientInstruction": "检查前空腹8小时。",
    }


@example("Task")
def _task(w):
    return {
        "resourceType": "Task",
        "identifier": [run_identifier("task")],
        "basedOn": [w.ref("ServiceRequest")],
        "status": "requested",
        "intent": "order",
        "priority": "routine",
        "description": "两周后电话随访，提醒复测血压并完成糖化血红蛋白检查。",
        "focus": w.ref("ServiceRequest"),
        "for": w.ref("Patient"),
        "encounter": w.ref("Encounter"),
        "authoredOn": "2024-05-20T09:48:00+08:00",
        "requester": w.ref("Practitioner"),
        "owner": w.ref("Practitioner"),
        "restriction": {"period": {"end": "2024-06-03T17:00:00+08:00"}},
    }


@example("Schedule")
def _schedule(w):
    return {
        "resourceType": "Schedule",
        "identifier": [run_identifier("schedule")],
        "active": True,
        "serviceType": [{"text": "家庭医生签约门诊"}],
        "actor": [w.ref("Practitioner"), w.ref("Location")],
        "planningHorizon": {"start": "2024-06-01T00:00:00+08:00", "end": "2024-06-30T23:59:59+08:00"},
        "comment": "李娜医生 周一至周五上午",
    }


@example("Slot")
def _slot(w):
    return {
        "resourceType": "Slot",
        "identifier": [run_identifier("slot")],
        "serviceType": [{"text": "家庭医生签约门诊"}],
        "schedule": w.ref("Schedule"),
        "status": "busy",
        "start": "2024-06-03T09:00:00+08:00",
        "end": "2024-06-03T09:15:00+08:00",
    }


@example("Appointment")
def _appointment(w):
    return {
        "resourceType": "Appointment",
        "identifier": [run_identifier("appointment")],
        "status": "booked",
        "serviceType": [{"text": "家庭医生签约门诊"}],
        "reasonReference": [w.ref("Condition")],
        "description": "高血压复诊",
        "start": "2024-06-03T09:00:00+08:00",
        "end": "2024-06-03T09:15:00+08:00",
        "slot": [w.ref("Slot")],
        "created": "2024-05-20",
        "basedOn": [w.ref("ServiceRequest")],
        "participant": [
            {"actor": w.ref("Patient"), "required": "required", "status": "accepted"},
            {"actor": w.ref("Practitioner"), "required": "required", "status": "accepted"},
            {"actor": w.ref("Location"), "status": "accepted"},
        ],
    }


@example("CareTeam")
def _care_team(w):
    return {
        "resourceType": "CareTeam",
        "identifier": [run_identifier("care-team")],
        "status": "active",
        "name": "张伟 家庭医生签约团队",
        "subject": w.ref("Patient"),
        "period": {"start": "2024-03-01"},
        "participant": [{
            "role": [{"text": "家庭医生"}],
            "member": w.ref("Practitioner"),
            "onBehalfOf": w.ref("Organization"),
        }],
        "managingOrganization": [w.ref("Organization")],
    }


@example("CarePlan")
def _care_plan(w):
    return {
        "resourceType": "CarePlan",
        "identifier": [run_identifier("care-plan")],
        "status": "active",
        "intent": "plan",
        "category": [{"text": "慢病管理"}],
        "title": "高血压健康管理计划",
        "description": "低盐饮食、规律运动、按时服药，每两周测量血压。",
        "subject": w.ref("Patient"),
        "encounter": w.ref("Encounter"),
        "period": {"start": "2024-05-20", "end": "2024-11-20"},
        "careTeam": [w.ref("CareTeam")],
        "addresses": [w.ref("Condition")],
        "activity": [
            {"reference": w.ref("ServiceRequest")},
            {"detail": {"kind": "Appointment", "status": "scheduled", "description": "每两周社区随访测量血压"}},
        ],
    }


@example("Measure")
def _measure(w):
    return {
        "resourceType": "Measure",
        "url": MEASURE_URL,
        "identifier": [run_identifier("measure")],
        "version": "2024",
        "name": "HypertensionControlRate",
        "title": "高血压患者规范管理血压控制率",
        "status": "active",
        "date": "2024-01-01",
        "publisher": "上海市长宁区卫生健康委员会",
        "description": "辖区内纳入管理的高血压患者中，最近一次随访血压低于140/90 mmHg的比例。",
        "scoring": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/measure-scoring",
                                "code": "proportion"}]},
        "group": [{"population": [
            {"code": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/measure-population",
                                  "code": "initial-population"}]},
             "description": "纳入管理的高血压患者",
             "criteria": {"language": "text/cql", "expression": "Initial Population"}},
            {"code": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/measure-population",
                                  "code": "denominator"}]},
             "criteria": {"language": "text/cql", "expression": "Denominator"}},
            {"code": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/measure-population",
                                  "code": "numerator"}]},
             "description": "最近一次血压 <140/90 mmHg",
             "criteria": {"language": "text/cql", "expression": "Numerator"}},
        ]}],
    }


@example("MeasureReport")
def _measure_report(w):
    w.ensure("Measure")  # the canonical below names it
    return {
        "resourceType": "MeasureReport",
        "identifier": [run_identifier("measure-report")],
        "status": "complete",
        "type": "summary",
        "measure": MEASURE_URL,
        "date": "2024-07-01T08:00:00+08:00",
        "reporter": w.ref("Organization"),
        "period": {"start": "2024-01-01", "end": "2024-06-30"},
        "group": [{
            "population": [
                {"code": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/measure-population",
                                      "code": "initial-population"}]}, "count": 1248},
                {"code": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/measure-population",
                                      "code": "denominator"}]}, "count": 1248},
                {"code": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/measure-population",
                                      "code": "numerator"}]}, "count": 811},
            ],
            "measureScore": {"value": 0.65},
        }],
    }


@example("Communication")
def _communication(w):
    return {
        "resourceType": "Communication",
        "identifier": [run_identifier("communication")],
        "basedOn": [w.ref("ServiceRequest")],
        "status": "completed",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/communication-category",
                                  "code": "reminder"}]}],
        "medium": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode",
                                "code": "WRITTEN"}], "text": "短信"}],
        "subject": w.ref("Patient"),
        "encounter": w.ref("Encounter"),
        "sent": "2024-05-31T10:00:00+08:00",
        "recipient": [w.ref("Patient")],
        "sender": w.ref("Practitioner"),
        "payload": [{"contentString": "张先生您好，请于6月3日上午9点到天山社区卫生服务中心复诊，检查前空腹8小时。"}],
    }


@example("AuditEvent")
def _audit_event(w):
    patient = w.ref("Patient")
    return {
        "resourceType": "AuditEvent",
        "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-event-type", "code": "rest",
                 "display": "RESTful Operation"},
        "subtype": [{"system": "http://hl7.org/fhir/restful-interaction", "code": "read", "display": "read"}],
        "action": "R",
        "recorded": "2024-05-20T09:31:12+08:00",
        "outcome": "0",
        "agent": [{
            "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                                 "code": "AUT"}]},
            "who": w.ref("Practitioner"),
            "name": "李娜",
            "requestor": True,
            "network": {"address": "10.20.30.40", "type": "2"},
        }],
        "source": {"site": "长宁区卫健平台", "observer": w.ref("Organization"),
                   "type": [{"system": "http://terminology.hl7.org/CodeSystem/security-source-type", "code": "4"}]},
        "entity": [{
            "what": patient,
            "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": "1"},
            "role": {"system": "http://terminology.hl7.org/CodeSystem/object-role", "code": "1"},
            "description": f"查阅居民健康档案 {RUN_ID}",
        }],
    }


class World:
    """Creates the examples on demand, each after the resources it refers to."""

    def __init__(self, http: FhirHttp, admin: FhirHttp):
        self.http = http
        self.admin = admin
        self.sent: dict[str, dict] = {}
        self.created: dict[str, dict] = {}
        self.responses = {}
        self.failed: dict[str, str] = {}
        self._building: list[str] = []

    def ensure(self, rtype: str) -> dict:
        if rtype in self.created:
            return self.created[rtype]
        if rtype in self.failed:
            raise AssertionError(f"the example {rtype} could not be created: {self.failed[rtype]}")
        assert rtype not in self._building, f"reference cycle among examples: {self._building + [rtype]}"
        self._building.append(rtype)
        try:
            body = BUILDERS[rtype](self)
        finally:
            self._building.pop()
        writer = self.admin if rtype in ADMIN_WRITTEN_TYPES else self.http
        resp = writer.post(rtype, body)
        if resp.status_code != 201:
            self.failed[rtype] = describe(resp, f"POST the example {rtype}")
            raise AssertionError(self.failed[rtype])
        self.sent[rtype] = body
        self.responses[rtype] = resp
        self.created[rtype] = resp.json()
        return self.created[rtype]

    def ref(self, rtype: str) -> dict:
        return {"reference": f"{rtype}/{self.ensure(rtype)['id']}"}


@pytest.fixture(scope="module")
def world(http, admin_http) -> World:
    return World(http, admin_http)


def test_every_supported_type_has_an_example_that_fhir_resources_accepts():
    assert sorted(BUILDERS) == sorted(SUPPORTED_TYPES)

    class Offline:  # references to made-up ids; only the shape matters here
        def ensure(self, rtype):
            return {"id": "x"}

        def ref(self, rtype):
            return {"reference": f"{rtype}/x"}

    for rtype, build in BUILDERS.items():
        resource = build(Offline())
        assert resource["resourceType"] == rtype
        validate(resource)


@pytest.mark.parametrize("rtype", WRITABLE_TYPES)
def test_example_round_trip(world, http, base_url, rtype):
    created = world.ensure(rtype)
    resp = world.responses[rtype]
    sent = world.sent[rtype]
    rid = created["id"]

    # The create response.
    location = resp.headers.get("Location", "")
    assert f"{rtype}/{rid}" in location, describe(resp, "Location header does not name the new resource")
    assert created.get("meta", {}).get("versionId") == "1", describe(resp, "a new resource must be version 1")
    assert created["meta"].get("lastUpdated"), describe(resp, "meta.lastUpdated missing")
    assert resp.headers.get("ETag") == 'W/"1"', describe(resp, "ETag of a new resource")
    validate(created)

    # Read it back.
    read = http.get(f"{rtype}/{rid}")
    assert read.status_code == 200, describe(read)
    assert "json" in read.headers.get("Content-Type", ""), describe(read)
    stored = read.json()
    assert stored["resourceType"] == rtype and stored["id"] == rid, describe(read)
    assert read.headers.get("ETag") == 'W/"1"', describe(read, "ETag of the read")
    validate(stored)
    diffs = subset_differences(sent, stored)
    assert not diffs, f"the stored {rtype} differs from what was sent: {diffs}"

    # vread of version 1 gives the same content.
    vread = http.get(f"{rtype}/{rid}/_history/1")
    assert vread.status_code == 200, describe(vread)
    assert vread.json() == stored

    # Find it by _id; the Bundle is valid R4 too.
    found = http.get(rtype, params={"_id": rid})
    assert found.status_code == 200, describe(found)
    bundle = found.json()
    validate(bundle)
    matches = entries(bundle, "match")
    assert [e["resource"]["id"] for e in matches] == [rid], describe(found)
    assert matches[0].get("fullUrl") == f"{base_url}/{rtype}/{rid}", describe(found, "entry.fullUrl")


def test_audit_event_is_the_servers_audit_log(world, http, auditor_http, base_url):
    """AuditEvent cannot be written through the API (403 for the platform, 405 for the audit
    administrator); the audit administrator reads the server's own audit records as AuditEvents,
    valid R4, among them the platform's create of the example Patient."""
    patient = world.ensure("Patient")
    example = BUILDERS["AuditEvent"](world)
    denied = http.post("AuditEvent", example)
    assert_operation_outcome(denied, 403)
    refused = auditor_http.post("AuditEvent", example)
    assert_operation_outcome(refused, 405)
    assert_operation_outcome(http.get("AuditEvent", params={"patient": f"Patient/{patient['id']}"}), 403)

    resp = auditor_http.get("AuditEvent", params={"patient": f"Patient/{patient['id']}", "_count": "100"})
    assert resp.status_code == 200, describe(resp)
    bundle = resp.json()
    validate(bundle)
    assert bundle["type"] == "searchset", describe(resp)
    events = [e["resource"] for e in entries(bundle, "match")]
    assert events, describe(resp, "no audit record of the example Patient")
    for event in events:
        assert event["resourceType"] == "AuditEvent", event
        validate(event)
        assert f"查阅居民健康档案 {RUN_ID}" not in json.dumps(event, ensure_ascii=False), \
            "the AuditEvent that was POSTed appears in the audit log"
    target = f"Patient/{patient['id']}"
    created = [ev for ev in events if ev.get("action") == "C"
               and any((ent.get("what") or {}).get("reference") == target for ent in ev.get("entity", []))]
    assert created, describe(resp, f"no AuditEvent with action C for {target}")
    event = created[0]
    read = auditor_http.get(f"AuditEvent/{event['id']}")
    assert read.status_code == 200, describe(read)
    validate(read.json())
    assert read.json() == event, describe(read, "read differs from the search entry")


def test_search_bundle_with_include_and_revinclude_is_valid(world, http, base_url):
    patient = world.ensure("Patient")
    encounter = world.ensure("Encounter")
    condition = world.ensure("Condition")
    resp = http.get("Encounter", params=[
        ("subject", f"Patient/{patient['id']}"),
        ("_include", "Encounter:subject"),
        ("_revinclude", "Condition:encounter"),
    ])
    assert resp.status_code == 200, describe(resp)
    bundle = resp.json()
    validate(bundle)
    assert bundle["type"] == "searchset"
    assert [e["resource"]["id"] for e in entries(bundle, "match")] == [encounter["id"]], describe(resp)
    included = {(e["resource"]["resourceType"], e["resource"]["id"]) for e in entries(bundle, "include")}
    assert ("Patient", patient["id"]) in included, describe(resp, "_include=Encounter:subject")
    assert ("Condition", condition["id"]) in included, describe(resp, "_revinclude=Condition:encounter")
    self_link = link(bundle, "self")
    assert self_link and same_origin(self_link, base_url), describe(resp, "self link")
    for entry in entries(bundle):
        res = entry["resource"]
        assert entry["fullUrl"] == f"{base_url}/{res['resourceType']}/{res['id']}"


def test_search_by_reference_and_token(world, http):
    patient = world.ensure("Patient")
    observation = world.ensure("Observation")
    condition = world.ensure("Condition")
    resp = http.get("Observation", params={"subject": f"Patient/{patient['id']}", "code": f"{LOINC}|85354-9"})
    assert resp.status_code == 200, describe(resp)
    validate(resp.json())
    assert [e["resource"]["id"] for e in entries(resp.json(), "match")] == [observation["id"]], describe(resp)
    resp = http.get("Condition", params={"patient": patient["id"], "code": f"{ICD10}|I10"})
    assert resp.status_code == 200, describe(resp)
    assert [e["resource"]["id"] for e in entries(resp.json(), "match")] == [condition["id"]], describe(resp)
    resp = http.get("Condition", params={"patient": patient["id"], "code": f"{ICD10}|E11.9"})
    assert resp.status_code == 200, describe(resp)
    assert entries(resp.json(), "match") == [], describe(resp, "a different ICD-10 code must not match")


def _match_ids(http, rtype, params):
    resp = http.get(rtype, params=params)
    assert resp.status_code == 200, describe(resp)
    return [e["resource"]["id"] for e in entries(resp.json(), "match")]


def test_search_parameter_kinds(world, http):
    """string (Chinese), date with prefixes, _lastUpdated, _elements, reference chains of the examples."""
    org = world.ensure("Organization")
    patient = world.ensure("Patient")
    observation = world.ensure("Observation")
    slot = world.ensure("Slot")
    schedule = world.ensure("Schedule")
    in_org = ("organization", f"Organization/{org['id']}")

    # string: starts-with on family/given, :exact
    assert _match_ids(http, "Patient", [in_org, ("family", "张")]) == [patient["id"]]
    assert _match_ids(http, "Patient", [in_org, ("given", "伟")]) == [patient["id"]]
    assert _match_ids(http, "Patient", [in_org, ("family:exact", "张")]) == [patient["id"]]
    assert _match_ids(http, "Patient", [in_org, ("family", "王")]) == []
    assert _match_ids(http, "Patient", [in_org, ("address-city", "上海")]) == [patient["id"]]

    # date: a day contains the instant; prefixes compare ranges
    subject = ("subject", f"Patient/{patient['id']}")
    assert _match_ids(http, "Observation", [subject, ("date", "2024-05-20")]) == [observation["id"]]
    assert _match_ids(http, "Observation", [subject, ("date", "ge2024-05-20T09:00:00+08:00")]) == [observation["id"]]
    assert _match_ids(http, "Observation", [subject, ("date", "gt2024-05-20T10:00:00+08:00")]) == []
    assert _match_ids(http, "Observation", [subject, ("date", "lt2024-05-20")]) == []
    by_schedule = ("schedule", f"Schedule/{schedule['id']}")
    assert _match_ids(http, "Slot", [by_schedule, ("start", "ge2024-06-03T08:59:00+08:00")]) == [slot["id"]]
    assert _match_ids(http, "Slot", [by_schedule, ("start", "lt2024-06-03T08:59:00+08:00")]) == []

    # _lastUpdated
    since = patient["meta"]["lastUpdated"]
    assert _match_ids(http, "Patient", [in_org, ("_lastUpdated", f"ge{since}")]) == [patient["id"]]
    assert _match_ids(http, "Patient", [in_org, ("_lastUpdated", "lt2000-01-01")]) == []

    # _elements keeps the named elements (and the mandatory id/meta) only
    resp = http.get("Patient", params={"_id": patient["id"], "_elements": "identifier,gender"})
    assert resp.status_code == 200, describe(resp)
    subset = entries(resp.json(), "match")[0]["resource"]
    assert subset["id"] == patient["id"] and subset["gender"] == "male", subset
    assert subset["identifier"] == world.sent["Patient"]["identifier"], subset
    assert not {"name", "address", "telecom", "contact"} & set(subset), f"_elements left in {sorted(subset)}"
    validate(subset)


def test_history_bundle_is_valid(http, world):
    org = world.ref("Organization")
    resident_id = make_resident_id(male=False)
    body = {
        "resourceType": "Patient",
        "identifier": [run_identifier("history-patient"),
                       {"system": RESIDENT_ID_SYSTEM, "value": resident_id}],
        "name": [{"text": "王秀英", "family": "王", "given": ["秀英"]}],
        "gender": "female",
        "birthDate": birth_date_of(resident_id),
        "managingOrganization": org,
    }
    created = http.create(body)
    updated_body = dict(created)
    updated_body["telecom"] = [{"system": "phone", "value": "13700001111", "use": "mobile"}]
    resp = http.put(f"Patient/{created['id']}", updated_body, headers={"If-Match": 'W/"1"'})
    assert resp.status_code == 200, describe(resp)
    assert resp.json()["meta"]["versionId"] == "2", describe(resp)

    resp = http.get(f"Patient/{created['id']}/_history")
    assert resp.status_code == 200, describe(resp)
    bundle = resp.json()
    validate(bundle)
    assert bundle["type"] == "history"
    versions = [e["resource"]["meta"]["versionId"] for e in bundle.get("entry", [])]
    assert versions == ["2", "1"], describe(resp, "instance history must list versions newest first")
    assert bundle["entry"][0]["resource"]["telecom"][0]["value"] == "13700001111"
    assert "telecom" not in bundle["entry"][1]["resource"]

    resp = http.get("_history", params={"_count": "5"})
    assert resp.status_code == 200, describe(resp)
    system = resp.json()
    validate(system)
    assert system["type"] == "history" and 1 <= len(system.get("entry", [])) <= 5, describe(resp)


def test_capability_statement_is_valid(http):
    resp = http.get("metadata")
    assert resp.status_code == 200, describe(resp)
    cs = resp.json()
    validate(cs)
    assert cs["resourceType"] == "CapabilityStatement"
    assert cs["fhirVersion"] == "4.0.1"
    assert cs["kind"] == "instance"
    assert any("json" in f for f in cs["format"]), cs["format"]
    rest = cs["rest"][0]
    assert rest["mode"] == "server"
    by_type = {r["type"]: r for r in rest.get("resource", [])}
    missing = sorted(set(SUPPORTED_TYPES) - set(by_type))
    assert not missing, f"CapabilityStatement lacks {missing}"
    needed = {"read", "vread", "create", "update", "delete", "search-type", "history-instance", "history-type"}
    for rtype in SUPPORTED_TYPES:
        have = {i["code"] for i in by_type[rtype].get("interaction", [])}
        if rtype == "AuditEvent":
            # The audit chain is append-only: readable and searchable, never written through the API.
            assert have == {"read", "search-type"}, f"AuditEvent interactions {sorted(have)}"
            continue
        assert needed <= have, f"{rtype} lacks interactions {sorted(needed - have)}"
    security = rest.get("security", {})
    assert any(c.get("code") == "SMART-on-FHIR" for s in security.get("service", []) for c in s.get("coding", [])), security
    oauth = [e for e in security.get("extension", []) if e["url"].endswith("oauth-uris")]
    assert oauth and any(x["url"] == "token" and x["valueUri"].endswith("/auth/token") for x in oauth[0]["extension"]), security
    patient_params = {p["name"] for p in by_type["Patient"].get("searchParam", [])}
    assert {"identifier", "name", "birthdate", "gender"} <= patient_params, sorted(patient_params)
    system = {i["code"] for i in rest.get("interaction", [])}
    assert {"transaction", "batch", "history-system"} <= system, sorted(system)


def test_capability_statement_matches_what_audit_event_allows(http, auditor_http):
    """AuditEvent is read-only (writes are 405 even for the audit administrator), so the
    CapabilityStatement must not offer create, update or delete for it."""
    cs = http.get("metadata").json()
    by_type = {r["type"]: r for r in cs["rest"][0].get("resource", [])}
    have = {i["code"] for i in by_type["AuditEvent"].get("interaction", [])}
    assert {"read", "search-type"} <= have, sorted(have)
    refused = auditor_http.post("AuditEvent", {"resourceType": "AuditEvent"})
    assert refused.status_code == 405, describe(refused)
    offered = sorted(have & {"create", "update", "delete", "patch"})
    assert not offered, (f"the CapabilityStatement offers {offered} for AuditEvent, but the server answers "
                         f"{refused.status_code}: {refused.text[:300]}")


def test_operation_outcome_is_valid(http):
    missing_id = uuid.uuid4().hex
    resp = http.get(f"Patient/{missing_id}")
    assert_operation_outcome(resp, 404)
