"""What every tether screen shares: unexpected worker failures end up in one place."""

from __future__ import annotations

from textual.worker import Worker, WorkerState


class ReportsWorkerFailures:
    """Mix into a Screen: a worker that raised becomes a notification, and the screen may tidy up."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.app.report_worker_failure(event.worker)  # type: ignore[attr-defined]
            self.worker_failed(event.worker)

    def worker_failed(self, worker: Worker) -> None:
        """Override to undo a busy state (spinner, disabled button) after a failed worker."""
