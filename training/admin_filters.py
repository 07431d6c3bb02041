"""The 'practice data' list filter of the delivery admin lists (customers, orders, routes, drivers).

Practice rows are also labelled in the lists themselves: customers are named "練習 …", drivers "練習司機 N".
"""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _


class _PracticeDataFilter(admin.SimpleListFilter):
    title = _("practice data")
    parameter_name = "practice"
    # The lookup reaching the practice set from the listed model, without `__isnull`.
    path = ""

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", _("Practice (練習)")), ("no", _("Real data only"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(**{f"{self.path}__isnull": False}).distinct()
        if self.value() == "no":
            return queryset.exclude(**{f"{self.path}__isnull": False})
        return queryset


class CustomerPracticeFilter(_PracticeDataFilter):
    path = "practice_sets"


class OrderPracticeFilter(_PracticeDataFilter):
    path = "customer__practice_sets"


class RoutePracticeFilter(_PracticeDataFilter):
    path = "driver__practice_set"


class DriverPracticeFilter(_PracticeDataFilter):
    path = "practice_set"
