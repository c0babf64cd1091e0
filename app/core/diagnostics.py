"""Health as plain data (for `tether status`, `tether list --json`, the TUI) and the diagnostics report.

A diagnostics report is meant to be pasted into a bug report: it names versions, the platform,
which secret store is in use and every integration's state, and never a secret. Settings are
reduced to what is safe (URLs to scheme and host) and the whole text goes through the log mask.
"""

from __future__ import annotations

import json
import platform
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from app.core.formatting import STATUS_TEXT, ago, type_name
from app.core.health import DEFAULT_POLICY, BreakerPolicy
from app.core.logging_setup import log_dir, mask
from connectors.outside_text import clean_data
from connectors.wording import count
from storage.convert import now
from storage.metrics import BreakerState, Health
from storage.records import Integration

if TYPE_CHECKING:
    from app.core.context import Context

BREAKER_TEXT = {
    BreakerState.CLOSED: "closed",
    BreakerState.OPEN: "open (calls fail fast)",
    BreakerState.HALF_OPEN: "half-open (next call is a probe)",
}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def health_as_dict(
    health: Health, policy: BreakerPolicy = DEFAULT_POLICY, at: datetime | None = None
) -> dict[str, Any]:
    at = at or now()
    return {
        "requests": health.requests,
        "errors": health.errors,
        "error_rate": round(health.error_rate, 4),
        "last_latency_ms": round(health.last_latency_ms, 1) if health.last_latency_ms is not None else None,
        "p95_latency_ms": round(health.p95_latency_ms, 1) if health.p95_latency_ms is not None else None,
        "last_success": _iso(health.last_success_at),
        "last_error": mask(health.last_error) or None,
        "last_error_at": _iso(health.last_error_at),
        "breaker": {
            "state": str(policy.shown_state(health, at)),
            "since": _iso(health.breaker.since),
            "failures": health.breaker.failures,
        },
    }


def health_lines(health: Health, policy: BreakerPolicy = DEFAULT_POLICY, at: datetime | None = None) -> list[str]:
    """Short human lines for the detail pane and `tether status`."""
    at = at or now()
    lines = []
    if health.requests:
        p95 = f"{health.p95_latency_ms:.0f} ms" if health.p95_latency_ms is not None else "-"
        last = f"{health.last_latency_ms:.0f} ms" if health.last_latency_ms is not None else "-"
        lines.append(
            f"{count(health.requests, 'request')}, {count(health.errors, 'error')} ({health.error_rate:.0%}); "
            f"latency last {last}, p95 {p95}"
        )
    else:
        lines.append("No requests in the last 24 h.")
    lines.append(f"Last success: {ago(health.last_success_at, at)}")
    if health.last_error:
        lines.append(f"Last error ({ago(health.last_error_at, at)}): {mask(health.last_error)}")
    state = policy.shown_state(health, at)
    if state is not BreakerState.CLOSED:
        since = ago(health.breaker.since, at) if health.breaker.since else "recently"
        lines.append(f"Circuit {BREAKER_TEXT[state]} since {since}, after {health.breaker.failures} failures")
    return lines


def safe_settings(integration: Integration) -> dict[str, Any]:
    """Settings with URLs cut to scheme and host, and every value masked."""
    shown: dict[str, Any] = {}
    for key, value in integration.settings.items():
        if isinstance(value, str) and "://" in value:
            parts = urlsplit(value)
            value = f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}/…"
        shown[key] = mask(value) if isinstance(value, str) else value
    return shown


def build_report(context: Context) -> dict[str, Any]:
    from importlib.metadata import PackageNotFoundError, version

    def package_version(name: str) -> str | None:
        try:
            return version(name)
        except PackageNotFoundError:
            return None

    integrations = context.storage.integrations.list()
    healths = context.storage.metrics.health_all()
    at = now()
    return {
        "tether": package_version("tether") or "0.1.0 (not installed)",
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "libraries": {
            name: package_version(name)
            for name in ("textual", "sqlalchemy", "alembic", "keyring", "httpx", "imapclient", "caldav")
        },
        "data_dir": str(context.data_dir),
        "log_dir": str(log_dir()),
        "secret_store": {
            "kind": context.secrets.kind,
            "description": context.secrets.store.description,
            "reason": context.secrets.reason,
        },
        "generated_at": at.isoformat(),
        "integrations": [
            {
                "label": item.label,
                "type": item.type_key,
                "type_name": type_name(item.type_key),
                "status": str(item.status),
                "status_text": STATUS_TEXT[item.status],
                "detail": item.status_detail,
                "last_checked": _iso(item.last_checked_at),
                "settings": safe_settings(item),
                "secrets_stored": list(item.secret_names),  # names only
                "used_by": [use.workflow_name for use in item.used_by],
                "health": health_as_dict(healths.get(item.id, Health(item.id)), at=at),
            }
            for item in integrations
        ],
    }


def render_report(report: dict[str, Any]) -> str:
    """The report as text, through the mask one last time; outside text in it cleaned, since people read it in a terminal."""
    return mask(json.dumps(clean_data(report), indent=2, ensure_ascii=False, default=str)) + "\n"
