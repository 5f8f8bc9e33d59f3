"""In-memory model of the Discord objects the stand-in serves (users, guilds, channels, roles)."""

from __future__ import annotations

import datetime as _dt
import itertools
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

DISCORD_EPOCH_MS = 1420070400000


class Perm:
    """Permission bits used by the stand-in (same values as Discord's)."""

    CREATE_INSTANT_INVITE = 1 << 0
    KICK_MEMBERS = 1 << 1
    BAN_MEMBERS = 1 << 2
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    MANAGE_GUILD = 1 << 5
    ADD_REACTIONS = 1 << 6
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    USE_EXTERNAL_EMOJIS = 1 << 18
    CONNECT = 1 << 20
    SPEAK = 1 << 21
    CHANGE_NICKNAME = 1 << 26
    MANAGE_ROLES = 1 << 28
    USE_APPLICATION_COMMANDS = 1 << 31
    MANAGE_THREADS = 1 << 34
    CREATE_PUBLIC_THREADS = 1 << 35
    CREATE_PRIVATE_THREADS = 1 << 36
    SEND_MESSAGES_IN_THREADS = 1 << 38
    MODERATE_MEMBERS = 1 << 40

    ALL = 8866461766385663
    """Every permission bit discord.py 2.7 knows about."""

    DEFAULT_EVERYONE = (
        CREATE_INSTANT_INVITE
        | ADD_REACTIONS
        | VIEW_CHANNEL
        | SEND_MESSAGES
        | EMBED_LINKS
        | ATTACH_FILES
        | READ_MESSAGE_HISTORY
        | USE_EXTERNAL_EMOJIS
        | CONNECT
        | SPEAK
        | CHANGE_NICKNAME
        | USE_APPLICATION_COMMANDS
        | CREATE_PUBLIC_THREADS
        | SEND_MESSAGES_IN_THREADS
    )
    """What a fresh guild grants @everyone."""


class ChannelType:
    """Discord channel type numbers."""

    TEXT = 0
    DM = 1
    VOICE = 2
    CATEGORY = 4
    NEWS = 5
    NEWS_THREAD = 10
    PUBLIC_THREAD = 11
    PRIVATE_THREAD = 12
    FORUM = 15

    THREADS = (NEWS_THREAD, PUBLIC_THREAD, PRIVATE_THREAD)


class Snowflakes:
    """Generates unique, increasing snowflakes whose timestamps are 'now'."""

    def __init__(self) -> None:
        self._last = 0
        self._counter = itertools.count()

    def next(self) -> int:
        """Return a new snowflake."""
        stamp = int(time.time() * 1000) - DISCORD_EPOCH_MS
        value = (stamp << 22) | (next(self._counter) & 0x3FFFFF)
        if value <= self._last:
            value = self._last + 1
        self._last = value
        return value


def iso_now() -> str:
    """Current UTC time in the ISO 8601 form Discord uses."""
    return _dt.datetime.now(_dt.UTC).isoformat()


@dataclass
class FakeUser:
    """A Discord user."""

    id: int
    username: str
    global_name: str | None = None
    bot: bool = False
    avatar: str | None = None
    discriminator: str = "0"
    locale: str = "fr"

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"

    def payload(self) -> dict[str, Any]:
        """User object as Discord sends it."""
        data: dict[str, Any] = {
            "id": str(self.id),
            "username": self.username,
            "global_name": self.global_name,
            "discriminator": self.discriminator,
            "avatar": self.avatar,
            "avatar_decoration_data": None,
            "banner": None,
            "accent_color": None,
            "public_flags": 0,
            "flags": 0,
            "primary_guild": None,
            "collectibles": None,
        }
        if self.bot:
            data["bot"] = True
        return data


@dataclass
class FakeRole:
    """A guild role. The @everyone role has the guild's id."""

    id: int
    guild_id: int
    name: str
    permissions: int = 0
    position: int = 0
    color: int = 0
    hoist: bool = False
    mentionable: bool = False
    managed: bool = False
    tags: dict[str, Any] | None = None

    @property
    def mention(self) -> str:
        return "@everyone" if self.is_everyone else f"<@&{self.id}>"

    @property
    def is_everyone(self) -> bool:
        return self.id == self.guild_id

    def payload(self) -> dict[str, Any]:
        """Role object as Discord sends it."""
        data: dict[str, Any] = {
            "id": str(self.id),
            "name": self.name,
            "permissions": str(self.permissions),
            "position": self.position,
            "color": self.color,
            "colors": {
                "primary_color": self.color,
                "secondary_color": None,
                "tertiary_color": None,
            },
            "hoist": self.hoist,
            "managed": self.managed,
            "mentionable": self.mentionable,
            "icon": None,
            "unicode_emoji": None,
            "flags": 0,
        }
        if self.tags is not None:
            data["tags"] = self.tags
        return data


