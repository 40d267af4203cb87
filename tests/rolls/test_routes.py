"""The rolls split by route: each kind's table names a route class per route, each route class
defines what its kind's base leaves to it, and no route module reaches into another object's
underscore-private members (the base's helpers are public, meant to be called)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tui.core.rolls.instance_key.base import InstanceKeyRoute
from tui.core.rolls.instance_key.roll import ROUTES as INSTANCE_KEY_ROUTES
from tui.core.rolls.rack_key.base import OwnKeyRoute, RackKeyRoute
from tui.core.rolls.rack_key.roll import ROUTES as RACK_KEY_ROUTES

ROLLS = Path(__file__).resolve().parents[2] / "tui" / "core" / "rolls"


def test_each_kind_has_a_route_class_for_each_of_its_routes() -> None:
    assert list(RACK_KEY_ROUTES) == ["console", "rack", "cloudformation"]
    assert list(INSTANCE_KEY_ROUTES) == ["rack", "cloudformation"]
    assert all(issubclass(route, RackKeyRoute) for route in RACK_KEY_ROUTES.values())
    assert all(issubclass(route, InstanceKeyRoute) for route in INSTANCE_KEY_ROUTES.values())


@pytest.mark.parametrize("name", ["console", "rack", "cloudformation"])
def test_a_rack_key_route_defines_its_start_and_resume(name: str) -> None:
    route = RACK_KEY_ROUTES[name]
    assert route.start is not RackKeyRoute.start
    assert route.resume is not RackKeyRoute.resume
    if issubclass(route, OwnKeyRoute):
        assert route.send_update is not OwnKeyRoute.send_update


@pytest.mark.parametrize("name", ["rack", "cloudformation"])
def test_an_instance_key_route_defines_what_the_base_leaves_to_it(name: str) -> None:
    route = INSTANCE_KEY_ROUTES[name]
    for method in ("start", "request", "update_applied", "key_changed", "explain_failure"):
        assert getattr(route, method) is not getattr(InstanceKeyRoute, method), method


def private_reaches(source: str) -> list[str]:
    """`x._name` where `x` is not `self`: a private member used from outside its object."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Attribute)
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
            and not (isinstance(node.value, ast.Name) and node.value.id == "self")
        ):
            found.append(f"line {node.lineno}: .{node.attr}")
    return found


def test_the_check_finds_a_private_reach() -> None:
    assert private_reaches("roll._settle(outcome)\nself._own()\n") == ["line 1: ._settle"]


@pytest.mark.parametrize("package", ["rack_key", "instance_key"])
def test_no_route_module_calls_private_members_of_another_object(package: str) -> None:
    for path in sorted((ROLLS / package).glob("*.py")):
        assert private_reaches(path.read_text()) == [], path.name
