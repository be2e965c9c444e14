"""Fixtures for the Weijian conformance suite.

The suite runs against a live server whose FHIR base URL is given in
WEIJIAN_FHIR_BASE, e.g. http://127.0.0.1:18080/fhir/r4 (scripts/conformance sets it).
Without it every test that needs the server fails; nothing is skipped.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fhir_support import FhirHttp  # noqa: E402


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
        requests.get(f"{base}/metadata", headers={"Accept": "application/fhir+json"}, timeout=10)
    except requests.RequestException as exc:
        pytest.fail(f"WEIJIAN_FHIR_BASE={base} is not reachable: {exc}", pytrace=False)
    return base


@pytest.fixture(scope="session")
def http(base_url: str) -> FhirHttp:
    return FhirHttp(base_url)
