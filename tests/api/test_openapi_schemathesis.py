"""Schemathesis generates requests for every operation of the OpenAPI schema, as a parent of
a sample tenant: no answer is a server error, and every answer (status, content type,
headers, body) is one the schema documents."""

from __future__ import annotations

from collections import Counter

import schemathesis
from examples.api.sample import SampleData
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import headers

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES = 12


def test_every_operation_answers_as_documented(api: FastAPI, sample: SampleData) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", api)
    auth = headers(sample, sample.parents[0])
    sent: Counter[str] = Counter()
    for loaded in schema.get_all_operations():
        operation = loaded.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def answers_as_documented(case: schemathesis.Case) -> None:
            sent[case.operation.label] += 1
            case.call_and_validate(headers=auth, checks=CHECKS)

        answers_as_documented()
    print(f"\nschemathesis: {sum(sent.values())} requests over {len(sent)} operations")
    assert len(sent) == sum(len(methods) for methods in api.openapi()["paths"].values())
