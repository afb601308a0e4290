"""Framing oracle: sends requests to our server and parses the responses with h11, an independent
HTTP/1.1 implementation. Reads {"port": N, "requests": [{"method", "target", "headers", "body"}]}
on stdin; all requests go over ONE keep-alive connection, in order. Prints, per request, the
status, headers and body h11 saw, or the h11 error. Loopback only."""
import json
import socket
import sys

import h11


def main():
    spec = json.load(sys.stdin)
    sock = socket.create_connection(("127.0.0.1", spec["port"]), timeout=5)
    conn = h11.Connection(our_role=h11.CLIENT)
    results = []
    for request in spec["requests"]:
        body = request.get("body", "").encode()
        headers = [("Host", "127.0.0.1")] + [tuple(h) for h in request.get("headers", [])]
        if body:
            headers.append(("Content-Length", str(len(body))))
        sock.sendall(conn.send(h11.Request(method=request["method"], target=request["target"], headers=headers)))
        if body:
            sock.sendall(conn.send(h11.Data(data=body)))
        sock.sendall(conn.send(h11.EndOfMessage()))
        result = {"status": None, "headers": {}, "body": "", "error": None}
        try:
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA:
                    data = sock.recv(65536)
                    conn.receive_data(data)
                    continue
                if isinstance(event, h11.Response):
                    result["status"] = event.status_code
                    result["headers"] = {k.decode().lower(): v.decode() for k, v in event.headers}
                elif isinstance(event, h11.Data):
                    result["body"] += event.data.decode()
                elif isinstance(event, (h11.EndOfMessage, h11.ConnectionClosed)):
                    break
        except h11.RemoteProtocolError as error:
            result["error"] = str(error)
        results.append(result)
        if conn.our_state is h11.MUST_CLOSE or conn.their_state is h11.MUST_CLOSE or result["error"]:
            break
        conn.start_next_cycle()
    json.dump(results, sys.stdout)


main()
