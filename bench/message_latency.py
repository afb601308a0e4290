"""Message latency under load, against a running handoff whose Twilio API base and event webhook
URL point at this program (a stand-in Twilio Messages API and a business webhook receiver, both
on loopback). Two phases, each an open loop at RATE messages per second for SECONDS:
  widget: visitor POST /v1/messages -> the message on the agents' event stream
          (GET /v1/agent/events), and -> the `message.created` webhook at the business,
  reply:  agent POST /v1/conversations/{id}/messages on a conversation continued by SMS
          -> the send request reaches the gateway.
Then, with STREAMS idle widget event streams open, chat traffic at CHAT_RATE requests per second
(visitor messages and agent replies): the server's RSS and that traffic's p50/p99.
Usage: message_latency.py PORT PID API_KEY GATEWAY_PORT RATE SECONDS STREAMS CHAT_RATE
Prints one JSON line. Loopback only."""
import asyncio
import json
import re
import sys
import time
import urllib.parse

import loopback_http

PORT, PID, KEY, GATEWAY_PORT = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
RATE, SECONDS, STREAMS, CHAT_RATE = (int(value) for value in sys.argv[5:9])
CONVERSATIONS = 200
# marker -> perf_counter() when the gateway, the webhook receiver or the agents' stream first saw it
arrivals = {"gateway": {}, "webhook": {}, "stream": {}}
codes = {}  # phone -> verification code sent to it
MARKER = re.compile(rb"(?:widget|reply)-\d+-\d+")


def rss_mb():
    with open("/proc/%d/status" % PID) as status:
        return next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmRSS:"))


async def serve_gateway(reader, writer):
    """The stand-in Twilio Messages API and business webhook receiver, keep-alive."""
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(re.search(rb"(?i)content-length:\s*(\d+)", head).group(1))
            body = await reader.readexactly(length)
            now = time.perf_counter()
            to_gateway = b"/Messages.json" in head.split(b"\r\n", 1)[0]
            for marker in MARKER.findall(body):
                arrivals["gateway" if to_gateway else "webhook"].setdefault(marker.decode(), now)
            if to_gateway:
                form = urllib.parse.parse_qs(body.decode())
                text = form.get("Body", [""])[0]
                found = re.search(r"code is (\d+)", text)
                if found:
                    codes[form["To"][0]] = found.group(1)
                payload = json.dumps({"sid": "SM%032x" % (hash(body) & (2**128 - 1)), "status": "queued",
                                      "num_segments": "1", "to": form["To"][0]}).encode()
                status = b"201 Created"
            else:
                payload, status = b"{}", b"200 OK"
            writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Type: application/json\r\nContent-Length: "
                         + str(len(payload)).encode() + b"\r\n\r\n" + payload)
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
        writer.close()


class Client:
    """One keep-alive HTTP/1.1 connection to handoff, one request at a time."""

    async def open(self):
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", PORT)
        self.lock = asyncio.Lock()
        return self

    async def call(self, method, path, body=None, cookie=None, key=None):
        data = json.dumps(body).encode() if body is not None else b""
        head = "%s %s HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nContent-Length: %d\r\n" % (
            method, path, len(data))
        if cookie:
            head += "Cookie: %s\r\n" % cookie
        if key:
            head += "Authorization: Bearer %s\r\n" % key
        async with self.lock:
            started = time.perf_counter()
            self.writer.write(head.encode() + b"\r\n" + data)
            header = await self.reader.readuntil(b"\r\n\r\n")
            length = int(re.search(rb"(?i)content-length:\s*(\d+)", header).group(1))
            payload = await self.reader.readexactly(length)
            took = time.perf_counter() - started
        status = int(header.split(b" ", 2)[1])
        if status >= 300:
            raise RuntimeError("%s %s -> %d %s" % (method, path, status, payload[:200]))
        cookie = re.search(rb"(?i)set-cookie:\s*([^;\r\n]+)", header)
        return (cookie.group(1).decode() if cookie else None), json.loads(payload or b"{}"), took


async def conversation(client, index, by_sms):
    cookie, session, _ = await client.call("POST", "/v1/sessions", {})
    if by_sms:
        phone = "+1415555%04d" % (2000 + index)
        await client.call("POST", "/v1/handoff", {"phone": phone, "consent": True}, cookie=cookie)
        while phone not in codes:
            await asyncio.sleep(0.005)
        rotated, _, _ = await client.call("POST", "/v1/handoff/verify", {"code": codes[phone]}, cookie=cookie)
        cookie = rotated or cookie
    return cookie, session["conversation_id"]


def percentile(values, fraction):
    values = sorted(values)
    return round(values[min(len(values) - 1, int(len(values) * fraction))] * 1000, 2)


async def open_loop(clients, rate, seconds, send):
    """Starts send(index, client) every 1/rate seconds on the next client, whatever the answers."""
    tasks, started = [], time.perf_counter()
    for index in range(rate * seconds):
        delay = started + index / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(send(index, clients[index % len(clients)])))
    return await asyncio.gather(*tasks)


