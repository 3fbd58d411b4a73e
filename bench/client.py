"""A small HTTP load client: one or more processes, each sending requests one at a time."""

from __future__ import annotations

import http.client
import multiprocessing
import re
import statistics
import time
import urllib.parse
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Request:
    """One request to send; ``expect`` is the status that counts as success."""

    path: str
    method: str = "GET"
    form: tuple[tuple[str, str], ...] = ()
    expect: int = 200


@dataclass
class Result:
    """What a run of requests measured."""

    latencies: list[float] = field(default_factory=list)  # seconds
    statements: list[tuple[int, int, int]] = field(default_factory=list)  # all, page, sign-in
    cpu: list[float] = field(default_factory=list)  # the server's CPU seconds per request
    failures: list[str] = field(default_factory=list)
    wall: float = 0.0

    @property
    def median_ms(self) -> float:
        """Median latency in milliseconds."""
        return statistics.median(self.latencies) * 1000

    @property
    def cpu_ms(self) -> float:
        """Median CPU time the server spent per request, in milliseconds."""
        return statistics.median(self.cpu) * 1000 if self.cpu else 0.0

    @property
    def p99_ms(self) -> float:
        """99th percentile latency in milliseconds."""
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))] * 1000

    @property
    def per_second(self) -> float:
        """Completed requests per second of wall time."""
        return len(self.latencies) / self.wall if self.wall else 0.0


def send(port: int, request: Request, cookie: str = "") -> tuple[int, dict[str, str], bytes, float]:
    """Send one request on a new connection; return status, headers, body and latency."""
    body = urllib.parse.urlencode(request.form).encode() if request.form else None
    headers = {"Cookie": cookie} if cookie else {}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(request.method, request.path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        elapsed = time.perf_counter() - started
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data, elapsed
    finally:
        connection.close()


def _record(result: Result, port: int, request: Request, cookie: str) -> None:
    """Send one request and add what it measured to ``result``."""
    status, headers, data, elapsed = send(port, request, cookie)
    result.latencies.append(elapsed)
    if status != request.expect:
        result.failures.append(f"{request.method} {request.path}: {status} {data[:200]!r}")
    result.cpu.append(int(headers.get("x-bench-cpu-us", "0")) / 1e6)
    result.statements.append(
        tuple(int(headers.get(name, "0")) for name in (
            "x-bench-statements", "x-bench-page-statements", "x-bench-sign-in-statements"))  # type: ignore[misc]
    )


def _client(args: tuple[int, Request, str, int]) -> Result:
    """One client: ``count`` requests in a row."""
    port, request, cookie, count = args
    result = Result()
    started = time.perf_counter()
    for _ in range(count):
        _record(result, port, request, cookie)
    result.wall = time.perf_counter() - started
    return result


def alternate(*targets: tuple[int, Request, str], count: int) -> list[Result]:
    """One client sending ``count`` requests to each (port, request, cookie) target in turn.

    The machine's speed drifts by a third within minutes; taking turns makes every server
    meet the same drift, so the ratio of their medians does not depend on when each ran.
    """
    results = [Result() for _ in targets]
    for _ in range(count):
        for result, (port, request, cookie) in zip(results, targets):
            started = time.perf_counter()
            _record(result, port, request, cookie)
            result.wall += time.perf_counter() - started
    return results


def run(port: int, request: Request, total: int, clients: int, cookie: str = "") -> Result:
    """Send ``total`` requests from ``clients`` concurrent clients (processes, so no GIL is shared)."""
    each = max(1, total // clients)
    if clients == 1:
        return _client((port, request, cookie, each))
    with multiprocessing.get_context("fork").Pool(clients) as pool:
        started = time.perf_counter()
        parts = pool.map(_client, [(port, request, cookie, each)] * clients)
        wall = time.perf_counter() - started
    merged = Result(wall=wall)
    for part in parts:
        merged.latencies += part.latencies
        merged.statements += part.statements
        merged.cpu += part.cpu
        merged.failures += part.failures
    return merged


def csrf_token(html: bytes) -> str:
    """The CSRF token a form carries."""
    match = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        rb'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    if match is None:
        raise RuntimeError("the form carries no CSRF token")
    return match.group(1).decode()


def sign_in(port: int, name: str, password: str) -> str:
    """Sign in through the login form and return the session cookie ('' when there is no sign-in)."""
    status, headers, _body, _ = send(port, Request("/admin/"))
    if status == 200:
        return ""
    status, headers, body, _ = send(port, Request("/login"))
    cookie = headers.get("set-cookie", "").split(";")[0]
    form = (("name", name), ("password", password), ("csrf_token", csrf_token(body)), ("next", ""))
    status, headers, body, _ = send(port, Request("/login", "POST", form, 303), cookie)
    if status != 303:
        raise RuntimeError(f"signing in answered {status}: {body[:300]!r}")
    return headers.get("set-cookie", cookie).split(";")[0]
