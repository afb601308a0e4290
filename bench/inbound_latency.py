"""Inbound webhook latency: N signed Twilio inbound webhooks (signed with Twilio's own
RequestValidator) posted one after another on a keep-alive connection to a running handoff;
the time to its 200 TwiML answer (committed before it leaves). Usage:
inbound_latency.py PORT AUTH_TOKEN [N]. Prints one JSON line. Loopback only."""
import http.client
import json
import sys
import time
import urllib.parse

from twilio.request_validator import RequestValidator

PORT, TOKEN = int(sys.argv[1]), sys.argv[2]
N = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
URL = "http://127.0.0.1:%d/v1/webhooks/twilio/inbound" % PORT
validator = RequestValidator(TOKEN)
connection = http.client.HTTPConnection("127.0.0.1", PORT)
latencies = []
for index in range(N):
    params = {"MessageSid": "SM%032d" % index, "From": "+1415555%04d" % (index % 50), "To": "+15005550006",
              "Body": "Hello number %d, is my order on its way?" % index, "NumSegments": "1", "NumMedia": "0",
              "AccountSid": "AC" + "1" * 32, "SmsStatus": "received", "ApiVersion": "2010-04-01"}
    body = urllib.parse.urlencode(params)
    headers = {"Content-Type": "application/x-www-form-urlencoded",
               "X-Twilio-Signature": validator.compute_signature(URL, params)}
    started = time.perf_counter()
    connection.request("POST", "/v1/webhooks/twilio/inbound", body, headers)
    response = connection.getresponse()
    response.read()
    latencies.append((time.perf_counter() - started) * 1000)
    if response.status != 200:
        raise SystemExit("webhook %d answered %d" % (index, response.status))
latencies.sort()
print(json.dumps({"webhooks": N, "p50_ms": round(latencies[N // 2], 2),
                  "p99_ms": round(latencies[int(N * 0.99) - 1], 2), "max_ms": round(latencies[-1], 2)}))
