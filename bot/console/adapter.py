"""Read commands from stdin, one per line, and print the replies.

Lines starting with ``:`` control the session:

- ``:as NAME`` act as member NAME (not a moderator);
- ``:as NAME --mod`` act as NAME with moderator rights;
- ``:whoami`` show who is acting; ``:quit`` stop.

So a whole scenario can be scripted:
``printf ':as alice\\n!tribune signer ...\\n' | python -m bot console``.
"""

from __future__ import annotations

import asyncio
import logging
import shlex
import sys
import threading
from pathlib import Path
from typing import TextIO

from bot.core.app import Core
from bot.core.errors import DomainError
from bot.core.i18n import _, translate, use_locale
from bot.core.render import errors as render_errors
from bot.core.render.message import Message, Tone
from bot.core.types import Actor, Place, Platform
from bot.errors import error_reference
from bot.private_files import exports_dir, write_private
from bot.textcmd import build_registry

log = logging.getLogger(__name__)

COLLECTIVE_ID = "console"


class ConsoleAdapter:
    name = "console"

    def __init__(
        self,
        core: Core,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
    ) -> None:
        self.core = core
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        settings = core.settings.console
        self.actor = Actor(Platform.CONSOLE, settings.user, settings.user, settings.moderator)
        self.place = Place(Platform.CONSOLE, COLLECTIVE_ID, "console", "console")
        self.registry = build_registry(prefix="!")
        self.exports_dir = exports_dir(core.settings.bot.data_dir)
        self.interactive = settings.prompt and self.stdin.isatty()
        self._stopped = asyncio.Event()

    # -- output ----------------------------------------------------------------

    def write(self, text: str) -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    def show(self, message: Message) -> None:
        text = message.plain_text()
        if message.tone is Tone.ERROR:
            text = "! " + text.replace("\n", "\n! ")
        for attachment in message.attachments:
            path = self._save(attachment.filename, attachment.content)
            text += "\n" + translate("File saved: {path}", path=str(path))
        self.write(text)

    def _save(self, filename: str, content: bytes) -> Path:
        """Write an export in a private file (deleted after bot.export_retention_days)."""
        return write_private(self.exports_dir / Path(filename).name, content)

    async def announce(self, collective_id: str, channel_id: str, message: Message) -> None:
        self.write(f"[#{channel_id}] " + message.plain_text())

    async def tell(self, user_id: str, message: Message) -> None:
        """A private message to a member: shown with their name."""
        self.write(f"[→ {user_id}] " + message.plain_text())

    # -- input -----------------------------------------------------------------

    def _meta(self, line: str) -> bool:
        """Handle a ``:`` line; return False to stop."""
        words = shlex.split(line[1:]) if line[1:].strip() else []
        verb = words[0].casefold() if words else ""
        if verb in {"quit", "exit", "q"}:
            return False
        if verb == "as" and len(words) >= 2:
            moderator = "--mod" in words[2:]
            self.actor = Actor(Platform.CONSOLE, words[1], words[1], moderator)
            role = _("moderator") if moderator else _("member")
            self.write(translate("You are now {name} ({role}).", name=words[1], role=role))
        elif verb == "whoami":
            role = _("moderator") if self.actor.is_moderator else _("member")
            self.write(f"{self.actor.display_name} ({role})")
        else:
            self.write(_("Console commands: :as NAME [--mod], :whoami, :quit"))
        return True

    async def handle_line(self, line: str) -> bool:
        """Run one input line; return False when the session should end."""
        line = line.strip()
        if not line or line.startswith("#"):
            return True
        locale = await self.core.locale_for(self.place)
        with use_locale(locale):
            if line.startswith(":"):
                return self._meta(line)
            text = self.registry.strip_prefix(line, required=False) or ""
            try:
                replies = await self.registry.dispatch(self.core, self.actor, self.place, text)
            except DomainError as exc:
                self.show(render_errors.error(exc))
                return True
            except Exception:
                reference = error_reference()
                # The command only: its arguments may be a ballot.
                log.exception("console command failed [%s]: %r", reference,
                              " ".join(line.split()[:2]))
                self.show(render_errors.unexpected(reference))
                return True
            for reply in replies:
                self.show(reply)
        return True

    def _start_reader(self) -> asyncio.Queue[str]:
        """Lines of stdin, read by a daemon thread: a stop (Ctrl-C, SIGTERM) does not
        wait for the next line, and the process can exit while the thread still reads."""
        loop = asyncio.get_running_loop()
        lines: asyncio.Queue[str] = asyncio.Queue()

        def read() -> None:
            while True:
                try:
                    line = self.stdin.readline()
                except (OSError, ValueError):  # stdin closed under us
                    line = ""
                try:
                    loop.call_soon_threadsafe(lines.put_nowait, line)
                except RuntimeError:  # the loop is closed: the bot has stopped
                    return
                if line == "":
                    return

        threading.Thread(target=read, name="console-stdin", daemon=True).start()
        return lines

    async def run(self) -> None:
        self.core.outbox.register(Platform.CONSOLE.value, self.announce, self.tell)
        with use_locale(await self.core.locale_for(self.place)):
            self.write(_("independants-bot console. Type !aide for the commands, :quit to leave."))
        lines = self._start_reader()
        stopped = asyncio.ensure_future(self._stopped.wait())
        try:
            while not self._stopped.is_set():
                if self.interactive:
                    self.stdout.write("> ")
                    self.stdout.flush()
                next_line = asyncio.ensure_future(lines.get())
                await asyncio.wait({next_line, stopped}, return_when=asyncio.FIRST_COMPLETED)
                if not next_line.done():
                    next_line.cancel()
                    break
                line = next_line.result()
                if line == "":
                    break
                if not await self.handle_line(line):
                    break
        finally:
            stopped.cancel()
            self.core.outbox.unregister(Platform.CONSOLE.value)

    async def stop(self) -> None:
        self._stopped.set()
