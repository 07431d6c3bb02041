"""Addresses to coordinates. `geocoder()` is the Nominatim-protocol provider at `GEOCODER_URL`, or None."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

import httpx
from django.conf import settings


@dataclass(frozen=True)
class GeocodeResult:
    latitude: Decimal
    longitude: Decimal
    display_name: str


class GeocodingError(Exception):
    """The geocoder did not answer usably (network, status, body)."""


class Geocoder(Protocol):
    def geocode(self, *, address: str) -> GeocodeResult | None: ...


class NominatimGeocoder:
    """`GET /search?q=…&format=jsonv2&limit=1&countrycodes=tw`: a JSON list of places with `lat`/`lon` strings."""

    def __init__(self, *, base_url: str, timeout: float = 10.0, user_agent: str = "LuckyGas back office") -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.user_agent = user_agent

    def geocode(self, *, address: str) -> GeocodeResult | None:
        try:
            response = httpx.get(
                f"{self.base_url}/search",
                params={"q": address, "format": "jsonv2", "limit": 1, "countrycodes": "tw"},
                headers={"User-Agent": self.user_agent, "Accept-Language": "zh-TW"},
                timeout=self.timeout,
            )
            response.raise_for_status()
            places = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise GeocodingError(str(error)) from error
        if not isinstance(places, list):
            raise GeocodingError("the answer is not a list of places")
        if not places:
            return None
        try:
            return GeocodeResult(
                latitude=Decimal(places[0]["lat"]).quantize(Decimal("0.000001")),
                longitude=Decimal(places[0]["lon"]).quantize(Decimal("0.000001")),
                display_name=str(places[0].get("display_name", "")),
            )
        except (KeyError, ArithmeticError, TypeError) as error:
            raise GeocodingError(f"a place without coordinates: {error}") from error


def geocoder() -> Geocoder | None:
    return NominatimGeocoder(base_url=settings.GEOCODER_URL) if settings.GEOCODER_URL else None
