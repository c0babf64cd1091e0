"""`tether discover ADDRESS`: server settings for an email address, each with where it came from.

Nothing is stored: the output lists candidates and the `tether add` command that uses
one. The resolver, the autoconfig base URL and an extra CA come from the environment
(TETHER_DNS_SERVER, TETHER_AUTOCONFIG_URL, TETHER_DISCOVERY_CA_FILE).
"""

from __future__ import annotations

import argparse
import os
import shlex
from collections.abc import Callable
from typing import TYPE_CHECKING

from app.cli.commands import EXIT_FAILED, EXIT_OK, emit_json
from app.cli.errors import CliError

if TYPE_CHECKING:
    from connectors.discovery.model import Candidate, Discovery

EXIT_BAD_INPUT = 2


def add_parsers(command: Callable[..., argparse.ArgumentParser]) -> None:
    """Register the subcommand with the `command(name, handler, help)` helper of app.cli.main."""
    p = command("discover", discover, "find mail and calendar server settings from an email address")
    p.add_argument("address", metavar="ADDRESS", help="an email address, e.g. alice@example.com")
    p.add_argument("--json", action="store_true", help="print JSON: candidates and every source's answer")
    p.epilog = (
        "Asks a table of large providers, the domain's autoconfig file and DNS (SRV, MX) at once, for at most 3 s. "
        "Settings: TETHER_DNS_SERVER (IP[:PORT]), TETHER_AUTOCONFIG_URL (https://...{host}...), "
        "TETHER_DISCOVERY_CA_FILE (a CA to trust as well)."
    )


def discover(args: argparse.Namespace) -> int:
    from connectors.discovery.address import AddressError
    from connectors.discovery.model import DiscoverySettings
    from connectors.discovery.run import discover as run_discovery

    try:
        settings = DiscoverySettings.from_environ(os.environ)
    except ValueError as exc:
        raise CliError(str(exc), EXIT_BAD_INPUT) from None
    try:
        result = run_discovery(args.address, settings)
    except AddressError as exc:
        raise CliError(str(exc), EXIT_BAD_INPUT) from None
    if args.json:
        emit_json(result.to_dict())
        return EXIT_OK if result.candidates else EXIT_FAILED
    if not result.candidates:
        raise CliError(f"no settings found for {result.address}: {result.problem}")
    for line in _lines(result):
        print(line)
    return EXIT_OK


def _lines(result: Discovery) -> list[str]:
    from connectors.discovery.describe import type_advice
    from connectors.discovery.model import Outcome, Service

    lines: list[str] = []
    for service in Service:
        found = result.for_service(service)
        if not found:
            continue
        own_type = service.settings_type
        lines.append(f"{service.heading} for {result.address}:")
        for number, candidate in enumerate(found, 1):
            lines.append(f"  {number}. {candidate.where}")
            lines.append(f"     from: {candidate.source}")
            if candidate.username:
                lines.append(f"     sign in as: {candidate.username}")
            for text in (candidate.note, type_advice(candidate, own_type)):
                if text:
                    lines.append(f"     {text}")
            if candidate.type_key == own_type:
                lines.append(f"     use it: {_add_command(candidate, result.address)}")
        lines.append("")
    unanswered = [r for r in result.reports if r.outcome in (Outcome.FAILED, Outcome.TIMED_OUT)]
    lines.append(f"Asked {len(result.reports)} sources in {result.elapsed:.1f} s" + (":" if unanswered else "."))
    lines.extend(f"  {report.message}" for report in unanswered)
    return lines


def _add_command(candidate: Candidate, address: str) -> str:
    username = candidate.username or address
    sets = [f"username={username}", *(f"{name}={value}" for name, value in candidate.form_values().items())]
    words = ["tether", "add", candidate.type_key]
    for item in sets:
        words += ["--set", item]
    return shlex.join([*words, "--secret-stdin", "password"])
