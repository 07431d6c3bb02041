"""`make run`'s embedded default: SQLite, in-memory channel layer, eager Celery, demo data.

The rest of the suite runs on PostgreSQL and Redis; this test makes sure the default a new
engineer gets from `make run` still migrates, seeds and serves (a PostgreSQL-only query in a
service once broke it without any other test noticing).
"""

import re
import subprocess
import sys
from pathlib import Path

import httpx

from tests.servers import ROOT, run_asgi_server, subprocess_environment


def embedded_environment(database: Path) -> dict[str, str]:
    return {
        **{key: value for key, value in subprocess_environment().items() if key not in {"DATABASE_URL", "REDIS_URL"}},
        "DATABASE_URL": f"sqlite:///{database}",
        "REDIS_URL": "",
        "DJANGO_DEBUG": "1",
    }


def test_make_run_default_migrates_seeds_and_serves_on_sqlite(tmp_path: Path) -> None:
    # given: what `make run` does without DATABASE_URL / REDIS_URL
    env = embedded_environment(tmp_path / "db.sqlite3")
    manage = [sys.executable, str(ROOT / "manage.py")]
    for command in (["migrate", "--no-input", "-v0"], ["seed_demo"]):
        result = subprocess.run([*manage, *command], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
        assert result.returncode == 0, f"{command[0]} failed on SQLite:\n{result.stdout}\n{result.stderr}"

    # when: the app is served on that database
    with run_asgi_server(extra_env=env) as url, httpx.Client(base_url=url, timeout=30) as client:
        # then: probes, the driver app and the office admin work with the demo logins
        assert client.get("/readyz").status_code == 200
        assert client.get("/driver/").status_code == 200
        login = client.get("/admin/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text)
        assert token is not None
        response = client.post(
            "/admin/login/?next=/admin/delivery/order/",
            data={"username": "office", "password": "luckygas-demo", "csrfmiddlewaretoken": token.group(1)},
            headers={"Referer": f"{url}/admin/login/"},
            follow_redirects=True,
        )
        assert response.status_code == 200
        assert str(response.url).endswith("/admin/delivery/order/")
        assert "訂單" in response.text
