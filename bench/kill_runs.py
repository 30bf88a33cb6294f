"""Kill runs: `atiende serve` killed (SIGKILL) after the fake Twilio took a reply but before the
server heard so, then restarted on the same database, N times. Prints one line:
runs, replies expected, delivered, duplicates, lost. Target: 0 duplicates, 0 lost.

    .venv/bin/python bench/kill_runs.py [--runs 20] [--customers 10] [--db-url URL]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fakes.clients import ACCOUNT_SID, AUTH_TOKEN
from tests.fakes.loopback import LoopbackServer
from tests.fakes.twilio_api import FakeTwilio
from tests.servers.kill_run import kill_run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--customers", type=int, default=10)
    parser.add_argument("--db-url", help="default: a fresh SQLite file per run")
    args = parser.parse_args()
    fake = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN)
    totals = {"expected": 0, "delivered": 0, "duplicates": 0, "lost": 0, "killed": 0}
    pick = random.Random(14)
    with LoopbackServer(fake.app()) as server:
        fake.url = server.url
        for run in range(args.runs):
            with tempfile.TemporaryDirectory() as folder:
                url = args.db_url or f"sqlite:///{Path(folder) / 'kill.db'}"
                result = kill_run(fake, Path(folder), url, customers=args.customers,
                                  kill_at=pick.randint(1, args.customers), settle=2.0)
            for key in totals:
                totals[key] += int(getattr(result, key))
            print(f"  run {run + 1}: {result}", file=sys.stderr, flush=True)
    print(f"runs {args.runs}, replies expected {totals['expected']}, delivered "
          f"{totals['delivered']}, duplicates {totals['duplicates']}, lost {totals['lost']} "
          f"(killed mid-delivery in {totals['killed']} runs)")


if __name__ == "__main__":
    main()
