"""Measure CSV export and import on a live server: rows, seconds and the server's peak memory.

    .venv/bin/python -m bench.export_import [--rows 10000 100000] [--url DATABASE_URL]

For each size it starts a fresh server (``flask run``) on a database holding that many demo
expenses, exports them all, then imports them back into an emptied table (upload, preview,
confirm). Memory is the server process's own: its resident size once warmed up, and its
high-water mark (VmHWM) over each step, reset before it. Flat memory means the peak does not grow with rows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from werkzeug.security import generate_password_hash

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password-1"


def main() -> None:
    """Run the measurements and print one line per step."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--url", help="a database URL (default: a new SQLite file)")
    args = parser.parse_args()
    print(f"{'step':<8} {'rows':>8} {'seconds':>8} {'rss MiB':>8} {'peak MiB':>9}  (server process)")
    for rows in args.rows:
        with tempfile.TemporaryDirectory() as folder:
            url = args.url or f"sqlite:///{Path(folder) / 'bench.sqlite'}"
            measure(url, rows, Path(folder))


def measure(url: str, rows: int, folder: Path) -> None:
    """Prepare the database, start a server, export, empty the table, import back."""
    prepare(url, rows)
    with create_engine(url).connect() as connection:
        rows = connection.execute(text("SELECT COUNT(*) FROM expenses")).scalar_one()  # with the demo's own
    server = Server(url, folder)
    try:
        client = Client(server.url)
        client.sign_in()
        client.get("/admin/expenses/")  # warm up: templates compiled, connections open
        base = server.reset_peak()
        started = time.perf_counter()
        size = client.download("/admin/expenses/export.csv?sort=id", folder / "export.csv")
        report("export", rows, time.perf_counter() - started, base, server.memory()["VmHWM"], f"{size / 2**20:.1f} MiB file")
        with create_engine(url).begin() as connection:
            connection.execute(text("DELETE FROM expenses"))
        base = server.reset_peak()
        started = time.perf_counter()
        job = client.upload("/admin/expenses/import", folder / "export.csv")
        page = client.wait(job)
        assert "import-ready" in page, page[-2000:]
        report("check", rows, time.perf_counter() - started, base, server.memory()["VmHWM"], "dry run, rolled back")
        base = server.reset_peak()
        started = time.perf_counter()
        client.post(job, {})
        page = client.wait(job)
        assert "import-done" in page, page[-2000:]
        report("import", rows, time.perf_counter() - started, base, server.memory()["VmHWM"], "committed")
        with create_engine(url).connect() as connection:
            assert connection.execute(text("SELECT COUNT(*) FROM expenses")).scalar() == rows
    finally:
        server.stop()


def report(step: str, rows: int, seconds: float, base: int, peak: int, note: str) -> None:
    """Print one measurement."""
    print(f"{step:<8} {rows:>8} {seconds:>8.2f} {base / 1024:>8.1f} {peak / 1024:>9.1f}  {note}", flush=True)


def prepare(url: str, rows: int) -> None:
    """Create the demo tables with an editor account and ``rows`` expenses."""
    sys.path.insert(0, str(ROOT))
    from webapp import accounts, create_app, demo
    from webapp.extensions import db
    from webapp.models import Account

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "SETUP_DATABASE": False, "TESTING": True})
    with app.app_context():
        demo.setup(reset=True)
        accounts.create_tables()
        db.session.add(Account(name="bench", password_hash=generate_password_hash(PASSWORD), role="editor"))
        db.session.commit()
        first = dt.date(2020, 1, 1)
        batch = [
            {"u": 1, "c": 1, "d": f"=Expense {n}" if n % 97 == 0 else f"Expense {n}",
             "a": f"{n % 1000}.{n % 100:02d}", "t": first + dt.timedelta(days=n % 1500)}
            for n in range(rows)
        ]
        db.session.execute(
            text("INSERT INTO expenses (user_id, category_id, description, amount, date) VALUES (:u, :c, :d, :a, :t)"),
            batch,
        )
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


class Server:
    """``flask run`` in a subprocess on a free port."""

    def __init__(self, url: str, folder: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "WEBAPP_"))}
        env.update(WEBAPP_DATABASE_URL=url, WEBAPP_SECRET_KEY="bench", WEBAPP_SETUP_DATABASE="false")
        self.log = (folder / "server.log").open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "webapp", "run", "--port", str(port)],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        self.url = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{self.url}/healthz", timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the server did not start")

    def memory(self) -> dict[str, int]:
        """The server's VmRSS and VmHWM, in KiB."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return {key: int(value.split()[0]) for key, value in re.findall(r"^(VmRSS|VmHWM):\s+(.*)$", status, re.M)}

    def reset_peak(self) -> int:
        """Start a new high-water mark (Linux: clear_refs 5); return the resident size now."""
        Path(f"/proc/{self.process.pid}/clear_refs").write_text("5")
        return self.memory()["VmRSS"]

    def stop(self) -> None:
        """Stop the server and wait for it."""
        self.process.terminate()
        self.process.wait(timeout=10)
        self.log.close()


class Client:
    """A signed-in browser, as far as the benchmark needs one."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.token = ""

    def get(self, path: str) -> str:
        """GET a page and remember its CSRF token."""
        with self.opener.open(self.base + path) as response:
            body: str = response.read().decode()
        found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', body)
        self.token = found.group(1) if found else self.token
        return body

    def post(self, path: str, data: dict[str, str]) -> Any:
        """POST a form with the CSRF token of the last page."""
        body = urllib.parse.urlencode({**data, "csrf_token": self.token}).encode()
        return self.opener.open(self.base + path, body)

    def sign_in(self) -> None:
        """Sign in as the bench editor."""
        self.get("/login")
        self.post("/login", {"name": "bench", "password": PASSWORD}).close()

    def download(self, path: str, target: Path) -> int:
        """Stream a download into ``target``; return its size."""
        with self.opener.open(self.base + path) as response, target.open("wb") as out:
            while chunk := response.read(65536):
                out.write(chunk)
        return target.stat().st_size

    def upload(self, path: str, source: Path) -> str:
        """Upload ``source`` as the form's file, streamed from disk; return the job's path."""
        self.get(path)
        boundary = "benchboundary7d1c"
        head = (
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{self.token}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{source.name}\"\r\n"
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        body = source.with_suffix(".multipart")
        with body.open("wb") as out, source.open("rb") as data:
            out.write(head)
            while chunk := data.read(65536):
                out.write(chunk)
            out.write(tail)
        with body.open("rb") as stream:
            request = urllib.request.Request(self.base + path, data=stream, method="POST")
            request.add_header("Content-Type", f"multipart/form-data; boundary={boundary}")
            request.add_header("Content-Length", str(body.stat().st_size))
            with self.opener.open(request) as response:
                return urllib.parse.urlsplit(response.url).path

    def wait(self, path: str) -> str:
        """Reload the job page until it stops showing progress."""
        while True:
            page = self.get(path)
            if 'data-testid="import-progress"' not in page:
                return page
            time.sleep(0.2)


if __name__ == "__main__":
    main()
