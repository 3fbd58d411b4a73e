"""Four people saving one row at once under gunicorn: every save counts, none is lost."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.integration.servers import Server, serve  # noqa: F401 (serve is a fixture)

CLIENTS = 4
SECONDS = 10
HAMMER = Path(__file__).with_name("edit_hammer.py")


def test_concurrent_read_modify_write_loses_no_update(
    serve: Callable[[int], Server], read_back: Callable[..., Any], backend: str, passwords: dict[str, str]
) -> None:
    server = serve(2)  # gunicorn with 2 workers, as `make serve` runs it
    hero = read_back("SELECT id FROM hero WHERE name = 'Rusty-Man'")
    before = read_back("SELECT age FROM hero WHERE id = :id", id=hero)
    command = [sys.executable, str(HAMMER), server.url, "editor", passwords["editor"], str(hero), str(SECONDS)]
    clients = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True) for _ in range(CLIENTS)]
    results = [json.loads(client.communicate(timeout=SECONDS + 60)[0]) for client in clients]
    totals = {key: sum(result[key] for result in results) for key in results[0]}
    print(f"{backend}: {CLIENTS} clients x {SECONDS} s: {totals}")  # shown with -s / in the report

    assert totals["server_errors"] == 0
    assert totals["errors"] == 0
    assert totals["saved"] > 0
    assert read_back("SELECT age FROM hero WHERE id = :id", id=hero) == before + totals["saved"]
