"""``!tribune`` text commands."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.errors import InvalidInput, MissingFields
from bot.core.i18n import N_, _, current_locale
from bot.core.render import tribune as render
from bot.core.render.errors import error as render_error
from bot.core.render.message import Message, Visibility
from bot.core.services.tribune import SignatureForm
from bot.textcmd.registry import Command, Invocation, page_number

# Accepted option keys (folded) for each form field.
SIGN_KEYS: dict[str, tuple[str, ...]] = {
    "name": ("nom", "name"),
    "profession": ("metier", "profession", "job"),
    "city": ("ville", "city"),
    "collective": ("collectif", "collective"),
    "public": ("public", "publique"),
    "consent": ("consentement", "consent", "accord"),
}
KEY_NAMES = {
    "fr": {"name": "nom", "profession": "metier", "city": "ville", "collective": "collectif",
           "public": "public", "consent": "consentement"},
    "en": {"name": "name", "profession": "profession", "city": "city",
           "collective": "collective", "public": "public", "consent": "consent"},
}
TRUE_WORDS = {"oui", "o", "yes", "y", "true", "vrai", "1", "ok", "d'accord", "daccord"}
FALSE_WORDS = {"non", "n", "no", "false", "faux", "0"}


def parse_bool(key: str, value: str) -> bool:
    folded = value.strip().casefold()
    if folded in TRUE_WORDS:
        return True
    if folded in FALSE_WORDS:
        return False
    raise InvalidInput(
        N_("“{value}” is not understood for {key}: answer oui or non (yes or no)."),
        value=value[:40],
        key=key,
    )


def _form(inv: Invocation) -> SignatureForm:
    values: dict[str, str] = {}
    for key, value in inv.options.items():
        field = next((f for f, keys in SIGN_KEYS.items() if key in keys), None)
        if field is None:
            names = KEY_NAMES[current_locale()]
            raise InvalidInput(
                N_("Unknown field “{key}”. Fields are: {fields}."),
                key=key[:40],
                fields=", ".join(names.values()),
            )
        values[field] = value
    if inv.args:
        raise InvalidInput(
            N_("Write each answer as field=value, for example {example}."),
            example='nom="Alice Martin"' if current_locale() == "fr" else 'name="Alice Martin"',
        )
    public = parse_bool(KEY_NAMES[current_locale()]["public"], values["public"]) \
        if "public" in values else None
    consent = parse_bool(KEY_NAMES[current_locale()]["consent"], values["consent"]) \
        if "consent" in values else None
    return SignatureForm(
        name=values.get("name"),
        profession=values.get("profession"),
        city=values.get("city"),
        collective=values.get("collective"),
        public=public,
        consent=consent,
    )


def _template(inv: Invocation, form: SignatureForm) -> str:
    names = KEY_NAMES[current_locale()]
    sign = "sign" if current_locale() == "en" else "signer"
    parts = [f"{inv.prefix}tribune {sign}"]
    for key in ("name", "profession", "city", "collective"):
        value = getattr(form, key)
        shown = f'"{value}"' if value else "…"
        parts.append(f"{names[key]}={shown}")
    yes, no = ("yes", "no") if current_locale() == "en" else ("oui", "non")
    parts.append(f"{names['public']}={yes if form.public else no}")
    parts.append(f"{names['consent']}={yes}")
    return " ".join(parts)


async def show(inv: Invocation) -> Sequence[Message]:
    if inv.args:
        raise InvalidInput(
            N_("Unexpected words after the command. Type {help} for the list."),
            help=f"{inv.prefix}{'help' if current_locale() == 'en' else 'aide'} tribune",
        )
    return [render.tribune(await inv.core.tribune.show(inv.actor, inv.place))]


async def sign(inv: Invocation) -> Sequence[Message]:
    form = _form(inv)
    try:
        result = await inv.core.tribune.sign(inv.actor, inv.place, form)
    except MissingFields as exc:
        return [
            render_error(exc),
            Message(
                lines=(
                    render.consent_notice(),
                    _("Send the command again with every field, for example:"),
                    _template(inv, form),
                ),
                visibility=Visibility.EPHEMERAL,
            ),
        ]
    replies = [render.signed(result)]
    await inv.core.outbox.deliver(result.announcements)
    return replies


async def withdraw(inv: Invocation) -> Sequence[Message]:
    return [render.withdrawn(await inv.core.tribune.withdraw(inv.actor, inv.place))]


async def signatories(inv: Invocation) -> Sequence[Message]:
    page = page_number(inv.args)
    return [render.signatories(await inv.core.tribune.signatories(inv.actor, inv.place, page))]


async def export(inv: Invocation) -> Sequence[Message]:
    return [render.exported(await inv.core.tribune.export(inv.actor, inv.place))]


async def set_text(inv: Invocation) -> Sequence[Message]:
    text = inv.raw_args.strip()
    if not text:
        raise InvalidInput(
            N_("Give the text after the command, or {reset} to use the configuration file."),
            reset="--reset",
        )
    value = None if text == "--reset" else text
    return [render.setting_changed(await inv.core.tribune.set_text(inv.actor, inv.place, value))]


async def announcements(inv: Invocation) -> Sequence[Message]:
    word = inv.args[0].casefold() if len(inv.args) == 1 else ""
    if word in {"ici", "here"}:
        channel = inv.place.channel_id
    elif word in {"off", "non", "no", "aucun", "none"}:
        channel = None
    else:
        raise InvalidInput(
            N_("Say where: {here} for this channel, or {off} to turn announcements off."),
            here="ici" if current_locale() == "fr" else "here",
            off="off",
        )
    result = await inv.core.tribune.set_announcement_channel(inv.actor, inv.place, channel)
    return [render.setting_changed(result)]


def command() -> Command:
    group = Command(
        "tribune", "tribune", N_("show the tribune, its count and latest signatories"),
        handler=show, aliases=("manifeste", "manifesto"),
    )
    group.children = [
        Command("signer", "sign", N_("sign the tribune (or update your signature)"),
                usage_fr='nom="…" metier=… ville=… [collectif=…] [public=oui] consentement=oui',
                usage_en='name="…" profession=… city=… [collective=…] [public=yes] consent=yes',
                handler=sign),
        Command("retirer", "withdraw", N_("withdraw your signature and delete its data"),
                handler=withdraw),
        Command("liste", "list", N_("public signatories and counts by city and profession"),
                usage_fr="[page]", usage_en="[page]", handler=signatories,
                aliases=("signataires", "signatories")),
        Command("export", "export", N_("CSV of all signatures, sent to you privately"),
                handler=export, moderator=True, aliases=("exporter",)),
        Command("texte", "text", N_("set the tribune text (Markdown)"),
                usage_fr="<texte> | --reset", usage_en="<text> | --reset",
                handler=set_text, moderator=True),
        Command("annonces", "announcements", N_("post milestone announcements here, or not"),
                usage_fr="ici | off", usage_en="here | off", handler=announcements,
                moderator=True),
    ]
    return group


__all__ = ["command", "parse_bool"]
