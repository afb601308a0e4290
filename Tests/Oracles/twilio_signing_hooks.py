"""schemathesis hooks for the contract run against the Twilio webhooks: every generated request is
signed by Twilio's own RequestValidator, so generated forms reach the handlers behind the signature
check (unsigned, each one would stop at 403). Configured by HANDOFF_CONTRACT_TWILIO_TOKEN and
HANDOFF_CONTRACT_PUBLIC_URL (the URL the server believes it is reached at)."""
import os

import schemathesis
from twilio.request_validator import RequestValidator

validator = RequestValidator(os.environ["HANDOFF_CONTRACT_TWILIO_TOKEN"])
public_url = os.environ["HANDOFF_CONTRACT_PUBLIC_URL"]


@schemathesis.hook
def before_call(ctx, case, kwargs):
    if not case.path.startswith("/v1/webhooks/twilio/") or not isinstance(case.body, dict):
        return
    params = {str(key): str(value) for key, value in case.body.items()}
    headers = dict(case.headers or {})
    headers["X-Twilio-Signature"] = validator.compute_signature(public_url + case.formatted_path, params)
    case.headers = headers
