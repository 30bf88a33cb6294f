"""Benchmark: CPU time routing costs per message, in process, one line.

`--messages` WhatsApp messages from `--numbers` senders taking turns (a sender's first message
opens a ticket, the later ones find it) are stored as the webhooks store them, then routed
as the server routes them (batches of one message per sender). Only routing is timed, in
CPU seconds of this process: a busy machine slows the wall clock, much less this figure. The
clock is fixed at `--hour` (UTC): office hours or not changes what a turn does.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.webhook_throughput import message_texts  # noqa: E402
from bot.app import Runtime, build_runtime, warm_up  # noqa: E402
from bot.config.root import load_config  # noqa: E402
from bot.engine.inbox import Accepted  # noqa: E402
from bot.engine.pipeline import STORE_BATCH, PendingStore, route_stored, store_together  # noqa: E402
from bot.serve import settle_heap  # noqa: E402
from channels.base import InboundMessage  # noqa: E402
from scheduler.clock import FixedClock  # noqa: E402


def stored_messages(runtime: Runtime, clock: FixedClock, count: int,
                    numbers: int, varied: bool, first: int = 0) -> list[Accepted]:
    texts = message_texts(count, varied, first)
    inbound = [InboundMessage(channel="whatsapp", provider_message_id=f"SM{first + n:032x}",
                              sender=f"whatsapp:+57300{n % numbers:07d}",
                              text=texts[n], received_at=clock.now(),
                              sender_name="Ana") for n in range(count)]
    stored: list[Accepted] = []
    for start in range(0, count, STORE_BATCH):
        batch = [PendingStore(runtime.factory, runtime.ctx, message, None, None)
                 for message in inbound[start:start + STORE_BATCH]]
        outcomes = store_together(batch)
        for outcome in outcomes:
            if not isinstance(outcome, Accepted):
                sys.exit(f"route_cpu: storing failed: {outcome}")
        stored.extend(outcomes)   # type: ignore[arg-type]
    return stored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--numbers", type=int, default=300)
    parser.add_argument("--hour", type=int, default=15, help="UTC hour of the fixed clock")
    parser.add_argument("--varied", action="store_true",
                        help="every message a different text (default: 4 texts taking turns)")
    parser.add_argument("--history", type=int, default=0, metavar="N",
                        help="first route N earlier messages from the same numbers, untimed "
                             "(a desk with history: tickets, transcripts, sent replies)")
    parser.add_argument("--profile", type=int, metavar="N", default=0,
                        help="print the N functions with the most cumulative time")
    parser.add_argument("--sort", default="cumulative", choices=("cumulative", "tottime"),
                        help="what --profile orders by: cumulative, or own time (tottime)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        base = load_config(REPO / "config.yaml", environ={})
        config = base.model_copy(update={"database": base.database.model_copy(
            update={"url": f"sqlite:///{Path(folder) / 'route.db'}"})})
        clock = FixedClock(datetime(2026, 12, 2, args.hour, 0, tzinfo=UTC))
        runtime = build_runtime(config, clock)
        try:
            warm_up(runtime)
            if args.history:
                route_stored(runtime.factory, runtime.ctx, stored_messages(
                    runtime, clock, args.history, args.numbers, False, first=10**9))
            stored = stored_messages(runtime, clock, args.messages, args.numbers, args.varied)
            settle_heap()
            profile = cProfile.Profile() if args.profile else None
            began = time.process_time()
            if profile:
                profile.enable()
            routed = route_stored(runtime.factory, runtime.ctx, stored)
            if profile:
                profile.disable()
            cpu = time.process_time() - began
        finally:
            runtime.engine.dispose()
    print(f"route_cpu: {cpu * 1000 / args.messages:.3f} ms CPU a message routed "
          f"({len(routed)} of {args.messages} from {args.numbers} numbers, SQLite, "
          f"{'varied' if args.varied else '4'} texts, {args.history} before, "
          f"clock {args.hour:02d}:00 UTC"
          f"{', profiled' if profile else ''})")
    if profile:
        pstats.Stats(profile).sort_stats(args.sort).print_stats(args.profile)


if __name__ == "__main__":
    main()
