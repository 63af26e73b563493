"""A fault-injecting HTTP proxy in front of the emulator (test tooling).

``FaultProxy(upstream, rate=0.1, seed=8)`` listens on a free port of 127.0.0.1 and forwards every
request to UPSTREAM (the emulator; anything that is not a loopback address is refused) — except a
RATE share of them (seeded random), which it answers itself with an AWS-shaped error instead:

- throttling, in the shape of the request's protocol, so that botocore reads the error code it
  bases retries on: JSON and REST-JSON services ``{"__type": "ThrottlingException", ...}`` with the
  ``x-amzn-ErrorType`` header (400), Smithy RPC v2 CBOR (CloudWatch) the same map in CBOR, query
  services ``<ErrorResponse><Error><Code>Throttling</Code>`` (400), EC2
  ``<Response><Errors><Error><Code>RequestLimitExceeded</Code>`` (503, as EC2 sends it), S3
  ``<Error><Code>SlowDown</Code>`` (503), Route53 and CloudFront ``Throttling`` (400);
- ``InternalError`` with HTTP 500;
- ``ServiceUnavailable`` with HTTP 503.

A faulted request is never forwarded: the emulator did not see it, exactly as when AWS throttles
a call before acting on it. A retried create is then safe to repeat; what the proxy does not model
is a create that succeeded upstream but whose answer was lost (that is an interrupted run).

``proxy.counts`` holds the injected faults per kind (``throttling``, ``http500``, ``http503``) and
per error code; ``proxy.forwarded`` the requests passed through. Use it as a context manager, or
``start()`` / ``stop()``.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import random
import re
import threading
import uuid
from collections import Counter
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit

KINDS = ("throttling", "http500", "http503")
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
}
SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")
REST_XML = {"route53", "cloudfront"}
UPSTREAM_TIMEOUT_S = 120


def loopback_upstream(url: str) -> tuple[str, int]:
    """(host, port) of an http:// URL on a loopback address; anything else is refused."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname or not parts.port:
        raise ValueError(f"upstream must be http://<loopback address>:<port>, not {url!r}")
    try:
        address = ipaddress.ip_address(parts.hostname)
    except ValueError:
        raise ValueError(
            f"upstream must be a loopback IP address, not {parts.hostname!r}"
        ) from None
    if not address.is_loopback:
        raise ValueError(f"refusing a non-loopback upstream: {parts.hostname}")
    return parts.hostname, parts.port


def protocol_of(service: str, headers: Mapping[str, str], body: bytes) -> str:
    """The wire protocol of a request: ec2, query, json, cbor, s3, rest-xml or rest-json."""
    if headers.get("smithy-protocol", "").lower() == "rpc-v2-cbor":
        return "cbor"
    if headers.get("x-amz-target"):
        return "json"
    if service == "s3":
        return "s3"
    if service in REST_XML:
        return "rest-xml"
    content_type = headers.get("content-type", "")
    if "x-www-form-urlencoded" in content_type or body.startswith(b"Action="):
        return "ec2" if service == "ec2" else "query"
    return "rest-json"


def cbor_text_map(values: Mapping[str, str]) -> bytes:
    """A CBOR map of short text strings (all this proxy needs to say in CBOR)."""

    def head(major: int, length: int) -> bytes:
        if length < 24:
            return bytes([major << 5 | length])
        if length < 256:
            return bytes([major << 5 | 24, length])
        return bytes([major << 5 | 25]) + length.to_bytes(2, "big")

    out = head(5, len(values))
    for key, value in values.items():
        for text in (key.encode(), value.encode()):
            out += head(3, len(text)) + text
    return out


