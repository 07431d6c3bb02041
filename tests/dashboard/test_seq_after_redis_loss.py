"""A dashboard's sequence numbers keep rising when Redis loses them (found by the soak: a flush late in the day)."""

import pytest

from dashboard import live
from dashboard.metrics import MANAGER

pytestmark = pytest.mark.django_db


def test_a_sequence_redis_lost_starts_above_every_number_already_sent():
    sent = [live.next_seq(MANAGER, "kpis") for _push in range(3)]
    assert sent == [sent[0], sent[0] + 1, sent[0] + 2]
    # when Redis loses the key (FLUSHALL, or a restart without its data)
    live.redis_client().delete(live._seq_key(MANAGER, "kpis"))
    after = live.next_seq(MANAGER, "kpis")
    # then the next push is above the last one sent, with a gap: a page re-reads the snapshot instead of
    # skipping every push from now on as "already applied"
    assert after > sent[-1] + 1
    assert live.current_seq(MANAGER, "kpis") == after
    assert live.next_seq(MANAGER, "kpis") == after + 1
    # and a snapshot read before any push already carries the number the next push counts from
    live.redis_client().delete(live._seq_key(MANAGER, "kpis"))
    snapshot_seq = live.current_seq(MANAGER, "kpis")
    assert snapshot_seq > after + 1
    assert live.next_seq(MANAGER, "kpis") == snapshot_seq + 1
