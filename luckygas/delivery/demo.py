"""Believable Taiwanese demo data: names, addresses, phone numbers and tax IDs."""

import random

from luckygas.delivery.validators import is_valid_tax_id

SURNAMES = "陳林黃張李王吳劉蔡楊許鄭謝郭洪曾邱廖賴周徐蘇葉莊呂江何蕭羅高"
GIVEN_CHARACTERS = "志明美玲家豪淑芬建宏雅婷俊傑怡君宗翰佳穎冠宇欣怡承恩詩涵品妤柏翰思妤"
DISTRICTS = {
    "臺北市": ["大安區", "信義區", "中山區", "松山區", "內湖區", "士林區", "北投區", "文山區", "萬華區", "中正區"],
    "新北市": ["板橋區", "中和區", "永和區", "新莊區", "三重區", "新店區", "土城區", "蘆洲區", "汐止區"],
}
STREETS = ["忠孝東路", "復興南路", "和平東路", "信義路", "民生東路", "中山北路", "文化路", "中正路", "民族路", "光復路"]
RESTAURANT_SUFFIXES = ["小吃店", "麵館", "火鍋店", "快炒", "自助餐", "早餐店", "牛肉麵", "滷味"]
SCHOOL_SUFFIXES = ["國小", "國中", "高中"]
DRIVER_NAMES = ["陳建宏", "林志豪", "黃俊傑", "張家豪", "李宗翰"]
# Rough bounding box of Taipei and New Taipei, for map pins.
LATITUDE_RANGE = (24.95, 25.14)
LONGITUDE_RANGE = (121.42, 121.67)
# Approximate centre (latitude, longitude) of each district's built-up area: a customer's pin lies
# within DISTRICT_SPREAD degrees (about 900 m) of its district's centre, so the map matches the address.
DISTRICT_CENTRES = {
    "大安區": (25.0264, 121.5435),
    "信義區": (25.0330, 121.5654),
    "中山區": (25.0640, 121.5330),
    "松山區": (25.0500, 121.5577),
    "內湖區": (25.0690, 121.5880),
    "士林區": (25.0928, 121.5246),
    "北投區": (25.1200, 121.5010),
    "文山區": (24.9897, 121.5707),
    "萬華區": (25.0340, 121.4998),
    "中正區": (25.0324, 121.5199),
    "板橋區": (25.0116, 121.4627),
    "中和區": (24.9993, 121.4990),
    "永和區": (25.0097, 121.5160),
    "新莊區": (25.0360, 121.4500),
    "三重區": (25.0615, 121.4880),
    "新店區": (24.9676, 121.5419),
    "土城區": (24.9722, 121.4437),
    "蘆洲區": (25.0849, 121.4738),
    "汐止區": (25.0629, 121.6580),
}
DISTRICT_SPREAD = 0.008


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choices(GIVEN_CHARACTERS, k=2))


def business_name(rng: random.Random, customer_type: str) -> str:
    stem = rng.choice(SURNAMES) + rng.choice(GIVEN_CHARACTERS)
    if customer_type == "restaurant":
        return stem + rng.choice(RESTAURANT_SUFFIXES)
    if customer_type == "school":
        return stem + rng.choice(SCHOOL_SUFFIXES)
    if customer_type == "hospital":
        return stem + "診所"
    if customer_type == "industrial":
        return stem + "工業"
    return stem + "企業社"


def address(rng: random.Random) -> tuple[str, str, str]:
    city = rng.choice(list(DISTRICTS))
    district = rng.choice(DISTRICTS[city])
    section = rng.choice(["", "一段", "二段", "三段"])
    street = f"{rng.choice(STREETS)}{section}{rng.randint(1, 399)}號"
    if rng.random() < 0.5:
        street += f"{rng.randint(1, 12)}樓"
    return city, district, street


def mobile_number(rng: random.Random) -> str:
    """A Taiwan mobile number in E.164 (+8869[0-8]…: the ranges libphonenumber accepts as mobile)."""
    return f"+8869{rng.randint(0, 8)}{rng.randint(0, 9999999):07d}"


def landline_number(rng: random.Random) -> str:
    """A Taipei landline (02-2xxx-xxxx … 02-8xxx-xxxx) in E.164."""
    return f"+8862{rng.randint(2, 8)}{rng.randint(0, 9999999):07d}"


def tax_id(rng: random.Random) -> str:
    while True:
        candidate = f"{rng.randint(10000000, 99999999)}"
        if is_valid_tax_id(candidate):
            return candidate


def coordinates(rng: random.Random, district: str | None = None) -> tuple[float, float]:
    """A pin near the district's centre (deterministic for a seeded `rng`); anywhere in the box otherwise."""
    if district in DISTRICT_CENTRES:
        latitude, longitude = DISTRICT_CENTRES[district]
        return (
            round(latitude + rng.uniform(-DISTRICT_SPREAD, DISTRICT_SPREAD), 6),
            round(longitude + rng.uniform(-DISTRICT_SPREAD, DISTRICT_SPREAD), 6),
        )
    return round(rng.uniform(*LATITUDE_RANGE), 6), round(rng.uniform(*LONGITUDE_RANGE), 6)
