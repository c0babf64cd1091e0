"""What a fault must never change: every integration's label, type, settings, secrets and links."""

from __future__ import annotations

from typing import Any

from storage.service import Storage


def stored_state(storage: Storage) -> dict[str, Any]:
    repo = storage.integrations
    return {
        "integrations": {
            item.label: {
                "type": item.type_key,
                "settings": item.settings,
                "secret_names": item.secret_names,
                "secrets": repo.read_secrets(item),
                "used_by": [(use.workflow_name, str(use.role), str(use.access)) for use in item.used_by],
            }
            for item in repo.list()
        },
        "workflows": [
            (workflow.name, workflow.schedule, [(link.integration_label, str(link.role)) for link in workflow.links])
            for workflow in storage.workflows.list()
        ],
    }
