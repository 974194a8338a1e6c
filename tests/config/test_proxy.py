"""Production behind a TLS proxy: the real `tenure serve` (waitress) in production mode, with a
real reverse proxy in front of it that says the client came over https, as nginx or Caddy do.

The proxy here forwards plain http (the TLS part of a real proxy changes nothing the server
sees) and sets X-Forwarded-Proto and X-Forwarded-For. Clients connect from different loopback
addresses (127.0.0.2, 127.0.0.3, ...) so that the server can tell them from the proxy.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode

import pytest
from axes.models import AccessAttempt

from tests.factories import PASSWORD, make_user

SECRET = "kq3V9wZ2-Ea8T_mLr5Yc1Nx7Hd0Pj4UgBs6Wf2Ro9Ki3Mv8Qt1Zy5Xa7Cn0Le4Gb"
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Proxy(BaseHTTPRequestHandler):
    """Forward a request to the server as a TLS-terminating proxy would."""

    upstream_port: int
    scheme: str  # what the proxy says the client used

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        # Set, not passed through: a client's own X-Forwarded-Proto must not reach the server.
        headers["X-Forwarded-Proto"] = self.scheme
        seen = self.headers.get("X-Forwarded-For")
        client = self.client_address[0]
        headers["X-Forwarded-For"] = f"{seen}, {client}" if seen else client
        upstream = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=30)
        try:
            upstream.request(self.command, self.path, body=body, headers=headers)
            answer = upstream.getresponse()
            payload = answer.read()
            self.send_response(answer.status)
            for name, value in answer.getheaders():
                if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        finally:
            upstream.close()

    do_GET = do_POST = do_HEAD = _forward

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


@dataclass
class Proxied:
    server_port: int
    proxy_port: int
    server: subprocess.Popen[bytes]


def _start_proxy(upstream_port: int, scheme: str) -> tuple[ThreadingHTTPServer, int]:
    handler = type("Proxy", (_Proxy,), {"upstream_port": upstream_port, "scheme": scheme})
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    return proxy, proxy.server_address[1]


def _wait_until_listening(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if server.poll() is not None:
                output = server.stdout.read().decode() if server.stdout else ""
                pytest.fail(f"tenure serve stopped with {server.returncode}:\n{output}")
            if time.monotonic() > deadline:
                pytest.fail("tenure serve did not listen within 60 s")
            time.sleep(0.2)


@pytest.fixture
def production(database_url, tmp_path) -> Iterator[Proxied]:
    """`tenure serve` in production mode behind a proxy, the proxy saying https."""
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("TENURE_") and key != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    env.update(
        TENURE_DATABASE_URL=database_url,
        TENURE_DATA_DIR=str(tmp_path),
        TENURE_PRODUCTION="1",
        TENURE_BEHIND_PROXY="1",
        TENURE_SECRET_KEY=SECRET,
        TENURE_ALLOWED_HOSTS="127.0.0.1",
    )  # TENURE_TRUSTED_PROXY left out: 127.0.0.1 by default
    server = subprocess.Popen(
        [sys.executable, "-m", "tenure", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    proxy, proxy_port = _start_proxy(port, "https")
    try:
        _wait_until_listening(port, server)
        yield Proxied(server_port=port, proxy_port=proxy_port, server=server)
    finally:
        proxy.shutdown()
        proxy.server_close()
        server.terminate()
        server.wait(timeout=20)


def _request(
    port: int,
    path: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: str | None = None,
    source: str = "127.0.0.2",
) -> http.client.HTTPResponse:
    """One request from the loopback address ``source`` (a browser somewhere, not the proxy)."""
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=30, source_address=(source, 0)
    )
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def _cookies(response: http.client.HTTPResponse) -> dict[str, str]:
    """name -> the whole Set-Cookie line."""
    return {
        line.split("=", 1)[0]: line
        for name, line in response.getheaders()
        if name.lower() == "set-cookie"
    }


def test_https_through_the_proxy_answers_200_not_a_redirect(production):
    response = _request(production.proxy_port, "/login/")
    assert response.status == 200, response.getheaders()
    assert response.getheader("Strict-Transport-Security", "").startswith("max-age=31536000")
    # request.is_secure() held: the CSRF cookie is a Secure __Host- cookie.
    csrf = _cookies(response)["__Host-tenure_csrf"]
    assert "Secure" in csrf and "Path=/" in csrf and "Domain" not in csrf


def test_plain_http_is_redirected_to_https(production):
    direct = _request(production.server_port, "/login/")
    assert direct.status == 301
    assert direct.getheader("Location") == f"https://127.0.0.1:{production.server_port}/login/"
    # The same through a proxy that says the client used plain http.
    proxy, proxy_port = _start_proxy(production.server_port, "http")
    try:
        said_http = _request(proxy_port, "/login/")
    finally:
        proxy.shutdown()
        proxy.server_close()
    assert said_http.status == 301
    assert said_http.getheader("Location") == f"https://127.0.0.1:{proxy_port}/login/"


def test_a_client_cannot_claim_https_itself(production):
    # Straight to the server from an address that is not the trusted proxy: waitress removes
    # the header, so the claim changes nothing.
    forged = _request(production.server_port, "/login/", headers={"X-Forwarded-Proto": "https"})
    assert forged.status == 301


def test_log_in_over_https_through_the_proxy(production):
    user = make_user(username="mia")
    user.set_password(PASSWORD)  # the server's own hasher (the tests' MD5 is not in its list)
    user.save()
    port = production.proxy_port
    origin = f"https://127.0.0.1:{port}"

    login_page = _request(port, "/login/")
    csrf_cookie = _cookies(login_page)["__Host-tenure_csrf"].split(";")[0]
    token = csrf_cookie.split("=", 1)[1]
    form = urlencode(
        {"username": "mia", "password": PASSWORD, "csrfmiddlewaretoken": token, "next": ""}
    )
    # Django's CSRF check on an https request compares the Origin with https://<host>: it
    # passes only when the request is known to be secure.
    signed_in = _request(
        port,
        "/login/",
        method="POST",
        body=form,
        headers={
            "Cookie": csrf_cookie,
            "Origin": origin,
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    assert signed_in.status == 302, signed_in.getheaders()
    session = _cookies(signed_in)["__Host-tenure_session"]
    assert "Secure" in session and "HttpOnly" in session and "SameSite=Lax" in session

    page = _request(port, "/customers/", headers={"Cookie": session.split(";")[0]})
    assert page.status == 200


def test_the_lockout_counts_each_client_address_not_the_proxys(production):
    make_user(username="mia")
    port = production.proxy_port
    for source in ("127.0.0.3", "127.0.0.4"):
        page = _request(port, "/login/", source=source)
        csrf_cookie = _cookies(page)["__Host-tenure_csrf"].split(";")[0]
        form = urlencode(
            {
                "username": "mia",
                "password": "wrong-password-here",
                "csrfmiddlewaretoken": csrf_cookie.split("=", 1)[1],
            }
        )
        refused = _request(
            port,
            "/login/",
            method="POST",
            body=form,
            source=source,
            headers={
                "Cookie": csrf_cookie,
                "Origin": f"https://127.0.0.1:{port}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        assert refused.status == 200  # the form again, with its error
    addresses = set(AccessAttempt.objects.values_list("ip_address", flat=True))
    assert addresses == {"127.0.0.3", "127.0.0.4"}
