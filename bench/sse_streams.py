"""Live events at scale: opens N idle SSE streams (one session each) against a running handoff,
reports the server's RSS, then measures agent-reply → visitor-stream latency over M replies.
Usage: sse_streams.py PORT PID API_KEY [STREAMS] [REPLIES]. Prints one JSON line. Loopback only."""
import asyncio
import json
import sys
import time

import loopback_http

PORT, PID, KEY = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
STREAMS = int(sys.argv[4]) if len(sys.argv) > 4 else 5000
REPLIES = int(sys.argv[5]) if len(sys.argv) > 5 else 500


def rss_mb():
    return loopback_http.rss_kb(PID) / 1024


async def request(method, path, headers=None, body=b""):
    response = await loopback_http.request(PORT, method, path, headers, body)
    return response.header, response.body


async def session():
    header, payload = await request("POST", "/v1/sessions")
    cookie = [l.split(":", 1)[1].split(";")[0].strip() for l in header.split("\r\n") if l.lower().startswith("set-cookie")][0]
    return cookie, json.loads(payload)["conversation_id"]


async def open_stream(cookie):
    return await loopback_http.open_stream(PORT, "/v1/events", {"Cookie": cookie})


async def main():
    base_rss = rss_mb()
    sessions = []
    for start in range(0, STREAMS, 200):
        sessions += await asyncio.gather(*(session() for _ in range(min(200, STREAMS - start))))
    streams = []
    for start in range(0, STREAMS, 200):
        streams += await asyncio.gather(*(open_stream(c) for c, _ in sessions[start:start + 200]))
    await asyncio.sleep(2)
    open_rss = rss_mb()

    latencies = []
    auth = {"Authorization": "Bearer " + KEY, "Content-Type": "application/json"}
    for index in range(REPLIES):
        cookie, conversation = sessions[index % len(sessions)]
        reader, _ = streams[index % len(streams)]
        marker = "reply-%d" % index
        started = time.perf_counter()
        body = json.dumps({"body": marker, "author": "agent"}).encode()
        post = asyncio.ensure_future(request("POST", "/v1/conversations/%s/messages" % conversation, auth, body))
        await loopback_http.read_until(reader, marker.encode())
        latencies.append((time.perf_counter() - started) * 1000)
        await post
    latencies.sort()
    print(json.dumps({
        "streams": len(streams), "rss_mb_before": round(base_rss, 1), "rss_mb_with_streams": round(open_rss, 1),
        "replies": REPLIES, "latency_ms_p50": round(latencies[len(latencies) // 2], 2),
        "latency_ms_p99": round(latencies[int(len(latencies) * 0.99) - 1], 2),
        "latency_ms_max": round(latencies[-1], 2)}))
    for _, writer in streams:
        writer.close()


asyncio.run(main())
