"""How the dashboard starts: its files open in a thread from the start, the racks are in the
first frame when they are ready by then, and garbage collection comes back after it."""

from __future__ import annotations

import gc

from textual.widgets import DataTable

from tests.tui.conftest import SIZE, SandboxOpener, dashboard_args
from tests.tui.roll_harness import wait_until
from tui.app import KeyrollApp
from tui.dashboard import make_app
from tui.services.workspace_opening import WorkspaceOpening


async def test_racks_opened_before_the_app_runs_are_in_its_first_frame() -> None:
    args = dashboard_args()
    opening = WorkspaceOpening(SandboxOpener(), args)
    opened = opening.wait()  # as when the files are read while Textual loads
    app = KeyrollApp(args, opening=opening)
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one("#racks", DataTable)
        # no loading frame first: the table was filled as the screen mounted
        assert not table.loading
        assert table.row_count == len(opened.inventory.racks) > 0
        assert app.session.inventory is opened.inventory
        await wait_until(pilot, lambda: bool(app.session.statuses), what="the first status poll")


async def test_a_failed_opening_is_one_sentence_on_screen() -> None:
    def broken(_args: object) -> object:
        raise OSError("the disk is gone")

    args = dashboard_args()
    app = KeyrollApp(args, opening=WorkspaceOpening(broken, args))  # type: ignore[arg-type]
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(
            pilot,
            lambda: any(
                "failed unexpectedly (OSError)" in str(n.message) for n in app._notifications
            ),
            what="the opening's failure as a notification",
        )
        assert app.session.workspace is None


async def test_keyroll_pauses_garbage_collection_only_until_its_first_frame() -> None:
    app = make_app(dashboard_args())  # the sandbox, as `keyroll --sandbox` opens it
    try:
        assert not gc.isenabled()
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, gc.isenabled, what="garbage collection back on")
            await wait_until(pilot, lambda: app.session.inventory is not None, what="the racks")
    finally:
        gc.enable()
