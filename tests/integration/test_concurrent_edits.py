"""Four people saving one row at once under gunicorn: every save counts, none is lost."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

CLIENTS = 4
SECONDS = 10
HAMMER = Path(__file__).with_name("edit_hammer.py")


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def gunicorn(app: Flask, database_url: str, tmp_path: Path) -> Iterator[str]:
    """Serve the test database with gunicorn (2 workers) on a free port; yield its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "WEBAPP_DATABASE_URL": database_url,
        "WEBAPP_SECRET_KEY": "concurrency-test",
        "WEBAPP_SETUP_DATABASE": "false",  # the app fixture made and seeded the tables
    }
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}", "webapp:create_app()"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base, server)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


def wait_until_healthy(base: str, server: subprocess.Popen[bytes]) -> None:
    """Poll /healthz for up to 20 s; fail if the server exits or never answers."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"gunicorn exited with {server.returncode}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:  # refused, reset or timed out while the workers boot
            time.sleep(0.2)
    pytest.fail("gunicorn did not answer /healthz within 20 s")


def test_concurrent_read_modify_write_loses_no_update(
    gunicorn: str, read_back: Callable[..., Any], backend: str, passwords: dict[str, str]
) -> None:
    hero = read_back("SELECT id FROM hero WHERE name = 'Rusty-Man'")
    before = read_back("SELECT age FROM hero WHERE id = :id", id=hero)
    command = [sys.executable, str(HAMMER), gunicorn, "editor", passwords["editor"], str(hero), str(SECONDS)]
    clients = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True) for _ in range(CLIENTS)]
    results = [json.loads(client.communicate(timeout=SECONDS + 60)[0]) for client in clients]
    totals = {key: sum(result[key] for result in results) for key in results[0]}
    print(f"{backend}: {CLIENTS} clients x {SECONDS} s: {totals}")  # shown with -s / in the report

    assert totals["server_errors"] == 0
    assert totals["errors"] == 0
    assert totals["saved"] > 0
    assert read_back("SELECT age FROM hero WHERE id = :id", id=hero) == before + totals["saved"]
