"""A real HTTP receiver on loopback (``http.server`` in a thread) for the webhook tests: it
records every request it is sent and answers each with what ``answer`` says."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int  # what the receiver answered


class Receiver:
    def __init__(self, answer: Callable[[Received], int] = lambda request: 200) -> None:
        self.answer = answer
        self.received: list[Received] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                request = Received(self.path, dict(self.headers.items()), body, 0)
                with receiver.lock:
                    status = receiver.answer(request)
                    receiver.received.append(Received(request.path, request.headers, body, status))
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def failing(share: float, seed: int) -> Callable[[Received], int]:
    """Answers 500 to ``share`` of the requests, chosen by a seeded generator (the same run
    fails the same requests)."""
    rng = random.Random(seed)
    return lambda request: 500 if rng.random() < share else 200
