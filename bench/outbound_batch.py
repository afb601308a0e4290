"""Proactive texts at volume against a running daemon: an approved template, N numbers opted in
to the `reminders` program, then, alternating ROUNDS times, one POST /v1/outbound/batch of N
recipients (the batch) and N single POST /v1/outbound requests from 64 threads (the reference,
measured in the same run). For each it prints how long acceptance took and the texts per second
through the dispatcher to the gateway (from the first request until handoff_sms_sent_total has
grown by N).
Usage: outbound_batch.py BASE_URL API_KEY ADMIN_KEY N ROUNDS"""
import json
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

BASE, KEY, ADMIN, N, ROUNDS = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])


def call(method, path, body=None, key=KEY):
    request = urllib.request.Request(BASE + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": "Bearer " + key, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read() or b"{}")


def sent():
    with urllib.request.urlopen(BASE + "/metrics", timeout=10) as response:
        for line in response.read().decode().splitlines():
            if line.startswith("handoff_sms_sent_total"):
                return int(float(line.split()[-1]))
    return 0


def wait_sent(target, deadline=600):
    start = time.time()
    while sent() < target:
        if time.time() - start > deadline:
            raise SystemExit("texts did not all reach the gateway")
        time.sleep(0.05)


template = call("POST", "/v1/templates", {
    "name": "visit_reminder", "program": "reminders",
    "body": "{{brand}}: see you {{date}} at {{time}}. Reply C to confirm.",
    "variables": [{"name": "date", "type": "date"}, {"name": "time", "type": "time"}]})["template"]
call("POST", "/v1/templates/%s/approve" % template["id"], key=ADMIN)
phones = ["+1415%07d" % (2000000 + index) for index in range(N)]
opt_in = {"program": "reminders", "source": "import", "disclosure_text": "Reminders. Reply STOP to cancel.",
          "captured_at": "2026-12-01T09:30:00Z"}
with ThreadPoolExecutor(16) as pool:
    list(pool.map(lambda phone: call("POST", "/v1/contacts/%s/consents" % phone.replace("+", "%2B"), opt_in), phones))

variables = {"date": "2026-12-11", "time": "10:00"}
for round_ in range(ROUNDS):
    for kind in ("batch", "singles"):
        before = sent()
        start = time.time()
        tag = "%s-%d" % (kind, round_)
        if kind == "batch":
            results = call("POST", "/v1/outbound/batch", {
                "program": "reminders", "template": "visit_reminder", "campaign": tag,
                "recipients": [{"to": phone, "variables": variables, "client_id": tag + phone} for phone in phones]})
            errors = [r for r in results["results"] if "error" in r]
        else:
            with ThreadPoolExecutor(64) as pool:
                answers = list(pool.map(lambda phone: call("POST", "/v1/outbound", {
                    "to": phone, "program": "reminders", "template": "visit_reminder", "variables": variables,
                    "campaign": tag, "client_id": tag + phone}), phones))
            errors = [a for a in answers if "outbound" not in a]
        accepted = time.time() - start
        if errors:
            raise SystemExit("%d refused: %s" % (len(errors), errors[:2]))
        wait_sent(before + N)
        print("%s accept_ms=%.0f texts_per_s=%.0f" % (kind, accepted * 1000, N / (time.time() - start)), flush=True)
