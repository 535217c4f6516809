"""Schemathesis against the app's own ``/openapi.json``: generated input never causes a server
error, and every response conforms to the schema it documents.

Every operation is exercised by a signed-in owner of the demo workspace (cookie and CSRF
header), with the workspace slug fixed so that the requests reach the handlers; ids, bodies and
query strings are generated. The operations that end the session or delete the workspace run
last. Valid input must also get responses that conform to the documented schemas; invalid
input must be refused without a server error. Kept fast: a few examples per operation and
mode, no shrinking.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from web_support import DEMO, sign_in

schemathesis = pytest.importorskip("schemathesis")

from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import response_schema_conformance  # noqa: E402

from smartspec.web.security import SESSION_COOKIE  # noqa: E402

#: Operations that end the session or the workspace: run after all others.
LAST = {("POST", "/api/v1/auth/logout"), ("POST", "/api/v1/auth/password"),
        ("DELETE", "/api/v1/workspaces/{slug}")}
#: Examples per operation: valid input (positive) and invalid input (negative).
EXAMPLES = {"positive": 3, "negative": 2}
#: The evaluation report is built in full for each request (seconds each): one example.
HEAVY = {"/api/v1/workspaces/{slug}/reports/monitoring.html",
         "/api/v1/workspaces/{slug}/reports/monitoring.pdf"}


def test_generated_requests_cause_no_server_error(web_app):
    olga = sign_in(web_app, "olga")
    headers = {"X-CSRF-Token": olga.headers["X-CSRF-Token"]}
    cookies = {SESSION_COOKIE: olga.cookies.get(SESSION_COOKIE)}
    schema = schemathesis.openapi.from_asgi("/openapi.json", web_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    operations.sort(key=lambda op: (op.method.upper(), op.path) in LAST)
    assert len(operations) >= 70
    seen = 0
    for op in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = op.as_strategy(
                mode, path_parameters={"slug": DEMO} if "{slug}" in op.path else None)
            checks = [not_a_server_error]
            if mode is GenerationMode.POSITIVE:
                checks.append(response_schema_conformance)

            @given(case=strategy)
            @settings(max_examples=1 if op.path in HEAVY else EXAMPLES[mode.value],
                      deadline=None, database=None,
                      derandomize=True, phases=[Phase.explicit, Phase.generate],
                      suppress_health_check=list(HealthCheck))
            def run(case) -> None:
                case.call_and_validate(headers=headers, cookies=cookies, checks=checks)  # noqa: B023

            try:
                run()
            except Unsatisfiable:  # nothing to make invalid (e.g. no parameters at all)
                assert mode is GenerationMode.NEGATIVE, op
        seen += 1
    assert seen == len(operations)
