"""A Web Push service on this machine (RFC 8030): the browser vendor's is outside it.

It keeps every POST the server makes (headers lower-cased, the encrypted body) and answers the
status the test chooses: 201 as a live subscription, 410 as one the phone gave up.
"""

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer


class LocalPushService:
    def __init__(self, *, status: int = 201, path: str = "/push/device-1") -> None:
        self.received: list[tuple[dict, bytes]] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append(({key.lower(): value for key, value in self.headers.items()}, body))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}{path}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "LocalPushService":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
