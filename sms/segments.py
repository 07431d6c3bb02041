"""SMS encoding and segment counting (GSM 03.38 versus UCS-2), computed locally.

One character outside the GSM-7 alphabet (any Chinese character, an emoji) makes the whole
message UCS-2. GSM-7 fits 160 characters in one SMS and 153 per part when split; UCS-2 fits
70 and 67. GSM extension characters (`{}[]~^|\\€` and form feed) take two septets.
"""

from dataclasses import dataclass

# The alphabet is defined here only; the admin's live counter gets these strings from the page.
GSM7_BASIC_CHARACTERS = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION_CHARACTERS = "^{}\\[~]|€\f"
GSM7_BASIC = frozenset(GSM7_BASIC_CHARACTERS)
GSM7_EXTENSION = frozenset(GSM7_EXTENSION_CHARACTERS)

GSM7 = "GSM-7"
UCS2 = "UCS-2"


@dataclass(frozen=True)
class SegmentCount:
    encoding: str
    characters: int  # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int
    per_segment: int

    @property
    def remaining_in_segment(self) -> int:
        return self.segments * self.per_segment - self.characters if self.segments else self.per_segment


def count_segments(body: str) -> SegmentCount:
    if all(character in GSM7_BASIC or character in GSM7_EXTENSION for character in body):
        length = sum(2 if character in GSM7_EXTENSION else 1 for character in body)
        single, multi = 160, 153
        encoding = GSM7
    else:
        # UCS-2 on the air is UTF-16: characters outside the BMP (emoji) take two units.
        length = len(body.encode("utf-16-le")) // 2
        single, multi = 70, 67
        encoding = UCS2
    if length == 0:
        return SegmentCount(encoding=encoding, characters=0, segments=0, per_segment=single)
    if length <= single:
        return SegmentCount(encoding=encoding, characters=length, segments=1, per_segment=single)
    return SegmentCount(encoding=encoding, characters=length, segments=-(-length // multi), per_segment=multi)
