"""A minimal SSM endpoint on 127.0.0.1 (benchmarks, the Node test): every name has the value
`postgres://u:p@db.internal:5432/<last path segment>`, except names containing `missing`.
GetParameter and GetParameters agree; `GET /` returns the request counts by operation.

usage: mock_ssm.py PORT_FILE   (writes the chosen port to PORT_FILE, then serves until killed)
"""

import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


COUNTS = {}


def parameter(name):
    value = "postgres://u:p@db.internal:5432/" + name.rsplit("/", 1)[-1]
    return {"Name": name, "Type": "SecureString", "Value": value, "Version": 1}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Each reply leaves in one write (head and body buffered, flushed after the request), as
    # production HTTP servers send a small reply. BaseHTTPRequestHandler's default (unbuffered)
    # writes the head and the body apart; with Nagle's algorithm the body then waits for the
    # client's ACK of the head, which clients delay on kept-alive connections. MOCK_SPLIT_WRITES=1
    # keeps that behaviour, to measure a client against such a server.
    wbufsize = 0 if os.environ.get("MOCK_SPLIT_WRITES") == "1" else -1

    def do_GET(self):
        data = json.dumps(COUNTS).encode()
        self.send_response(200)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        target = self.headers.get("x-amz-target", "")
        COUNTS[target] = COUNTS.get(target, 0) + 1
        request = json.loads(body or b"{}")
        status = 200
        if target == "AmazonSSM.GetParameter":
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
