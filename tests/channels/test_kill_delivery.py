"""Send-once survives `kill -9`: the server dies after Twilio took a reply but before it could
commit that, and the restarted server neither sends it again nor loses any reply."""

from __future__ import annotations

from pathlib import Path

from tests.fakes.twilio_api import FakeTwilio
from tests.servers.kill_run import kill_run


def test_a_kill_between_twilios_acceptance_and_our_commit_doubles_no_reply(
        db_url: str, tmp_path: Path, twilio_api: FakeTwilio) -> None:
    # what the killed server left unrouted is routed after 5 s, not the production minute
    result = kill_run(twilio_api, tmp_path, db_url, customers=12, kill_at=4, retry_seconds=5)
    assert result.killed, "the server was not killed mid-delivery"
    assert (result.duplicates, result.lost) == (0, 0), result
    assert result.delivered == result.expected == 12
