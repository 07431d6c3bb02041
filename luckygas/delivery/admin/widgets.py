"""A latitude input with a Leaflet map under it: a click on the map or a drag of the pin sets latitude and longitude."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.templatetags.static import static

# Where the map opens when there is no pin yet: Taipei Main Station.
TAIPEI = (25.0478, 121.517)


class MapPinWidget(forms.NumberInput):
    """Render on the latitude field; `longitude_field` names the sibling input the pin also fills."""

    template_name = "delivery/widgets/map_pin.html"

    def __init__(self, *, longitude_field: str = "longitude", attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"step": "0.000001", **(attrs or {})})
        self.longitude_field = longitude_field

    @property
    def media(self) -> forms.Media:
        return forms.Media(
            css={"all": ["vendor/leaflet/leaflet.css", "delivery/css/map_pin.css"]},
            js=["vendor/leaflet/leaflet.js", "delivery/js/map_pin.js"],
        )

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        prefix = name[: -len("latitude")] if name.endswith("latitude") else ""
        context["map"] = {
            "longitude_input": f"id_{prefix}{self.longitude_field}",
            "tile_url": settings.DISPATCH_MAP_TILE_URL,
            "centre": f"{TAIPEI[0]},{TAIPEI[1]}",
            # Leaflet finds its marker images from its CSS by their plain names, which the hashed static
            # files don't have: give it their URLs.
            "icon_url": static("vendor/leaflet/images/marker-icon.png"),
            "icon_retina_url": static("vendor/leaflet/images/marker-icon-2x.png"),
            "shadow_url": static("vendor/leaflet/images/marker-shadow.png"),
        }
        return context