@dataclass
class FakeChannel:
    """A guild channel, a thread or a DM channel."""

    id: int
    name: str
    type: int = ChannelType.TEXT
    guild_id: int | None = None
    position: int = 0
    parent_id: int | None = None
    topic: str | None = None
    nsfw: bool = False
    rate_limit_per_user: int = 0
    permission_overwrites: list[dict[str, Any]] = field(default_factory=list)
    recipients: list[FakeUser] = field(default_factory=list)
    owner_id: int | None = None
    archived: bool = False
    locked: bool = False
    message_count: int = 0
    last_message_id: int | None = None

    @property
    def mention(self) -> str:
        return f"<#{self.id}>"

    @property
    def is_thread(self) -> bool:
        return self.type in ChannelType.THREADS

    @property
    def is_dm(self) -> bool:
        return self.type == ChannelType.DM

    def payload(self) -> dict[str, Any]:
        """Channel object as Discord sends it."""
        last = str(self.last_message_id) if self.last_message_id else None
        if self.is_dm:
            return {
                "id": str(self.id),
                "type": self.type,
                "last_message_id": last,
                "flags": 0,
                "recipients": [u.payload() for u in self.recipients],
            }
        data: dict[str, Any] = {
            "id": str(self.id),
            "type": self.type,
            "guild_id": str(self.guild_id),
            "name": self.name,
            "position": self.position,
            "parent_id": str(self.parent_id) if self.parent_id else None,
            "permission_overwrites": list(self.permission_overwrites),
            "nsfw": self.nsfw,
            "rate_limit_per_user": self.rate_limit_per_user,
            "flags": 0,
        }
        if self.type in (ChannelType.TEXT, ChannelType.NEWS, ChannelType.FORUM):
            data["topic"] = self.topic
            data["last_message_id"] = last
            data["default_auto_archive_duration"] = 1440
        if self.type == ChannelType.FORUM:
            data["available_tags"] = []
            data["default_reaction_emoji"] = None
            data["default_sort_order"] = None
            data["default_forum_layout"] = 0
        if self.is_thread:
            data.pop("position", None)
            data.pop("permission_overwrites", None)
            data["owner_id"] = str(self.owner_id) if self.owner_id else None
            data["last_message_id"] = last
            data["message_count"] = self.message_count
            data["member_count"] = 1
            data["total_message_sent"] = self.message_count
            data["thread_metadata"] = {
                "archived": self.archived,
                "auto_archive_duration": 1440,
                "archive_timestamp": iso_now(),
                "locked": self.locked,
                "create_timestamp": iso_now(),
                "invitable": True,
            }
        return data


@dataclass
class FakeMember:
    """A user's membership in a guild."""

    user: FakeUser
    guild_id: int
    roles: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: str = field(default_factory=iso_now)

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def mention(self) -> str:
        return self.user.mention

    def payload(self, *, with_user: bool = True, permissions: int | None = None) -> dict[str, Any]:
        """Guild member object as Discord sends it."""
        data: dict[str, Any] = {
            "roles": [str(r) for r in self.roles],
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "joined_at": self.joined_at,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
            "avatar_decoration_data": None,
        }
        if with_user:
            data["user"] = self.user.payload()
        if permissions is not None:
            data["permissions"] = str(permissions)
        return data


