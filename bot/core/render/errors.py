"""One rendering of domain errors for every adapter."""

from __future__ import annotations

from bot.core.errors import DomainError, MissingFields
from bot.core.i18n import localize, translate
from bot.core.render.message import Message, Tone, Visibility


def error(exc: DomainError, *, hint: str = "") -> Message:
    params = dict(exc.params)
    if isinstance(exc, MissingFields):
        params["fields"] = ", ".join(localize(label) for label in exc.fields.values())
    lines = [translate(exc.message, **params)]
    if hint:
        lines.append(hint)
    return Message(lines=tuple(lines), tone=Tone.ERROR, visibility=Visibility.EPHEMERAL)


def unexpected(reference: str) -> Message:
    return Message(
        lines=(
            translate(
                "Something went wrong on our side. Please try again later; if it persists, "
                "give this reference to a moderator: {reference}",
                reference=reference,
            ),
        ),
        tone=Tone.ERROR,
        visibility=Visibility.EPHEMERAL,
    )
