"""Schemathesis hooks for cellpath's API fuzzing (crates/cli/tests/e2e/fuzz.rs).

An Idempotency-Key names one request: the API refuses a key reused with another body (422,
as the Idempotency-Key draft says). A JSON Schema cannot say "fresh", and the generator
repeats small values ("0") across requests, so each well-formed key it generates is made
unique here, as a client makes them. Malformed keys are left alone: they must still get 400.
"""

import re
import uuid

import schemathesis

WELL_FORMED = re.compile(r"^[!-~]{1,200}$")


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    headers = case.headers or {}
    for name in list(headers):
        if name.lower() == "idempotency-key":
            value = headers[name]
            if isinstance(value, str) and WELL_FORMED.match(value):
                headers[name] = str(uuid.uuid4())
    return None