async def phase(name, seen_by, clients, targets, rate, seconds, send_one):
    async def send(index, client):
        marker = "%s-%d-%d" % (name, rate, index)
        sent = time.perf_counter()
        await send_one(client, targets[index % len(targets)], marker)
        return marker, sent

    sent = await open_loop(clients, rate, seconds, send)
    await arrived(sent, arrivals[seen_by])
    return dict(summary(sent, arrivals[seen_by]), latencies=sent)


async def arrived(sent, seen, seconds=10):
    """Waits (up to `seconds`) until every marker sent has been seen."""
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline and any(marker not in seen for marker, _ in sent):
        await asyncio.sleep(0.05)


def summary(sent, seen):
    """p50/p99/max from each (marker, sent at) to its arrival in `seen`."""
    latencies = [seen[marker] - at for marker, at in sent if marker in seen]
    return {"sent": len(sent), "arrived": len(latencies), "p50_ms": percentile(latencies, 0.5),
            "p99_ms": percentile(latencies, 0.99), "max_ms": percentile(latencies, 1.0)}


async def follow_agent_stream():
    """Reads the agents' event stream, noting when each marker arrives."""
    reader, writer = await asyncio.open_connection("127.0.0.1", PORT)
    writer.write(("GET /v1/agent/events HTTP/1.1\r\nHost: b\r\nAuthorization: Bearer %s\r\n\r\n" % KEY).encode())
    while True:
        chunk = await reader.read(65536)
        if not chunk:
            return
        now = time.perf_counter()
        for marker in MARKER.findall(chunk):
            arrivals["stream"].setdefault(marker.decode(), now)


async def open_stream(cookie):
    _, writer = await loopback_http.open_stream(PORT, "/v1/events", {"Cookie": cookie})
    return writer


async def main():
    server = await asyncio.start_server(serve_gateway, "127.0.0.1", GATEWAY_PORT)
    clients = [await Client().open() for _ in range(32)]
    web = await asyncio.gather(*(conversation(clients[i % 32], i, False) for i in range(CONVERSATIONS)))
    sms = []
    for start in range(0, CONVERSATIONS, 32):
        sms += await asyncio.gather(*(conversation(clients[i % 32], i, True)
                                      for i in range(start, min(start + 32, CONVERSATIONS))))

    async def visitor_says(client, target, marker):
        await client.call("POST", "/v1/messages", {"body": "Where is my order? " + marker}, cookie=target[0])

    async def agent_replies(client, target, marker):
        await client.call("POST", "/v1/conversations/%s/messages" % target[1],
                          {"body": "It ships today. " + marker, "author": "agent"}, key=KEY)

    agent_stream = asyncio.ensure_future(follow_agent_stream())
    await asyncio.sleep(0.5)
    widget = await phase("widget", "stream", clients, web, RATE, SECONDS, visitor_says)
    await arrived(widget["latencies"], arrivals["webhook"])
    result = {"rate_per_s": RATE, "seconds": SECONDS, "widget_to_agent_stream": widget,
              "widget_to_webhook": summary(widget.pop("latencies"), arrivals["webhook"])}
    await asyncio.sleep(2)
    reply = await phase("reply", "gateway", clients, sms, RATE, SECONDS, agent_replies)
    reply.pop("latencies")
    result["reply_to_gateway"] = reply
    agent_stream.cancel()

    if STREAMS == 0:
        print(json.dumps(result))
        return
    # Idle capacity: STREAMS open widget streams (each its own session) beside chat traffic.
    rss_before = rss_mb()
    streams = []
    for start in range(0, STREAMS, 250):
        cookies = await asyncio.gather(*(clients[i % 32].call("POST", "/v1/sessions", {})
                                         for i in range(start, min(start + 250, STREAMS))))
        streams += await asyncio.gather(*(open_stream(cookie) for cookie, _, _ in cookies))
    await asyncio.sleep(2)
    rss_streams = rss_mb()

    async def chat(index, client):
        target = web[index % len(web)]
        if index % 2 == 0:
            _, _, took = await client.call("POST", "/v1/messages", {"body": "Still there? %d" % index},
                                           cookie=target[0])
        else:
            _, _, took = await client.call("POST", "/v1/conversations/%s/messages" % target[1],
                                           {"body": "Yes! %d" % index, "author": "agent"}, key=KEY)
        return took

    took = await open_loop(clients, CHAT_RATE, SECONDS, chat)
    result["idle_streams"] = {"streams": len(streams), "rss_mb_before": round(rss_before, 1),
                              "rss_mb_with_streams": round(rss_mb(), 1), "rss_mb_streams_open": round(rss_streams, 1),
                              "chat_rate_per_s": CHAT_RATE, "chat_requests": len(took),
                              "chat_p50_ms": percentile(took, 0.5), "chat_p99_ms": percentile(took, 0.99)}
    print(json.dumps(result))
    for writer in streams:
        writer.close()
    server.close()


asyncio.run(main())
