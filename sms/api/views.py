"""Provider callbacks: delivery receipts and inbound replies.

Mitake and Every8d sign nothing, so their URLs carry a secret token per environment and every
callback is rate limited per client address. Twilio's are verified with `RequestValidator`.
An unknown message id is recorded and answered normally; it changes nothing.
"""

import functools
import hmac
import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from twilio.request_validator import RequestValidator

from sms import conf, limits, services
from sms.models import ProviderName
from sms.providers.every8d import Every8dProvider
from sms.providers.mitake import CALLBACK_ANSWER, MitakeProvider

logger = logging.getLogger(__name__)
CallbackView = Callable[[HttpRequest, str], HttpResponse]


def _rate_limited(request: HttpRequest, provider: str) -> bool:
    address = request.META.get("REMOTE_ADDR", "unknown")
    try:
        hits = limits.window_hit(name=f"callback:{provider}:{address}", window_seconds=60)
    except Exception:
        logger.warning("callback rate limiter unavailable")
        return False
    return hits > conf.callback_rate_per_minute()


def _token_ok(token: str) -> bool:
    expected = conf.callback_token()
    return bool(expected) and hmac.compare_digest(token.encode(), expected.encode())


def _params(request: HttpRequest) -> dict[str, str]:
    data = request.GET.dict()
    if request.method == "POST":
        data.update(request.POST.dict())
    # PostgreSQL text cannot hold NUL and no provider sends one: dropped, not refused (a refused
    # receipt is sent again forever).
    return {key.replace("\x00", ""): value.replace("\x00", "") for key, value in data.items()}


def _token_callback(provider: str) -> Callable[[Callable[[dict[str, str]], HttpResponse]], CallbackView]:
    """Wrap a token-secured callback: an unknown token is 404 and a flooding address 429, before
    `handle` sees the request's parameters."""

    def decorate(handle: Callable[[dict[str, str]], HttpResponse]) -> CallbackView:
        @csrf_exempt
        @require_http_methods(["GET", "POST"])
        @functools.wraps(handle)
        def view(request: HttpRequest, token: str) -> HttpResponse:
            if not _token_ok(token):
                return HttpResponse("not found", status=404, content_type="text/plain")
            if _rate_limited(request, provider):
                return HttpResponse("too many requests", status=429, content_type="text/plain")
            return handle(_params(request))

        return view

    return decorate


@_token_callback(ProviderName.MITAKE)
def mitake_callback(params: dict[str, str]) -> HttpResponse:
    receipt = MitakeProvider.parse_receipt(params)
    services.receipt_record(provider=ProviderName.MITAKE, receipt=receipt)
    # Anything but this exact answer makes Mitake send the receipt again.
    return HttpResponse(CALLBACK_ANSWER.format(msgid=params.get("msgid", "")), content_type="text/plain; charset=utf-8")


@_token_callback(ProviderName.EVERY8D)
def every8d_callback(params: dict[str, str]) -> HttpResponse:
    receipt = Every8dProvider.parse_receipt(params)
    if receipt.reply_text:
        services.inbound_record(provider=ProviderName.EVERY8D, phone=receipt.phone, text=receipt.reply_text, raw=params)
    if receipt.provider_message_id:
        services.receipt_record(provider=ProviderName.EVERY8D, receipt=receipt)
    return HttpResponse("OK", content_type="text/plain")


def _twilio_url(request: HttpRequest) -> str:
    base_url = conf.callback_base_url()
    if base_url:
        query = request.META.get("QUERY_STRING", "")
        return base_url + request.path + (f"?{query}" if query else "")
    return request.build_absolute_uri()


@csrf_exempt
@require_http_methods(["POST"])
def twilio_callback(request: HttpRequest) -> HttpResponse:
    auth_token = conf.twilio_credentials().password
    signature = request.headers.get("X-Twilio-Signature", "")
    params = request.POST.dict()
    if not auth_token or not RequestValidator(auth_token).validate(_twilio_url(request), params, signature):
        return HttpResponse("invalid signature", status=403, content_type="text/plain")
    from sms.providers.twilio import TwilioProvider

    if params.get("MessageStatus") or params.get("SmsStatus") not in (None, "", "received"):
        receipt = TwilioProvider.parse_receipt(params)
        services.receipt_record(provider=ProviderName.TWILIO, receipt=receipt)
    elif params.get("Body") is not None:
        services.inbound_record(
            provider=ProviderName.TWILIO, phone=params.get("From", ""), text=params["Body"], raw=params
        )
    return HttpResponse("<Response/>", content_type="text/xml")
