"""Agent consoles at scale: makes AGENTS agents and CONVERSATIONS conversations (each opened by a
signed Twilio text from its own number, then assigned round robin to the agents by the API key),
and measures signed inbound texts to one agent's conversations → that agent's GET
/v1/agent/events stream (p50/p99), in interleaved blocks: with only that stream open (the
reference), and with every agent's stream open. Then opens EXTRA more agent streams and reports
the RSS delta per stream.
Usage: console_streams.py PORT PID API_KEY ADMIN_KEY AUTH_TOKEN [AGENTS] [CONVERSATIONS] [TEXTS]
Prints one JSON line. Loopback only."""
import asyncio
import json
import sys
import time
import urllib.parse

from twilio.request_validator import RequestValidator

import loopback_http

PORT, PID, KEY, ADMIN, TOKEN = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
AGENTS = int(sys.argv[6]) if len(sys.argv) > 6 else 50
CONVERSATIONS = int(sys.argv[7]) if len(sys.argv) > 7 else 200
TEXTS = int(sys.argv[8]) if len(sys.argv) > 8 else 400
EXTRA = 200
BLOCKS = 4
URL = "http://127.0.0.1:%d/v1/webhooks/twilio/inbound" % PORT
validator = RequestValidator(TOKEN)


def rss_kb():
    return loopback_http.rss_kb(PID)


async def request(method, path, headers=None, body=b""):
    response = await loopback_http.request(PORT, method, path, headers, body)
    return response.status, response.body


def phone(index):
    return "+1415556%04d" % index


async def text(index, body, sid):
    params = {"MessageSid": "SM%032d" % sid, "From": phone(index), "To": "+15005550006", "Body": body,
              "NumSegments": "1", "NumMedia": "0", "AccountSid": "AC" + "1" * 32, "SmsStatus": "received",
              "ApiVersion": "2010-04-01"}
    headers = {"Content-Type": "application/x-www-form-urlencoded",
               "X-Twilio-Signature": validator.compute_signature(URL, params)}
    status, _ = await request("POST", "/v1/webhooks/twilio/inbound", headers, urllib.parse.urlencode(params).encode())
    if status != 200:
        raise SystemExit("inbound text answered %d" % status)


async def open_stream(agent_key):
    return await loopback_http.open_stream(PORT, "/v1/agent/events", {"Authorization": "Bearer " + agent_key})


async def measure(streams, owner_of, texts, sid_base, only=None):
    """Latencies (ms) of `texts` inbound texts (to the conversations `only`, else to all in turn)
    to the owning agent's stream in `streams`."""
    conversations = only or list(range(CONVERSATIONS))
    latencies = []
    for index in range(texts):
        conversation = conversations[index % len(conversations)]
        reader, _ = streams[owner_of[conversation]]
        marker = "t%d-%d" % (sid_base, index)
        started = time.perf_counter()
        post = asyncio.ensure_future(text(conversation, "where is my order %s" % marker, sid_base + index))
        await loopback_http.read_until(reader, marker.encode())
        latencies.append((time.perf_counter() - started) * 1000)
        await post
    latencies.sort()
    return latencies


def summary(latencies):
    return {"p50_ms": round(latencies[len(latencies) // 2], 2),
            "p99_ms": round(latencies[max(0, int(len(latencies) * 0.99) - 1)], 2)}


async def main():
    admin = {"Authorization": "Bearer " + ADMIN, "Content-Type": "application/json"}
    api = {"Authorization": "Bearer " + KEY, "Content-Type": "application/json"}
    agents = []
    for index in range(AGENTS + EXTRA):
        status, payload = await request("POST", "/v1/admin/agents", admin,
                                        json.dumps({"name": "Agent %d" % index}).encode())
        if status != 201:
            raise SystemExit("making an agent answered %d" % status)
        made = json.loads(payload)
        agents.append((made["agent"]["id"], made["api_key"]))
    for start in range(0, CONVERSATIONS, 50):
        await asyncio.gather(*(text(i, "hello from %d" % i, i) for i in range(start, min(start + 50, CONVERSATIONS))))
    status, payload = await request("GET", "/v1/conversations?limit=200&state=escalated", api)
    listed = json.loads(payload)["conversations"]
    status, payload = await request("GET", "/v1/conversations?limit=200&state=open", api)
    listed += json.loads(payload)["conversations"]
    if len(listed) < CONVERSATIONS:
        raise SystemExit("%d conversations, not %d" % (len(listed), CONVERSATIONS))
    # Conversation i (the text from phone(i)) is owned by agent i % AGENTS.
    owner_of = {}
    by_phone = {}
    for conversation in listed:
        status, payload = await request("GET", "/v1/conversations/%s/messages" % conversation["id"], api)
        for message in json.loads(payload)["messages"]:
            if message["body"].startswith("hello from "):
                by_phone[int(message["body"].split()[-1])] = conversation["id"]
    for index in range(CONVERSATIONS):
        owner = index % AGENTS
        status, _ = await request("POST", "/v1/conversations/%s/assign" % by_phone[index], api,
                                  json.dumps({"agent_id": agents[owner][0]}).encode())
        if status != 200:
            raise SystemExit("assigning answered %d" % status)
        owner_of[index] = owner

    # Interleaved blocks: the owning agent's stream alone (the reference), then with the other
    # agents' streams open too, BLOCKS times each; texts go to that agent's conversations.
    last = AGENTS - 1
    owned = [i for i in range(CONVERSATIONS) if owner_of[i] == last]
    streams = {last: await open_stream(agents[last][1])}
    one_stream, all_streams = [], []
    per_block = max(1, TEXTS // (2 * BLOCKS))
    for block in range(BLOCKS):
        one_stream += await measure(streams, owner_of, per_block, 10_000_000 + block * 10_000, only=owned)
        for owner in range(AGENTS - 1):
            streams[owner] = await open_stream(agents[owner][1])
        await asyncio.sleep(1)
        all_streams += await measure(streams, owner_of, per_block, 20_000_000 + block * 10_000, only=owned)
        if block < BLOCKS - 1:
            for owner in range(AGENTS - 1):
                streams.pop(owner)[1].close()
            await asyncio.sleep(1)
    one_stream.sort()
    all_streams.sort()
    rss_before = rss_kb()
    extra = [await open_stream(agents[AGENTS + i][1]) for i in range(EXTRA)]
    await asyncio.sleep(2)
    rss_after = rss_kb()
    print(json.dumps({
        "agents": AGENTS, "conversations": CONVERSATIONS, "texts": TEXTS,
        "owner_stream_only": summary(one_stream), "all_streams_open": summary(all_streams),
        "p50_ratio_all_vs_one": round(summary(all_streams)["p50_ms"] / summary(one_stream)["p50_ms"], 2),
        "p99_ratio_all_vs_one": round(summary(all_streams)["p99_ms"] / summary(one_stream)["p99_ms"], 2),
        "rss_kb_with_agent_streams": rss_before, "extra_streams": EXTRA,
        "rss_kb_per_extra_stream": round((rss_after - rss_before) / EXTRA, 1)}))
    for _, writer in list(streams.values()) + extra:
        writer.close()


asyncio.run(main())
