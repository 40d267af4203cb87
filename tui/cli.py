"""The `keyroll` command: the dashboard by default, headless subcommands for scripts and CI."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from tui import __version__
from tui.base.errors import EXIT_BAD_INPUT, BadInputError, KeyrollError

DASHBOARD_MODULE = "tui.dashboard"
EXIT_INTERRUPTED = 130

SCENARIOS = ("ok", "rollback", "throttle", "flaky", "console-down", "slow", "old-key-lingers")


def _speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not 0.01 <= value <= 1000:
        raise argparse.ArgumentTypeError("the speed factor must be between 0.01 and 1000")
    return value


def _global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """Options every command takes, before or after the subcommand."""
    d = argparse.SUPPRESS if suppress else None
    group = parser.add_argument_group("global options")
    group.add_argument(
        "--sandbox",
        action="store_true",
        default=d if suppress else False,
        help="use the embedded sandbox: simulated racks on loopback, never your real files",
    )
    group.add_argument(
        "--scenario",
        choices=SCENARIOS,
        default=d if suppress else "ok",
        help="the sandbox's behaviour (default: ok); implies --sandbox",
    )
    group.add_argument(
        "--speed",
        type=_speed,
        default=d if suppress else 1.0,
        metavar="X",
        help="the sandbox clock's speed factor (default: 1; 10 makes a roll ten times faster)",
    )
    group.add_argument(
        "--read-only",
        action="store_true",
        default=d if suppress else False,
        help="show everything, roll nothing",
    )
    group.add_argument(
        "--json",
        action="store_true",
        default=d if suppress else False,
        help="print one JSON object instead of text, for scripts",
    )


Handler = Callable[[argparse.Namespace], int]


class BadArguments(BadInputError):
    """The command line does not parse; `usage` is the parser's usage text for a person."""

    def __init__(self, message: str, usage: str) -> None:
        super().__init__(message)
        self.usage = usage


class KeyrollParser(argparse.ArgumentParser):
    """argparse that raises on bad arguments, so `main()` can answer with `--json` too."""

    def error(self, message: str) -> NoReturn:
        raise BadArguments(
            f"Bad arguments for `{self.prog}`: {message}; run `{self.prog} --help` for the usage.",
            self.format_usage(),
        )


def _handler(module: str, name: str = "run") -> Handler:
    """Import a command's module only when it runs, so `keyroll --help` stays instant."""

    def call(args: argparse.Namespace) -> int:
        return int(getattr(importlib.import_module(module), name)(args))

    call.module = module  # type: ignore[attr-defined]  # main() tells the dashboard by it
    return call


