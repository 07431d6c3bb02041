"""The 2027 Taiwan holidays, and a daily check that the coming year's holidays were entered."""

import datetime

from django.db import migrations

# Weekday closures of 2027 from the DGPA's (行政院人事行政總處) 中華民國116年政府行政機關辦公日曆表,
# as published on the government open-data platform (政府資料開放平臺, dataset 14718,
# https://data.gov.tw/dataset/14718; read in its JSON re-publication
# https://cdn.jsdelivr.net/gh/ruyut/TaiwanCalendar/data/2027.json). The same source gives exactly
# the 16 weekdays of HOLIDAYS_2026 in migration 0002. No make-up workdays in 2027.
HOLIDAYS_2027 = [
    ("2027-01-01", "元旦 New Year's Day"),
    ("2027-02-04", "小年夜 Eve of Lunar New Year's Eve"),
    ("2027-02-05", "除夕 Lunar New Year's Eve"),
    ("2027-02-08", "春節 Lunar New Year"),
    ("2027-02-09", "春節補假 Lunar New Year (observed)"),
    ("2027-02-10", "春節補假 Lunar New Year (observed)"),
    ("2027-03-01", "和平紀念日補假 Peace Memorial Day (observed)"),
    ("2027-04-05", "清明節 Tomb Sweeping Day"),
    ("2027-04-06", "兒童節補假 Children's Day (observed)"),
    ("2027-04-30", "勞動節補假 Labour Day (observed)"),
    ("2027-06-09", "端午節 Dragon Boat Festival"),
    ("2027-09-15", "中秋節 Mid-Autumn Festival"),
    ("2027-09-28", "教師節 Teachers' Day"),
    ("2027-10-11", "國慶日補假 National Day (observed)"),
    ("2027-10-25", "臺灣光復節 Retrocession Day"),
    ("2027-12-24", "行憲紀念日補假 Constitution Day (observed)"),
    ("2027-12-31", "元旦補假 New Year's Day 2028 (observed)"),
]

CHECK = ("banking: holiday calendar check 09:00", "banking.tasks.check_calendar", 9)


def forwards(apps, schema_editor):
    override_model = apps.get_model("banking", "BusinessDayOverride")
    for day, reason in HOLIDAYS_2027:
        override_model.objects.get_or_create(
            date=datetime.date.fromisoformat(day), defaults={"is_business_day": False, "reason": reason}
        )
    crontab_model = apps.get_model("django_celery_beat", "CrontabSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    name, task, hour = CHECK
    schedule, _created = crontab_model.objects.get_or_create(
        minute="0", hour=str(hour), day_of_week="*", day_of_month="*", month_of_year="*", timezone="Asia/Taipei"
    )
    task_model.objects.get_or_create(
        name=name, defaults={"task": task, "crontab": schedule, "queue": "banking", "enabled": True}
    )


def backwards(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=CHECK[0]).delete()
    apps.get_model("banking", "BusinessDayOverride").objects.filter(
        date__in=[datetime.date.fromisoformat(day) for day, _reason in HOLIDAYS_2027]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("banking", "0003_mandate_requests_overdue_returns"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
