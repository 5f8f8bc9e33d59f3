"""Domain errors carry a translatable message and its parameters.

Each adapter turns them into a reply in exactly one place. ``message`` is the
gettext msgid (English source text with ``{name}`` placeholders).
"""

from __future__ import annotations

from typing import Any

from bot.core.i18n import N_


class DomainError(Exception):
    message: str = N_("This action could not be completed.")

    def __init__(self, message: str | None = None, /, **params: Any) -> None:
        if message is not None:
            self.message = message
        self.params = params
        super().__init__(self.message, params)


class PermissionDenied(DomainError):
    message = N_("Only moderators can do this.")


class NotFound(DomainError):
    message = N_("Nothing was found.")


class InvalidInput(DomainError):
    """A value the member gave is not acceptable; the message says what to do."""

    message = N_("This value is not valid.")


class MissingFields(DomainError):
    """Some required values are missing; adapters ask for them."""

    message = N_("Some information is missing: {fields}.")

    def __init__(self, fields: dict[str, str], **params: Any) -> None:
        """``fields`` maps each missing key to its label (marked with ``N_``)."""
        self.fields = fields
        super().__init__(None, **params)


class ConsentRequired(DomainError):
    message = N_(
        "Your signature was not recorded: explicit consent is required to store it. "
        "Read the notice above, then sign again with consent."
    )


class RateLimited(DomainError):
    message = N_("Too many attempts: wait a little and try again.")


class ConfirmationRequired(DomainError):
    """The action needs an explicit confirmation; the message says how."""

    message = N_("Please confirm this action.")
