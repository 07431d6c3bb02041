"""Managers' exports in the soak: the dashboard's Excel and PDF downloads, as the page offers them.

A manager asks for a report in a format (`/dashboard/export/<report>.<format>`, the dashboard's export buttons):
a small one comes back at once, a large one is queued on the `exports` Celery queue and the manager is sent to
its progress page, which polls the job (`/api/v1/dashboard/exports/<id>/`) until it is done and then downloads
the file. Every download is checked: a workbook openpyxl reads, a PDF pypdf reads strictly with a page. The orders
report over the last month (with the history seeded before the day) is always large enough to be queued.

One export is one user request for availability, from the click to the verified file: a failed job, a job that
never finishes, an invalid file, or a 5xx or no answer that the page's retries did not get past is an error.
"""

import datetime
import io
import random
import time
import zipfile
import zoneinfo
from dataclasses import dataclass, field

from locust import task

from soak import dashboard
from soak.office import AdminBrowser, Refused

# A queued export the manager waits for: a killed worker's job is run again once its lease (120 s in the soak) is
# over and the minutely recovery sees it.
JOB_TIMEOUT_SECONDS = 360

# Orders delivered over the last month, before the day: the orders report over that period is queued.
SEED_HISTORY = """
import datetime
import django
django.setup()
from django.utils import timezone
from luckygas.delivery.models import Customer, CylinderProduct, Order, OrderLine
rows = {rows}
today = timezone.localdate()
product = CylinderProduct.objects.get(code="LPG-20")
customers = Customer.objects.bulk_create(
    Customer(code=f"H{{index:05d}}", short_name=f"老客戶{{index}}", phone=f"+88692100{{index:04d}}", city="新北市",
             district="板橋區", address=f"文化路{{index}}號")
    for index in range(50)
)
now = timezone.now()
orders = Order.objects.bulk_create(
    Order(customer=customers[index % 50], status="delivered", payment_method="cash", total_amount=950,
          delivery_date=today - datetime.timedelta(days=1 + index % 28), status_changed_at=now, delivered_at=now)
    for index in range(rows)
)
OrderLine.objects.bulk_create(OrderLine(order=order, product=product, quantity=1, unit_price=950) for order in orders)
"""


@dataclass
class ExportLog:
    done: list[dict] = field(default_factory=list)  # report, format, queued, bytes, valid, why


EXPORTS: ExportLog | None = None  # set by the runner


def is_valid(export_format: str, content: bytes) -> tuple[bool, str]:
    if export_format == "pdf":
        from pypdf import PdfReader

        try:
            pages = len(PdfReader(io.BytesIO(content), strict=True).pages)
        except Exception as error:
            return False, f"not a PDF: {error!r}"[:120]
        return pages > 0, "" if pages else "a PDF without pages"
    try:
        from openpyxl import load_workbook

        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            archive.testzip()
        workbook = load_workbook(io.BytesIO(content), read_only=True)
        rows = sum(1 for sheet in workbook.worksheets for _row in sheet.iter_rows())
        workbook.close()
    except Exception as error:
        return False, f"not a workbook: {error!r}"[:120]
    return rows > 0, "" if rows else "an empty workbook"


class ManagerExports(AdminBrowser):
    """A manager on the dashboard now and then downloading a report."""

    fixed_count = 1
    pace = 8.0
    username = dashboard.MANAGER
    password = dashboard.PASSWORD

    def wait_time(self) -> float:
        return self.pace * random.uniform(0.5, 1.5)

    def on_start(self) -> None:
        self.turn = 0
        super().on_start()

    @task
    def export(self) -> None:
        today = datetime.datetime.now(zoneinfo.ZoneInfo("Asia/Taipei")).date()
        month = f"start={(today - datetime.timedelta(days=29)).isoformat()}&end={today.isoformat()}"
        choices = [
            ("orders", "xlsx", month),  # thousands of rows: the exports queue
            ("executive", "pdf", ""),
            ("operations", "xlsx", ""),
            ("orders", "pdf", ""),  # today's orders: queued when the day is large
        ]
        report, export_format, query = choices[self.turn % len(choices)]
        self.turn += 1
        self.download(report, export_format, query)

    def download(self, report: str, export_format: str, query: str) -> None:
        kind = f"export-{export_format}"
        path = f"/dashboard/export/{report}.{export_format}" + (f"?{query}" if query else "")
        record = {"report": report, "format": export_format, "queued": False, "bytes": 0, "valid": False, "why": ""}
        job: dict = {}

        def verified(content: bytes) -> bytes:
            record["bytes"] = len(content)
            record["valid"], record["why"] = is_valid(export_format, content)
            if not record["valid"]:
                raise Refused(f"{report}.{export_format}: {record['why']}")
            return content

        def steps(statuses: list[int]):
            if not job:
                answer = self.send("GET", path, kind)
                if not self.answered(answer, statuses):
                    return None
                if answer.status_code == 302 and "/admin/login/" in answer.headers.get("Location", ""):
                    self.log_in()
                    return None
                if answer.status_code == 200:
                    return verified(answer.content)
                if answer.status_code != 302 or "/dashboard/exports/" not in answer.headers.get("Location", ""):
                    raise Refused(f"export {report}.{export_format}: {answer.status_code}")
                job["id"] = answer.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
                job["since"] = time.time()
                record["queued"] = True
            state = {"status": "pending"}
            while time.time() - job["since"] < JOB_TIMEOUT_SECONDS:  # the progress page's polling
                status = self.send("GET", f"/api/v1/dashboard/exports/{job['id']}/", kind)
                if not self.answered(status, statuses):
                    return None
                if status.status_code != 200:
                    raise Refused(f"export job {job['id']}: {status.status_code}")
                state = status.json()
                if state["status"] == "failed":
                    raise Refused(f"export job failed: {state['error']}")
                if state["status"] == "done":
                    file = self.send("GET", state["download_url"], kind)
                    if not self.answered(file, statuses):
                        return None
                    if file.status_code != 200:
                        raise Refused(f"download: {file.status_code}")
                    return verified(file.content)
                time.sleep(1)
            raise Refused(f"export job {job['id']} still {state['status']} after {JOB_TIMEOUT_SECONDS} s")

        began = time.time()
        if self.user_request(kind, steps) is None and not record["why"]:
            record["why"] = "no file"
        record["seconds"] = round(time.time() - began, 1)
        EXPORTS.done.append(record)


def check(log: ExportLog) -> tuple[str, bool, str]:
    queued = [item for item in log.done if item["queued"]]
    bad = [item for item in log.done if not item["valid"]]
    by_kind: dict[str, int] = {}
    for item in log.done:
        key = f"{item['report']}.{item['format']}{' (queued)' if item['queued'] else ''}"
        by_kind[key] = by_kind.get(key, 0) + 1
    return (
        "exports: every export a manager asked for was downloaded and is a valid xlsx/pdf",
        bool(log.done) and bool(queued) and not bad,
        f"{len(log.done)} exports {by_kind}, {len(queued)} through the exports queue "
        f"(slowest {max((item['seconds'] for item in queued), default=0)} s); "
        f"{len(bad)} failed {[(item['report'], item['format'], item['why']) for item in bad][:5]}",
    )
