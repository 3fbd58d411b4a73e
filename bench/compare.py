"""Compare the list pages of two commits: ``python -m bench.compare REV [--rows 1000000] [--requests 300]``.

Serves the app of the working tree and the app as it was at REV (checked out into a git
worktree under bench/out/), side by side with the floor, each with gunicorn (2 sync workers)
on one copy of the benchmark's database, and sends each list scenario of ``python -m bench``
to the three in turns, request by request, so that all three meet the same drift of the
machine. Prints each page's median at REV and now, and each one's ratio to the floor. Three
servers taking turns give higher ratios than ``python -m bench``, where two do. Both commits
must read the same schema.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

from bench import client, data
from bench.__main__ import ACCOUNT, OUT, ROOT, prepare, scenarios, serve, stop, wait_until_up


def main(argv: list[str] | None = None) -> int:
    """Serve both commits and the floor, time every list scenario in turns, print the table."""
    parser = argparse.ArgumentParser(prog="python -m bench.compare", description=__doc__.splitlines()[0])
    parser.add_argument("rev", help="the commit to compare the working tree with (ca4b2fb, HEAD~3, …)")
    parser.add_argument("--rows", type=int, default=1_000_000, help="expenses in the database")
    parser.add_argument("--requests", type=int, default=300, help="rounds per scenario")
    parser.add_argument("--port", type=int, default=8775, help="first of three loopback ports to serve on")
    args = parser.parse_args(argv)
    before = checkout(args.rev)
    OUT.mkdir(parents=True, exist_ok=True)
    database = data.working_copy(args.rows, OUT)
    prepare(database)
    servers = [serve("bench.server:create()", args.port, database, before),
               serve("bench.server:create()", args.port + 1, database),
               serve("bench.floor:create()", args.port + 2, database)]
    try:
        wait_until_up(args.port, "/healthz")
        wait_until_up(args.port + 1, "/healthz")
        wait_until_up(args.port + 2, "/floor/first")
        old, new = (client.sign_in(port, *ACCOUNT) for port in (args.port, args.port + 1))
        planned, new = scenarios(args.rows, database, args.port + 1, new)
        print(f"| page ({args.rows:,} expenses) | at {args.rev} | now | × floor at {args.rev} | now |")
        print("|---|--:|--:|--:|--:|")
        for scenario in planned:
            if not scenario.list_page or scenario.floor is None or scenario.extra:
                continue
            floor = client.Request(scenario.floor)
            targets = [(args.port, scenario.request, old), (args.port + 1, scenario.request, new), (args.port + 2, floor, "")]
            client.alternate(*targets, count=20)  # warm up
            results = in_turns(targets, args.requests)
            failed = [failure for result in results for failure in result.failures]
            if failed:
                raise RuntimeError(f"{len(failed)} failed requests, e.g. {failed[0]}")
            was, now, bare = (statistics.median(result.latencies) * 1000 for result in results)
            print(f"| {scenario.name} | {was:.2f} ms | {now:.2f} ms | {was / bare:.2f} | {now / bare:.2f} |", flush=True)
    finally:
        for server in servers:
            stop(server)
    return 0


def in_turns(targets: list[tuple[int, client.Request, str]], rounds: int) -> list[client.Result]:
    """Time the two apps and the floor in turns, the apps swapping places for half the rounds.

    Whichever app is sent its request second in a round gains: served twice in place of
    each other, the same commit measured 0.15 times the floor faster second than first.
    """
    half = rounds // 2
    first = client.alternate(*targets, count=half)
    second = client.alternate(targets[1], targets[0], targets[2], count=rounds - half)
    second[0], second[1] = second[1], second[0]
    return [
        client.Result(a.latencies + b.latencies, a.statements + b.statements, a.cpu + b.cpu, a.failures + b.failures)
        for a, b in zip(first, second)
    ]


def checkout(rev: str) -> Path:
    """A worktree of ``rev`` under bench/out/, made on first use."""
    commit = subprocess.run(["git", "rev-parse", "--verify", f"{rev}^{{commit}}"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout.strip()
    path = OUT / f"compare-{commit[:12]}"
    if not path.exists():
        # Forget worktrees whose folders are gone (bench/out/ deleted by hand), then add this one.
        subprocess.run(["git", "worktree", "prune"], cwd=ROOT, check=True)
        subprocess.run(["git", "worktree", "add", "--detach", str(path), commit], cwd=ROOT, check=True,
                       capture_output=True)
    return path


if __name__ == "__main__":
    sys.exit(main())
