"""SMS providers, one module each, behind `sms.providers.base.SmsProvider`."""

from sms.providers.base import SmsProvider


def get_provider(name: str) -> SmsProvider | None:
    """The configured provider called `name`, or None when its credentials are not set."""
    from sms import conf
    from sms.providers.every8d import Every8dProvider
    from sms.providers.mitake import MitakeProvider
    from sms.providers.twilio import TwilioProvider

    factories = {
        "mitake": (MitakeProvider, conf.mitake_credentials),
        "every8d": (Every8dProvider, conf.every8d_credentials),
        "twilio": (TwilioProvider, conf.twilio_credentials),
    }
    if name not in factories:
        return None
    provider_class, credentials = factories[name]
    creds = credentials()
    if not creds.is_configured:
        return None
    return provider_class(creds)
