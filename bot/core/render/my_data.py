"""The member's data export as a document they can read (``!mes-donnees``).

One section per kind of data, each field with a label in the collective's
language, and values made readable: dates in the collective's time zone, yes or
no, statuses in words. Call it within the collective's locale.

Every table the export walks (:func:`bot.core.services.privacy.export_tables`)
needs an entry in :data:`SECTIONS`, and each of its columns either a label or a
place in ``hidden`` (a column deliberately left out of the document: an internal
counter, the reference to the member themself). A table or column without one is
still shown, under its internal name, and a test fails until it is labelled.
The JSON copy sent beside the document holds every column.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

from bot.core.i18n import N_, Translatable, _, current_locale, localize, ngettext, translate
from bot.core.services.aid import CATEGORIES
from bot.core.services.demands import STATUSES as DEMAND_STATUSES
from bot.core.services.demands import THEMES
from bot.core.services.polls import METHODS, VotedPoll
from bot.core.services.privacy import (
    AccountRef,
    DataExport,
    ExportRow,
    PersonRef,
    RowRef,
    Withheld,
)
from bot.core.skills import skill_label
from bot.core.workflows import WORKFLOWS

PLATFORMS = {"discord": "Discord", "matrix": "Matrix", "console": "console"}
# Tables whose ids are the numbers members use (#12): shown with references to them.
NUMBERED = frozenset({"proposals", "polls", "meetups", "aid_posts", "exchanges"})

# Columns that mean the same in every table.
COMMON_FIELDS: dict[str, Translatable] = {
    "collective_id": N_("Collective"),
    "created_at": N_("Recorded on"),
    "updated_at": N_("Last changed on"),
}
# The row's own id (shown as the item's number where members use it) and the
# reference to the member (always themself).
COMMON_HIDDEN = frozenset({"id", "person_id"})

AID_KINDS = {"request": N_("Request"), "offer": N_("Offer")}
AID_STATUSES = {"open": N_("open"), "fulfilled": N_("fulfilled"),
                "closed": N_("no longer open"), "expired": N_("expired")}
EXCHANGE_STATUSES = {"pending": N_("waiting for confirmation"), "confirmed": N_("confirmed"),
                     "declined": N_("declined")}
RSVP_STATUSES = {"going": N_("I'm coming"), "maybe": N_("Maybe"),
                 "waitlist": N_("on the waiting list")}
MEETUP_STATUSES = {"scheduled": N_("planned"), "cancelled": N_("called off")}
RECURRENCES = {"none": N_("does not repeat"), "weekly": N_("every week"),
               "monthly": N_("every month")}
POLL_STATUSES = {"scheduled": N_("not open yet"), "open": N_("open for votes"),
                 "closed": N_("closed"), "cancelled": N_("cancelled")}
ELIGIBILITIES = {"everyone": N_("all members"), "signatories": N_("signatories of the tribune"),
                 "role": N_("members with a given role")}
CODE_KINDS = {"federation": N_("joining a federation"), "identity": N_("linking your accounts")}

AUDIT_ACTIONS: dict[str, Translatable] = {
    "aid.edit": N_("mutual-aid post edited"),
    "aid.close": N_("mutual-aid post closed"),
    "aid.balance-flag": N_("time-bank balance beyond the limit flagged"),
    "config.locale": N_("language changed"),
    "config.timezone": N_("time zone changed"),
    "config.moderator_role": N_("moderators chosen"),
    "config.moderator_level": N_("moderators chosen"),
    "config.organiser_role": N_("organisers chosen"),
    "config.organiser_level": N_("organisers chosen"),
    "config.retention": N_("how long departed members' data is kept, changed"),
    "config.scope": N_("workflow shared with the federation or kept local"),
    "demand.merge": N_("demands merged"),
    "demand.open": N_("demand reopened"),
    "demand.retained": N_("demand retained"),
    "demand.voting": N_("demand put to a vote"),
    "demand.adopted": N_("demand adopted"),
    "demand.rejected": N_("demand rejected"),
    "faq.import": N_("rights answers imported"),
    "faq.passive": N_("passive help turned on or off in a channel"),
    "faq.add": N_("rights answer added"),
    "faq.edit": N_("rights answer edited"),
    "faq.retire": N_("rights answer withdrawn"),
    "faq.restore": N_("rights answer restored"),
    "faq.alias": N_("other wording added to a rights answer"),
    "faq.unalias": N_("other wording removed from a rights answer"),
    "faq.dismiss": N_("unanswered question dismissed"),
    "federation.create": N_("federation created"),
    "federation.code": N_("federation code issued"),
    "federation.join": N_("federation joined"),
    "federation.leave": N_("federation left"),
    "federation.remove": N_("collective removed from the federation"),
    "federation.moderator": N_("federation moderator added"),
    "meetup.create": N_("meetup created"),
    "meetup.edit": N_("meetup changed"),
    "meetup.cancel": N_("meetup called off"),
    "meetup.attendees": N_("list of attendees exported"),
    "poll.open": N_("poll opened"),
    "poll.close": N_("poll closed"),
    "poll.export": N_("ballots exported"),
    "tribune.export": N_("signatures exported"),
    "tribune.text": N_("tribune text changed"),
    "tribune.role": N_("signer role chosen"),
}
# Actions not listed above, by their first word.
AUDIT_FAMILIES: dict[str, Translatable] = {
    "aid": N_("mutual-aid moderation"),
    "config": N_("configuration changed"),
    "demand": N_("demand moderation"),
    "faq": N_("rights FAQ moderation"),
    "federation": N_("federation change"),
    "meetup": N_("meetup moderation"),
    "poll": N_("poll moderation"),
    "tribune": N_("tribune moderation"),
}


@dataclass(frozen=True, slots=True)
class Section:
    """How one table is shown: its title, what one row is called, a label per
    column in the order shown, the columns left out, and words for coded values."""

    title: Translatable
    item: Translatable
    fields: dict[str, Translatable]
    hidden: frozenset[str] = frozenset()
    values: dict[str, Mapping[str, Translatable]] = field(default_factory=dict)

    def label(self, column: str) -> Translatable | None:
        return self.fields.get(column) or COMMON_FIELDS.get(column)

    def hides(self, column: str) -> bool:
        return column in self.hidden or column in COMMON_HIDDEN


# In the order of the document.
SECTIONS: dict[str, Section] = {
    "memberships": Section(
        N_("Collectives you were seen in"), N_("Collective"),
        {"member_id": N_("Account"), "collective_id": N_("Collective"),
         "joined_at": N_("First seen on"), "left_at": N_("Left on")},
    ),
    "signatures": Section(
        N_("Your signature of the tribune"), N_("Signature"),
        {"collective_id": N_("Collective"), "display_name": N_("Name"),
         "profession": N_("Profession"), "city": N_("City"),
         "collective_label": N_("Collective named on the signature"),
         "public": N_("Shown publicly"), "consent_at": N_("Consent given on")},
    ),
    "proposals": Section(
        N_("Demands you proposed"), N_("Demand"),
        {"collective_id": N_("Collective"), "title": N_("Title"), "body": N_("Text"),
         "theme": N_("Theme"), "status": N_("Status"),
         "reason": N_("Reason given by the moderators"), "merged_into_id": N_("Merged into"),
         "decided_at": N_("Decided on")},
        values={"theme": THEMES, "status": DEMAND_STATUSES},
    ),
    "proposal_supports": Section(
        N_("Demands you support"), N_("Your support"), {"proposal_id": N_("Demand")},
    ),
    "polls": Section(
        N_("Polls you created"), N_("Poll"),
        {"collective_id": N_("Collective"), "title": N_("Title"),
         "method": N_("Voting method"), "status": N_("Status"), "opens_at": N_("Opens on"),
         "closes_at": N_("Closes on"), "closed_at": N_("Closed on"),
         "eligibility": N_("Who may vote"), "eligible_role": N_("Role allowed to vote"),
         "eligible_count": N_("Members allowed to vote"),
         "quorum_ballots": N_("Quorum (ballots)"),
         "quorum_percent": N_("Quorum (percentage of members allowed to vote)"),
         "secret": N_("Secret ballot"), "final": N_("Ballots cannot be changed"),
         "live_results": N_("Results shown during the vote"),
         "receipts": N_("Voting receipts"), "max_choices": N_("Most choices per ballot")},
        # The result belongs to the poll, not to its creator (it is in the JSON copy).
        hidden=frozenset({"result"}),
        values={"method": METHODS, "status": POLL_STATUSES, "eligibility": ELIGIBILITIES},
    ),
    "meetups": Section(
        N_("Meetups you organised"), N_("Meetup"),
        {"collective_id": N_("Collective"), "title": N_("Title"), "starts_at": N_("Starts on"),
         "ends_at": N_("Ends on"), "online": N_("Online"), "city": N_("City"),
         "address": N_("Address"), "link": N_("Link"), "description": N_("Description"),
         "capacity": N_("Places"), "rsvp_deadline": N_("Answers until"),
         "recurrence": N_("Repeats"), "reminders": N_("Reminders"), "status": N_("Status")},
        # Internal counters: the series a repeated meetup belongs to, and a version.
        hidden=frozenset({"series_id", "version"}),
        values={"recurrence": RECURRENCES, "status": MEETUP_STATUSES},
    ),
    "rsvps": Section(
        N_("Your answers to meetups"), N_("Answer"),
        {"meetup_id": N_("Meetup"), "status": N_("Your answer")},
        # The order of arrival, used for the waiting list.
        hidden=frozenset({"queued"}),
        values={"status": RSVP_STATUSES},
    ),
    "aid_posts": Section(
        N_("Your mutual-aid requests and offers"), N_("Post"),
        {"collective_id": N_("Collective"), "kind": N_("Request or offer"),
         "category": N_("Kind of help"), "skills": N_("Skills"), "tags": N_("Tags"),
         "description": N_("Description"), "remote": N_("Remote"), "city": N_("City"),
         "hours": N_("Expected time"), "status": N_("Status"), "expires_at": N_("Open until")},
        values={"kind": AID_KINDS, "category": CATEGORIES, "status": AID_STATUSES},
    ),
    "skill_profiles": Section(
        N_("Your mutual-aid profile"), N_("Profile"),
        {"skills": N_("Skills"), "city": N_("City"),
         "notify": N_("Told about matching requests")},
    ),
    "aid_notifications": Section(
        N_("Requests you were told about"), N_("Notice"),
        {"post_id": N_("Post"), "sent_at": N_("Sent on")},
    ),
    "exchanges": Section(
        N_("Your time-bank exchanges"), N_("Exchange"),
        {"collective_id": N_("Collective"), "giver_id": N_("Given by"),
         "receiver_id": N_("Received by"), "recorded_by_id": N_("Recorded by"),
         "hours": N_("Time"), "category": N_("Kind of help"), "post_id": N_("Post"),
         "note": N_("Note"), "status": N_("Status"), "corrects_id": N_("Corrects exchange"),
         "confirmed_at": N_("Confirmed on")},
        values={"category": CATEGORIES, "status": EXCHANGE_STATUSES},
    ),
    "ledger_entries": Section(
        N_("Your time-bank account"), N_("Entry"),
        {"exchange_id": N_("Exchange"), "amount": N_("Hours (+ given, − received)")},
    ),
    "faq_feedback": Section(
        N_("Your opinions on rights answers"), N_("Opinion"),
        {"entry_id": N_("Rights answer"), "useful": N_("Useful")},
    ),
    "federation_moderators": Section(
        N_("Federations you moderate"), N_("Federation"),
        {"federation_id": N_("Federation"), "created_at": N_("Since")},
    ),
    "audit_log": Section(
        N_("Moderation actions you took"), N_("Action"),
        {"at": N_("Date"), "collective_id": N_("Collective"), "federation_id": N_("Federation"),
         "action": N_("Action"), "detail": N_("Detail"), "actor_label": N_("Recorded as")},
    ),
    "link_codes": Section(
        N_("Codes issued to your accounts"), N_("Code"),
        {"member_id": N_("Account"), "kind": N_("Purpose"), "federation_id": N_("Federation"),
         "created_at": N_("Issued on"), "expires_at": N_("Expires on"),
         "used_at": N_("Used on")},
        values={"kind": CODE_KINDS},
    ),
    "link_attempts": Section(
        N_("Wrong codes tried from your accounts"), N_("Attempt"),
        {"member_id": N_("Account"), "at": N_("Date")},
    ),
}


# -- values ---------------------------------------------------------------------------

def _moment(value: datetime, zone: str) -> str:
    pattern = "d MMMM y 'à' HH:mm" if current_locale() == "fr" else "d MMMM y 'at' HH:mm"
    return format_datetime(value.astimezone(ZoneInfo(zone)), pattern, locale=current_locale())


def _number(value: Decimal | float | int) -> str:
    if isinstance(value, Decimal):
        value = value.normalize()
    return format_decimal(value, locale=current_locale())


def _hours(value: Any) -> str:
    return translate("{hours} h", hours=_number(Decimal(str(value))))


def _amount(value: Any) -> str:
    amount = Decimal(str(value))
    sign = "+" if amount > 0 else "−" if amount < 0 else ""
    return sign + _hours(abs(amount))


def _skills(value: Any) -> str:
    return ", ".join(skill_label(k.strip()) for k in str(value).split(",") if k.strip())


def _delay(minutes: int) -> str:
    if minutes and minutes % 1440 == 0:
        days = minutes // 1440
        return ngettext("{count} day", "{count} days", days).format(count=days)
    if minutes and minutes % 60 == 0:
        return translate("{hours} h", hours=minutes // 60)
    return translate("{count} min", count=minutes)


def _reminders(value: Any) -> str:
    delays = [int(m) for m in str(value).split(",") if m.strip().isdigit()]
    if not delays:
        return _("none")
    return translate("{delays} before the start", delays=", ".join(_delay(m) for m in delays))


def _action(value: Any) -> str:
    code = str(value)
    if code in AUDIT_ACTIONS:
        return localize(AUDIT_ACTIONS[code])
    if code.startswith("config.channel."):
        workflow = WORKFLOWS.get(code.removeprefix("config.channel."))
        if workflow is not None:
            return translate("channel chosen for {workflow}", workflow=workflow)
    family = AUDIT_FAMILIES.get(code.split(".")[0])
    return localize(family) if family is not None else _("other moderation action")


# Readers for columns whose text needs more than a translation.
FORMATTERS: dict[tuple[str, str], Callable[[Any], str]] = {
    ("aid_posts", "hours"): _hours,
    ("aid_posts", "skills"): _skills,
    ("skill_profiles", "skills"): _skills,
    ("exchanges", "hours"): _hours,
    ("ledger_entries", "amount"): _amount,
    ("meetups", "reminders"): _reminders,
    ("audit_log", "action"): _action,
}


def _reference(ref: RowRef) -> str:
    if ref.table in NUMBERED:
        return f"#{ref.id} · {ref.label}" if ref.label else f"#{ref.id}"
    return ref.label or f"#{ref.id}"


def _account(account: AccountRef) -> str:
    platform = PLATFORMS.get(account.platform, account.platform)
    name = account.display_name or account.user_id
    if name == account.user_id:
        return f"{platform} · {name}"
    return f"{platform} · {name} ({account.user_id})"


def _value(section: str, column: str, value: Any, zone: str,
           words: Mapping[str, Translatable] | None = None) -> str:
    if value is None or value == "":
        return "—"
    formatter = FORMATTERS.get((section, column))
    if formatter is not None:
        return formatter(value)
    if words is not None and str(value) in words:
        return localize(words[str(value)])
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, PersonRef):
        return _("you") if value.you else value.name
    if isinstance(value, AccountRef):
        return _account(value)
    if isinstance(value, RowRef):
        return _reference(value)
    if isinstance(value, Withheld):
        return _("not shown: it is about another member")
    if isinstance(value, datetime):
        return _moment(value, zone)
    if isinstance(value, date):
        return format_date(value, "d MMMM y", locale=current_locale())
    if isinstance(value, Decimal | float | int):
        return _number(value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_value(section, '', v, zone)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_value(section, "", v, zone) for v in value)
    return str(value)


def _field(label: str, text: str) -> str:
    """One ``- **Label**: value`` line; more lines of the value stay in the item."""
    text = text.strip().replace("\r\n", "\n").replace("\n", "\n  ")
    return "- " + translate("{label}: {value}", label=f"**{label}**", value=text)


def _item(section: str, labels: Section | None, row: ExportRow, zone: str) -> list[str]:
    lines = []
    values = dict(row)
    order = list(labels.fields) if labels else []
    order += [c for c in COMMON_FIELDS if c not in order]
    order += [c for c, _v in row if c not in order]
    for column in order:
        if column not in values:
            continue
        if labels is not None and labels.hides(column):
            continue
        label = labels.label(column) if labels else None
        words = labels.values.get(column) if labels else None
        lines.append(_field(localize(label) if label else column,
                            _value(section, column, values[column], zone, words)))
    return lines


def _voted(poll: VotedPoll) -> list[str]:
    lines = [_field(_("Title"), poll.title),
             _field(_("Status"), localize(POLL_STATUSES[poll.status])
                    if poll.status in POLL_STATUSES else poll.status)]
    if poll.secret or poll.ballot is None:
        lines.append(_field(_("Your ballot"),
                            _("secret: what you chose is not shown, not even to you")))
    else:
        lines.append(_field(_("Your ballot"), poll.ballot))
    return lines


def document(export: DataExport) -> str:
    """The export as a Markdown document in the current locale."""
    zone = export.timezone
    out = ["# " + _("Your data"), ""]
    out.append(translate("Everything the bot holds about you, on {when}.",
                         when=_moment(export.generated_at, zone)))
    if not export.identities:
        out += ["", _("The bot holds nothing about you.")]
        return "\n".join(out) + "\n"
    out += [
        translate("Dates and times are given in the {zone} time zone.", zone=zone),
        _("One section per kind of data; the kinds where nothing is held about you are "
          "listed at the end. The same data is attached as a JSON file, for computer "
          "programs."),
        _("Left out on purpose: the fingerprints of one-time codes, the keys that protect "
          "ballots, and what you chose in a secret ballot; and about other members, nothing "
          "but the name they show."),
        "",
        "## " + _("Your accounts"),
    ]
    account = _("Account")
    for index, identity in enumerate(export.identities, start=1):
        out += ["", f"### {account} {index}",
                _field(_("Platform"), PLATFORMS.get(identity.platform, identity.platform)),
                _field(_("User id"), identity.user_id),
                _field(_("Display name"), identity.display_name or "—"),
                _field(_("First seen on"), _moment(identity.since, zone))]
    empty: list[str] = []
    sections = {s.table: s for s in export.sections}
    order = [t for t in SECTIONS if t in sections] + [t for t in sections if t not in SECTIONS]
    for table in order:
        if table == "polls":
            _polls_voted(export, out, empty)
        labels = SECTIONS.get(table)
        title = localize(labels.title) if labels else table
        rows = sections[table].rows
        if not rows:
            empty.append(title)
            continue
        out += ["", "## " + title]
        item = localize(labels.item) if labels else table
        for index, row in enumerate(rows, start=1):
            number = dict(row).get("id") if table in NUMBERED else None
            heading = f"{item} #{number}" if number is not None else (
                f"{item} {index}" if len(rows) > 1 else item)
            out += ["", "### " + heading, *_item(table, labels, row, zone)]
    if "polls" not in sections:
        _polls_voted(export, out, empty)
    if empty:
        out += ["", "## " + _("Nothing held about you"), ""]
        out += [f"- {title}" for title in empty]
    return "\n".join(out) + "\n"


def _polls_voted(export: DataExport, out: list[str], empty: list[str]) -> None:
    title = _("Polls you voted in")
    if not export.polls:
        empty.append(title)
        return
    out += ["", "## " + title]
    item = _("Poll")
    for poll in export.polls:
        out += ["", f"### {item} #{poll.id}", *_voted(poll)]


def filenames() -> tuple[str, str]:
    """The names of the document and of its JSON copy, in the current locale."""
    stem = _("my-data")
    return f"{stem}.md", f"{stem}.json"
