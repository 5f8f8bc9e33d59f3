"""Message → Matrix content: safe HTML from light Markdown, and no mention from user text."""

from __future__ import annotations

import html
from html.parser import HTMLParser

import pytest

from bot.core.errors import InvalidInput
from bot.core.i18n import use_locale
from bot.core.render import errors as render_errors
from bot.core.render.md import escape
from bot.core.render.message import Action, Attachment, Field, Message
from bot.matrix._render import (
    WORD_JOINER,
    file_content,
    markdown_to_html,
    message_content,
    message_html,
    neutralize_mentions,
)

ALLOWED_TAGS = {"strong", "em", "code", "a", "br", "ul", "li", "sub"}

TRICKY = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "**bold** *it* `code` [x](https://evil.example) \\*",
    "[click](javascript:alert(1))",
    "a & b < c > d ' \" é",
    "@room tout le monde, @ROOM aussi",
    "trailing backslash \\",
    "`<b>`",
]


class _Checker(HTMLParser):
    """Collects tags and text; fails on unbalanced or unexpected tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        assert tag in ALLOWED_TAGS, tag
        self.tags.append((tag, dict(attrs)))
        if tag != "br":
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, (self.stack, tag)
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def check(markup: str) -> _Checker:
    checker = _Checker()
    checker.feed(markup)
    checker.close()
    assert checker.stack == [], f"unclosed tags in {markup!r}"
    return checker


@pytest.mark.parametrize("text", TRICKY)
def test_escaped_user_text_shows_literally(text: str) -> None:
    """User text goes through md.escape in the renderers: no tag may come out of it."""
    result = check(markdown_to_html(escape(text)))
    assert result.tags == []
    assert "".join(result.text) == neutralize_mentions(text)


@pytest.mark.parametrize("text", TRICKY)
def test_unescaped_markdown_never_injects_html(text: str) -> None:
    result = check(markdown_to_html(text))
    for tag, attrs in result.tags:
        if tag == "a":
            assert attrs["href"] is not None
            assert attrs["href"].startswith(("https://", "http://"))
        else:
            assert attrs == {}


def test_light_markdown_becomes_html() -> None:
    assert markdown_to_html("**Tribune** *ouverte*") == "<strong>Tribune</strong> <em>ouverte</em>"
    assert markdown_to_html("`!tribune signer`") == "<code>!tribune signer</code>"
    assert markdown_to_html("`a*b*c`") == "<code>a*b*c</code>"
    assert markdown_to_html("[texte](https://example.org/a?b=1&c=2)") == (
        '<a href="https://example.org/a?b=1&amp;c=2">texte</a>'
    )
    assert markdown_to_html("[**gras**](http://example.org)") == (
        '<a href="http://example.org"><strong>gras</strong></a>'
    )
    assert markdown_to_html("un\ndeux") == "un<br>deux"
    assert markdown_to_html(r"\*pas en italique\*") == "*pas en italique*"


def test_unsafe_and_pill_links_stay_text() -> None:
    assert "<a" not in markdown_to_html("[x](ftp://example.org/file)")
    assert "<a" not in markdown_to_html("[x](data:text/html,hi)")
    pill = markdown_to_html("[Alice](https://matrix.to/#/@alice:example.org)")
    assert "<a" not in pill
    assert "Alice (https://matrix.to/#/@alice:example.org)" in html.unescape(pill)


def test_unpaired_markers_stay_literal_and_tags_balance() -> None:
    assert markdown_to_html("5 * 3") == "5 * 3"
    assert markdown_to_html("**ouvert") == "**ouvert"
    check(markdown_to_html("**a *b** c* d**"))
    check(markdown_to_html("*a **b* c** d*"))


def test_room_mention_is_neutralised_everywhere() -> None:
    message = Message(
        title="@room",
        lines=("@Room salut", "- @room"),
        fields=(Field("@room", "@ROOM"),),
        actions=(Action("x", "@room", command="!tribune @room"),),
        footer="@room",
    )
    content = message_content(message)
    assert content["m.mentions"] == {}
    for text in (content["body"], content["formatted_body"]):
        assert "@room" not in text.casefold()
        assert text.count("@" + WORD_JOINER) == 8


def test_body_is_the_plain_text_and_html_has_the_same_parts() -> None:
    with use_locale("fr"):
        message = Message(
            title="Tribune",
            lines=("Merci.", "**2 signatures**"),
            fields=(Field("Nom", escape("Zoé <b>*x*")), Field("Ville", "Lyon")),
        )
    content = message_content(message)
    assert content["body"] == message.plain_text()
    assert content["format"] == "org.matrix.custom.html"
    assert content["msgtype"] == "m.notice"
    markup = content["formatted_body"]
    check(markup)
    assert markup == (
        "<strong>Tribune</strong><br>Merci.<br><strong>2 signatures</strong>"
        "<br><strong>Nom</strong>: Zoé &lt;b&gt;*x*<br><strong>Ville</strong>: Lyon"
    )


def test_error_message_renders() -> None:
    with use_locale("en"):
        content = message_content(render_errors.error(InvalidInput()))
    assert content["body"] == "This value is not valid."
    assert content["formatted_body"] == "This value is not valid."


def test_structure_lists_actions_footer() -> None:
    message = Message(
        title="Signataires",
        lines=("2 signatures", "- **A** · x", "- **B** · y", "fin"),
        actions=(Action("a", "Signer", command="!tribune signer"),
                 Action("b", "Liste", command="!tribune liste"), Action("c", "Bouton")),
        footer="Page 1/2",
    )
    markup = message_html(message)
    check(markup)
    assert "<ul><li><strong>A</strong> · x</li><li><strong>B</strong> · y</li></ul>fin" in markup
    assert "→ Signer: <code>!tribune signer</code> · Liste: <code>!tribune liste</code>" in markup
    assert "Bouton" not in markup  # an action without a text command has no hint
    assert markup.endswith("<sub>Page 1/2</sub>")


def test_reply_relation_is_kept() -> None:
    relation = {"m.in_reply_to": {"event_id": "$abc"}}
    content = message_content(Message(lines=("ok",)), relates_to=relation)
    assert content["m.relates_to"] == relation


def test_file_content_plain_and_encrypted() -> None:
    attachment = Attachment("export @room.csv", b"a,b\n", "text/csv")
    plain = file_content(attachment, "mxc://hs/abc")
    assert plain["msgtype"] == "m.file"
    assert plain["url"] == "mxc://hs/abc"
    assert plain["info"] == {"mimetype": "text/csv", "size": 4}
    assert plain["m.mentions"] == {}
    assert "@room" not in plain["body"]

    keys = {"key": {"k": "secret"}, "iv": "iv", "hashes": {"sha256": "h"}, "v": "v2"}
    encrypted = file_content(attachment, "mxc://hs/def", keys)
    assert "url" not in encrypted
    assert encrypted["file"]["url"] == "mxc://hs/def"
    assert encrypted["file"]["key"] == {"k": "secret"}
    assert encrypted["file"]["mimetype"] == "text/csv"
