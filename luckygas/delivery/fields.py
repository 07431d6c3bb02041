from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from luckygas.delivery.validators import normalize_taiwan_phone


class TaiwanPhoneField(models.CharField):
    """A Taiwan phone number, accepted in any common form and stored as E.164."""

    description = _("Taiwan phone number (E.164)")

    def __init__(self, *args: Any, mobile_only: bool = False, **kwargs: Any) -> None:
        self.mobile_only = mobile_only
        kwargs.setdefault("max_length", 16)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple[str, str, list[Any], dict[str, Any]]:
        name, path, args, kwargs = super().deconstruct()
        if self.mobile_only:
            kwargs["mobile_only"] = True
        return name, path, args, kwargs

    def to_python(self, value: Any) -> str:
        value = super().to_python(value)
        if not value:
            return value
        return normalize_taiwan_phone(value, mobile_only=self.mobile_only)
