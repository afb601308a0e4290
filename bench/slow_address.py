"""One client address holding all it may: from SOURCE (a second loopback address) it opens event
streams on as few sessions as it takes (STREAMS_PER_SESSION each) on half of its PER_ADDRESS
connections, slow-body POSTs (a byte a second) on the other half, and checks the limits: one
more stream on a full session gets 429 too_many_streams, one more connection 429
too_many_connections. Prints one JSON line once it holds them, then holds them until killed.
Usage: slow_address.py PORT SOURCE STREAMS_PER_SESSION PER_ADDRESS. Loopback only."""
import asyncio
import json
import sys

PORT, SOURCE = int(sys.argv[1]), sys.argv[2]
PER_SESSION, PER_ADDRESS = int(sys.argv[3]), int(sys.argv[4])


async def connect():
    return await asyncio.open_connection("127.0.0.1", PORT, local_addr=(SOURCE, 0))


async def session():
    reader, writer = await connect()
    writer.write(b"POST /v1/sessions HTTP/1.1\r\nHost: b\r\nConnection: close\r\n"
                 b"Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
    header = (await reader.read()).partition(b"\r\n\r\n")[0].decode()
    writer.close()
    await asyncio.sleep(0.2)  # the server has seen the close: the address's place is free again
    return [l.split(":", 1)[1].split(";")[0].strip() for l in header.split("\r\n") if l.lower().startswith("set-cookie")][0]


async def stream(cookie):
    """An open stream (reader, writer), or the status line and body of its refusal."""
    reader, writer = await connect()
    writer.write(("GET /v1/events HTTP/1.1\r\nHost: b\r\nCookie: %s\r\n\r\n" % cookie).encode())
    buffer = b""
    while b": connected" not in buffer and b"\r\n\r\n{" not in buffer:
        chunk = await reader.read(4096)
        if not chunk:
            break
        buffer += chunk
    if buffer.startswith(b"HTTP/1.1 200"):
        return (reader, writer), None
    writer.close()
    return None, buffer.decode(errors="replace")


async def drain(reader):
    while await reader.read(4096):
        pass


async def slow_body():
    reader, writer = await connect()
    writer.write(b"POST /v1/messages HTTP/1.1\r\nHost: b\r\nContent-Type: application/json\r\nContent-Length: 65536\r\n\r\n")
    await writer.drain()
    return reader, writer


async def trickle(writer):
    while True:
        writer.write(b" ")
        await writer.drain()
        await asyncio.sleep(1)


async def refused_connection():
    reader, writer = await connect()
    data = await reader.read()
    writer.close()
    return data.decode(errors="replace")


async def main():
    wanted_streams = PER_ADDRESS // 2
    streams, tasks = [], []
    session_refusal = ""
    while len(streams) < wanted_streams:
        cookie = await session()
        for _ in range(min(PER_SESSION, wanted_streams - len(streams))):
            opened, refusal = await stream(cookie)
            if opened is None:
                raise SystemExit("stream refused: " + refusal)
            streams.append(opened)
            tasks.append(asyncio.ensure_future(drain(opened[0])))
        if not session_refusal and len(streams) % PER_SESSION == 0:
            _, session_refusal = await stream(cookie)  # one past the session's maximum
            await asyncio.sleep(0.2)
    bodies = [await slow_body() for _ in range(PER_ADDRESS - len(streams))]
    tasks += [asyncio.ensure_future(trickle(writer)) for _, writer in bodies]
    await asyncio.sleep(0.5)
    over_address = await refused_connection()
    print(json.dumps({
        "streams": len(streams), "slow_bodies": len(bodies),
        "stream_past_session_max": (session_refusal or "").split("\r\n")[0],
        "session_refusal_code": "too_many_streams" in (session_refusal or ""),
        "connection_past_address_max": over_address.split("\r\n")[0],
        "address_refusal_code": "too_many_connections" in over_address,
    }), flush=True)
    await asyncio.gather(*tasks)


asyncio.run(main())
