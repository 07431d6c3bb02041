"""A separate worker process for the session-cap tests: borrows SFTP sessions from its own pool.

    python -m tests.banking.session_holder PORT HOST_KEY_LINE CLIENT_KEY_PATH FOLDER THREADS HOLD_SECONDS OUT

Each thread borrows one session, lists FOLDER, holds the session for HOLD_SECONDS (forever when
negative) and appends "pid start end" (wall-clock seconds, taken while holding it) to OUT.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path


def main(argv: list[str]) -> None:
    port, host_key, key_path, folder, threads, hold, out = argv
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luckygas.settings")
    import django

    django.setup()
    from banking.transport import Endpoint, SessionPool, load_private_key

    pool = SessionPool(
        Endpoint(
            bank_code="822",
            host="127.0.0.1",
            port=int(port),
            username=os.environ.get("USER") or "root",
            host_key=host_key,
            private_key=load_private_key(Path(key_path).read_text()),
        )
    )
    lock = threading.Lock()

    def borrower() -> None:
        with pool.session(fresh=True) as session:
            started = time.time()
            session.sftp.listdir(folder)
            with lock, Path(out).open("a") as report:
                report.write(f"{os.getpid()} held {started:.6f}\n")
            if float(hold) < 0:
                threading.Event().wait()
            time.sleep(float(hold))
            ended = time.time()
        with lock, Path(out).open("a") as report:
            report.write(f"{os.getpid()} span {started:.6f} {ended:.6f}\n")

    workers = [threading.Thread(target=borrower) for _ in range(int(threads))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    pool.close()


if __name__ == "__main__":
    main(sys.argv[1:])
