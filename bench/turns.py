"""Time pages in one process, in turns: ``python -m bench.turns [--rows N] PATH... floor:NAME``.

The app and the floor run side by side in this process, each behind Flask's test client,
and each round sends one request of every path in the order given. Taking turns, all the
paths meet the same drift of the machine; each page's median time is printed with its ratio
to the last path's, request by request. Instruction counts (``bench.instructions``) are
steadier but miss what the time is spent waiting for; this follows the benchmark's ratios
closely, without gunicorn, a client or other processes between the requests.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from bench import data
from bench.__main__ import OUT, prepare
from bench.instructions import sender

WARM_UP = 30


def main(argv: list[str] | None = None) -> int:
    """Time each path in turns and print its median and its ratio to the last path."""
    parser = argparse.ArgumentParser(prog="python -m bench.turns", description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", help="pages of the app (/admin/expenses/?q=umbrella) or floor:NAME")
    parser.add_argument("--rows", type=int, default=1_000_000, help="expenses in the database")
    parser.add_argument("--rounds", type=int, default=500, help="requests of each path")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    database = data.working_copy(args.rows, OUT)
    prepare(database)
    senders = [sender(path, str(database)) for path in args.paths]
    for _ in range(WARM_UP):
        for send in senders:
            send()
    times: list[list[float]] = [[] for _ in senders]
    for _ in range(args.rounds):
        for send, taken in zip(senders, times):
            started = time.perf_counter()
            send()
            taken.append(time.perf_counter() - started)
    last = times[-1]
    for path, taken in zip(args.paths, times):
        ratio = statistics.median(mine / theirs for mine, theirs in zip(taken, last))
        print(f"{statistics.median(taken) * 1000:7.3f} ms  {ratio:5.2f} × the last  {path}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
