"""Message → Discord embed, buttons and files."""

from __future__ import annotations

import discord

from bot.core.render.md import escape
from bot.core.render.message import Action, Attachment, Field, Message, Tone, Visibility
from bot.discord import render
from bot.discord.views import ActionButton


def test_message_becomes_an_embed_with_buttons_and_files() -> None:
    message = Message(
        title="Tribune",
        lines=("First line", "", "**3 signatures**"),
        fields=(Field("City", "Lyon", inline=True), Field("Empty", "")),
        actions=(Action("tribune:sign", "Sign", style="success"),
                 Action("tribune:list", "Signatories", style="secondary")),
        attachments=(Attachment("export.csv", b"a,b\n", "text/csv"),),
        footer="Page 1/2",
        tone=Tone.SUCCESS,
    )
    drawn = render.render(message)
    embed = drawn.embed
    assert embed is not None
    assert embed.title == "Tribune"
    assert embed.description == "First line\n\n**3 signatures**"
    assert [(f.name, f.value, f.inline) for f in embed.fields] == [
        ("City", "Lyon", True), ("Empty", render.EMPTY, False)]
    assert embed.footer.text == "Page 1/2"
    assert embed.colour == render.COLOURS[Tone.SUCCESS]
    assert drawn.view is not None and drawn.view.timeout is None
    buttons = list(drawn.view.children)
    assert all(isinstance(b, ActionButton) for b in buttons)
    assert [(b.custom_id, b.item.label, b.item.style) for b in buttons] == [
        ("tribune:sign", "Sign", discord.ButtonStyle.success),
        ("tribune:list", "Signatories", discord.ButtonStyle.secondary),
    ]
    assert [f.filename for f in drawn.files] == ["export.csv"]
    assert drawn.files[0].fp.read() == b"a,b\n"
    assert drawn.ephemeral is False


def test_visibility_maps_to_ephemeral() -> None:
    assert render.render(Message(lines=("x",), visibility=Visibility.EPHEMERAL)).ephemeral
    assert render.render(Message(lines=("x",), visibility=Visibility.PRIVATE)).ephemeral
    assert not render.render(Message(lines=("x",))).ephemeral
    assert render.render(Message(lines=("x",)), ephemeral=True).ephemeral


def test_every_send_disables_mentions_and_puts_nothing_in_content() -> None:
    message = Message(lines=(escape("@everyone <@&123> @here <@456>"),))
    for kwargs in (render.render(message).kwargs(),
                   render.render(message).kwargs(interaction=False)):
        assert kwargs["allowed_mentions"].to_dict() == {"parse": []}
        assert "content" not in kwargs
    assert "ephemeral" not in render.render(message).kwargs(interaction=False)


def test_user_markdown_stays_escaped() -> None:
    typed = "**bold** _it_ [link](http://x) `code` > quote"
    embed = render.embed(Message(lines=(f"Name: {escape(typed)}",)))
    assert embed is not None
    assert embed.description == f"Name: {escape(typed)}"
    assert "\\*\\*bold\\*\\*" in embed.description


def test_long_texts_are_shortened_to_discord_limits() -> None:
    message = Message(
        title="T" * 300,
        lines=("x" * 5000,),
        fields=tuple(Field(f"f{i}", "v" * 2000) for i in range(30)),
        footer="f" * 3000,
        actions=tuple(Action(f"tribune:a{i}", "L" * 100) for i in range(30)),
    )
    drawn = render.render(message)
    embed = drawn.embed
    assert embed is not None
    assert len(embed.title) == render.TITLE_LIMIT and embed.title.endswith("…")
    assert len(embed.fields) <= render.FIELD_COUNT_LIMIT
    assert all(len(f.value) <= render.FIELD_VALUE_LIMIT for f in embed.fields)
    assert len(embed.footer.text) <= render.FOOTER_LIMIT
    assert len(embed) <= render.EMBED_TOTAL_LIMIT
    assert drawn.view is not None and len(drawn.view.children) == render.BUTTON_LIMIT
    assert all(len(b.item.label) <= render.BUTTON_LABEL_LIMIT for b in drawn.view.children)
    rows = [b.row for b in drawn.view.children]
    assert max(rows) == 4 and rows.count(0) == render.BUTTONS_PER_ROW


def test_fields_fill_the_room_left_by_the_description() -> None:
    message = Message(lines=("x" * 100,), fields=tuple(Field(f"f{i}", "v" * 1000)
                                                      for i in range(10)))
    embed = render.embed(message)
    assert embed is not None
    assert len(embed) <= render.EMBED_TOTAL_LIMIT
    assert [len(f.value) for f in embed.fields][:5] == [1000] * 5
    assert embed.fields[-1].value.endswith("…")


def test_message_without_text_has_no_embed() -> None:
    drawn = render.render(Message(attachments=(Attachment("a.csv", b""),)))
    assert drawn.embed is None and "embed" not in drawn.kwargs()
    assert render.render(Message(lines=("x",))).view is None
