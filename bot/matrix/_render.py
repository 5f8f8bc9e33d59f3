"""A ``Message`` as Matrix event content: plain ``body`` plus ``org.matrix.custom.html``.

Everything is HTML-escaped first; only then is the light Markdown written by the
core renderers (``**bold**``, ``*italic*``, ``code`` in backticks, ``[label](url)``
with http/https URLs, backslash escapes) turned into tags. So user text can never
inject markup. ``@room`` is neutralised and every event carries an empty
``m.mentions``, so nothing the bot relays notifies a whole room or a user.
"""

from __future__ import annotations

import html
import re
import struct
from typing import Any

from bot.core.render.message import Attachment, Message

HTML_FORMAT = "org.matrix.custom.html"
WORD_JOINER = "\u2060"

# Legacy push rules match "@room" case-insensitively in the plain body.
_ROOM_MENTION = re.compile(r"@(?=room)", re.IGNORECASE)

# Applied to text that is already HTML-escaped: "&", "<", ">", '"' and "'" are
# entities, so none of these patterns can see or produce raw markup.
_TOKEN = re.compile(
    r"\\(?P<escaped>&gt;|[\\`*_~|\[\]()#])"
    r"|`(?P<code>[^`]+)`"
    r"|\[(?P<label>(?:\\.|[^\]\\])*)\]\((?P<url>[^()\s]+)\)"
    r"|(?P<marker>\*\*|__|\*)"
)
_UNESCAPE = re.compile(r"\\(&gt;|[\\`*_~|\[\]()#])")
_SAFE_URL = re.compile(r"https?://[^\s]+", re.IGNORECASE)
# Links to matrix.to become user or room pills in clients: shown as text only.
_PILL_HOSTS = re.compile(r"https?://matrix\.to(?:[/:?#]|$)", re.IGNORECASE)
_TAGS = {"**": "strong", "__": "strong", "*": "em"}


def neutralize_mentions(text: str) -> str:
    """Break ``@room`` so that no client or server reads it as a room mention."""
    return _ROOM_MENTION.sub("@" + WORD_JOINER, text)


def _inline(escaped: str) -> str:
    """Light Markdown over already-escaped text to HTML; unpaired markers stay literal."""
    out: list[str] = []
    # (marker, index in ``out`` of its placeholder) for emphasis not yet closed
    stack: list[tuple[str, int]] = []
    position = 0
    for match in _TOKEN.finditer(escaped):
        out.append(escaped[position:match.start()])
        position = match.end()
        if match.group("escaped") is not None:
            out.append(match.group("escaped"))
        elif match.group("code") is not None:
            out.append(f"<code>{match.group('code')}</code>")
        elif match.group("url") is not None:
            out.append(_link(match.group("label"), match.group("url")))
        else:
            marker = match.group("marker")
            open_markers = [m for m, _ in stack]
            if marker in open_markers:
                # Close it; markers opened inside it and left open stay literal.
                while stack:
                    opened, index = stack.pop()
                    if opened == marker:
                        out[index] = f"<{_TAGS[marker]}>"
                        out.append(f"</{_TAGS[marker]}>")
                        break
            else:
                stack.append((marker, len(out)))
                out.append(marker)
    out.append(escaped[position:])
    return "".join(out)


def _link(label: str, url: str) -> str:
    url = _UNESCAPE.sub(r"\1", url)
    text = _inline(label)
    if not _SAFE_URL.fullmatch(html.unescape(url)) or _PILL_HOSTS.match(html.unescape(url)):
        return f"{text} ({url})"
    return f'<a href="{url}">{text}</a>'


def markdown_to_html(text: str) -> str:
    """One piece of light Markdown (possibly several lines) as safe HTML."""
    escaped = html.escape(neutralize_mentions(text), quote=True)
    return "<br>".join(_inline(line) for line in escaped.split("\n"))


def _code(text: str) -> str:
    return html.escape(neutralize_mentions(text), quote=True)


