"""What each `tether` subcommand does. Every handler returns the exit status."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
import time
from collections.abc import Sequence
from contextlib import suppress

from app.cli.errors import CliError
from app.cli.opening import cli_context, expected_errors, unlock
from app.core.formatting import STATUS_TEXT, ago, integration_as_dict, type_name
from app.cli.values import parse_assignments, timeout_option
from app.core.form_values import form_values_for_add, form_values_for_edit, unique_label
from connectors.registry import default_types, get_type
from connectors.fields import Field
from connectors.types import IntegrationType, validate_label
from storage.errors import Superseded

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_REFUSED = 3


def emit_json(data: object) -> None:
    print(json.dumps(data, indent=2, default=str))


# --- the TUI ------------------------------------------------------------------------------


def run_tui(args: argparse.Namespace) -> int:
    from app.tui.run import run

    with expected_errors():
        return run(data_dir=args.data_dir)


# --- integrations -------------------------------------------------------------------------


def list_integrations(args: argparse.Namespace) -> int:
    context = cli_context(args)
    integrations = context.storage.integrations.list()
    if args.json:
        from app.core.diagnostics import health_as_dict
        from storage.metrics import Health

        healths = context.storage.metrics.health_all()
        emit_json(
            [
                {**integration_as_dict(item), "health": health_as_dict(healths.get(item.id, Health(item.id)))}
                for item in integrations
            ]
        )
        return EXIT_OK
    if not integrations:
        print("No integrations yet. Add one with `tether add TYPE` or press n in the TUI.")
        return EXIT_OK
    rows = [
        (
            item.label,
            type_name(item.type_key),
            STATUS_TEXT[item.status],
            ago(item.last_checked_at),
            ", ".join(use.workflow_name for use in item.used_by) or "-",
            item.status_detail or item.check_summary,
        )
        for item in integrations
    ]
    _print_table(("LABEL", "TYPE", "STATUS", "CHECKED", "USED BY", "DETAIL"), rows)
    return EXIT_OK


def list_types(args: argparse.Namespace) -> int:
    if args.json:
        emit_json(
            [
                {
                    "key": t.key,
                    "name": t.name,
                    "category": str(t.category),
                    "description": t.description,
                    "fields": [
                        {
                            "name": f.name,
                            "label": f.label,
                            "kind": str(f.kind),
                            "required": f.required,
                            "secret": f.secret,
                            "choices": [value for value, _ in f.choices],
                            "default": f.default_for({}) or None,
                        }
                        for f in t.fields
                    ],
                }
                for t in default_types()
            ]
        )
        return EXIT_OK
    for t in default_types():
        print(f"{t.key:8} {t.name} - {t.description}")
        for f in t.fields:
            flags = ", ".join(x for x in ("required" if f.required else "", "secret" if f.secret else "") if x)
            print(f"           {f.name:14} {f.label}{f' ({flags})' if flags else ''}")
            for fact in field_facts(t, f):
                print(f"           {'':14}   {fact}")
    return EXIT_OK


def field_facts(spec: IntegrationType, field: Field) -> list[str]:
    """What a person may write for a field: its allowed values and its default (per choice, if it follows one)."""
    facts = []
    if field.choices:
        facts.append("one of: " + " | ".join(value for value, _ in field.choices))
    if field.derived_default is not None:
        for other in spec.fields:
            if other is field or not other.choices:
                continue
            per_choice = {value: field.default_for({other.name: value}) for value, _ in other.choices}
            if len(set(per_choice.values())) > 1:
                shown = ", ".join(f"{value} {default}" for value, default in per_choice.items())
                facts.append(f"default by {other.name}: {shown}")
                return facts
    if default := field.default_for({}):
        facts.append(f"default: {default}")
    return facts


def _read_secrets(names: list[str], valid: set[str]) -> dict[str, str]:
    unknown = [name for name in names if name not in valid]
    if unknown:
        raise CliError(
            f"{unknown[0]!r} is not a secret field here; secret fields: {', '.join(sorted(valid)) or 'none'}."
        )
    values: dict[str, str] = {}
    for name in names:
        line = sys.stdin.readline()
        if not line:
            raise CliError(f"Standard input ended before the secret {name!r} was read.")
        values[name] = line.rstrip("\r\n")
    from app.core.logging_setup import remember_secrets

    remember_secrets(values.values())
    return values


def _prompt_missing_secrets(spec, values: dict[str, str], given: dict[str, str]) -> None:
    for field in spec.secret_fields:
        if field.name in given or not field.required or values.get(field.name):
            continue
        if not sys.stdin.isatty():
            raise CliError(
                f"{field.label} is required: pass --secret-stdin {field.name} and write it to standard input."
            )
        given[field.name] = getpass.getpass(f"{field.label}: ")


def add(args: argparse.Namespace) -> int:
    with expected_errors():
        spec = get_type(args.type)
    assignments = parse_assignments(args.set, spec)
    secrets = _read_secrets(args.secret_stdin, {f.name for f in spec.secret_fields})
    context = cli_context(args)
    repo = context.storage.integrations
    labels = repo.labels()
    label = args.label if args.label is not None else unique_label(spec.default_label or spec.name, labels)
    if message := validate_label(label, labels):
        raise CliError(message)
    values = form_values_for_add(spec, assignments)
    _prompt_missing_secrets(spec, values, secrets)
    values.update(secrets)
    if errors := spec.validate(values):
        raise CliError(errors.first())
    if spec.oauth:
        from app.cli.oauth_cli import add_with_signin

        return add_with_signin(args, context, spec, label, values)
    settings, secrets = spec.settings_from(values), spec.secrets_from(values)
    result = None
    if not args.no_check:
        # Test before saving: a typo should cost a retyped command, not a broken integration.
        from app.core.checks import check_values
        from connectors.errors import ConnectorError

        print(f"Testing the connection to {label!r}...", file=sys.stderr)
        try:
            started = time.perf_counter()
            result = check_values(spec, settings, secrets)
            checked_ms = (time.perf_counter() - started) * 1000
        except ConnectorError as exc:
            raise CliError(
                f"Not saved: {exc} (fix it and run the command again, or add --no-check to save anyway)"
            ) from None
    unlock(context)
    with expected_errors():
        integration = repo.add(spec.key, label, settings, secrets)
        if result is not None:
            from app.core.checks import record_success
            from app.core.health import record_outcome

            record_success(repo, integration.id, result)
            record_outcome(context.storage.metrics, integration.id, latency_ms=checked_ms, error=None, source="check")
    print(f"Added {integration.label!r} ({spec.name}).")
    if result is not None:
        print(f"● {result.summary}")
        for line in (*result.details, *result.warnings):
            print(f"    {line}")
    return EXIT_OK


def edit(args: argparse.Namespace) -> int:
    context = cli_context(args)
    repo = context.storage.integrations
    with expected_errors():
        current = repo.find(args.label)
        spec = get_type(current.type_key)
    assignments = parse_assignments(args.set, spec)
    secrets = _read_secrets(args.secret_stdin, {f.name for f in spec.secret_fields})
    if args.new_label is not None:
        others = repo.labels() - {current.label}
        if message := validate_label(args.new_label, others):
            raise CliError(message)
    values = form_values_for_edit(spec, current.settings, assignments)
    values.update(secrets)
    if errors := spec.validate(values, editing=True, stored_secrets=frozenset(current.secret_names)):
        raise CliError(errors.first())
    if not (assignments or secrets or args.new_label is not None):
        raise CliError("Nothing to change: give --label, --set or --secret-stdin.")
    if secrets:
        unlock(context)
    with expected_errors():
        updated = repo.update(
            current.id,
            label=args.new_label,
            settings=spec.settings_for_edit(current.settings, values) if (assignments or secrets) else None,
            secrets=secrets or None,
            opened=current,  # what this edit read: a change made meanwhile is merged, not undone
        )
    print(f"Updated {updated.label!r}.")
    return EXIT_OK


def remove(args: argparse.Namespace) -> int:
    context = cli_context(args)
    repo = context.storage.integrations
    with expected_errors():
        current = repo.find(args.label)
    if current.used_by and not args.yes:
        print(f"{current.label!r} is used by {len(current.used_by)} workflow(s):", file=sys.stderr)
        for use in current.used_by:
            schedule = f", {use.schedule}" if use.schedule else ""
            print(f"  - {use.workflow_name} ({use.role}, {use.access}{schedule})", file=sys.stderr)
        print("Those workflows will keep a note that they lost it.", file=sys.stderr)
        if not sys.stdin.isatty():
            print("tether: not removed; add --yes to remove it anyway.", file=sys.stderr)
            return EXIT_REFUSED
        answer = input("Type yes to remove it: ").strip().lower()
        if answer != "yes":
            print("Not removed.", file=sys.stderr)
            return EXIT_REFUSED
    if current.secret_names:
        unlock(context)
    if get_type(current.type_key).oauth:
        from app.cli.oauth_cli import revoke_on_remove

        revoke_on_remove(context, current)
    with expected_errors():
        repo.remove(current.id)
    print(f"Removed {current.label!r} and its secrets.")
    return EXIT_OK


def check(args: argparse.Namespace) -> int:
    timeout = timeout_option(args.timeout) if args.timeout is not None else None
    context = cli_context(args)
    repo = context.storage.integrations
    with expected_errors():
        targets = [repo.find(label) for label in args.labels] if args.labels else repo.list()
    if not targets:
        print("No integrations to check.")
        return EXIT_OK
    unlock(context)
    return _check_and_report(context, targets, as_json=args.json, timeout=timeout)


def _check_and_report(context, targets, *, as_json: bool, timeout: float | None = None) -> int:
    """Check side by side; print a line per integration as each finishes (details when only one)."""
    targets = list({item.id: item for item in targets}.values())  # a label given twice is checked once
    single = len(targets) == 1
    if len(targets) > 1 and not as_json and sys.stderr.isatty():
        print(f"Checking {len(targets)} integrations...", file=sys.stderr)
    outcomes = {}
    for outcome in _checks_as_they_finish(context.storage.integrations, targets, timeout):
        outcomes[outcome.integration.id] = outcome
        if not as_json:
            _print_outcome(outcome, details=single)
    ordered = [outcomes[item.id] for item in targets]
    if as_json:
        emit_json(
            [
                {
                    **integration_as_dict(outcome.integration),
                    "ok": outcome.ok,
                    "checked": not outcome.skipped,
                    "details": list(outcome.result.details) if outcome.result else [],
                    "warnings": list(outcome.result.warnings) if outcome.result else [],
                    "error": outcome.error.to_dict() if outcome.error else None,
                }
                for outcome in ordered
            ]
        )
    return EXIT_FAILED if any(outcome.error is not None for outcome in ordered) else EXIT_OK


def _checks_as_they_finish(repo, targets, timeout: float | None = None):
    """Check several at once (as many as R in the TUI) and yield outcomes in the order they are recorded.

    The checks run in daemon threads, so Ctrl-C ends the command at once instead of waiting out
    network timeouts; the integrations still being checked get their previous status back.
    """
    from app.core.check_batch import check_many
    from app.core.scheduler import MANUAL_CONCURRENCY

    pending = {item.id: item for item in targets}
    try:
        for outcomes in check_many(repo, targets, concurrency=MANUAL_CONCURRENCY, timeout=timeout):
            for outcome in outcomes:
                pending.pop(outcome.integration.id, None)
                yield outcome
    except KeyboardInterrupt:
        with expected_errors():
            for item in pending.values():
                with suppress(Superseded):  # edited meanwhile: the edit already set its status
                    repo.set_status(item.id, item.status, item.status_detail, expected_version=item.version)
        raise


def _print_outcome(outcome, *, details: bool) -> None:
    label = outcome.integration.label
    if outcome.error is not None:
        print(f"✖ {label}: {outcome.error}", flush=True)
        if details and (fix := _fix_command(outcome.integration, outcome.error.field)):
            print(f"    To fix it: {fix}")
    elif outcome.result is not None:
        print(f"● {label}: {outcome.result.summary}", flush=True)
        extra = (*outcome.result.details, *outcome.result.warnings) if details else outcome.result.warnings
        for line in extra:
            print(f"    {line}")
    elif outcome.discarded:
        print(f"○ {label}: not checked ({outcome.discarded})", flush=True)
    else:
        why = "disabled" if outcome.integration.status == "disabled" else "no check for this type yet"
        print(f"○ {label}: not checked ({why})", flush=True)


def _fix_command(integration, field: str | None) -> str:
    """The `tether edit` command that changes the setting or secret a failure points at."""
    import shlex

    spec = get_type(integration.type_key)
    if field is None or not spec.has_field(field):
        return ""
    label = shlex.quote(integration.label)
    if spec.field(field).secret:
        return f"tether edit {label} --secret-stdin {field}  (then type the new value)"
    return f"tether edit {label} --set {field}=..."


def _print_table(headers: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))]
    widths[-1] = 0  # the last column runs free
    for row in [headers, *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
