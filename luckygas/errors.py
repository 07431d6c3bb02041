"""Domain errors: what a service refuses and why, in words and field names, never HTTP.

A service raises a `DomainError` subclass with a machine-readable `code` and the fields it
concerns; the API layer decides the status code (see `luckygas.api.exception_handler`).
"""


class DomainError(Exception):
    """A refusal a caller can act on: `code` says which, `errors` names the fields and says why."""

    def __init__(self, *, code: str, errors: dict[str, list[str]]) -> None:
        super().__init__(code)
        self.code = code
        self.errors = errors

    @property
    def message(self) -> str:
        """The first message, for a one-line answer."""
        return next((messages[0] for messages in self.errors.values() if messages), self.code)
