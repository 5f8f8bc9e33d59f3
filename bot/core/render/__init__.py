"""Platform-neutral messages. Adapters render them natively.

Text in ``title``, ``lines`` and fields may use light Markdown (``**bold**``,
``*italic*``, ``[label](url)``); user-supplied pieces are passed through
:func:`bot.core.render.md.escape` before being placed in it.
"""

from bot.core.render.message import Action, Attachment, Field, Message, Tone, Visibility

__all__ = ["Action", "Attachment", "Field", "Message", "Tone", "Visibility"]
