"""`tether add` and `tether reauth` for OAuth types: the sign-in from a terminal, over SSH too.

Device code (when the provider has it, and by default over SSH): the verification address and the
user code are printed, and tether polls until the person signed in anywhere. Loopback: the
authorization URL is printed in full; the answer arrives either at the loopback listener (a local
browser, or one behind an ``ssh -L`` tunnel) or as the redirected address pasted on standard
input or the terminal. Tokens are never printed.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from collections.abc import Mapping
from typing import Any, TextIO

from app.cli.errors import CliError
from connectors.wording import duration
from connectors.errors import ConnectorError
from connectors.types import IntegrationType


def _say(text: str = "") -> None:
    print(text, file=sys.stderr, flush=True)


def _paste_reader(signin: Any, first: TextIO) -> None:
    """Feed pasted lines to the sign-in: standard input first, then the terminal if input ran out."""
    sources: list[TextIO] = [first]
    while sources:
        source = sources.pop(0)
        for line in source:
            if not line.strip():
                continue
            message = signin.submit_url(line)
            _say(f"  {message}" if message else "  Got it, finishing the sign-in...")
            if message is None:
                return
        if source is first and not first.isatty():
            try:
                sources.append(open("/dev/tty"))  # noqa: SIM115 - lives as long as this daemon thread
            except OSError:
                return


def run_signin(
    spec: IntegrationType,
    settings: Mapping[str, Any],
    secrets: Mapping[str, str],
    *,
    timeout: float | None,
    open_browser: bool,
    method: str | None = None,
) -> Any:
    """Show how to sign in, wait for it; returns the sign-in result. Raises CliError."""
    from app.core.oauth_flow import start_signin

    try:
        signin = start_signin(spec, settings, secrets, method=method, timeout=timeout)
    except ConnectorError as exc:
        raise CliError(str(exc)) from None
    provider_name = spec.oauth_provider.name if spec.oauth_provider else spec.name
    try:
        if signin.method == "device":
            _show_device_code(signin, provider_name)
        else:
            _show_loopback(signin, provider_name, open_browser)
        result = signin.wait()
    except KeyboardInterrupt:
        signin.cancel()
        result = None
    except ConnectorError as exc:
        raise CliError(f"Not signed in: {exc}") from None
    finally:
        signin.close()
    if result is None:
        raise CliError("Sign-in cancelled; nothing was changed.")
    _say(f"Signed in as {result.email}.")
    return result


def _show_device_code(signin: Any, provider_name: str) -> None:
    _say(f"To sign in with {provider_name}, open this address on any device (phone, laptop):")
    print(signin.verification_uri, flush=True)
    _say("and enter the code:")
    print(f"    {signin.user_code}", flush=True)
    _say(
        f"tether checks every {signin.interval:g} s for up to {duration(min(signin.timeout, signin.expires_in))}; Ctrl-C cancels."
    )


def _show_loopback(signin: Any, provider_name: str, open_browser: bool) -> None:
    from connectors.oauth.loopback import may_open_browser, ssh_tunnel_command

    _say(f"Open this address in a browser and sign in with the {provider_name} account to use:")
    print(signin.authorization_url, flush=True)
    tunnel = ssh_tunnel_command(signin.port, os.environ)
    if tunnel:
        _say("You are on SSH. To let the browser on your own computer come back here, run there first:")
        _say(f"  {tunnel}")
    _say(f"tether listens on {signin.redirect_uri} for {duration(signin.timeout)}.")
    _say("If the browser ends on a page that fails to load, copy its address and paste it here (then Enter).")
    if open_browser and may_open_browser(os.environ) and sys.stdout.isatty():
        import webbrowser

        threading.Thread(target=webbrowser.open, args=(signin.authorization_url,), daemon=True).start()
    threading.Thread(target=_paste_reader, args=(signin, sys.stdin), daemon=True).start()


def _report(signed_in: Any) -> None:
    result = signed_in.result
    if result is None:
        return
    print(f"● {result.summary}")
    for line in (*result.details, *result.warnings):
        print(f"    {line}")


def add_with_signin(
    args: argparse.Namespace, context: Any, spec: IntegrationType, label: str, values: Mapping[str, str]
) -> int:
    """Sign in, prove it with the check, then save — nothing is stored before the sign-in worked."""
    from app.cli.opening import expected_errors, unlock
    from app.core.oauth_flow import discard_signin, finish_signin, save_new

    settings, secrets = spec.settings_from(values), spec.secrets_from(values)
    result = run_signin(
        spec,
        settings,
        secrets,
        timeout=args.signin_timeout,
        open_browser=not args.no_browser,
        method=args.signin_method,
    )
    try:
        signed_in = finish_signin(spec, settings, secrets, result, check=not args.no_check)
    except ConnectorError as exc:
        discard_signin(spec, settings, secrets, result.refresh_token)
        raise CliError(f"Not saved: {exc} (the sign-in was given back; fix it and run the command again)") from None
    unlock(context)
    with expected_errors():
        integration = save_new(context.storage.integrations, spec, label, signed_in)
    print(f"Added {integration.label!r} ({spec.name}) for {signed_in.address}.")
    _report(signed_in)
    return 0


def reauth(args: argparse.Namespace) -> int:
    """Sign in again for an existing integration, keeping its label and workflow links."""
    from app.cli.opening import cli_context, expected_errors, unlock
    from app.core.oauth_flow import finish_signin, save_reauth

    context = cli_context(args)
    repo = context.storage.integrations
    with expected_errors():
        current = repo.find(args.label)
        spec = context.types.get(current.type_key)
    if not spec.oauth:
        raise CliError(f"{current.label!r} is {spec.name}, which does not sign in through OAuth; use `tether edit`.")
    unlock(context)
    with expected_errors():
        secrets = repo.read_secrets(current)
    result = run_signin(
        spec,
        current.settings,
        secrets,
        timeout=args.signin_timeout,
        open_browser=not args.no_browser,
        method=args.signin_method,
    )
    previous = str(current.settings.get("address") or "")
    if previous and previous.casefold() != result.email.casefold():
        _say(f"Note: this integration was for {previous}; it now uses {result.email}.")
    try:
        signed_in = finish_signin(spec, current.settings, secrets, result, check=not args.no_check)
    except ConnectorError as exc:
        raise CliError(f"Signed in, but the check failed, so nothing was changed: {exc}") from None
    with expected_errors():
        updated = save_reauth(repo, current, signed_in)
    print(f"Re-authenticated {updated.label!r} as {signed_in.address}.")
    _report(signed_in)
    return 0


def revoke_on_remove(context: Any, integration: Any) -> None:
    """Before deleting an OAuth integration, give its grant back; say so when that failed or cannot be done."""
    from app.core.oauth_flow import revoke_before_remove

    spec = context.types.get(integration.type_key)
    message = revoke_before_remove(context.storage.integrations, spec, integration)
    if message:
        _say(f"tether: {message}")
    elif integration.has_secret("refresh_token") and spec.oauth_provider is not None:
        _say(f"Revoked its {spec.oauth_provider.name} sign-in.")


def add_signin_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-browser", action="store_true", help="OAuth types: do not open a browser, only print the address"
    )
    parser.add_argument(
        "--signin-method",
        choices=("device", "loopback"),
        default=None,
        help="OAuth types: a device code to enter anywhere, or a browser redirect to this machine "
        "(default: device over SSH when the provider offers it, else loopback)",
    )
    parser.add_argument(
        "--signin-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="OAuth types: how long to wait for the sign-in (default 300)",
    )
