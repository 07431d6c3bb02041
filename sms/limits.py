"""Sending limits and provider circuit breakers (luckygas/breaker.py), shared by every worker through Redis.

Each check-and-consume runs as one Lua script, so two workers can never both take the last
token. Redis only holds counters that can be rebuilt: a missing daily or per-minute counter is
re-seeded from the database (the script asks for the seed), a lost bucket starts full and a lost
circuit starts closed.

Without a Redis URL (the embedded default, one process) the same decisions are taken in
process (sms/limits_local.py and luckygas/breaker.py's LocalBreaker), so `sms_send` on
`make run` serves instead of failing.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

import redis

from luckygas.breaker import Breaker, LocalBreaker, RedisBreaker
from luckygas.redis import redis_client
from sms import conf, limits_local

_ACQUIRE = """
-- KEYS: customer day counter (or ""), system minute counter, provider bucket
-- ARGV: segments, customer_limit, customer_seed, customer_ttl, bypass_customer,
--       system_limit, system_seed, system_ttl, rate, capacity, now_ms, count_message
-- A message counts against the customer and system caps once, on its first submission;
-- a failover attempt of the same message only takes provider tokens.
local segments = tonumber(ARGV[1])
local now_ms = tonumber(ARGV[11])
local customer_count = 0
if KEYS[1] ~= "" then
  local value = redis.call("GET", KEYS[1])
  if not value then
    if tonumber(ARGV[3]) < 0 then return {-1, 0} end
    redis.call("SET", KEYS[1], ARGV[3], "EX", ARGV[4], "NX")
    value = redis.call("GET", KEYS[1])
  end
  customer_count = tonumber(value)
end
local count_message = ARGV[12] == "1"
local system_value = "0"
if count_message then system_value = redis.call("GET", KEYS[2]) end
if not system_value then
  if tonumber(ARGV[7]) < 0 then return {-2, 0} end
  redis.call("SET", KEYS[2], ARGV[7], "EX", ARGV[8], "NX")
  system_value = redis.call("GET", KEYS[2])
end
local system_count = tonumber(system_value)
local bypassed = 0
if KEYS[1] ~= "" and customer_count > 0 and customer_count + segments > tonumber(ARGV[2]) then
  if ARGV[5] == "1" then bypassed = 1 else return {2, 0} end
end
if count_message and system_count > 0 and system_count + segments > tonumber(ARGV[6]) then return {3, 0} end
local rate = tonumber(ARGV[9])
local capacity = tonumber(ARGV[10])
local bucket = redis.call("HMGET", KEYS[3], "tokens", "ts")
local tokens = tonumber(bucket[1]) or capacity
local ts = tonumber(bucket[2]) or now_ms
if now_ms > ts then tokens = math.min(capacity, tokens + (now_ms - ts) * rate / 1000) end
if tokens < segments then
  return {4, math.ceil((segments - tokens) * 1000 / rate)}
end
redis.call("HSET", KEYS[3], "tokens", tostring(tokens - segments), "ts", tostring(math.max(now_ms, ts)))
redis.call("PEXPIRE", KEYS[3], 3600000)
if KEYS[1] ~= "" then redis.call("INCRBY", KEYS[1], segments) end
if count_message then redis.call("INCRBY", KEYS[2], segments) end
return {bypassed, 0}
"""

_WINDOW_HIT = """
local count = redis.call("INCR", KEYS[1])
if count == 1 then redis.call("EXPIRE", KEYS[1], ARGV[1]) end
return count
"""

OK = "ok"
CUSTOMER_CAP = "customer_daily_cap"
SYSTEM_CAP = "system_per_minute"
PROVIDER_RATE = "provider_rate"


def client() -> redis.Redis:
    return redis_client(conf.redis_url())


_redis_breaker = RedisBreaker(client)
local_breaker = LocalBreaker()  # the embedded default's circuits (one process, no Redis)


def _run(script: str, local: Callable[[list[str], list[object]], object], keys: list[str], args: list) -> object:
    """Run a Lua script in the shared Redis, or its in-process twin when there is no Redis."""
    if not conf.redis_url():
        return local(keys, args)
    return client().register_script(script)(keys=keys, args=args)


def key(*parts: object) -> str:
    return ":".join([conf.redis_prefix(), *(str(part) for part in parts)])


def _ms(moment: datetime.datetime) -> int:
    return int(moment.timestamp() * 1000)


@dataclass(frozen=True)
class Decision:
    outcome: str  # OK, CUSTOMER_CAP, SYSTEM_CAP or PROVIDER_RATE
    retry_after_ms: int = 0
    customer_cap_bypassed: bool = False


def acquire(
    *,
    provider: str,
    segments: int,
    customer_key: str,
    count_message: bool,
    customer_day: str,
    bypass_customer: bool,
    rate_per_second: int,
    now: datetime.datetime,
    customer_seed: Callable[[], int],
    system_seed: Callable[[], int],
) -> Decision:
    """Take `segments` from the customer's day, the system's minute and the provider's bucket, or none."""
    minute = now.strftime("%Y%m%d%H%M")
    keys = [
        key("customer", customer_key, customer_day) if customer_key and count_message else "",
        key("system", minute),
        key("bucket", provider),
    ]
    rate = max(1, rate_per_second)
    capacity = max(rate, segments)
    seeds = [-1, -1]
    for _round in range(3):
        code, retry_ms = _run(
            _ACQUIRE,
            limits_local.acquire,
            keys,
            [
                segments,
                conf.customer_limit_per_day(),
                seeds[0],
                2 * 86400,
                "1" if bypass_customer else "0",
                conf.system_limit_per_minute(),
                seeds[1],
                120,
                rate,
                capacity,
                _ms(now),
                "1" if count_message else "0",
            ],
        )  # type: ignore[misc]
        if code == -1:
            seeds[0] = customer_seed()
            continue
        if code == -2:
            seeds[1] = system_seed()
            continue
        break
    if code in (0, 1):
        return Decision(OK, customer_cap_bypassed=code == 1)
    if code == 2:
        return Decision(CUSTOMER_CAP)
    if code == 3:
        return Decision(SYSTEM_CAP, retry_after_ms=(60 - now.second) * 1000 - now.microsecond // 1000)
    return Decision(PROVIDER_RATE, retry_after_ms=int(retry_ms))


def _breaker() -> Breaker:
    return _redis_breaker if conf.redis_url() else local_breaker


def circuit_allows(*, provider: str, now: datetime.datetime, probe_ttl_seconds: int = 30) -> bool:
    return _breaker().allows(key("circuit", provider), now=now, probe_ttl_seconds=probe_ttl_seconds)


def circuit_record(
    *, provider: str, is_success: bool, threshold: int, cooldown_seconds: int, now: datetime.datetime
) -> str:
    return _breaker().record(
        key("circuit", provider), is_success=is_success, threshold=threshold, cooldown_seconds=cooldown_seconds, now=now
    )


def circuit_state(*, provider: str, now: datetime.datetime) -> str:
    """closed, open or half_open (an open circuit whose cooldown is over reads as half_open)."""
    return _breaker().state(key("circuit", provider), now=now)


def window_hit(*, name: str, window_seconds: int) -> int:
    return int(_run(_WINDOW_HIT, limits_local.window_hit, [key("window", name)], [window_seconds]))  # type: ignore[arg-type]
