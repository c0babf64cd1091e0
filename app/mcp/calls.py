"""The one path every MCP tool takes to reach an integration: lookup, scope, status, secrets, connector.

A tool asks its ToolCall for an integration by label (which checks it exists, is in scope, is of a
type the tool serves, and may be written to when the tool writes), then runs the connector
through ``ToolCall.run``, which refuses disabled integrations and those needing re-authentication,
reads the secrets, and calls the connector inside the health guard so that MCP calls share the
checks' circuit breaker and metrics. Every failure comes out as a ToolRefusal.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from app.core.health import UnexpectedFailure
from app.mcp.errors import Reason, ToolRefusal, action_for, quoted, refusal_from
from app.mcp.scope import Scope, unknown_integration
from connectors.errors import ConnectorError, ErrorKind
from connectors.registry import TypeRegistry, default_types
from connectors.types import CheckRequest
from storage.convert import now
from storage.errors import NotFound
from storage.records import Integration, Status
from storage.service import Storage

if TYPE_CHECKING:
    from app.mcp.tool_spec import Serves

T = TypeVar("T")

# Seconds a connector may spend on one tool call (it bounds each network wait by this).
DEFAULT_TIMEOUT = 20.0

# A connector operation: the integration's secrets and the timeout in, a result out.
Operation = Callable[[Mapping[str, str], float], T]


@dataclass
class ToolCall:
    """What one tool invocation works with. Collects the secrets it read, so results can be scrubbed."""

    storage: Storage
    scope: Scope
    timeout: float = DEFAULT_TIMEOUT
    secrets_read: set[str] = field(default_factory=set)
    # Set when the secret store could not be opened at start-up (e.g. the vault stayed locked).
    secrets_problem: str | None = None
    types: TypeRegistry = field(default_factory=default_types)

    def integration(self, label: object, *, types: Serves, write: bool = False) -> Integration:
        """The integration a tool argument names, checked against the scope and the tool's types."""
        if not isinstance(label, str) or not label.strip():
            raise ToolRefusal(Reason.BAD_INPUT, "Name the integration by its label (see list_integrations).")
        try:
            integration = self.storage.integrations.find(label)
        except NotFound:
            raise unknown_integration(label, self.scope.workflow) from None
        # Outside the workflow an integration is absent: the same answer, in the words asked with.
        self.scope.require_visible(integration, asked_as=label)
        spec = self.types.get(integration.type_key)
        if not types(spec):
            raise ToolRefusal(
                Reason.UNSUPPORTED,
                f"This tool does not work on {spec.name} integrations; it works on {types.what}.",
                action="Use list_integrations to see each integration's type and capabilities.",
                label=integration.label,
            )
        if write:
            self.scope.require_writable(integration)
        return integration

    def run(self, integration: Integration, operation: Operation[T], *, what: str) -> T:
        """Call the connector for ``integration``; ``what`` names the action for unexpected failures.

        Goes through the health guard like every workflow call: refused while the integration is
        disabled, needs re-authentication or its circuit breaker is open; otherwise timed and
        counted in its metrics.
        """
        from app.core.health import DEFAULT_POLICY, guarded_call, unavailable_reason

        current = self.storage.integrations.get(integration.id)
        refusal = unavailable_reason(current, self.storage.metrics.health(current.id), DEFAULT_POLICY, now())
        if refusal is not None:
            raise _refused_before_calling(current, refusal)
        if current.secret_names and self.secrets_problem is not None:
            raise self._locked(current, self.secrets_problem)

        def call(request: CheckRequest) -> T:
            self.secrets_read.update(request.secrets.values())
            return operation(request.secrets, self.timeout)

        with suppress(Exception):  # loading fails again inside the call, and is reported there
            self.types.get(current.type_key).warm_up()  # before the clock: loading is not latency
        try:
            return guarded_call(self.storage.integrations, current, call, metrics=self.storage.metrics)
        except ConnectorError as error:
            if error.kind is ErrorKind.NEEDS_REAUTH:
                # Show it in tether too, as a check would: the person has to act there.
                self.storage.integrations.set_status(current.id, Status.NEEDS_REAUTH, str(error))
            if error.kind is ErrorKind.SECRETS:
                raise self._locked(current, error.message) from None
            if isinstance(error, UnexpectedFailure):
                error = UnexpectedFailure(error.exception, f"while {what}")
            raise refusal_from(error, current.label).scrubbed(self.secrets_read) from None

    def secret_keeper(self, integration: Integration) -> Callable[[str, str], None]:
        """Stores a secret the service replaced during the call (a rotated OAuth refresh token) at once,
        and keeps it out of the answer and the logs like every secret read."""
        from app.core.logging_setup import remember_secrets

        def save(name: str, value: str) -> None:
            remember_secrets([value])
            self.secrets_read.add(value)
            self.storage.integrations.rotate_secret(integration.id, name, value)

        return save

    def _locked(self, integration: Integration, problem: str) -> ToolRefusal:
        return ToolRefusal(
            Reason.SECRETS,
            f"Its credentials cannot be read: {problem}",
            action=action_for(ErrorKind.SECRETS, integration.label),
            label=integration.label,
        )


def _refused_before_calling(integration: Integration, error: ConnectorError) -> ToolRefusal:
    """Disabled, needs re-authentication, or the circuit breaker is open: no connection is made."""
    if error.kind in (ErrorKind.DISABLED, ErrorKind.NEEDS_REAUTH):
        return refusal_from(error, integration.label)
    return ToolRefusal(
        Reason.CIRCUIT_OPEN,
        error.message,
        action=f"Calls resume after a successful check: fix the cause, then run `tether check {quoted(integration.label)}`.",
        label=integration.label,
    )
