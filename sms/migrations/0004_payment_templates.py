"""The direct-debit notices: payment_due (normal) and payment_failed (critical), zh-Hant bodies.

payment_failed is critical: the customer has to act before the bank's retry or the next
delivery, so it may exceed the daily cap (recorded), still reaches a number that opted out of
normal notices (when SMS_OPTED_OUT_ALLOWS_CRITICAL is on) and goes once through a second provider
when no receipt comes. payment_due is a normal advance notice days before the collection: a
missing receipt is not worth a second paid message, and an opt-out is respected.
Idempotent (get_or_create), so the test suite can run it again after a flush.
"""

from django.db import migrations

TEMPLATES = [
    (
        "payment_due",
        "normal",
        "Direct debit scheduled",
        "{company_name}提醒：帳單{invoice_number}共{amount}元，將於{collection_date}自動扣款，請確認帳戶餘額。",
    ),
    (
        "payment_failed",
        "critical",
        "Direct debit returned",
        "{company_name}通知：帳單{invoice_number}於{collection_date}自動扣款{amount}元未成功，請聯絡客服。",
    ),
]


def create_templates(apps, schema_editor):
    template_model = apps.get_model("sms", "Template")
    variant_model = apps.get_model("sms", "TemplateVariant")
    for name, priority, description, body in TEMPLATES:
        template, _created = template_model.objects.get_or_create(
            name=name, defaults={"priority": priority, "description": description}
        )
        variant_model.objects.get_or_create(template=template, label="A", defaults={"body": body, "weight": 1})


class Migration(migrations.Migration):
    dependencies = [("sms", "0003_dead_letter")]

    operations = [migrations.RunPython(create_templates, migrations.RunPython.noop)]