def build_parser() -> argparse.ArgumentParser:
    parser = KeyrollParser(
        prog="keyroll",
        description=(
            "Roll the keys of Convox racks (account API key, rack API key, instance SSH key), "
            "watch each roll live, and switch racks. With no command it opens the dashboard; "
            "with no Convox config it starts on the embedded sandbox."
        ),
        epilog=(
            "Exit status: 0 success, 1 the roll failed or rolled back, 2 bad input, "
            "3 refused: nothing was changed (a pre-flight check, a rack or Console that does not "
            "answer, a lock, --read-only). With --json an error is one JSON object on stdout."
        ),
    )
    parser.add_argument("--version", action="version", version=f"keyroll {__version__}")
    _global_options(parser, suppress=False)
    parser.set_defaults(handler=_handler(DASHBOARD_MODULE))
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    def command(name: str, help_text: str, module: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        _global_options(sub, suppress=True)
        sub.set_defaults(handler=_handler(module))
        return sub

    sandbox = commands.add_parser(
        "sandbox",
        help="run the embedded sandbox on its own",
        description="The simulated Convox world: a Console, racks and an AWS endpoint.",
    )
    sandbox_commands = sandbox.add_subparsers(title="sandbox commands", metavar="COMMAND")
    serve = sandbox_commands.add_parser(
        "serve",
        help="serve the sandbox headless until interrupted",
        description=(
            "Serve the sandbox on loopback until interrupted (Ctrl-C) and print one JSON object "
            "with the Console's URL and account key, the AWS endpoint and credentials, and each "
            "rack's name, URL and API key."
        ),
    )
    _global_options(serve, suppress=True)
    serve.add_argument(
        "--port-base",
        type=int,
        default=0,
        metavar="N",
        help="serve on ports N (Console), N+1 (AWS), N+2... (racks); default: free ports",
    )
    serve.add_argument(
        "--write-config",
        metavar="DIR",
        help=(
            "write DIR/keyroll (a keyroll home: set KEYROLL_HOME to it) and DIR/convox "
            "(a Convox CLI config dir: set CONVOX_CONFIG to it) pointing at the sandbox"
        ),
    )
    serve.set_defaults(handler=_handler("tui.sandbox.serve"))
    sandbox.set_defaults(handler=lambda _args: _usage(sandbox))

    command(
        "racks",
        "list every rack (Console, Convox CLI, keyroll settings) with its source and live status",
        "tui.commands.racks",
    )
    switch = command(
        "switch",
        "make RACK current for keyroll and, unless turned off, for the Convox CLI",
        "tui.commands.switch",
    )
    switch.add_argument("rack", metavar="RACK", help="a rack name, or a unique part of one")

    _roll_commands(commands)
    history = command(
        "history",
        "the rolls keyroll's journal holds: kind, route, start, end, outcome, measured downtime",
        "tui.commands.history",
    )
    history.add_argument("rack", metavar="RACK", nargs="?", help="only this rack's rolls")
    relink = command(
        "relink",
        "give the Console a rack's key after a roll that went around it (--via cloudformation)",
        "tui.commands.relink",
    )
    relink.add_argument("rack", metavar="RACK", help="a Console rack, or a unique part of its name")
    resume = command(
        "resume",
        "finish the rolls a crash (or a roll started with --no-wait) left unfinished",
        "tui.commands.resume",
    )
    resume.add_argument(
        "--yes",
        action="store_true",
        help="answer yes when a roll asks before going on (a key stored, no update requested)",
    )

    key_pairs = command(
        "key-pairs",
        "list a rack's unused <rack>-keypair-NNNN EC2 key pairs (never the one in use); "
        "--delete-unused deletes them",
        "tui.commands.key_pairs",
    )
    key_pairs.add_argument("rack", metavar="RACK", help="a rack name, or a unique part of one")
    key_pairs.add_argument(
        "--delete-unused",
        action="store_true",
        help="delete the unused key pairs (asks first on a terminal; refused by --read-only)",
    )
    key_pairs.add_argument(
        "--yes", action="store_true", help="delete without asking (needed without a terminal)"
    )

    del command  # subcommands are registered as each lands
    return parser


def _roll_commands(commands: Any) -> None:
    """`keyroll roll account-key | rack-key RACK | instance-key RACK`."""
    roll = commands.add_parser(
        "roll",
        help="roll one key: the account key, a rack's API key, or a rack's instance SSH key",
        description="Roll one key headless: progress lines as they happen, or --json at the end.",
        epilog=(
            "Exit status: 0 success (or started, with --no-wait), 1 the roll failed or rolled "
            "back, 2 bad input, 3 refused by a pre-flight check or --read-only."
        ),
    )
    _global_options(roll, suppress=True)
    kinds = roll.add_subparsers(title="what to roll", metavar="KIND")
    roll.set_defaults(handler=lambda _args: _usage(roll))

    def kind(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = kinds.add_parser(name, help=help_text, description=help_text)
        _global_options(sub, suppress=True)
        sub.set_defaults(handler=_handler("tui.commands.roll"), roll_kind=name)
        return sub

    account = kind(
        "account-key",
        "roll the Convox account API key through the Console and update the CLI's auth entry",
    )
    account.add_argument(
        "--value-from-stdin",
        action="store_true",
        help="save a key already rolled in the web Console, read from stdin (checked first)",
    )
    rack_key = kind("rack-key", "roll a rack's API key (the stack's Password parameter)")
    rack_key.add_argument("rack", metavar="RACK", help="a rack name, or a unique part of one")
    rack_key.add_argument(
        "--via",
        choices=("console", "rack", "cloudformation"),
        help="route: console (default for Console racks), rack (default for direct racks), "
        "or cloudformation (around a Console or rack API that is down)",
    )
    rack_key.add_argument(
        "--value-from-stdin",
        action="store_true",
        help="use your own key, read from stdin: 1-50 characters from A-Z, a-z, 0-9 "
        "(32 or more: a shorter one needs --allow-short-key)",
    )
    rack_key.add_argument(
        "--allow-short-key",
        action="store_true",
        help="roll an own key shorter than 32 characters (easier to guess) with a warning",
    )
    rack_key.add_argument(
        "--relink",
        action="store_true",
        help="after a cloudformation-route roll of a Console rack, re-link it in the Console",
    )
    instance_key = kind("instance-key", "roll a rack's instance SSH key (the stack's Key)")
    instance_key.add_argument("rack", metavar="RACK", help="a rack name, or a unique part of one")
    instance_key.add_argument(
        "--via",
        choices=("rack", "cloudformation"),
        help="route: rack (POST /instances/keyroll, default) or cloudformation (UpdateStack Key)",
    )
    instance_key.add_argument(
        "--force",
        action="store_true",
        help="go on although services run fewer than 3 processes (they risk downtime)",
    )
    for sub in (rack_key, instance_key):
        waiting = sub.add_mutually_exclusive_group()
        waiting.add_argument(
            "--no-wait",
            action="store_true",
            help="return once the update is requested; the roll's last steps (verify the key, "
            "rewrite the Convox CLI's auth) wait for `keyroll resume`",
        )
        # the default since the roll's last steps need someone there; kept so scripts work
        waiting.add_argument(
            "--wait", action="store_true", help="watch the roll to its end (the default)"
        )


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_BAD_INPUT


def _wants_json(argv: Sequence[str]) -> bool:
    """`--json` anywhere before `--`: known even when the rest does not parse."""
    words = list(argv)
    return "--json" in (words[: words.index("--")] if "--" in words else words)


def _say_error(sentence: str, status: int, *, as_json: bool) -> int:
    """One error: `keyroll: <sentence>` on stderr and, with `--json`, one object on stdout."""
    if as_json:
        sys.stdout.write(json.dumps({"error": sentence, "exit": status}) + "\n")
        sys.stdout.flush()
    print(f"keyroll: {sentence}", file=sys.stderr, flush=True)
    return status


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    as_json = _wants_json(argv)
    try:
        args = build_parser().parse_args(argv)
    except BadArguments as error:
        if not as_json:
            sys.stderr.write(error.usage)
        return _say_error(str(error), error.exit_code, as_json=as_json)
    as_json = as_json or bool(getattr(args, "json", False))
    if args.scenario != "ok":
        args.sandbox = True
    try:
        if getattr(args.handler, "module", None) == DASHBOARD_MODULE:
            from tui.dashboard import require_terminal

            require_terminal(sys.stdin, sys.stdout)
        return args.handler(args)
    except KeyrollError as error:
        return _say_error(str(error), error.exit_code, as_json=as_json)
    except KeyboardInterrupt:
        return _say_error("interrupted.", EXIT_INTERRUPTED, as_json=as_json)


if __name__ == "__main__":
    sys.exit(main())
