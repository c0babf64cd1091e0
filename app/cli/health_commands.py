"""`tether status`, `tether diagnostics`, `tether disable` and `tether enable`."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from app.cli.commands import EXIT_FAILED, EXIT_OK, emit_json
from app.cli.opening import cli_context, expected_errors
from app.cli.errors import CliError
from app.core.formatting import STATUS_TEXT, ago, integration_as_dict, type_name
from storage.records import Status


def status(args: argparse.Namespace) -> int:
    """Every integration's status, circuit breaker and metrics; exit 1 if any is failing."""
    from app.core.checks import CHECKING_ELSEWHERE
    from app.core.diagnostics import health_as_dict, health_lines
    from storage.metrics import Health

    context = cli_context(args)
    integrations = context.storage.integrations.list()
    healths = context.storage.metrics.health_all()
    failing = [item for item in integrations if item.status in (Status.ERROR, Status.NEEDS_REAUTH)]
    if args.json:
        emit_json(
            {
                "secret_store": context.secrets.kind,
                "integrations": [
                    {**integration_as_dict(item), "health": health_as_dict(healths.get(item.id, Health(item.id)))}
                    for item in integrations
                ],
            }
        )
        return EXIT_FAILED if failing else EXIT_OK
    if not integrations:
        print("No integrations yet.")
        return EXIT_OK
    for item in integrations:
        words = (
            CHECKING_ELSEWHERE if context.storage.integrations.checking_elsewhere(item) else STATUS_TEXT[item.status]
        )
        print(f"{item.label} ({type_name(item.type_key)}): {words}, checked {ago(item.last_checked_at)}")
        if item.status_detail:
            print(f"    {item.status_detail}")
        for line in health_lines(healths.get(item.id, Health(item.id))):
            print(f"    {line}")
    return EXIT_FAILED if failing else EXIT_OK


def diagnostics(args: argparse.Namespace) -> int:
    from app.core.diagnostics import build_report, render_report

    context = cli_context(args)
    text = render_report(build_report(context))
    if args.output:
        path = Path(args.output).expanduser()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as exc:
            raise CliError(f"Cannot write {path}: {exc.strerror}.") from None
        print(f"Wrote diagnostics to {path} (no secrets in it; read it before sharing).", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def disable(args: argparse.Namespace) -> int:
    from app.core.toggle import set_disabled

    context = cli_context(args)
    with expected_errors():
        integration = context.storage.integrations.find(args.label)
        if integration.status is Status.DISABLED:
            print(f"{integration.label!r} is already disabled.")
            return EXIT_OK
        set_disabled(context.storage, integration.id, True)
    print(f"Disabled {integration.label!r}: it is not checked and workflows cannot use it.")
    for use in integration.used_by:
        print(f"    {use.workflow_name} cannot run until you enable it again.")
    return EXIT_OK


def enable(args: argparse.Namespace) -> int:
    from app.core.toggle import set_disabled

    context = cli_context(args)
    with expected_errors():
        integration = context.storage.integrations.find(args.label)
        if integration.status is not Status.DISABLED:
            print(f"{integration.label!r} is not disabled.")
            return EXIT_OK
        set_disabled(context.storage, integration.id, False)
    print(f"Enabled {integration.label!r}; run `tether check {integration.label!r}` to test it now.")
    return EXIT_OK


def add_parsers(command) -> None:
    """Register the subcommands with the `command(name, handler, help)` helper of app.cli.main."""
    p = command("status", status, "status, circuit breaker and metrics of every integration")
    p.add_argument("--json", action="store_true", help="print JSON")
    p = command("diagnostics", diagnostics, "a report for bug reports: versions, platform, states; never secrets")
    p.add_argument("--output", metavar="FILE", help="write to FILE instead of standard output")
    p = command("disable", disable, "stop checking an integration and keep workflows from using it")
    p.add_argument("label", metavar="LABEL")
    p = command("enable", enable, "switch a disabled integration back on")
    p.add_argument("label", metavar="LABEL")


__all__ = ["add_parsers", "diagnostics", "disable", "enable", "status"]
