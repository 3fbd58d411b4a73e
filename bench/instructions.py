"""Count the instructions a page costs: ``python -m bench.instructions [--rows 1000000] PATH...``.

Latency on a shared machine drifts by a third within minutes; the number of instructions a
request runs does not. For each path, the app runs in one process on a copy of the
benchmark's database, signed in with Flask's test client, under ``valgrind --tool=callgrind``
twice: once with 20 requests of the path and once with 60, each after 20 to warm up. The
difference, divided by 40, is what one request runs, start-up left out. ``floor:NAME`` counts
the floor's page NAME (``floor:first``, ``floor:search``). Needs valgrind (Debian's package).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from bench import data
from bench.__main__ import CATEGORY, OUT, ROOT, SECRET, prepare

WARM_UP, FEWER, MORE = 20, 20, 60
COLLECTED = re.compile(r"Collected : (\d+)")
FLOOR_ARGS = {"search": f"?pattern=%25{data.SEARCH_WORD}%25", "filter": f"?category={CATEGORY}"}


def main(argv: list[str] | None = None) -> int:
    """Count each path's instructions per request and print them."""
    parser = argparse.ArgumentParser(prog="python -m bench.instructions", description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", help="pages of the app (/admin/expenses/?q=umbrella) or floor:NAME")
    parser.add_argument("--rows", type=int, default=1_000_000, help="expenses in the database")
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (Debian: apt-get install valgrind)", file=sys.stderr)
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    database = data.working_copy(args.rows, OUT)
    prepare(database)
    for path in args.paths:
        fewer, more = (collected(path, database, count) for count in (FEWER, MORE))
        print(f"{(more - fewer) / (MORE - FEWER) / 1e6:7.2f} million instructions  {path}", flush=True)
    return 0


def collected(path: str, database: Path, count: int) -> int:
    """The instructions valgrind counted for a process that sends ``count`` requests of ``path``."""
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
               sys.executable, "-m", "bench.instructions", "--send", path, str(database), str(count)]
    environment = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": str(ROOT)}
    finished = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, check=True)
    found = COLLECTED.search(finished.stderr)
    if found is None:
        raise RuntimeError(f"valgrind counted nothing: {finished.stderr[-500:]}")
    return int(found.group(1))


def send(path: str, database: str, count: int) -> None:
    """Inside valgrind: sign in, warm up, then send ``count`` requests of ``path``."""
    request = sender(path, database)
    for _ in range(WARM_UP + count):
        request()


def sender(path: str, database: str) -> Callable[[], None]:
    """A function that sends one request of ``path`` (a page of the app, signed in, or
    floor:NAME) through Flask's test client, and checks that it was answered."""
    if path.startswith("floor:"):
        from bench import floor

        os.environ["BENCH_DATABASE"] = database
        name = path.removeprefix("floor:")
        client, url = floor.create().test_client(), f"/floor/{name}{FLOOR_ARGS.get(name, '')}"
    else:
        from bench.servers import sign_in
        from webapp import create_app

        client, url = create_app({"DATABASE_URL": f"sqlite:///{database}", "SECRET_KEY": SECRET}).test_client(), path
        sign_in(client)

    def send() -> None:
        status = client.get(url).status_code
        assert status == 200, f"{url} answered {status}"

    return send


if __name__ == "__main__":
    if sys.argv[1:2] == ["--send"]:
        send(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        sys.exit(main())
