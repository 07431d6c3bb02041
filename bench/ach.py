"""The ACH cycle for a 100,000-item batch: generate, encrypt, sign, upload, re-verify, parse back.

Usage: .venv/bin/python bench/ach.py [--items N] [--runs R]
Starts a private OpenSSH sshd on a loopback port (as the tests do), runs the cycle through the
same codec, crypto and paramiko transport the app uses (with REDIS_URL set, sessions take their
slots of the bank's shared 5-session cap in Redis, as in production), then uploads the same sealed file with
OpenSSH's own `sftp` client for a throughput comparison. Prints per-stage times per run and the
median of the runs. Goal: the whole cycle under a minute; paramiko at least 25% of OpenSSH.
"""

import argparse
import datetime
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luckygas.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")

import django  # noqa: E402

django.setup()

from cryptography.hazmat.primitives.asymmetric import ed25519  # noqa: E402
from django.conf import settings  # noqa: E402

from banking import codec, crypto  # noqa: E402
from banking.transport import BankClient, CircuitBreaker, Endpoint, close_all_pools, load_private_key  # noqa: E402
from luckygas.delivery.validators import is_valid_national_id  # noqa: E402
from tests.banking.bank_side import SshServer  # noqa: E402

LETTERS = "ABCDEFGHJKLMNPQRSTUVXYWZIO"


def national_ids(rng: random.Random, count: int) -> list[str]:
    found: list[str] = []
    while len(found) < count:
        candidate = f"{rng.choice(LETTERS)}{rng.choice('12')}{rng.randint(0, 99999999):08d}"
        if is_valid_national_id(candidate):
            found.append(candidate)
    return found


def one_run(server: SshServer, items: int, run: int) -> dict[str, float]:
    rng = random.Random(run)
    ids = national_ids(rng, 2000)
    debits = [
        codec.Debit(
            sequence=index,
            customer_bank="0040037",
            customer_account=f"{rng.randint(10**9, 10**14):d}",
            amount=rng.randint(300, 20000),
            customer_id=ids[index % len(ids)],
            customer_number=f"C{index:08d}",
            note=f"LG{index:012d}",
            memo="LUCKYGAS",
        )
        for index in range(1, items + 1)
    ]
    times: dict[str, float] = {}
    started = time.perf_counter()
    plain = codec.build_submission(
        processing_date=datetime.date(2026, 8, 4),
        processing_time=datetime.time(6, 0),
        sending_bank="8220901",
        originator_account="901540012345",
        originator_tax_id="24536806",
        transaction_code=585,
        debits=debits,
    )
    times["generate"] = time.perf_counter() - started

    name = f"ACHP01_8220901_01150804_{run:06d}.enc"
    file_key = os.urandom(32)
    signing_key = ed25519.Ed25519PrivateKey.generate()
    started = time.perf_counter()
    sealed = crypto.seal(plain=plain, file_name=name, file_key=file_key, signing_key=signing_key, algorithm="ed25519")
    times["encrypt+sign"] = time.perf_counter() - started

    endpoint = Endpoint(
        bank_code="999",
        host="127.0.0.1",
        port=server.port,
        username=server.user,
        host_key=server.host_key_line,
        private_key=load_private_key(server.client_private_key),
    )
    client = BankClient(endpoint, breaker=CircuitBreaker("999", cooldown=1))
    started = time.perf_counter()
    result = client.deliver(data=sealed, folder=str(server.upload_dir), name=name)
    total_transfer = time.perf_counter() - started
    # "upload" covers connect, authenticate, list and write; "verify" a new connection, stat and re-read.
    times["upload"] = result.stage_seconds["upload"]
    times["verify"] = result.stage_seconds["verify"]
    times["rename+breaker"] = total_transfer - times["upload"] - times["verify"]
    close_all_pools()

    started = time.perf_counter()
    opened = crypto.open_envelope(
        envelope=(server.upload_dir / name).read_bytes(),
        file_name=name,
        file_key=file_key,
        sender_public_key=signing_key.public_key(),
    )
    parsed = codec.parse_file(opened)
    times["verify-signature+decrypt+parse"] = time.perf_counter() - started
    assert parsed.errors == [], parsed.errors[:3]  # noqa: S101
    assert len(parsed.file.details) == items  # noqa: S101
    assert codec.write_file(parsed.file) == plain  # noqa: S101 (round trip is byte-identical)
    times["total cycle s"] = sum(times.values())
    times["size MB"] = len(sealed) / 1e6
    # Like for like with the OpenSSH client's figure: both include connecting and authenticating.
    times["paramiko MB/s"] = len(sealed) / 1e6 / times["upload"]

    # The same file through OpenSSH's sftp client, same server, same run.
    local = server.root / f"openssh-{run}.enc"
    local.write_bytes(sealed)
    known_hosts = server.root / "known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{server.port} {server.host_key_line}\n")
    batch_file = server.root / "sftp-batch"
    batch_file.write_text(f"put {local} {server.upload_dir}/openssh-{run}.enc\n")
    started = time.perf_counter()
    subprocess.run(
        [
            "sftp",
            "-q",
            "-b",
            str(batch_file),
            "-i",
            str(server.client_key_path),
            "-P",
            str(server.port),
            "-o",
            f"UserKnownHostsFile={known_hosts}",
            "-o",
            "StrictHostKeyChecking=yes",
            f"{server.user}@127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    openssh_seconds = time.perf_counter() - started
    times["openssh sftp (incl. connect) s"] = openssh_seconds
    times["openssh MB/s"] = len(sealed) / 1e6 / openssh_seconds
    times["paramiko/openssh %"] = 100 * times["paramiko MB/s"] / times["openssh MB/s"]
    for path in (local, server.upload_dir / name, server.upload_dir / f"openssh-{run}.enc"):
        path.unlink()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-ach-") as directory:
        server = SshServer(Path(directory))
        server.start()
        try:
            for run in range(1, args.runs + 1):
                times = one_run(server, args.items, run)
                results.append(times)
                load = " ".join(f"{value:.2f}" for value in os.getloadavg())
                figures = ", ".join(f"{key} {value:.2f}" for key, value in times.items())
                print(f"run {run} (load average {load}): {figures}", flush=True)
        finally:
            server.stop()
    slots = "Redis leases" if settings.REDIS_URL else "in-process"
    print(
        f"\n{args.items:,} items, median of {len(results)} runs "
        f"(machine: {os.cpu_count()} cores, shared; session cap: {slots}):"
    )
    for key in results[0]:
        unit = "" if any(marker in key for marker in ("MB", "%", " s")) else " s"
        print(f"  {key:34} {statistics.median(result[key] for result in results):9.2f}{unit}")


if __name__ == "__main__":
    main()
