"""Language selection (Traditional Chinese unless the user picked another); pages answer 503 when the database
connection went away."""

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header

API_PREFIX = "/api/"
logger = logging.getLogger(__name__)


class PreferredLanguageMiddleware:
    """Activates the language from the language cookie (set by `set_language`), else zh-Hant.

    Unlike Django's LocaleMiddleware this ignores the browser's Accept-Language header for pages:
    staff phones and PCs in Taiwan are often set to English, yet the office works in Chinese. An
    API request without the cookie is answered in the language its client asks for in
    Accept-Language (the driver app sends the language the driver picked), so every message of
    one response is in one language.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if language not in self.supported:
            language = settings.LANGUAGE_CODE
            if request.path.startswith(API_PREFIX):
                language = self.from_accept_language(request.headers.get("Accept-Language", "")) or language
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response

    def from_accept_language(self, header: str) -> str | None:
        """The first supported language in the header (zh-TW, zh-Hant → zh-hant; en-US → en)."""
        for code, _quality in parse_accept_lang_header(header[:255]):
            code = code.lower()
            if code == "*":
                return None
            if code.startswith("zh"):
                # Taiwan's Chinese is the one we have; zh-CN readers read it better than English.
                return "zh-hant"
            try:
                return translation.get_supported_language_variant(code)
            except LookupError:
                continue
        return None


class DatabaseUnavailableMiddleware:
    """A page whose database connection went away mid-request (PostgreSQL restarting or failing over, which ends
    every open connection) answers 503 with Retry-After, as the APIs do (luckygas.api), instead of a 500: nothing
    was saved (the request's transaction did not commit), and the person can send the form again. Found by the
    soak: an office clerk's cancel answered 500 while PostgreSQL restarted."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.warning("database unavailable", exc_info=exception)
        # No request context: its processors (the user, the session) would ask the database again.
        response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = "5"
        return response
