"""`sms_send` on the embedded default (`make run`: SQLite, debug, no REDIS_URL) with a provider
configured: limits and circuit breakers are kept in process, and the message reaches the handset.
"""

import subprocess
import sys
from pathlib import Path

from tests.project.test_embedded_default import embedded_environment
from tests.servers import ROOT
from tests.sms.fakes import MITAKE_PASSWORD, MITAKE_USER, FakeMitake


def test_sms_send_without_redis_sends_through_the_provider_with_in_process_limits(tmp_path: Path) -> None:
    # given: `make run`'s environment with Mitake configured, pointing at a fake speaking its protocol
    mitake = FakeMitake()
    try:
        env = {
            **embedded_environment(tmp_path / "db.sqlite3"),
            "SMS_REDIS_URL": "",
            "SMS_MITAKE_BASE_URL": mitake.base_url,
            "SMS_MITAKE_USERNAME": MITAKE_USER,
            "SMS_MITAKE_PASSWORD": MITAKE_PASSWORD,
        }
        manage = [sys.executable, str(ROOT / "manage.py")]
        migrate = subprocess.run(
            [*manage, "migrate", "--no-input", "-v0"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
        )
        assert migrate.returncode == 0, migrate.stderr

        # when
        result = subprocess.run(
            [*manage, "sms_send", "--to", "0912345678", "--body", "瓦斯已送達", "--wait", "20"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

        # then: no traceback, the provider accepted it, and exactly one SMS reached the handset
        assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
        assert "Traceback" not in result.stderr
        assert result.stdout.strip().splitlines()[-1].endswith("via mitake")
        assert " status accepted " in result.stdout.strip().splitlines()[-1]
        assert mitake.handset_count("0912345678") == 1
    finally:
        mitake.stop()


def test_without_redis_the_circuit_opens_lets_one_probe_through_and_closes_on_success(settings, monkeypatch) -> None:
    # given: no Redis, as on the embedded default
    import datetime

    from sms import limits

    settings.REDIS_URL = ""
    monkeypatch.delenv("SMS_REDIS_URL", raising=False)
    limits.local_breaker.reset()
    start = datetime.datetime(2026, 12, 4, 12, 0, tzinfo=datetime.UTC)

    # when: three failures in a row
    states = [
        limits.circuit_record(provider="mitake", is_success=False, threshold=3, cooldown_seconds=60, now=start)
        for _ in range(3)
    ]

    # then: open until the cooldown, then exactly one probe, then closed after its success
    later = start + datetime.timedelta(seconds=61)
    assert states == ["closed", "closed", "open"]
    assert limits.circuit_allows(provider="mitake", now=start) is False
    assert limits.circuit_state(provider="mitake", now=later) == "half_open"
    assert limits.circuit_allows(provider="mitake", now=later) is True
    assert limits.circuit_allows(provider="mitake", now=later) is False
    assert limits.circuit_record(provider="mitake", is_success=True, threshold=3, cooldown_seconds=60, now=later) == (
        "closed"
    )
    assert limits.circuit_allows(provider="mitake", now=later) is True


def test_without_redis_the_provider_bucket_defers_by_the_milliseconds_a_token_needs(settings, monkeypatch) -> None:
    import datetime

    from sms import limits, limits_local

    settings.REDIS_URL = ""
    monkeypatch.delenv("SMS_REDIS_URL", raising=False)
    limits_local.reset()
    now = datetime.datetime(2026, 12, 4, 12, 0, 30, tzinfo=datetime.UTC)

    def take() -> limits.Decision:
        return limits.acquire(
            provider="mitake",
            segments=1,
            customer_key="",
            count_message=False,
            customer_day="20261204",
            bypass_customer=False,
            rate_per_second=2,
            now=now,
            customer_seed=lambda: 0,
            system_seed=lambda: 0,
        )

    assert [take().outcome for _ in range(2)] == [limits.OK, limits.OK]
    assert take() == limits.Decision(limits.PROVIDER_RATE, retry_after_ms=500)
