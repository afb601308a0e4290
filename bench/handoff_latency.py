"""The golden window: from the response to POST /v1/handoff/verify to the simulated gateway
receiving the opt-in confirmation, over N handoffs against a running handoff with the simulator.
Usage: handoff_latency.py PORT API_KEY [N]. Prints one JSON line. Loopback only."""
import json
import sys
import time
import urllib.request

PORT, KEY = int(sys.argv[1]), sys.argv[2]
N = int(sys.argv[3]) if len(sys.argv) > 3 else 100
BASE = "http://127.0.0.1:%d" % PORT


def call(method, path, body=None, cookie=None, key=None):
    request = urllib.request.Request(BASE + path, method=method, data=json.dumps(body).encode() if body else None)
    request.add_header("Content-Type", "application/json")
    if cookie:
        request.add_header("Cookie", cookie)
    if key:
        request.add_header("Authorization", "Bearer " + key)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.headers, json.load(response)


def inbox(phone):
    with urllib.request.urlopen(BASE + "/sim/phones/%%2B%s/messages" % phone[1:], timeout=10) as response:
        return json.load(response)["messages"]


def millis(rfc3339):
    seconds, fraction = rfc3339.rstrip("Z").split(".")
    return time.mktime(time.strptime(seconds, "%Y-%m-%dT%H:%M:%S")) * 1000 - time.timezone * 1000 + int(fraction)


latencies = []
for index in range(N):
    headers, session = call("POST", "/v1/sessions", {})
    cookie = headers["Set-Cookie"].split(";")[0]
    call("POST", "/v1/messages", {"body": "Can I change my delivery address?"}, cookie=cookie)
    call("POST", "/v1/conversations/%s/messages" % session["conversation_id"],
         {"body": "Yes, until it ships.", "author": "agent"}, key=KEY)
    phone = "+1415555%04d" % (1000 + index)
    call("POST", "/v1/handoff", {"phone": phone, "consent": True}, cookie=cookie)
    code = None
    while code is None:
        texts = [m["body"] for m in inbox(phone) if "code is" in m["body"]]
        words = [w.rstrip(".") for t in texts for w in t.split() if w.rstrip(".").isdigit()]
        code = words[0] if words else None
        time.sleep(0.002)
    call("POST", "/v1/handoff/verify", {"code": code}, cookie=cookie)
    answered = time.time() * 1000
    confirmation = None
    while confirmation is None:
        confirmation = next((m for m in inbox(phone) if "all set" in m["body"]), None)
        time.sleep(0.002)
    latencies.append(millis(confirmation["received_at"]) - answered)

latencies.sort()
print(json.dumps({"handoffs": N, "p50_ms": round(latencies[N // 2], 1),
                  "p99_ms": round(latencies[max(0, int(N * 0.99) - 1)], 1), "max_ms": round(latencies[-1], 1)}))
