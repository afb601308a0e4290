"""Agent reply -> gateway latency over one or more nodes: a stand-in Twilio Messages API on
GATEWAY_PORT (the nodes' HANDOFF_TWILIO_API_BASE), 64 web conversations continued by SMS (each
verified through the nodes in turn, one after another, the code read from the stand-in), then agents' replies in an
open loop at RATE per second for SECONDS, to the conversations in turn, posted through the nodes
in turn over keep-alive connections (16 per node); a reply refused with 503 is counted, not
retried. The latency runs from the POST leaving to the
send request reaching the stand-in, whichever node dispatches it.
Usage: pg_reply_latency.py GATEWAY_PORT API_KEY RATE SECONDS PORT [PORT...]
Prints one JSON line. Loopback only."""
import asyncio
import json
import re
import sys
import time
import urllib.parse

GATEWAY_PORT, KEY = int(sys.argv[1]), sys.argv[2]
RATE, SECONDS = int(sys.argv[3]), int(sys.argv[4])
PORTS = [int(port) for port in sys.argv[5:]]
CONVERSATIONS = 64
MARKER = re.compile(rb"reply-\d+")
arrivals = {}  # marker -> perf_counter() when the stand-in first received it
codes = {}  # phone -> the verification code texted to it


async def serve_gateway(reader, writer):
    """The stand-in Messages API, keep-alive: accepts every text."""
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            body = await reader.readexactly(int(re.search(rb"(?i)content-length:\s*(\d+)", head).group(1)))
            now = time.perf_counter()
            for marker in MARKER.findall(body):
                arrivals.setdefault(marker.decode(), now)
            form = urllib.parse.parse_qs(body.decode())
            found = re.search(r"code is (\d+)", form.get("Body", [""])[0])
            if found:
                codes[form["To"][0]] = found.group(1)
            payload = json.dumps({"sid": "SM%032x" % (hash(body) & (2**128 - 1)), "status": "queued",
                                  "num_segments": "1"}).encode()
            writer.write(b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: "
                         + str(len(payload)).encode() + b"\r\n\r\n" + payload)
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
        writer.close()


class Client:
    """One keep-alive HTTP/1.1 connection to a node, one request at a time."""

    async def open(self, port):
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", port)
        self.lock = asyncio.Lock()
        return self

    async def call(self, method, path, body, cookie=None, key=None):
        data = json.dumps(body).encode()
        head = "%s %s HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nContent-Length: %d\r\n" % (
            method, path, len(data))
        head += ("Cookie: %s\r\n" % cookie if cookie else "") + ("Authorization: Bearer %s\r\n" % key if key else "")
        async with self.lock:
            self.writer.write(head.encode() + b"\r\n" + data)
            header = await self.reader.readuntil(b"\r\n\r\n")
            payload = await self.reader.readexactly(int(re.search(rb"(?i)content-length:\s*(\d+)", header).group(1)))
        if int(header.split(b" ", 2)[1]) >= 300:
            raise RuntimeError("%s %s -> %s" % (method, path, header.split(b"\r\n", 1)[0].decode()))
        cookie = re.search(rb"(?i)set-cookie:\s*([^;\r\n]+)", header)
        return (cookie.group(1).decode() if cookie else None), json.loads(payload or b"{}")


async def sms_conversation(client, index):
    cookie, session = await client.call("POST", "/v1/sessions", {})
    phone = "+1415555%04d" % (3000 + index)
    await client.call("POST", "/v1/handoff", {"phone": phone, "consent": True}, cookie=cookie)
    while phone not in codes:
        await asyncio.sleep(0.005)
    await client.call("POST", "/v1/handoff/verify", {"code": codes[phone]}, cookie=cookie)
    return session["conversation_id"]


def percentile(values, fraction):
    values = sorted(values)
    return round(values[min(len(values) - 1, int(len(values) * fraction))] * 1000, 2)


async def main():
    await asyncio.start_server(serve_gateway, "127.0.0.1", GATEWAY_PORT)
    clients = [await Client().open(PORTS[i % len(PORTS)]) for i in range(16 * len(PORTS))]
    # One at a time: concurrent handoffs all count against the same per-country code cap.
    conversations = [await sms_conversation(clients[i % len(clients)], i) for i in range(CONVERSATIONS)]

    async def reply(index):
        """Posts one reply; returns (marker, sent at), or None when the node refused it (a 503)."""
        marker = "reply-%d" % index
        sent = time.perf_counter()
        try:
            await clients[index % len(clients)].call(
                "POST", "/v1/conversations/%s/messages" % conversations[index % CONVERSATIONS],
                {"body": "It ships today. " + marker, "author": "agent"}, key=KEY)
        except RuntimeError as refused:
            if "503" not in str(refused):
                raise
            return None
        return marker, sent

    tasks, started = [], time.perf_counter()
    for index in range(RATE * SECONDS):
        delay = started + index / RATE - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(reply(index)))
    answers = await asyncio.gather(*tasks)
    sent = [answer for answer in answers if answer is not None]
    deadline = time.perf_counter() + 10
    while time.perf_counter() < deadline and any(marker not in arrivals for marker, _ in sent):
        await asyncio.sleep(0.05)
    latencies = [arrivals[marker] - at for marker, at in sent if marker in arrivals]
    print(json.dumps({"nodes": len(PORTS), "rate_per_s": RATE, "sent": len(sent),
                      "refused_503": len(answers) - len(sent), "arrived": len(latencies),
                      "p50_ms": percentile(latencies, 0.5), "p99_ms": percentile(latencies, 0.99)}))


asyncio.run(main())
