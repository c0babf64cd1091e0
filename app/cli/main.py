"""The `tether` command line: the TUI by default, and every action scriptable for servers and tests."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from app.cli import commands, workflow_commands
from app.cli.errors import CliError
from app.cli.oauth_cli import add_signin_arguments, reauth
from app.cli.output import clean_output

INTERRUPTED = 130  # the shell's status for a process ended by Ctrl-C (128 + SIGINT)


def _add_data_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="where tether keeps its database and vault (default: the platform's user data directory, "
        "or TETHER_DATA_DIR)",
    )


def _program_parser(parser_class: type[argparse.ArgumentParser] = argparse.ArgumentParser) -> argparse.ArgumentParser:
    """`tether` and its own options, without the commands."""
    parser = parser_class(
        prog="tether",
        description="Connect and keep healthy the mail and calendar integrations your assistant uses. "
        "Without a command, starts the terminal UI.",
    )
    _add_data_dir(parser)
    parser.add_argument("--verbose", action="store_true", default=argparse.SUPPRESS, help="log more detail")
    return parser


class _NotOnlyOptions(Exception):
    pass


class _OptionsOnlyParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _NotOnlyOptions(message)


def _terminal_ui_arguments(argv: Sequence[str]) -> argparse.Namespace | None:
    """The arguments when ``argv`` only holds tether's own options (the terminal UI starts), else None.

    Building every command's parser is ~13 ms of start-up the terminal UI does not need; anything
    else (a command, --help, a mistake) goes to the full parser, which answers as always.
    """
    if any(arg in ("-h", "--help", "--") for arg in argv):
        return None
    try:
        args, rest = _program_parser(_OptionsOnlyParser).parse_known_args(argv)
    except _NotOnlyOptions:
        return None
    return None if rest else args


def build_parser() -> argparse.ArgumentParser:
    parser = _program_parser()
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, handler: Callable[[argparse.Namespace], int], help: str) -> argparse.ArgumentParser:
        child = sub.add_parser(name, help=help, description=help)
        _add_data_dir(child)
        child.set_defaults(handler=handler)
        return child

    p = command("list", commands.list_integrations, "list integrations with their status")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = command("types", commands.list_types, "list the integration types and their fields")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = command("add", commands.add, "add an integration (secrets only from stdin or a prompt)")
    p.add_argument("type", metavar="TYPE", help="a type's key, e.g. imap (`tether types` lists them all)")
    p.add_argument("--label", help="your name for it, e.g. 'Work mail'")
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE", help="a setting; repeatable")
    p.add_argument(
        "--secret-stdin",
        action="append",
        default=[],
        metavar="FIELD",
        help="read this secret field from standard input, one line per field, in order",
    )
    p.add_argument("--no-check", action="store_true", help="save without testing the connection")
    add_signin_arguments(p)

    p = command("edit", commands.edit, "rename, change settings or replace secrets")
    p.add_argument("label", metavar="LABEL")
    p.add_argument("--label", dest="new_label", metavar="NEW", help="rename")
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE")
    p.add_argument("--secret-stdin", action="append", default=[], metavar="FIELD")

    p = command("remove", commands.remove, "delete an integration and its secrets")
    p.add_argument("label", metavar="LABEL")
    p.add_argument("--yes", action="store_true", help="delete even if workflows use it")

    p = command("reauth", reauth, "sign in again (OAuth types), keeping label and workflows")
    p.add_argument("label", metavar="LABEL")
    p.add_argument("--no-check", action="store_true", help="save without testing the connection")
    add_signin_arguments(p)

    p = command("check", commands.check, "test the connection of integrations (all by default)")
    p.add_argument("labels", nargs="*", metavar="LABEL")
    p.add_argument("--timeout", metavar="SECONDS", help="how long each check may take in all (default 15)")
    p.add_argument("--json", action="store_true", help="print JSON")

    from app.cli import health_commands

    health_commands.add_parsers(command)

    from app.cli import discover_command

    discover_command.add_parsers(command)

    workflow = sub.add_parser("workflow", help="manage workflows", description="manage workflows")
    _add_data_dir(workflow)
    wsub = workflow.add_subparsers(dest="workflow_command", metavar="ACTION", required=True)

    def wcommand(name: str, handler: Callable[[argparse.Namespace], int], help: str) -> argparse.ArgumentParser:
        child = wsub.add_parser(name, help=help, description=help)
        _add_data_dir(child)
        child.set_defaults(handler=handler)
        return child

    p = wcommand("add", workflow_commands.workflow_add, "add a workflow using integrations")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--source", action="append", default=[], metavar="LABEL", help="read from this integration")
    p.add_argument("--sink", action="append", default=[], metavar="LABEL", help="write to this integration")
    p.add_argument("--description", default="")
    p.add_argument("--schedule", default="", help="free text, e.g. 'daily 07:00'")
    p = wcommand("list", workflow_commands.workflow_list, "list workflows and the integrations they use")
    p.add_argument("--json", action="store_true")
    p = wcommand(
        "show", workflow_commands.workflow_show, "a workflow's integrations and how an MCP client starts its server"
    )
    p.add_argument("name", metavar="NAME")
    p.add_argument("--json", action="store_true")
    p = wcommand("remove", workflow_commands.workflow_remove, "delete a workflow (its integrations stay)")
    p.add_argument("name", metavar="NAME")

    p = command("mcp", workflow_commands.mcp, "serve integrations to an assistant over MCP (stdio)")
    p.add_argument(
        "--workflow", metavar="NAME", help="only the integrations this workflow uses; writes only to its sinks"
    )
    p.add_argument("--allow-write", action="store_true", help="without --workflow: allow the write tools")
    p.add_argument("--timeout", default="20", metavar="SECONDS", help="how long one tool call may wait on a service")

    secrets = sub.add_parser("secrets", help="the secret store", description="the secret store")
    _add_data_dir(secrets)
    ssub = secrets.add_subparsers(dest="secrets_command", metavar="ACTION", required=True)
    p = ssub.add_parser("status", help="which secret store is in use and why")
    _add_data_dir(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=workflow_commands.secrets_status)
    return parser


def entry() -> None:
    """The `tether` program (console script and ``python -m app``)."""
    sys.exit(main(leave_at_once=True))


def main(argv: Sequence[str] | None = None, *, leave_at_once: bool = False) -> int:
    """Run one command. With ``leave_at_once``, the TUI and `tether mcp` end the process as soon as
    they return: the interpreter's own tear-down (freeing every module's objects one by one) took
    up to a second on a busy machine, after the person had already quit."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = _terminal_ui_arguments(argv) or build_parser().parse_args(argv)
    args.data_dir = getattr(args, "data_dir", None)
    args.verbose = getattr(args, "verbose", False)
    handler = getattr(args, "handler", None)
    from app.core.logging_setup import setup_logging

    setup_logging(verbose=args.verbose)
    # The TUI draws its own screen and `mcp` speaks JSON-RPC on stdout: both keep their real streams.
    plain_stdout = handler is not None and handler is not workflow_commands.mcp
    with clean_output(stdout=plain_stdout, stderr=True):
        code = _run(handler, args)
    # Interrupted, checks may still be unwinding in their threads: the interpreter's tear-down must
    # not wait on them (or race them for the database) after the person pressed Ctrl-C.
    if leave_at_once and (not plain_stdout or code == INTERRUPTED):
        _leave(code)
    return code


def _leave(code: int) -> None:
    """End the process now. Everything was committed and closed by the command; logs and output are flushed here."""
    import logging
    import os

    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _run(handler: Callable[[argparse.Namespace], int] | None, args: argparse.Namespace) -> int:
    try:
        if handler is None:
            return commands.run_tui(args)
        return handler(args)
    except CliError as exc:
        print(f"tether: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        from connectors.deadline import cancel_all

        cancel_all()  # checks still running in daemon threads drop their connections now
        print("tether: interrupted; nothing more was changed.", file=sys.stderr)
        return INTERRUPTED
    except BrokenPipeError:
        return 0
    except Exception as exc:
        from app.core.failures import describe

        message = describe(exc)
        if message is None:
            raise
        print(f"tether: {message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
