"""A minimal SSM GetParameter endpoint on 127.0.0.1 for benchmarks: every name has a value.

usage: mock_ssm.py PORT_FILE   (writes the chosen port to PORT_FILE, then serves until killed)
"""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


COUNTS = {}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

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
        if target == "AmazonSSM.GetParameter":
            name = request["Name"]
            reply = {"Parameter": {"Name": name, "Type": "SecureString", "Value": "postgres://u:p@db.internal:5432/app", "Version": 1}}
        elif target == "AmazonSSM.GetParameters":
            reply = {"Parameters": [{"Name": n, "Type": "SecureString", "Value": "v", "Version": 1} for n in request["Names"]], "InvalidParameters": []}
        else:
            reply = {"__type": "UnknownOperationException"}
        data = json.dumps(reply).encode()
        self.send_response(200)
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
