"""What every tether screen shares: unexpected worker failures end up in one place."""

from __future__ import annotations

from textual.binding import Binding
from textual.worker import Worker, WorkerState


# Tab and shift+tab as priority bindings on screens with several inputs. Textual hands each key to
# the widget focused when the App reads it, and a plain tab only moves focus once that widget has
# worked through its queue: keys that arrive in one write (a password manager's auto-type, a laggy
# SSH link) would all land in the first field. A priority binding moves focus as the App reads the
# tab, so the keys after it go to the next field.
def focus_keys(screen_id: str) -> list[Binding]:
    return [
        Binding(
            "tab",
            "app.focus_next",
            "Next field",
            show=False,
            priority=True,
            tooltip="Move to the next field",
            id=f"{screen_id}.focus_next",
        ),
        Binding(
            "shift+tab",
            "app.focus_previous",
            "Previous field",
            show=False,
            priority=True,
            tooltip="Move to the previous field",
            id=f"{screen_id}.focus_previous",
        ),
    ]


class ReportsWorkerFailures:
    """Mix into a Screen: a worker that raised becomes a notification, and the screen may tidy up."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.app.report_worker_failure(event.worker)  # type: ignore[attr-defined]
            self.worker_failed(event.worker)

    def worker_failed(self, worker: Worker) -> None:
        """Override to undo a busy state (spinner, disabled button) after a failed worker."""
