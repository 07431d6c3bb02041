"""Role permissions, the Celery beat windows (Asia/Taipei) and the 2026 Taiwan holidays."""

import datetime

from django.db import migrations

from luckygas.delivery.roles import grant_permissions

VIEW_ALL = [
    f"view_{model}"
    for model in (
        "bank",
        "bankaccount",
        "mandate",
        "collectionbatch",
        "collectionitem",
        "transferfile",
        "returnrecord",
        "reconciliation",
        "businessdayoverride",
    )
]
PERMISSIONS = {
    # The office prepares batches (maker), keeps accounts and mandates, imports return files by hand.
    "office": [*VIEW_ALL, "add_bankaccount", "add_mandate", "change_mandate", "add_collectionbatch", "change_collectionbatch"],
    # The manager approves (checker) and reads the audit trail.
    "manager": [*VIEW_ALL, "change_collectionbatch", "approve_collectionbatch", "view_auditrecord"],
    "admin": [
        *VIEW_ALL,
        "add_bank",
        "change_bank",
        "add_bankaccount",
        "add_mandate",
        "change_mandate",
        "add_collectionbatch",
        "change_collectionbatch",
        "approve_collectionbatch",
        "add_businessdayoverride",
        "change_businessdayoverride",
        "delete_businessdayoverride",
        "view_auditrecord",
    ],
    "driver": [],
}

WINDOWS = [
    ("banking: upload window 06:00", "banking.tasks.upload_window", 6),
    ("banking: upload window 18:00", "banking.tasks.upload_window", 18),
    ("banking: returns and reconciliation 22:00", "banking.tasks.returns_window", 22),
]

# Weekday closures of 2026 from the DGPA's (行政院人事行政總處) 中華民國115年政府行政機關辦公日曆表,
# approved by 行政院 114年6月13日 院授人培字第1143024631號函 (as forwarded by 彰化縣政府
# 府人考字第1140235450號函, https://gsps.chc.edu.tw/index.php/posts/1041): 120 days off in all,
# i.e. 104 weekend days and these 16 weekdays. There are no make-up workdays: the 2025 rules
# dropped 補行上班. Checked 2026-12 against the DGPA's open-data calendar; 2027 is seeded by 0004.
# Typhoon days are added in admin.
HOLIDAYS_2026 = [
    ("2026-01-01", "元旦 New Year's Day"),
    ("2026-02-16", "春節 Lunar New Year"),
    ("2026-02-17", "春節 Lunar New Year"),
    ("2026-02-18", "春節 Lunar New Year"),
    ("2026-02-19", "春節 Lunar New Year"),
    ("2026-02-20", "春節 Lunar New Year"),
    ("2026-02-27", "和平紀念日補假 Peace Memorial Day (observed)"),
    ("2026-04-03", "兒童節補假 Children's Day (observed)"),
    ("2026-04-06", "清明節補假 Tomb Sweeping Day (observed)"),
    ("2026-05-01", "勞動節 Labour Day"),
    ("2026-06-19", "端午節 Dragon Boat Festival"),
    ("2026-09-25", "中秋節 Mid-Autumn Festival"),
    ("2026-09-28", "教師節 Teachers' Day"),
    ("2026-10-09", "國慶日補假 National Day (observed)"),
    ("2026-10-26", "臺灣光復節補假 Retrocession Day (observed)"),
    ("2026-12-25", "行憲紀念日 Constitution Day"),
]


def forwards(apps, schema_editor):
    grant_permissions(apps, "banking", PERMISSIONS)
    crontab_model = apps.get_model("django_celery_beat", "CrontabSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, hour in WINDOWS:
        schedule, _created = crontab_model.objects.get_or_create(
            minute="0", hour=str(hour), day_of_week="*", day_of_month="*", month_of_year="*", timezone="Asia/Taipei"
        )
        task_model.objects.get_or_create(
            name=name, defaults={"task": task, "crontab": schedule, "queue": "banking", "enabled": True}
        )
    override_model = apps.get_model("banking", "BusinessDayOverride")
    for day, reason in HOLIDAYS_2026:
        override_model.objects.get_or_create(
            date=datetime.date.fromisoformat(day), defaults={"is_business_day": False, "reason": reason}
        )


def backwards(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=[name for name, _t, _h in WINDOWS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("banking", "0001_initial"),
        ("delivery", "0002_roles"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