def error_response(protocol: str, kind: str) -> tuple[int, str, dict[str, str], bytes]:
    """(status, code, headers, body) of an injected fault of KIND for PROTOCOL."""
    request_id = str(uuid.uuid4())
    if kind == "throttling":
        status, code = {
            "ec2": (503, "RequestLimitExceeded"),
            "s3": (503, "SlowDown"),
            "query": (400, "Throttling"),
            "rest-xml": (400, "Throttling"),
        }.get(protocol, (400, "ThrottlingException"))
    elif kind == "http500":
        status, code = (
            500,
            "InternalFailure" if protocol in ("json", "rest-json", "cbor") else ("InternalError"),
        )
    else:
        status, code = 503, "ServiceUnavailable"
    message = f"injected by the fault proxy ({kind})"
    headers = {"x-amzn-RequestId": request_id}
    if protocol in ("json", "rest-json"):
        headers |= {"x-amzn-ErrorType": code, "Content-Type": "application/x-amz-json-1.1"}
        body = json.dumps({"__type": code, "message": message}).encode()
    elif protocol == "cbor":
        headers |= {"smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor"}
        body = cbor_text_map({"__type": code, "message": message})
    elif protocol == "ec2":
        headers["Content-Type"] = "text/xml"
        body = (
            f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error>"
            f"</Errors><RequestID>{request_id}</RequestID></Response>"
        ).encode()
    elif protocol == "s3":
        headers = {"x-amz-request-id": request_id, "Content-Type": "application/xml"}
        body = (
            f"<Error><Code>{code}</Code><Message>{message}</Message>"
            f"<RequestId>{request_id}</RequestId></Error>"
        ).encode()
    else:
        headers["Content-Type"] = "text/xml"
        side = "Sender" if status < 500 else "Receiver"
        body = (
            f"<ErrorResponse><Error><Type>{side}</Type><Code>{code}</Code>"
            f"<Message>{message}</Message></Error><RequestId>{request_id}</RequestId>"
            "</ErrorResponse>"
        ).encode()
    return status, code, headers, body


class FaultProxy:
    """A threaded proxy on 127.0.0.1 that fails a seeded share of requests (see module doc)."""

    def __init__(
        self,
        upstream: str,
        rate: float = 0.1,
        seed: int = 8,
        weights: Mapping[str, float] | None = None,
    ) -> None:
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"rate must be in [0, 1), not {rate}")
        self.upstream = loopback_upstream(upstream)
        self.rate = rate
        self.weights = dict(weights or {"throttling": 0.6, "http500": 0.2, "http503": 0.2})
        unknown = set(self.weights) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds: {sorted(unknown)}")
        self.counts: Counter[str] = Counter()
        self.forwarded = 0
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def injected(self) -> int:
        return sum(self.counts[kind] for kind in KINDS)

    def start(self) -> FaultProxy:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(timeout=10)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def draw(self) -> str | None:
        """The kind of fault to inject for the next request, or None to forward it."""
        with self._lock:
            if self._random.random() >= self.rate:
                self.forwarded += 1
                return None
            kinds, weights = zip(*self.weights.items(), strict=True)
            kind: str = self._random.choices(kinds, weights)[0]
            self.counts[kind] += 1
            return kind

    def record(self, code: str) -> None:
        with self._lock:
            self.counts[code] += 1

    def summary(self) -> dict[str, int]:
        with self._lock:
            return {"forwarded": self.forwarded, **dict(sorted(self.counts.items()))}

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                return

            def do_request(self) -> None:
                body = self.read_body()
                kind = proxy.draw()
                if kind is None:
                    self.forward(body)
                    return
                match = SCOPE.search(self.headers.get("Authorization", ""))
                service = match.group(1) if match else ""
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, code, extra, payload = error_response(
                    protocol_of(service, headers, body), kind
                )
                proxy.record(code)
                self.reply(status, extra, b"" if self.command == "HEAD" else payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_request

            def read_body(self) -> bytes:
                if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                    chunks = []
                    while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                    while self.rfile.readline().strip():
                        pass
                    return b"".join(chunks)
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def forward(self, body: bytes) -> None:
                host, port = proxy.upstream
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                headers["Host"] = f"{host}:{port}"
                if body or "content-length" in {k.lower() for k in headers}:
                    headers = {k: v for k, v in headers.items() if k.lower() != "content-length"}
                    headers["Content-Length"] = str(len(body))
                # one upstream connection per request: nothing half-sent is ever replayed
                upstream = http.client.HTTPConnection(host, port, timeout=UPSTREAM_TIMEOUT_S)
                try:
                    upstream.request(self.command, self.path, body, headers)
                    answer = upstream.getresponse()
                    payload = answer.read()
                finally:
                    upstream.close()
                out = {k: v for k, v in answer.getheaders() if k.lower() not in HOP_BY_HOP}
                self.reply(answer.status, out, payload, head=self.command == "HEAD")

            def reply(
                self, status: int, headers: Mapping[str, str], body: bytes, head: bool = False
            ) -> None:
                self.send_response_only(status)
                length = str(len(body))
                for key, value in headers.items():
                    if key.lower() == "content-length":
                        length = value if head else length
                    else:
                        self.send_header(key, value)
                self.send_header("Content-Length", length)
                self.end_headers()
                if body and not head:
                    self.wfile.write(body)

        return Handler
