"""The `tether workflow`, `tether secrets` and `tether mcp` subcommands."""

from __future__ import annotations

import argparse

from app.cli.commands import EXIT_OK, emit_json
from app.cli.opening import cli_context, expected_errors
from app.cli.errors import CliError
from storage.records import Access, LinkSpec, Role, Status


# --- workflows ----------------------------------------------------------------------------


def workflow_add(args: argparse.Namespace) -> int:
    context = cli_context(args)
    repo = context.storage.integrations
    with expected_errors():
        for label in [*args.source, *args.sink]:
            if repo.find(label).status is Status.DISABLED:
                raise CliError(f"{label!r} is disabled; enable it first with `tether enable {label!r}`.")
        links = [LinkSpec(repo.find(label).id, Role.SOURCE, Access.READ) for label in args.source]
        links += [LinkSpec(repo.find(label).id, Role.SINK, Access.WRITE) for label in args.sink]
        workflow = context.storage.workflows.add(
            args.name, description=args.description, schedule=args.schedule, links=links
        )
    print(f"Added workflow {workflow.name!r} using {len(workflow.links)} integration(s).")
    return EXIT_OK


def workflow_list(args: argparse.Namespace) -> int:
    context = cli_context(args)
    workflows = context.storage.workflows.list()
    if args.json:
        emit_json(
            [
                {
                    "name": w.name,
                    "description": w.description,
                    "schedule": w.schedule,
                    "enabled": w.enabled,
                    "integrations": [
                        {
                            "label": link.integration_label,
                            "role": str(link.role),
                            "access": str(link.access),
                            "missing": link.missing,
                        }
                        for link in w.links
                    ],
                }
                for w in workflows
            ]
        )
        return EXIT_OK
    if not workflows:
        print("No workflows yet. Add one with `tether workflow add NAME --source LABEL`.")
        return EXIT_OK
    for w in workflows:
        schedule = f" ({w.schedule})" if w.schedule else ""
        print(f"{w.name}{schedule}")
        for link in w.links:
            lost = "  [deleted - fix this workflow]" if link.missing else ""
            if link.integration_status is Status.DISABLED:
                lost = "  [disabled - cannot run until enabled]"
            print(f"  {link.role:6} {link.access:5} {link.integration_label}{lost}")
    return EXIT_OK


def workflow_remove(args: argparse.Namespace) -> int:
    context = cli_context(args)
    with expected_errors():
        workflow = context.storage.workflows.find(args.name)
        context.storage.workflows.remove(workflow.id)
    print(f"Removed workflow {workflow.name!r}; its integrations were not changed.")
    return EXIT_OK


# --- secrets ------------------------------------------------------------------------------


def secrets_status(args: argparse.Namespace) -> int:
    context = cli_context(args)
    choice = context.secrets
    if args.json:
        emit_json({"kind": choice.kind, "description": choice.store.description, "reason": choice.reason})
    else:
        print(f"Secret store: {choice.store.description}")
        print(choice.reason)
    return EXIT_OK


# --- MCP ----------------------------------------------------------------------------------


def mcp(args: argparse.Namespace) -> int:
    from app.mcp.wire import run

    from app.cli.values import timeout_option

    timeout = timeout_option(args.timeout)
    return run(args.data_dir, args.workflow, allow_write=args.allow_write, timeout=timeout, verbose=args.verbose)


def workflow_show(args: argparse.Namespace) -> int:
    from app.core.mcp_config import describe, launch_for

    context = cli_context(args)
    with expected_errors():
        workflow = context.storage.workflows.find(args.name)
    launch = launch_for(workflow.name, context.data_dir, uses_vault=context.secrets.vault is not None)
    if args.json:
        links = [
            {"label": link.integration_label, "role": str(link.role), "access": str(link.access)}
            for link in workflow.links
        ]
        emit_json({"name": workflow.name, "integrations": links, "mcp": launch.as_dict()})
        return EXIT_OK
    print(workflow.name + (f" ({workflow.schedule})" if workflow.schedule else ""))
    for link in workflow.links:
        print(f"  {link.role:6} {link.access:5} {link.integration_label}")
    print()
    print(describe(launch))
    return EXIT_OK
