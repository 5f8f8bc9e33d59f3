"""Builders for INTERACTION_CREATE payloads shaped as Discord documents them."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .world import FakeChannel, FakeGuild, FakeMember, FakeRole, FakeUser, World

Actor = FakeMember | FakeUser
DEFAULT_ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024


class OptionType:
    """Application command option types."""

    SUB_COMMAND = 1
    SUB_COMMAND_GROUP = 2
    STRING = 3
    INTEGER = 4
    BOOLEAN = 5
    USER = 6
    CHANNEL = 7
    ROLE = 8
    MENTIONABLE = 9
    NUMBER = 10
    ATTACHMENT = 11


class InteractionType:
    PING = 1
    APPLICATION_COMMAND = 2
    MESSAGE_COMPONENT = 3
    AUTOCOMPLETE = 4
    MODAL_SUBMIT = 5


@dataclass
class AttachmentSpec:
    """An attachment a user passes to an ATTACHMENT option or a file-upload component."""

    filename: str
    data: bytes = b""
    content_type: str = "application/octet-stream"


class Resolved:
    """Accumulates the ``resolved`` block of an interaction."""

    def __init__(
        self, world: World, guild: FakeGuild | None, base_url: str = "http://127.0.0.1"
    ) -> None:
        self.world = world
        self.guild = guild
        self.base_url = base_url
        self.data: dict[str, dict[str, Any]] = {}

    def _put(self, kind: str, key: int, value: dict[str, Any]) -> None:
        self.data.setdefault(kind, {})[str(key)] = value

    def user(self, who: Actor | int) -> str:
        uid = who if isinstance(who, int) else who.id
        user = self.world.users[uid]
        self._put("users", uid, user.payload())
        if self.guild is not None and uid in self.guild.members:
            member = self.guild.members[uid]
            perms = self.world.base_permissions(self.guild, member)
            self._put("members", uid, member.payload(with_user=False, permissions=perms))
        return str(uid)

    def role(self, role: FakeRole | int) -> str:
        if isinstance(role, int):
            if self.guild is None:
                raise ValueError("a role option needs a guild")
            role = self.guild.roles[role]
        self._put("roles", role.id, role.payload())
        return str(role.id)

    def channel(self, channel: FakeChannel | int, member: FakeMember | None = None) -> str:
        if isinstance(channel, int):
            found = self.world.find_channel(channel)
            if found is None:
                raise KeyError(f"unknown channel {channel}")
            channel = found
        data = channel.payload()
        perms = 0
        if self.guild is not None and member is not None:
            perms = self.world.channel_permissions(self.guild, member, channel)
        data["permissions"] = str(perms)
        self._put("channels", channel.id, data)
        return str(channel.id)

    def mentionable(self, value: Any) -> str:
        if isinstance(value, FakeRole):
            return self.role(value)
        if isinstance(value, int) and self.guild is not None and value in self.guild.roles:
            return self.role(value)
        return self.user(value)

    def attachment(self, spec: AttachmentSpec) -> str:
        att_id = self.world.ids.next()
        url = f"{self.base_url}/attachments/0/{att_id}/{spec.filename}"
        self._put(
            "attachments",
            att_id,
            {
                "id": str(att_id),
                "filename": spec.filename,
                "size": len(spec.data),
                "url": url,
                "proxy_url": url,
                "content_type": spec.content_type,
                "ephemeral": True,
            },
        )
        return str(att_id)


def _infer_type(value: Any) -> int:
    if isinstance(value, bool):
        return OptionType.BOOLEAN
    if isinstance(value, int):
        return OptionType.INTEGER
    if isinstance(value, float):
        return OptionType.NUMBER
    if isinstance(value, (FakeUser, FakeMember)):
        return OptionType.USER
    if isinstance(value, FakeChannel):
        return OptionType.CHANNEL
    if isinstance(value, FakeRole):
        return OptionType.ROLE
    if isinstance(value, AttachmentSpec):
        return OptionType.ATTACHMENT
    return OptionType.STRING


def option_value(otype: int, value: Any, resolved: Resolved, member: FakeMember | None) -> Any:
    """Convert a Python/world value to the wire value of an option of type ``otype``."""
    if otype == OptionType.STRING:
        return str(value)
    if otype == OptionType.INTEGER:
        return int(value)
    if otype == OptionType.BOOLEAN:
        return bool(value)
    if otype == OptionType.NUMBER:
        return float(value)
    if otype == OptionType.USER:
        return resolved.user(value)
    if otype == OptionType.CHANNEL:
        return resolved.channel(value, member)
    if otype == OptionType.ROLE:
        return resolved.role(value)
    if otype == OptionType.MENTIONABLE:
        return resolved.mentionable(value)
    if otype == OptionType.ATTACHMENT:
        return resolved.attachment(value)
    return value


def _actor(
    world: World, guild: FakeGuild | None, user: Actor
) -> tuple[FakeUser, FakeMember | None]:
    if isinstance(user, FakeMember):
        if guild is not None and user.guild_id != guild.id:
            return user.user, guild.member(user.user)
        return user.user, user
    if guild is not None:
        return user, guild.member(user)
    return user, None


def interaction_base(
    world: World,
    *,
    type: int,
    user: Actor,
    channel: FakeChannel,
    guild: FakeGuild | None = None,
    data: dict[str, Any] | None = None,
    locale: str | None = None,
    permissions: int | None = None,
    app_permissions: int | None = None,
    interaction_id: int | None = None,
    token: str | None = None,
    attachment_size_limit: int = DEFAULT_ATTACHMENT_SIZE_LIMIT,
) -> dict[str, Any]:
    """Fields common to every interaction (guild: ``member``; DM: ``user``)."""
    if guild is None and channel.guild_id:
        guild = world.guilds[channel.guild_id]
    plain_user, member = _actor(world, guild, user)
    payload: dict[str, Any] = {
        "id": str(interaction_id or world.ids.next()),
        "application_id": str(world.application_id),
        "type": type,
        "token": token or f"standin-{secrets.token_urlsafe(32)}",
        "version": 1,
        "locale": locale or plain_user.locale,
        "entitlements": [],
        "attachment_size_limit": attachment_size_limit,
        "channel_id": str(channel.id),
    }
    if data is not None:
        payload["data"] = data
    if guild is not None and member is not None:
        perms = (
            world.channel_permissions(guild, member, channel)
            if permissions is None
            else permissions
        )
        bot_perms = world.channel_permissions(guild, world.bot_member(guild), channel)
        payload.update(
            {
                "guild_id": str(guild.id),
                "guild": {"id": str(guild.id), "locale": guild.locale, "features": []},
                "guild_locale": guild.locale,
                "member": member.payload(permissions=perms),
                "channel": {**channel.payload(), "permissions": str(perms)},
                "app_permissions": str(bot_perms if app_permissions is None else app_permissions),
                "authorizing_integration_owners": {"0": str(guild.id)},
                "context": 0,
            }
        )
    else:
        payload.update(
            {
                "user": plain_user.payload(),
                "channel": channel.payload(),
                "app_permissions": str(app_permissions if app_permissions is not None else 0),
                "authorizing_integration_owners": {"0": "0"},
                "context": 1,
            }
        )
    return payload


def command_data(
    name: str,
    subcommands: Sequence[str] = (),
    options: Mapping[str, Any] | None = None,
    *,
    world: World,
    guild: FakeGuild | None,
    member: FakeMember | None,
    command: dict[str, Any] | None = None,
    command_id: int | None = None,
    focused: str | None = None,
    base_url: str = "http://127.0.0.1",
    option_types: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """``data`` of a chat-input command (type 1) interaction.

    Option types come from the registered ``command`` (as stored at sync) when given, else from
    ``option_types`` or the Python type of each value. Entities (users, members, roles, channels,
    attachments) are put in ``resolved``.
    """
    options = dict(options or {})
    schema: list[dict[str, Any]] | None = command.get("options", []) if command else None
    kinds: list[int] = []
    for depth, part in enumerate(subcommands):
        if schema is not None:
            found = next(
                (o for o in schema if o.get("name") == part and o.get("type") in (1, 2)), None
            )
            if found is None:
                names = [o["name"] for o in schema if o.get("type") in (1, 2)]
                raise KeyError(f"/{name} has no subcommand {part!r} here; available: {names}")
            kinds.append(found["type"])
            schema = found.get("options") or []
        else:
            kinds.append(
                OptionType.SUB_COMMAND_GROUP
                if depth == 0 and len(subcommands) == 2
                else OptionType.SUB_COMMAND
            )
    resolved = Resolved(world, guild, base_url)
    leaf: list[dict[str, Any]] = []
    for opt_name, value in options.items():
        otype: int | None = None
        if schema is not None:
            spec = next((o for o in schema if o.get("name") == opt_name), None)
            if spec is None:
                path = " ".join([name, *subcommands])
                raise KeyError(
                    f"/{path} has no option {opt_name!r}; "
                    f"options: {[o.get('name') for o in schema]}"
                )
            otype = int(spec["type"])
        if option_types and opt_name in option_types:
            otype = option_types[opt_name]
        if otype is None:
            otype = _infer_type(value)
        entry: dict[str, Any] = {"name": opt_name, "type": otype}
        if opt_name == focused:
            entry["value"] = str(value)
            entry["focused"] = True
        else:
            entry["value"] = option_value(otype, value, resolved, member)
        leaf.append(entry)
    if focused is not None and focused not in options:
        raise KeyError(
            f"focused option {focused!r} must also be given a (partial) value in options"
        )
    nested: list[dict[str, Any]] = leaf
    for part, kind in reversed(list(zip(subcommands, kinds, strict=False))):
        nested = [{"name": part, "type": kind, "options": nested}]
    data: dict[str, Any] = {
        "id": str(command["id"]) if command else str(command_id or world.ids.next()),
        "name": name,
        "type": 1,
        "options": nested,
    }
    if command and command.get("guild_id"):
        data["guild_id"] = command["guild_id"]
    if resolved.data:
        data["resolved"] = resolved.data
    return data


def slash_interaction(
    world: World,
    name: str,
    subcommands: Sequence[str] = (),
    options: Mapping[str, Any] | None = None,
    *,
    user: Actor,
    channel: FakeChannel,
    command: dict[str, Any] | None = None,
    autocomplete_focus: str | None = None,
    base_url: str = "http://127.0.0.1",
    option_types: Mapping[str, int] | None = None,
    **base: Any,
) -> dict[str, Any]:
    """A slash command (type 2) payload, or autocomplete (type 4) with ``autocomplete_focus``."""
    guild = world.guilds.get(channel.guild_id) if channel.guild_id else None
    _, member = _actor(world, guild, user)
    data = command_data(
        name,
        subcommands,
        options,
        world=world,
        guild=guild,
        member=member,
        command=command,
        focused=autocomplete_focus,
        base_url=base_url,
        option_types=option_types,
    )
    itype = (
        InteractionType.AUTOCOMPLETE if autocomplete_focus else InteractionType.APPLICATION_COMMAND
    )
    return interaction_base(
        world, type=itype, user=user, channel=channel, guild=guild, data=data, **base
    )


def _select_values(
    component_type: int, values: Iterable[Any], resolved: Resolved, member: FakeMember | None
) -> list[str]:
    out = []
    for value in values:
        if component_type == 5:
            out.append(resolved.user(value))
        elif component_type == 6:
            out.append(resolved.role(value))
        elif component_type == 7:
            out.append(resolved.mentionable(value))
        elif component_type == 8:
            out.append(resolved.channel(value, member))
        elif component_type == 19 and isinstance(value, AttachmentSpec):
            out.append(resolved.attachment(value))
        else:
            out.append(str(value))
    return out


def component_interaction(
    world: World,
    message: dict[str, Any],
    custom_id: str,
    *,
    user: Actor,
    component_type: int = 2,
    values: Iterable[Any] | None = None,
    channel: FakeChannel | None = None,
    base_url: str = "http://127.0.0.1",
    **base: Any,
) -> dict[str, Any]:
    """A button click (component_type 2) or select choice (3, 5-8) on ``message`` (type 3)."""
    if channel is None:
        channel = world.find_channel(int(message["channel_id"]))
        if channel is None:
            raise KeyError(f"message {message.get('id')} is in an unknown channel")
    guild = world.guilds.get(channel.guild_id) if channel.guild_id else None
    _, member = _actor(world, guild, user)
    data: dict[str, Any] = {"custom_id": custom_id, "component_type": component_type}
    if component_type != 2:
        resolved = Resolved(world, guild, base_url)
        data["values"] = _select_values(component_type, values or [], resolved, member)
        if resolved.data:
            data["resolved"] = resolved.data
    payload = interaction_base(
        world,
        type=InteractionType.MESSAGE_COMPONENT,
        user=user,
        channel=channel,
        guild=guild,
        data=data,
        **base,
    )
    payload["message"] = message
    return payload


def modal_submit_components(
    modal_components: list[dict[str, Any]],
    values: Mapping[str, Any],
    *,
    resolved: Resolved | None = None,
    member: FakeMember | None = None,
    strict: bool = True,
) -> list[dict[str, Any]]:
    """Submitted ``components`` mirroring the modal the bot sent.

    Action rows (type 1) come back as
    ``{"type": 1, "components": [{"type": 4, "custom_id": ..., "value": ...}]}``; labels (type 18)
    as ``{"type": 18, "component": {...}}``; text displays (type 10) as ``{"type": 10}``.
    ``values`` maps custom_id to a string (text input), a list (selects, checkbox groups), a
    string or None (radio group) or a bool (checkbox). With ``strict``, unknown custom_ids and
    missing required text inputs raise.
    """
    used: set[str] = set()
    missing: list[str] = []

    def leaf(comp: dict[str, Any]) -> dict[str, Any]:
        ctype = int(comp["type"])
        cid = comp.get("custom_id")
        out: dict[str, Any] = {"type": ctype}
        if comp.get("id") is not None:
            out["id"] = comp["id"]
        if cid is None:
            return out
        out["custom_id"] = cid
        given = cid in values
        if given:
            used.add(cid)
        if ctype == 4:
            value = values[cid] if given else comp.get("value")
            if value is None:
                if comp.get("required", True) and int(comp.get("min_length") or 1) > 0:
                    missing.append(cid)
                value = ""
            out["value"] = str(value)
        elif ctype in (3, 5, 6, 7, 8, 19, 22):
            raw = values[cid] if given else []
            raw = (
                [raw] if isinstance(raw, (str, int)) or not isinstance(raw, Iterable) else list(raw)
            )
            if resolved is not None:
                out["values"] = _select_values(ctype, raw, resolved, member)
            else:
                out["values"] = [str(v) for v in raw]
        elif ctype == 21:
            out["value"] = values.get(cid)
        elif ctype == 23:
            out["value"] = bool(values.get(cid, False))
        elif given:
            out["value"] = values[cid]
        return out

    submitted: list[dict[str, Any]] = []
    for comp in modal_components:
        ctype = int(comp["type"])
        if ctype == 1:
            row: dict[str, Any] = {
                "type": 1,
                "components": [leaf(c) for c in comp.get("components") or []],
            }
            if comp.get("id") is not None:
                row["id"] = comp["id"]
            submitted.append(row)
        elif ctype == 18:
            label: dict[str, Any] = {"type": 18, "component": leaf(comp["component"])}
            if comp.get("id") is not None:
                label["id"] = comp["id"]
            submitted.append(label)
        else:
            submitted.append(leaf(comp))
    if strict:
        unknown = sorted(set(values) - used)
        if unknown:
            raise KeyError(
                f"modal has no input(s) {unknown}; "
                f"custom_ids: {sorted(_modal_ids(modal_components))}"
            )
        if missing:
            raise ValueError(f"required modal input(s) without a value: {missing}")
    return submitted


def _modal_ids(components: list[dict[str, Any]]) -> list[str]:
    ids: list[str] = []
    for comp in components:
        if comp.get("custom_id"):
            ids.append(comp["custom_id"])
        ids.extend(_modal_ids(comp.get("components") or []))
        if isinstance(comp.get("component"), dict):
            ids.extend(_modal_ids([comp["component"]]))
    return ids


def modal_submit_interaction(
    world: World,
    custom_id: str,
    components: list[dict[str, Any]],
    *,
    user: Actor,
    channel: FakeChannel,
    message: dict[str, Any] | None = None,
    resolved: dict[str, Any] | None = None,
    **base: Any,
) -> dict[str, Any]:
    """A modal submit (type 5); ``components`` as built by :func:`modal_submit_components`."""
    guild = world.guilds.get(channel.guild_id) if channel.guild_id else None
    data: dict[str, Any] = {"custom_id": custom_id, "components": components}
    if resolved:
        data["resolved"] = resolved
    payload = interaction_base(
        world,
        type=InteractionType.MODAL_SUBMIT,
        user=user,
        channel=channel,
        guild=guild,
        data=data,
        **base,
    )
    if message is not None:
        payload["message"] = message
    return payload
