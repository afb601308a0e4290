"""Posts inbound-SMS webhooks signed by Twilio's own RequestValidator to a running handoff and
prints the status of each case as JSON: valid, tampered body, wrong URL, wrong port, missing
header, and the valid one replayed. Usage: twilio_webhook_cases.py PUBLIC_URL AUTH_TOKEN."""
import json
import sys
import urllib.error
import urllib.parse
import urllib.request

from twilio.request_validator import RequestValidator

public, token = sys.argv[1], sys.argv[2]
url = public + "/v1/webhooks/twilio/inbound"
validator = RequestValidator(token)
params = {"MessageSid": "SM" + "4" * 32, "From": "+14155550160", "To": "+15005550006", "Body": "Héllo ✓ & more",
          "NumSegments": "1", "NumMedia": "0", "AccountSid": "AC" + "1" * 32, "SmsStatus": "received"}


def post(body, signature):
    request = urllib.request.Request(url, data=body.encode(), method="POST")
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    if signature is not None:
        request.add_header("X-Twilio-Signature", signature)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


body = urllib.parse.urlencode(params)
valid = validator.compute_signature(url, params)
tampered = dict(params, Body="Hello, changed")
host, port = urllib.parse.urlsplit(public).hostname, urllib.parse.urlsplit(public).port
results = {
    "valid": post(body, valid),
    "tampered_body": post(urllib.parse.urlencode(tampered), valid),
    "wrong_url": post(body, validator.compute_signature(public + "/v1/webhooks/twilio/status", params)),
    "wrong_port": post(body, validator.compute_signature(
        "http://%s:%d/v1/webhooks/twilio/inbound" % (host, port + 1), params)),
    "missing_header": post(body, None),
    "replayed": post(body, valid),
}
print(json.dumps(results))
