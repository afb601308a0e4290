"""Live events across nodes: a visitor's stream on node A, agents' replies posted through node B
(cross-node) or through node A itself (same node, the reference), interleaved one by one with a
random pause between replies (0-50 ms, so replies fall anywhere in the 900 ms poll cycle). The
latency is from the POST leaving to the reply arriving on the stream.
Usage: pg_nodes_latency.py PORT_A PORT_B API_KEY [REPLIES] (REPLIES per side; default 200).
Prints one JSON line. Loopback only."""
import asyncio
import json
import random
import sys
import time

import loopback_http

PORT_A, PORT_B, KEY = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
REPLIES = int(sys.argv[4]) if len(sys.argv) > 4 else 200


async def request(port, method, path, headers=None, body=b""):
    response = await loopback_http.request(port, method, path, headers, body)
    if not 200 <= response.status < 300:
        raise RuntimeError("%s %s: %s" % (method, path, response.header.split("\r\n")[0]))
    return response.header, response.body


def percentile(values, fraction):
    ordered = sorted(values)
    return round(ordered[max(0, int(len(ordered) * fraction) - 1)], 2)


async def main():
    header, payload = await request(PORT_A, "POST", "/v1/sessions")
    cookie = [line.split(":", 1)[1].split(";")[0].strip() for line in header.split("\r\n")
              if line.lower().startswith("set-cookie")][0]
    conversation = json.loads(payload)["conversation_id"]
    reader, writer = await loopback_http.open_stream(PORT_A, "/v1/events", {"Cookie": cookie})

    auth = {"Authorization": "Bearer " + KEY, "Content-Type": "application/json"}
    latencies = {"cross_node": [], "same_node": []}
    for index in range(2 * REPLIES):
        side, port = ("cross_node", PORT_B) if index % 2 == 0 else ("same_node", PORT_A)
        marker = ("reply-%d-" % index).encode()
        body = json.dumps({"body": marker.decode(), "author": "agent"}).encode()
        started = time.perf_counter()
        post = asyncio.ensure_future(request(port, "POST", "/v1/conversations/%s/messages" % conversation, auth, body))
        await loopback_http.read_until(reader, marker)
        latencies[side].append((time.perf_counter() - started) * 1000)
        await post
        await asyncio.sleep(random.uniform(0, 0.05))
    writer.close()
    print(json.dumps({side: {"replies": len(values), "p50_ms": percentile(values, 0.5),
                             "p99_ms": percentile(values, 0.99), "max_ms": round(max(values), 2)}
                      for side, values in latencies.items()}))


asyncio.run(main())
