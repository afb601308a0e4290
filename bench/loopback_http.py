"""What the bench drivers share: one HTTP/1.1 request on its own loopback connection, a
Server-Sent Events stream read until a marker arrives, and a process's resident memory."""
import asyncio


class Response:
    """A response's status, header block (text) and body (bytes)."""

    def __init__(self, data):
        header, _, self.body = data.partition(b"\r\n\r\n")
        self.header = header.decode()
        self.status = int(self.header.split(" ", 2)[1])


async def request(port, method, path, headers=None, body=b""):
    """Sends one request with `Connection: close` and reads the whole answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = "%s %s HTTP/1.1\r\nHost: b\r\nConnection: close\r\nContent-Length: %d\r\n" % (method, path, len(body))
    for name, value in (headers or {}).items():
        head += "%s: %s\r\n" % (name, value)
    writer.write(head.encode() + b"\r\n" + body)
    data = await reader.read()
    writer.close()
    return Response(data)


def rss_kb(pid):
    """The process's resident set size in KiB."""
    with open("/proc/%d/status" % pid) as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])


async def open_stream(port, path, headers):
    """Opens a Server-Sent Events stream and waits for the server's `: connected` comment;
    returns the connection's reader and writer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = "GET %s HTTP/1.1\r\nHost: b\r\n" % path
    for name, value in headers.items():
        head += "%s: %s\r\n" % (name, value)
    writer.write((head + "\r\n").encode())
    await writer.drain()
    await read_until(reader, b": connected")
    return reader, writer


async def read_until(reader, marker):
    """Reads a stream until `marker` (bytes) arrived; what came with it is read too. Raises
    ConnectionError when the stream ends first."""
    buffer = b""
    while marker not in buffer:
        chunk = await reader.read(65536)
        if not chunk:
            raise ConnectionError("the stream ended before %r arrived" % marker)
        buffer += chunk
