"""Demo SMS data: the standard templates (zh-Hant bodies), a registered link and provider rows.

The payment templates also come from migration 0004 (production needs them); the same bodies here.
"""

from sms.models import AllowlistEntry, Priority, Provider, Template, TemplateVariant

TEMPLATES = [
    (
        "order_confirmation",
        Priority.NORMAL,
        "Order confirmed",
        [
            ("A", "{customer_name}您好，訂單{order_number}已確認，預計{delivery_date}配送。{company_name}", 1),
            ("B", "【{company_name}】訂單{order_number}已確認，{delivery_date}送達，謝謝您！", 1),
        ],
    ),
    (
        "driver_arriving",
        Priority.CRITICAL,
        "Driver about 15 minutes away",
        [("A", "{company_name}：司機約{eta_minutes}分鐘後抵達，請留意門鈴。訂單{order_number}", 1)],
    ),
    (
        "payment_due",
        Priority.NORMAL,
        "Direct debit scheduled",
        [
            (
                "A",
                "{company_name}提醒：帳單{invoice_number}共{amount}元，將於{collection_date}自動扣款，請確認帳戶餘額。",
                1,
            )
        ],
    ),
    (
        "payment_failed",
        Priority.CRITICAL,
        "Direct debit returned",
        [
            (
                "A",
                "{company_name}通知：帳單{invoice_number}於{collection_date}自動扣款{amount}元未成功，請聯絡客服。",
                1,
            )
        ],
    ),
    (
        "winter_promotion",
        Priority.MARKETING,
        "Winter refill offer",
        [("A", "冬季換桶享9折，詳情{link}", 1)],
    ),
]


def seed_demo_data(*, password: str, stdout) -> None:
    for name, priority, description, variants in TEMPLATES:
        template, _created = Template.objects.get_or_create(
            name=name, defaults={"priority": priority, "description": description}
        )
        for label, body, weight in variants:
            TemplateVariant.objects.get_or_create(
                template=template, label=label, defaults={"body": body, "weight": weight}
            )
    AllowlistEntry.objects.get_or_create(
        kind=AllowlistEntry.Kind.LINK, value="https://luckygas.tw/", defaults={"note": "registered 2024-11"}
    )
    for name, priority, price in (("mitake", 1, 80), ("every8d", 2, 75), ("twilio", 3, 260)):
        Provider.objects.get_or_create(name=name, defaults={"priority": priority, "unit_price_centi": price})
    stdout.write(f"SMS: {Template.objects.count()} templates\n")