def _lines_html(lines: tuple[str, ...]) -> list[str]:
    """Lines as HTML blocks; consecutive ``- item`` lines become one list."""
    blocks: list[str] = []
    items: list[str] = []
    for line in lines:
        if line.startswith("- "):
            items.append(f"<li>{markdown_to_html(line[2:])}</li>")
            continue
        if items:
            blocks.append("<ul>" + "".join(items) + "</ul>")
            items = []
        blocks.append(markdown_to_html(line))
    if items:
        blocks.append("<ul>" + "".join(items) + "</ul>")
    return blocks


def message_html(message: Message) -> str:
    """The ``formatted_body`` made from the same parts as ``message.plain_text()``."""
    blocks: list[str] = []
    if message.title:
        blocks.append(f"<strong>{markdown_to_html(message.title)}</strong>")
    blocks.extend(_lines_html(message.lines))
    for item in message.fields:
        blocks.append(
            f"<strong>{markdown_to_html(item.name)}</strong>: {markdown_to_html(item.value)}"
        )
    hints = [
        f"{markdown_to_html(action.label)}: <code>{_code(action.command)}</code>"
        for action in message.actions
        if action.command
    ]
    if hints:
        blocks.append("→ " + " · ".join(hints))
    for attachment in message.attachments:
        blocks.append(
            html.escape(f"[{attachment.filename}, {len(attachment.content)} bytes]")
        )
    if message.footer:
        blocks.append(f"<sub>{markdown_to_html(message.footer)}</sub>")
    html_text = ""
    for block in blocks:
        if html_text and not html_text.endswith("</ul>") and not block.startswith("<ul>"):
            html_text += "<br>"
        html_text += block
    return html_text


def message_content(
    message: Message, *, relates_to: dict[str, Any] | None = None
) -> dict[str, Any]:
    """``m.room.message`` content for a bot reply (an ``m.notice``)."""
    content: dict[str, Any] = {
        "msgtype": "m.notice",
        "body": neutralize_mentions(message.plain_text()),
        "format": HTML_FORMAT,
        "formatted_body": message_html(message),
        "m.mentions": {},
    }
    if relates_to:
        content["m.relates_to"] = relates_to
    return content


def edit_content(message: Message, event_id: str) -> dict[str, Any]:
    """An ``m.replace`` edit of the bot's message ``event_id`` so that it shows ``message``."""
    new = message_content(message)
    return {
        "msgtype": new["msgtype"],
        "body": "* " + new["body"],
        "format": HTML_FORMAT,
        "formatted_body": "* " + new["formatted_body"],
        "m.new_content": new,
        "m.relates_to": {"rel_type": "m.replace", "event_id": event_id},
        "m.mentions": {},
    }


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def image_size(data: bytes, mime: str) -> tuple[int, int] | None:
    """Width and height of a PNG, read from its header; None for anything else."""
    if mime != "image/png" or len(data) < 24 or not data.startswith(_PNG_SIGNATURE):
        return None
    if data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return (width, height) if width and height else None


def file_content(
    attachment: Attachment, url: str, encryption: dict[str, Any] | None = None
) -> dict[str, Any]:
    """``m.image`` (images) or ``m.file`` content for an uploaded attachment
    (``encryption`` from an encrypted upload)."""
    name = neutralize_mentions(attachment.filename)
    info: dict[str, Any] = {"mimetype": attachment.mime, "size": len(attachment.content)}
    image = attachment.mime.startswith("image/")
    if image:
        size = image_size(attachment.content, attachment.mime)
        if size is not None:
            info["w"], info["h"] = size
    content: dict[str, Any] = {
        "msgtype": "m.image" if image else "m.file",
        "body": name,
        "filename": name,
        "info": info,
        "m.mentions": {},
    }
    if encryption is None:
        content["url"] = url
    else:
        content["file"] = {**encryption, "url": url, "mimetype": attachment.mime}
    return content
