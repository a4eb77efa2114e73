"""A minimal SSM endpoint on 127.0.0.1 (benchmarks, the Node test): every name has the value
`postgres://u:p@db.internal:5432/<last path segment>`, except names containing `missing`.
GetParameter and GetParameters agree.

`GET /` returns a JSON object of request counts:
- one key per operation (the `x-amz-target` header, e.g. `AmazonSSM.GetParameter`): every POST
  received, answered or throttled;
- `"names"`: for each parameter name, how many answered GetParameter/GetParameters requests
  named it (throttled requests are not counted here);
- `"throttled"`: how many requests were refused with `ThrottlingException` (always 0 unless
  MOCK_THROTTLE_RPS is set).

Environment:
- MOCK_THROTTLE_RPS=N: throttle like SSM. Over all requests (every thread, every operation), a
  sliding one-second window: a POST that would make more than N requests answered in the last
  second gets HTTP 400 `{"__type":"ThrottlingException","message":"Rate exceeded"}`. Refused
  requests do not count as answered in the window (as SSM's token bucket refuses them). Unset
  or 0: no throttling.
- MOCK_SPLIT_WRITES=1: write the reply's head and body apart (see Handler.wbufsize).
- MOCK_DELAY_MS=N: answer each POST N milliseconds after reading it (a slow endpoint).

usage: mock_ssm.py PORT_FILE   (writes the chosen port to PORT_FILE, then serves until killed)
"""

import collections
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


COUNTS = {"names": {}, "throttled": 0}
LOCK = threading.Lock()
THROTTLE_RPS = int(os.environ.get("MOCK_THROTTLE_RPS") or 0)
DELAY_SECONDS = int(os.environ.get("MOCK_DELAY_MS") or 0) / 1000
# Monotonic times of the requests answered in the last second (only kept when throttling).
ANSWERED = collections.deque()


def parameter(name):
    value = "postgres://u:p@db.internal:5432/" + name.rsplit("/", 1)[-1]
    return {"Name": name, "Type": "SecureString", "Value": value, "Version": 1}


def admit():
    """Whether to answer a request now (always, unless MOCK_THROTTLE_RPS is set). Holds LOCK."""
    if THROTTLE_RPS <= 0:
        return True
    now = time.monotonic()
    while ANSWERED and ANSWERED[0] <= now - 1.0:
        ANSWERED.popleft()
    if len(ANSWERED) >= THROTTLE_RPS:
        return False
    ANSWERED.append(now)
    return True


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Each reply leaves in one write (head and body buffered, flushed after the request), as
    # production HTTP servers send a small reply. BaseHTTPRequestHandler's default (unbuffered)
    # writes the head and the body apart; with Nagle's algorithm the body then waits for the
    # client's ACK of the head, which clients delay on kept-alive connections. MOCK_SPLIT_WRITES=1
    # keeps that behaviour, to measure a client against such a server.
    wbufsize = 0 if os.environ.get("MOCK_SPLIT_WRITES") == "1" else -1

    def do_GET(self):
        with LOCK:
            data = json.dumps(COUNTS).encode()
        self.send_response(200)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        target = self.headers.get("x-amz-target", "")
        request = json.loads(body or b"{}")
        named = []
        if target == "AmazonSSM.GetParameter":
            named = [request["Name"]]
        elif target == "AmazonSSM.GetParameters":
            named = list(request["Names"])
        with LOCK:
            COUNTS[target] = COUNTS.get(target, 0) + 1
            answered = admit()
            if answered:
                names = COUNTS["names"]
                for name in named:
                    names[name] = names.get(name, 0) + 1
            else:
                COUNTS["throttled"] += 1
        status = 200
        if not answered:
            status, reply = 400, {"__type": "ThrottlingException", "message": "Rate exceeded"}
        elif target == "AmazonSSM.GetParameter":
            name = request["Name"]
            if "missing" in name:
                status, reply = 400, {"__type": "ParameterNotFound"}
            else:
                reply = {"Parameter": parameter(name)}
        elif target == "AmazonSSM.GetParameters":
            names = request["Names"]
            reply = {
                "Parameters": [parameter(n) for n in names if "missing" not in n],
                "InvalidParameters": [n for n in names if "missing" in n],
            }
        else:
            status, reply = 400, {"__type": "UnknownOperationException"}
        data = json.dumps(reply).encode()
        if DELAY_SECONDS:
            time.sleep(DELAY_SECONDS)
        self.send_response(status)
        self.send_header("content-type", "application/x-amz-json-1.1")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[1], "w") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()
