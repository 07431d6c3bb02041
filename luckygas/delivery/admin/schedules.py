"""django-celery-beat's crontab admin, with its description made safe to show.

Its `human_readable` column parses the crontab fields; on a refused form (a value out of range,
say) the parse raises and the page was a 500 instead of the form with its errors.
"""

from typing import Any

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django_celery_beat.admin import CrontabScheduleAdmin
from django_celery_beat.models import CrontabSchedule


class SafeCrontabScheduleAdmin(CrontabScheduleAdmin):
    list_display = ("__str__", "description")
    fields = ("description", "minute", "hour", "day_of_month", "month_of_year", "day_of_week", "timezone")
    readonly_fields = ("description",)

    @admin.display(description=_("description"))
    def description(self, schedule: CrontabSchedule) -> Any:
        try:
            return schedule.human_readable
        except Exception:  # the fields don't parse yet: the form's own errors say why
            return "—"


admin.site.unregister(CrontabSchedule)
admin.site.register(CrontabSchedule, SafeCrontabScheduleAdmin)