@dataclass
class FakeGuild:
    """A guild with its roles, channels and members."""

    id: int
    name: str
    owner_id: int
    locale: str = "fr"
    roles: dict[int, FakeRole] = field(default_factory=dict)
    channels: dict[int, FakeChannel] = field(default_factory=dict)
    threads: dict[int, FakeChannel] = field(default_factory=dict)
    members: dict[int, FakeMember] = field(default_factory=dict)
    bot_role_id: int | None = None

    @property
    def everyone(self) -> FakeRole:
        return self.roles[self.id]

    @property
    def bot_role(self) -> FakeRole | None:
        return self.roles.get(self.bot_role_id) if self.bot_role_id else None

    def role(self, name_or_id: str | int) -> FakeRole:
        """Find a role by name or id."""
        for role in self.roles.values():
            if role.id == name_or_id or role.name == name_or_id:
                return role
        raise KeyError(
            f"no role {name_or_id!r} in guild {self.name!r}; "
            f"roles: {[r.name for r in self.roles.values()]}"
        )

    def channel(self, name_or_id: str | int) -> FakeChannel:
        """Find a channel or thread by name or id."""
        for chan in itertools.chain(self.channels.values(), self.threads.values()):
            if chan.id == name_or_id or chan.name == name_or_id:
                return chan
        names = [c.name for c in itertools.chain(self.channels.values(), self.threads.values())]
        raise KeyError(f"no channel {name_or_id!r} in guild {self.name!r}; channels: {names}")

    def member(self, user: FakeUser | FakeMember | int) -> FakeMember:
        """Find a member by user, member or id."""
        uid = user if isinstance(user, int) else user.id
        try:
            return self.members[uid]
        except KeyError:
            raise KeyError(f"user {uid} is not a member of guild {self.name!r}") from None

    def create_payload(self) -> dict[str, Any]:
        """GUILD_CREATE payload (available guild, members included, member_count matching)."""
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "preferred_locale": self.locale,
            "features": [],
            "max_members": 500000,
            "max_video_channel_users": 25,
            "max_stage_video_channel_users": 50,
            "application_id": None,
            "widget_enabled": False,
            "incidents_data": None,
            "roles": [r.payload() for r in self.roles.values()],
            "emojis": [],
            "stickers": [],
            "channels": [c.payload() for c in self.channels.values()],
            "threads": [t.payload() for t in self.threads.values()],
            "members": [m.payload() for m in self.members.values()],
            "member_count": len(self.members),
            "large": False,
            "unavailable": False,
            "joined_at": iso_now(),
            "lazy": True,
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }

    def payload(self) -> dict[str, Any]:
        """REST guild object (GET /guilds/{id})."""
        data = self.create_payload()
        for key in (
            "channels",
            "threads",
            "members",
            "voice_states",
            "presences",
            "stage_instances",
            "guild_scheduled_events",
            "soundboard_sounds",
            "joined_at",
            "lazy",
            "large",
            "unavailable",
            "member_count",
        ):
            data.pop(key, None)
        return data


