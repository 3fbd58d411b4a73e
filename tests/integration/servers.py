"""gunicorn servers for tests: ``scripts/serve`` (what ``make serve`` runs) on a free port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask

ROOT = Path(__file__).resolve().parents[2]
VENV = Path(sys.executable).parent.parent
START_SECONDS = 60
SECRET_KEY = "one-key-for-every-host"


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """``scripts/serve`` in its own process group, on a free port."""

    def __init__(self, database_url: str, log: Path, workers: int) -> None:
        self.database_url, self.log_path, self.workers = database_url, log, workers
        self.url = ""
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the server and wait until /healthz answers 200."""
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("WEBAPP_", "FLASK_", "GUNICORN_"))}
        env.update(
            DATABASE_URL=self.database_url,
            WORKERS=str(self.workers),
            HOST="127.0.0.1",
            PORT=str(port),
            VENV=str(VENV),
            WEBAPP_SECRET_KEY=SECRET_KEY,
        )
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [str(ROOT / "scripts" / "serve")], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
        self.stop()
        raise AssertionError(f"gunicorn did not start:\n{self.log_path.read_text()[-3000:]}")

    def worker_pids(self) -> list[int]:
        """The gunicorn workers: the master's child processes."""
        assert self.process is not None
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def stop(self) -> int | None:
        """Stop gracefully (SIGTERM to the master, which stops its workers); the exit status."""
        if self.process is None:
            return None
        process, self.process = self.process, None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                return process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        return process.returncode


@pytest.fixture
def serve(
    app: Flask, database_url: str, tmp_path: Path
) -> Iterator[Callable[[int], Server]]:
    """Start gunicorn servers on the run's freshly seeded database; stop them all afterwards."""
    if not (VENV / "bin" / "gunicorn").exists():
        pytest.skip("install the serve extra (pip install -e .[serve]) to test gunicorn")
    servers: list[Server] = []

    def start(workers: int) -> Server:
        server = Server(database_url, tmp_path / f"server{len(servers)}.log", workers)
        servers.append(server)
        server.start()
        return server

    yield start
    for server in servers:
        server.stop()
