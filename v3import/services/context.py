"""What an import run carries from table to table."""

from dataclasses import dataclass, field

from luckygas.delivery.models import Customer, CylinderProduct, Vehicle
from v3import.models import LegacyUser
from v3import.services.mapping import Issues


@dataclass
class Context:
    """What a run carries from table to table: v3 id → our id maps and the issues found."""

    issues: Issues = field(default_factory=Issues)
    products: dict[int, int] = field(default_factory=dict)
    customers: dict[int, int] = field(default_factory=dict)
    users: dict[int, int] = field(default_factory=dict)
    vehicles: dict[int, int] = field(default_factory=dict)
    written: dict[str, int] = field(default_factory=dict)
    skipped_amount: int = 0

    def load_maps(self) -> None:
        self.products = dict(CylinderProduct.objects.filter(legacy_id__isnull=False).values_list("legacy_id", "pk"))
        self.customers = dict(Customer.objects.filter(legacy_id__isnull=False).values_list("legacy_id", "pk"))
        self.users = dict(LegacyUser.objects.values_list("legacy_id", "user_id"))
        self.vehicles = dict(Vehicle.objects.filter(legacy_id__isnull=False).values_list("legacy_id", "pk"))

    def customer_or_report(self, table: str, row: dict) -> int | None:
        """Our id of the row's customer; None, with the row reported as not imported, when v3's customer is not here."""
        customer_id = self.customers.get(row["customer_id"])
        if customer_id is None:
            self.issues.add(
                table, row["id"], "customer_id", row["customer_id"], "customer not imported", imported=False
            )
        return customer_id

    def count(self, table: str, n: int) -> None:
        self.written[table] = self.written.get(table, 0) + n