class World:
    """Everything the stand-in knows about: the bot, users, guilds and DM channels."""

    def __init__(self, *, bot_name: str = "StandinBot", application_id: int | None = None) -> None:
        self.ids = Snowflakes()
        self.bot_user = FakeUser(id=self.ids.next(), username=bot_name, bot=True)
        self.owner = FakeUser(id=self.ids.next(), username="app-owner")
        self.application_id: int = application_id or self.bot_user.id
        self.application_flags: int = (
            (1 << 15) | (1 << 19) | (1 << 23)
        )  # members/message content/... limited
        self.users: dict[int, FakeUser] = {
            self.bot_user.id: self.bot_user,
            self.owner.id: self.owner,
        }
        self.guilds: dict[int, FakeGuild] = {}
        self.dm_channels: dict[int, FakeChannel] = {}  # by recipient id

    # -- creation -----------------------------------------------------------------------------

    def add_user(
        self,
        username: str,
        *,
        global_name: str | None = None,
        bot: bool = False,
        locale: str = "fr",
        user_id: int | None = None,
    ) -> FakeUser:
        """Create a user (not yet a member of any guild)."""
        user = FakeUser(
            id=user_id or self.ids.next(),
            username=username,
            global_name=global_name,
            bot=bot,
            locale=locale,
        )
        self.users[user.id] = user
        return user

    def add_guild(
        self,
        name: str = "Test Guild",
        *,
        guild_id: int | None = None,
        locale: str = "fr",
        everyone_permissions: int = Perm.DEFAULT_EVERYONE,
        bot_permissions: int = Perm.ADMINISTRATOR,
        owner: FakeUser | None = None,
    ) -> FakeGuild:
        """Create a guild with its @everyone role, a managed bot role and the bot as member."""
        gid = guild_id or self.ids.next()
        guild = FakeGuild(id=gid, name=name, owner_id=(owner or self.owner).id, locale=locale)
        guild.roles[gid] = FakeRole(
            id=gid, guild_id=gid, name="@everyone", permissions=everyone_permissions
        )
        bot_role = FakeRole(
            id=self.ids.next(),
            guild_id=gid,
            name=self.bot_user.username,
            permissions=bot_permissions,
            position=100,
            managed=True,
            tags={"bot_id": str(self.bot_user.id)},
        )
        guild.roles[bot_role.id] = bot_role
        guild.bot_role_id = bot_role.id
        guild.members[self.bot_user.id] = FakeMember(
            user=self.bot_user, guild_id=gid, roles=[bot_role.id]
        )
        self.guilds[gid] = guild
        return guild

    def add_role(
        self,
        guild: FakeGuild,
        name: str,
        *,
        permissions: int = 0,
        position: int | None = None,
        color: int = 0,
        mentionable: bool = False,
        hoist: bool = False,
        role_id: int | None = None,
    ) -> FakeRole:
        """Create a role; by default it sits below the bot's role."""
        if position is None:
            position = 1 + max(
                (r.position for r in guild.roles.values() if r.position < 100), default=0
            )
        role = FakeRole(
            id=role_id or self.ids.next(),
            guild_id=guild.id,
            name=name,
            permissions=permissions,
            position=position,
            color=color,
            mentionable=mentionable,
            hoist=hoist,
        )
        guild.roles[role.id] = role
        return role

    def add_channel(
        self,
        guild: FakeGuild,
        name: str,
        *,
        type: int = ChannelType.TEXT,
        category: FakeChannel | None = None,
        position: int | None = None,
        topic: str | None = None,
        overwrites: Iterable[dict[str, Any]] = (),
        channel_id: int | None = None,
    ) -> FakeChannel:
        """Create a guild channel (text by default)."""
        if position is None:
            position = len([c for c in guild.channels.values() if c.type == type])
        chan = FakeChannel(
            id=channel_id or self.ids.next(),
            name=name,
            type=type,
            guild_id=guild.id,
            position=position,
            parent_id=category.id if category else None,
            topic=topic,
            permission_overwrites=list(overwrites),
        )
        guild.channels[chan.id] = chan
        return chan

    def add_member(
        self,
        guild: FakeGuild,
        user: FakeUser,
        *,
        roles: Iterable[FakeRole | int | str] = (),
        nick: str | None = None,
    ) -> FakeMember:
        """Make a user a member of a guild with the given roles (objects, ids or names)."""
        role_ids = [self._role_id(guild, r) for r in roles]
        member = FakeMember(user=user, guild_id=guild.id, roles=role_ids, nick=nick)
        guild.members[user.id] = member
        return member

    def dm_channel(self, user: FakeUser) -> FakeChannel:
        """The bot's DM channel with a user (created on first use)."""
        chan = self.dm_channels.get(user.id)
        if chan is None:
            chan = FakeChannel(
                id=self.ids.next(),
                name=f"dm-{user.username}",
                type=ChannelType.DM,
                recipients=[user],
            )
            self.dm_channels[user.id] = chan
        return chan

    @staticmethod
    def _role_id(guild: FakeGuild, role: FakeRole | int | str) -> int:
        if isinstance(role, FakeRole):
            return role.id
        return guild.role(role).id

    # -- lookups ------------------------------------------------------------------------------

    def find_channel(self, channel_id: int) -> FakeChannel | None:
        """Any channel, thread or DM channel by id."""
        for guild in self.guilds.values():
            chan = guild.channels.get(channel_id) or guild.threads.get(channel_id)
            if chan is not None:
                return chan
        for chan in self.dm_channels.values():
            if chan.id == channel_id:
                return chan
        return None

    def guild_of(self, channel: FakeChannel) -> FakeGuild | None:
        return self.guilds.get(channel.guild_id) if channel.guild_id else None

    def bot_member(self, guild: FakeGuild) -> FakeMember:
        return guild.members[self.bot_user.id]

    # -- permissions --------------------------------------------------------------------------

    def base_permissions(self, guild: FakeGuild, member: FakeMember) -> int:
        """Guild-level permissions of a member (roles only)."""
        if member.id == guild.owner_id:
            return Perm.ALL
        perms = guild.everyone.permissions
        for rid in member.roles:
            role = guild.roles.get(rid)
            if role is not None:
                perms |= role.permissions
        if perms & Perm.ADMINISTRATOR:
            return Perm.ALL
        return perms

    def channel_permissions(
        self, guild: FakeGuild, member: FakeMember, channel: FakeChannel | None
    ) -> int:
        """Permissions of a member in a channel, overwrites applied."""
        perms = self.base_permissions(guild, member)
        if perms == Perm.ALL or channel is None:
            return perms
        if channel.is_thread and channel.parent_id:
            channel = guild.channels.get(channel.parent_id, channel)
        overwrites = {int(o["id"]): o for o in channel.permission_overwrites}
        everyone = overwrites.get(guild.id)
        if everyone:
            perms = (perms & ~int(everyone.get("deny", 0))) | int(everyone.get("allow", 0))
        allow = deny = 0
        for rid in member.roles:
            ow = overwrites.get(rid)
            if ow and int(ow.get("type", 0)) == 0:
                allow |= int(ow.get("allow", 0))
                deny |= int(ow.get("deny", 0))
        perms = (perms & ~deny) | allow
        ow = overwrites.get(member.id)
        if ow and int(ow.get("type", 1)) == 1:
            perms = (perms & ~int(ow.get("deny", 0))) | int(ow.get("allow", 0))
        return perms

    def top_role_position(self, guild: FakeGuild, member: FakeMember) -> int:
        return max((guild.roles[r].position for r in member.roles if r in guild.roles), default=0)
