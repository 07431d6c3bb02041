"""Customers' pins from the geocoder (`dispatch.geocoding`); a pin already placed stays unless replacing is asked."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.db.models import Q
from django.utils import timezone

from dispatch.geocoding import Geocoder, GeocodingError
from luckygas.delivery.models import Customer


class GeocodeOutcome(StrEnum):
    FOUND = "found"
    NOT_FOUND = "not_found"
    ERROR = "error"
    KEPT = "kept"  # the customer already had a pin and replacing it was not asked


@dataclass(frozen=True)
class GeocodeResultForCustomer:
    customer: Customer
    outcome: GeocodeOutcome
    detail: str = ""


def customer_address(*, customer: Customer) -> str:
    return f"{customer.city}{customer.district}{customer.address}"


def customer_geocode(*, customer: Customer, geocoder: Geocoder, replace_pin: bool = False) -> GeocodeResultForCustomer:
    """Look the customer's address up and store its pin. Without `replace_pin`, a customer with a pin is kept as is."""
    has_pin = customer.latitude is not None and customer.longitude is not None
    if has_pin and not replace_pin:
        return GeocodeResultForCustomer(customer, GeocodeOutcome.KEPT)
    try:
        place = geocoder.geocode(address=customer_address(customer=customer))
    except GeocodingError as error:
        return GeocodeResultForCustomer(customer, GeocodeOutcome.ERROR, str(error)[:200])
    if place is None:
        return GeocodeResultForCustomer(customer, GeocodeOutcome.NOT_FOUND)
    rows = Customer.objects.filter(pk=customer.pk)
    if not replace_pin:
        # A dispatcher may have placed the pin by hand while the geocoder answered: theirs wins.
        rows = rows.filter(Q(latitude__isnull=True) | Q(longitude__isnull=True))
    updated = rows.update(latitude=place.latitude, longitude=place.longitude, updated_at=timezone.now())
    if not updated:
        return GeocodeResultForCustomer(customer, GeocodeOutcome.KEPT)
    customer.latitude, customer.longitude = place.latitude, place.longitude
    return GeocodeResultForCustomer(customer, GeocodeOutcome.FOUND, place.display_name)
