"""Practice data: one set of customers, orders and routes per trainee, kept apart from real data.

A practice set names its customers and its practice driver; their orders and routes follow from
them. SMS, banking and scheduled reports ask `training.selectors` before anything leaves the system.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from luckygas.delivery.models import Customer, Driver


class PracticeSet(models.Model):
    trainee = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="practice_set", verbose_name=_("trainee")
    )
    driver = models.OneToOneField(
        Driver,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="practice_set",
        verbose_name=_("practice driver"),
    )
    customers = models.ManyToManyField(
        Customer, related_name="practice_sets", blank=True, verbose_name=_("practice customers")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("practice set")
        verbose_name_plural = _("practice sets")
        ordering = ("trainee__username",)

    def __str__(self) -> str:
        return str(_("Practice set of %(trainee)s") % {"trainee": self.trainee.get_username()})
