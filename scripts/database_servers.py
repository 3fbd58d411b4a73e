"""Make sure the test database servers answer; start a stopped local one. CI runs this.

For each of ``WEBAPP_TEST_POSTGRESQL_URL`` and ``WEBAPP_TEST_MARIADB_URL``: connect; if the
server refuses and it is on this machine, start it with the Debian command for it and wait.
Exit 1, saying which server and why, when one still cannot be reached: CI must test every
backend, never skip one quietly.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.pool import NullPool

SERVERS = {"postgresql": "WEBAPP_TEST_POSTGRESQL_URL", "mariadb": "WEBAPP_TEST_MARIADB_URL"}
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", None}
WAIT_SECONDS = 60


def main() -> int:
    """Check every configured server; start the stopped local ones. Return the exit status."""
    failed = []
    for name, variable in SERVERS.items():
        url = os.environ.get(variable)
        if not url:
            failed.append(f"{name}: set {variable}")
            continue
        problem = ensure(name, url)
        if problem:
            failed.append(f"{name} at {make_url(url).render_as_string()}: {problem}")
        else:
            print(f"{name}: answering at {make_url(url).render_as_string()}", flush=True)
    for line in failed:
        print(f"DATABASE SERVER UNAVAILABLE: {line}", file=sys.stderr)
    return 1 if failed else 0


def ensure(name: str, url: str) -> str | None:
    """None when the server answers (after starting it if need be), else why it does not."""
    problem = reach(url)
    if problem is None:
        return None
    if make_url(url).host not in LOCAL_HOSTS:
        return problem  # not ours to start
    command = start_command(name)
    if command is None:
        return f"{problem} (and no local {name} server to start)"
    print(f"{name}: not answering ({problem}); starting it: {' '.join(command)}", flush=True)
    prepare(name)
    started = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if started.returncode != 0:
        return f"could not start it: {(started.stderr or started.stdout).strip()}"
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        problem = reach(url)
        if problem is None:
            return None
        time.sleep(1)
    return f"still not answering {WAIT_SECONDS} s after starting: {problem}"


def reach(url: str) -> str | None:
    """None when ``url`` accepts a connection and a query, else the driver's first line."""
    engine = create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except (OperationalError, InterfaceError) as exc:
        return str(exc.orig or exc).strip().splitlines()[0]
    finally:
        engine.dispose()
    return None


def start_command(name: str) -> list[str] | None:
    """The command that starts the local server on a Debian machine, if it is installed."""
    if name == "postgresql":
        clusters = sorted(Path("/etc/postgresql").glob("*/main"))
        if not clusters or not shutil.which("pg_ctlcluster"):
            return None
        version = clusters[-1].parent.name
        return ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"]
    daemon = Path("/usr/sbin/mariadbd")
    if not daemon.exists() or not shutil.which("start-stop-daemon"):
        return None
    return ["start-stop-daemon", "--start", "--oknodo", "--background", "--exec", str(daemon)]


def prepare(name: str) -> None:
    """Create the socket directory MariaDB expects, which only its service script makes."""
    run = Path("/run/mysqld")
    if name == "mariadb" and not run.exists() and shutil.which("install"):
        subprocess.run(["install", "-d", "-o", "mysql", "-g", "mysql", str(run)], check=False, timeout=10)


if __name__ == "__main__":
    sys.exit(main())
