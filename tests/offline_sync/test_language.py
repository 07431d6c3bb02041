"""Each API response speaks one language: the one the phone asks for, or the office's Chinese."""

import re

import pytest
from rest_framework.test import APIClient

from tests.offline_sync.factories import phone_for

CJK = re.compile(r"[\u4e00-\u9fff]")


def _messages(body: object) -> list[str]:
    """Every human-readable string of an error body (detail, field errors), not codes or ids."""
    if isinstance(body, dict):
        return [text for key, value in body.items() if key not in {"code", "id"} for text in _messages(value)]
    if isinstance(body, list):
        return [text for item in body for text in _messages(item)]
    return [body] if isinstance(body, str) else []


def _error_responses(client: APIClient, route_stop_id: int) -> dict[str, object]:
    return {
        "login": client.post("/api/v1/driver/devices/login", {"username": "", "device_id": "x"}, format="json"),
        "batch": client.post("/api/v1/driver/sync", {"actions": "x", "sent_at": "yesterday"}, format="json"),
        "points": client.post("/api/v1/driver/locations", {"points": [{"lat": "north"}]}, format="json"),
        "parse": client.post("/api/v1/driver/sync", b"{", content_type="application/json"),
        "route": client.get("/api/v1/driver/route?date=tomorrow"),
        "action": client.post(
            "/api/v1/driver/sync",
            {
                "actions": [
                    {
                        "id": "a2e0c1f4-7d43-4d1c-9a51-2b1a9c6e0f11",
                        "seq": 1,
                        "type": "complete",
                        "stop": route_stop_id,
                        "base_version": -1,
                        "occurred_at": "soon",
                        "payload": {},
                    }
                ]
            },
            format="json",
        ),
    }


@pytest.mark.parametrize(
    ("accept_language", "chinese"),
    [("en-US,en;q=0.9", False), ("en", False), ("zh-TW,zh;q=0.9", True), ("zh-Hant", True), ("", True), ("fr", True)],
)
def test_every_message_of_a_response_is_in_the_language_the_phone_asks_for(route_a, driver_a, accept_language, chinese):
    # given: a phone without the language cookie, asking in its own language
    phone = phone_for(driver_a)
    phone.client.cookies.clear()
    phone.client.credentials(HTTP_AUTHORIZATION=f"Device {phone.token}", HTTP_ACCEPT_LANGUAGE=accept_language)

    # when
    responses = _error_responses(phone.client, route_a.stops.first().pk)

    # then: every message of every response is in that one language
    for name, response in responses.items():
        body = response.json()
        if name == "action":  # a batch accepted, its one action rejected with the fields named
            assert (response.status_code, body["results"][0]["result"]) == (200, "rejected")
            body = body["results"][0]["errors"]
        else:
            assert 400 <= response.status_code < 500, (name, response.status_code)
        messages = _messages(body)
        assert messages, name
        in_chinese = [bool(CJK.search(message)) for message in messages]
        assert in_chinese == [chinese] * len(messages), (name, messages)
        assert response["Content-Language"] == ("zh-hant" if chinese else "en")


def test_the_language_cookie_wins_over_the_header(route_a, driver_a):
    phone = phone_for(driver_a)  # its cookie says English
    phone.client.credentials(HTTP_AUTHORIZATION=f"Device {phone.token}", HTTP_ACCEPT_LANGUAGE="zh-TW")
    response = phone.client.post("/api/v1/driver/sync", {"actions": "x"}, format="json")
    assert not CJK.search(response.json()["detail"])


def test_office_pages_stay_chinese_for_an_english_browser(client, office_clerk):
    client.force_login(office_clerk)
    response = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response["Content-Language"] == "zh-hant"
