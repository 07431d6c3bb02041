"""The office's SMS screens: templates with a live counter, messages with their whole history,
dead letters with "resend via…", opt-outs, consent, the link allowlist and provider routing."""

from sms.admin import messages, providers, recipients, templates

__all__ = ["messages", "providers", "recipients", "templates"]
