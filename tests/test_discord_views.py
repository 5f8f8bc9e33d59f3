"""Routing of buttons and forms by custom_id, and form payload parsing."""

from __future__ import annotations

import pytest

from bot.discord.views import (
    Router,
    choice_field,
    custom_id,
    first,
    form,
    parse_custom_id,
    submitted_values,
    text_field,
)


async def _noop(*_args: object) -> None:
    return None


def test_custom_ids_follow_the_workflow_action_argument_convention() -> None:
    assert parse_custom_id("tribune:sign") == ("tribune:sign", None)
    assert parse_custom_id("tribune:list:2") == ("tribune:list", "2")
    assert parse_custom_id("tribune:sign-form") == ("tribune:sign-form", None)
    for bad in ("nope", "Tribune:sign", "tribune:", ":sign", "tribune:list:2:3", "a:b:" + "x" * 65):
        assert parse_custom_id(bad) is None, bad
    assert custom_id("tribune:list", 3) == "tribune:list:3"
    with pytest.raises(ValueError):
        custom_id("tribune:list", "two words")


def test_router_finds_handlers_and_refuses_duplicates() -> None:
    router = Router()
    router.add_action("tribune:list", _noop)
    router.add_form("tribune:sign-form", _noop)
    assert router.action("tribune:list:4") == (_noop, "4")
    assert router.action("tribune:sign") is None
    assert router.action("garbage") is None
    assert router.form("tribune:sign-form") == (_noop, None)
    assert router.form("tribune:list") is None
    with pytest.raises(ValueError):
        router.add_action("tribune:list", _noop)
    with pytest.raises(ValueError):
        router.add_action("not an action", _noop)
    router.remove("tribune:")
    assert router.action("tribune:list") is None and router.form("tribune:sign-form") is None


def test_forms_are_built_with_labels_and_limits() -> None:
    modal = form("tribune:sign-form", "A title that is much too long for a Discord modal", [
        text_field("name", "Name", default="x" * 100, max_length=80),
        choice_field("public", "Public listing", [("yes", "Yes"), ("no", "No")], default="no"),
    ])
    data = modal.to_dict()
    assert data["custom_id"] == "tribune:sign-form"
    assert len(data["title"]) <= 45
    name, public = data["components"]
    assert name["type"] == 18 and name["label"] == "Name"
    assert name["component"]["custom_id"] == "name"
    assert name["component"]["max_length"] == 80 and len(name["component"]["value"]) == 80
    assert public["component"]["type"] == 3
    assert [o.get("default", False) for o in public["component"]["options"]] == [False, True]


def test_submitted_values_from_rows_and_labels() -> None:
    components = [
        {"type": 1, "components": [{"type": 4, "custom_id": "name", "value": "Alice"}]},
        {"type": 18, "component": {"type": 4, "custom_id": "city", "value": ""}},
        {"type": 18, "component": {"type": 3, "custom_id": "public", "values": ["yes"]}},
        {"type": 10},
        "garbage",
        {"type": 18, "component": {"type": 4, "value": "no id"}},
    ]
    values = submitted_values(components)
    assert values == {"name": "Alice", "city": "", "public": ["yes"]}
    assert first(values, "public") == "yes"
    assert first(values, "name") == "Alice"
    assert first(values, "missing") is None
    assert submitted_values(None) == {}
