"""Loopback fakes speaking OSRM's `/table/v1/driving/…` and Nominatim's `/search` HTTP APIs."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def _send(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        url = urlsplit(self.path)  # not urlparse: it would cut OSRM's ";" lists as path params
        query = parse_qs(url.query)
        self.server.requests.append((url.path, query, dict(self.headers)))
        if url.path.startswith("/table/v1/driving/"):
            self._table(url.path.removeprefix("/table/v1/driving/"), query)
        elif url.path == "/search":
            self._search(query)
        else:
            self._send(404, {"code": "InvalidUrl", "message": "URL string malformed close to position 1"})

    def _table(self, coordinates: str, query: dict) -> None:
        try:
            points = [tuple(float(v) for v in pair.split(",")) for pair in coordinates.split(";")]
        except ValueError:
            self._send(400, {"code": "InvalidQuery", "message": "Query string malformed close to position 0"})
            return
        if self.server.unreachable:
            self._send(
                200,
                {
                    "code": "Ok",
                    "durations": [[None] * len(points)] * len(points),
                    "distances": [[None] * len(points)] * len(points),
                },
            )
            return

        # Manhattan metres on a local plane: not the straight line, so the test can tell the sources apart.
        def metres(a, b):
            return abs(a[0] - b[0]) * 100_700 + abs(a[1] - b[1]) * 111_000

        annotations = query.get("annotations", ["duration"])[0].split(",")
        body = {
            "code": "Ok",
            "sources": [{"location": list(p)} for p in points],
            "destinations": [{"location": list(p)} for p in points],
        }
        if "duration" in annotations:
            body["durations"] = [[round(metres(a, b) / 8.0, 1) for b in points] for a in points]
        if "distance" in annotations:
            body["distances"] = [[round(metres(a, b), 1) for b in points] for a in points]
        self._send(200, body)

    def _search(self, query: dict) -> None:
        if query.get("format") != ["jsonv2"]:
            self._send(400, {"error": {"code": 400, "message": "Parameter 'format' must be one of ..."}})
            return
        address = query.get("q", [""])[0]
        place = self.server.places.get(address)
        if place is None:
            self._send(200, [])
            return
        self._send(
            200,
            [
                {
                    "place_id": 1,
                    "lat": f"{place[0]:.7f}",
                    "lon": f"{place[1]:.7f}",
                    "display_name": address,
                    "importance": 0.5,
                }
            ],
        )


class FakeServer:
    def __init__(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.requests = []
        self.server.places = {}
        self.server.unreachable = False
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakeServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
