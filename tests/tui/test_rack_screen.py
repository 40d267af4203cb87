"""The rack screen against the sandbox: parameters masked, services at risk, roll actions."""

from __future__ import annotations

from typing import Any

from textual.widgets import DataTable

from tests.tui.conftest import SIZE, until_measured, until_statuses
from tests.tui.roll_harness import click, until_shown, wait_until
from tui.core.rolls.events import Outcome


async def open_rack(app: Any, pilot: Any, name: str) -> Any:
    await until_statuses(pilot, app)
    app.open_rack(name)
    await wait_until(pilot, lambda: type(app.screen).__name__ == "RackScreen")
    screen = app.screen
    await wait_until(pilot, lambda: screen.overview is not None, what="the overview")
    await until_measured(pilot)
    return screen


async def test_the_rack_screen_shows_parameters_instances_and_services(make_app: Any) -> None:
    app, opener = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_rack(app, pilot, "acme/production")
        sandbox = opener.sandbox
        rack = sandbox.world.rack("production")
        # the footer's keys come in a recompose of their own: wait for every panel and the keys
        text = await until_shown(
            pilot,
            "2 at risk: under 3 running",
            "PRODUCTION",
            "rack.production-",  # the rack-domain, never a loopback port
            "no roll recorded yet",
            "Re-link",  # a Console rack
        )
        assert rack.stack.password.reveal() not in text
        params = screen.query_one("#parameters", DataTable)
        values = {str(params.get_row_at(i)[0]): params.get_row_at(i)[1] for i in range(4)}
        assert values == {
            "Password": "**********",
            "Key": rack.stack.parameters["Key"],
            "InstanceCount": "3",
            "Version": "20240415123456",
        }
        instances = screen.query_one("#instances", DataTable)
        assert sorted(
            str(instances.get_row_at(i)[0]) for i in range(instances.row_count)
        ) == sorted(i.instance_id for i in rack.instances)
        services = screen.query_one("#services", DataTable)
        by_name = {
            f"{services.get_row_at(i)[0]}/{services.get_row_at(i)[1]}": services.get_row_at(i)
            for i in range(services.row_count)
        }
        assert set(by_name) == {"web/web", "api/api", "worker/worker", "docs/web"}
        risky = {name for name, row in by_name.items() if "ff5f5f" in str(row[2].style)}
        assert risky == {"api/api", "worker/worker"}  # under 3 running, highlighted
        assert "2 at risk: under 3 running" in text
        assert "PRODUCTION" in text
        assert "rack.production-" in text  # the rack-domain, never a loopback port
        assert "no roll recorded yet" in text
        assert "Re-link" in text  # a Console rack


async def test_r_rolls_the_rack_key_and_the_history_shows_it(make_app: Any) -> None:
    app, opener = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_rack(app, pilot, "dev")
        await pilot.press("r")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "RackKeyRollDialog")
        await click(pilot, "#rack-key-start")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "RollScreen", 10, "the roll")
        run = app.session.rolls.all()[0]
        assert (run.rack, run.kind, run.route) == ("dev", "rack-key", "rack")
        await wait_until(pilot, lambda: not run.running, 30, "the roll to end")
        assert run.summary is not None and run.summary.outcome is Outcome.SUCCEEDED
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen)
        await wait_until(pilot, lambda: screen.query_one("#history", DataTable).row_count == 1)
        row = screen.query_one("#history", DataTable).get_row_at(0)
        assert row[0] == "rack-key" and row[1] == "rack" and str(row[3]) == "succeeded"
        assert row[5] == run.summary.roll_id
        host = opener.sandbox.rack_host("dev")
        assert (
            opener.workspace.keystore.current(host) == opener.sandbox.world.rack("dev").api_keys[0]
        )


async def test_k_runs_the_preflight_and_shows_its_report(make_app: Any) -> None:
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_rack(app, pilot, "acme/production")
        await pilot.press("k")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "InstanceKeyrollDialog", 10)
        report = app.screen.report
        assert report.rack == "acme/production" and report.blockers == []
        assert {f"{r.app}/{r.service}" for r in report.risks} == {"api/api", "worker/worker"}
        await pilot.press("escape")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "RackScreen")
        assert app.session.rolls.all() == []


async def test_w_without_a_roll_says_so(make_app: Any) -> None:
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_rack(app, pilot, "dev")
        await pilot.press("w")
        await wait_until(
            pilot,
            lambda: any("No roll of dev has run" in n.message for n in app._notifications),
            what="the note that no roll has run",
        )
