"""Domain code stays free of Textual, and start-up stays free of heavy client libraries."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO_ROOT


def modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys; print('\\n'.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO_ROOT,
    ).stdout
    return set(out.split())


def test_connectors_and_storage_do_not_import_textual() -> None:
    loaded = modules_after(
        "import connectors.registry, connectors.retry, storage.service, storage.secrets.select, app.core.checks"
    )
    assert "textual" not in loaded


def test_type_registry_does_not_load_client_libraries() -> None:
    loaded = modules_after("import connectors.registry")
    assert not loaded & {"imapclient", "caldav", "icalendar", "authlib", "httpx", "sqlalchemy"}
