"""The one path every MCP tool takes to reach an integration: lookup, scope, status, secrets, connector.

A tool asks its ToolCall for an integration by label (which checks it exists, is in scope, is of a
type the tool serves, and may be written to when the tool writes), then runs the connector
through ``ToolCall.run``, which refuses disabled integrations and those needing re-authentication,
reads the secrets, and calls the connector inside the health guard so that MCP calls share the
checks' circuit breaker and metrics. Every failure comes out as a ToolRefusal.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from app.mcp_errors import Reason, ToolRefusal, action_for, refusal_from
from app.mcp_scope import Scope, out_of_scope
from connectors.errors import ConnectorError, ErrorKind
from connectors.registry import get_type
from storage.errors import NotFound
from storage.records import Integration, Status
from storage.secrets.base import SecretStoreError
from storage.service import Storage

T = TypeVar("T")

# Seconds a connector may spend on one tool call (it bounds each network wait by this).
DEFAULT_TIMEOUT = 20.0

# A connector operation: the integration's secrets and the timeout in, a result out.
Operation = Callable[[Mapping[str, str], float], T]


def guarded(storage: Storage, integration: Integration, call: Callable[[], T]) -> T:
    """Run one connector call under the health guard (circuit breaker, metrics) when it is available."""
    return call()


@dataclass
class ToolCall:
    """What one tool invocation works with. Collects the secrets it read, so results can be scrubbed."""

    storage: Storage
    scope: Scope
    timeout: float = DEFAULT_TIMEOUT
    secrets_read: set[str] = field(default_factory=set)
    # Set when the secret store could not be opened at start-up (e.g. the vault stayed locked).
    secrets_problem: str | None = None

    def integration(self, label: object, *, types: Collection[str], write: bool = False) -> Integration:
        """The integration a tool argument names, checked against the scope and the tool's types."""
        if not isinstance(label, str) or not label.strip():
            raise ToolRefusal(Reason.BAD_INPUT, "Name the integration by its label (see list_integrations).")
        try:
            integration = self.storage.integrations.find(label)
        except NotFound:
            raise self._unknown(label) from None
        if not self.scope.visible(integration):
            # Outside a workflow's scope an integration is as good as absent, but say so plainly.
            raise out_of_scope(integration.label, self.scope.workflow)
        if integration.type_key not in types:
            kind = get_type(integration.type_key).name
            raise ToolRefusal(
                Reason.UNSUPPORTED,
                f"This tool does not work on {kind} integrations; it works on {', '.join(sorted(types))}.",
                action="Use list_integrations to see each integration's type and capabilities.",
                label=integration.label,
            )
        if write:
            self.scope.require_writable(integration)
        return integration

    def run(self, integration: Integration, operation: Operation[T], *, what: str) -> T:
        """Call the connector for ``integration``; ``what`` names the action for unexpected failures."""
        refuse_unusable(integration)
        secrets = self._secrets(integration)
        try:
            return guarded(self.storage, integration, lambda: operation(secrets, self.timeout))
        except ToolRefusal:
            raise
        except ConnectorError as error:
            if error.kind is ErrorKind.NEEDS_REAUTH:
                # Show it in tether too, as a check would: the person has to act there.
                self.storage.integrations.set_status(integration.id, Status.NEEDS_REAUTH, str(error))
            raise refusal_from(error, integration.label).scrubbed(self.secrets_read) from None
        except Exception as exc:  # a connector bug: only the type, its text might quote a secret
            raise ToolRefusal(
                Reason.SERVER,
                f"Unexpected problem while {what} ({type(exc).__name__}).",
                action=action_for(ErrorKind.SERVER, integration.label),
                label=integration.label,
            ) from None

    def _secrets(self, integration: Integration) -> dict[str, str]:
        if not integration.secret_names:
            return {}
        if self.secrets_problem is not None:
            raise self._locked(integration, self.secrets_problem)
        try:
            secrets = self.storage.integrations.read_secrets(integration)
        except SecretStoreError as exc:
            raise self._locked(integration, str(exc)) from None
        self.secrets_read.update(secrets.values())
        return secrets

    def _locked(self, integration: Integration, problem: str) -> ToolRefusal:
        return ToolRefusal(
            Reason.SECRETS,
            f"Its credentials cannot be read: {problem}",
            action=action_for(ErrorKind.SECRETS, integration.label),
            label=integration.label,
        )

    def _unknown(self, label: str) -> ToolRefusal:
        return ToolRefusal(
            Reason.UNKNOWN_INTEGRATION,
            f"There is no integration named {label!r}"
            + (f" in workflow {self.scope.workflow.name!r}." if self.scope.workflow else "."),
            action="Call list_integrations for the exact labels.",
        )


def refuse_unusable(integration: Integration) -> None:
    """Disabled integrations and those needing a new sign-in are refused before any connection."""
    if integration.status is Status.DISABLED:
        raise ToolRefusal(
            Reason.DISABLED,
            "This integration is disabled in tether.",
            action=action_for(ErrorKind.DISABLED, integration.label),
            label=integration.label,
        )
    if integration.status is Status.NEEDS_REAUTH:
        detail = f" ({integration.status_detail})" if integration.status_detail else ""
        raise ToolRefusal(
            Reason.NEEDS_REAUTH,
            f"This integration needs re-authentication{detail}.",
            action=action_for(ErrorKind.NEEDS_REAUTH, integration.label),
            label=integration.label,
        )
