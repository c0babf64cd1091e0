"""Eight mail_fetch calls at once for a 60 MB message: the server answers all, in bounded memory."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import REPO_ROOT
from tests.connectors.imap.test_large_message import _with_attachment
from tests.mcp.harness import DataDir
from tests.servers.dovecot import DOVECOT, DovecotOptions, DovecotServer, start_dovecot
from tests.support import require_server

if TYPE_CHECKING:
    from tests.servers.tls import TestCA

# One worker builds this module's costly server once (run with --dist loadgroup).
pytestmark = [pytest.mark.realserver, pytest.mark.xdist_group("mcp_mail_large")]
PASSWORD = "large-Secret-41"
CALLS = 8
# Python with the MCP SDK, SQLAlchemy and the IMAP client is ~100 MB; one whole 60 MB message
# parsed would be ~500 MB, eight of them several GB.
PEAK_LIMIT_MB = 250


@pytest.fixture(scope="module")
def dovecot(test_ca: TestCA) -> Iterator[DovecotServer]:
    require_server(DOVECOT is not None, "Dovecot", "Debian package dovecot-imapd")
    server = start_dovecot(
        DovecotOptions(cert=test_ca.issue("dovecot-large", ips=("127.0.0.1",)), users={"big": PASSWORD})
    )
    yield server
    server.stop()


def _server_peak_mb(data_dir: Path) -> float:
    """VmHWM (peak resident memory) of the `tether mcp` process serving ``data_dir``."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
            status = (entry / "status").read_text()
        except OSError:
            continue
        if b"mcp" in command and str(data_dir).encode() in command:
            peak_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
            return peak_kb / 1024
    raise AssertionError("the tether mcp process was not found")


async def _fetch_at_once(data: DataDir, uid: int) -> tuple[list[dict[str, Any]], float]:
    import anyio
    from mcp.client.session import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    args = ["-m", "app", "mcp", "--data-dir", str(data.path), "--timeout", "30"]
    params = StdioServerParameters(command=sys.executable, args=args, env=data.environment(), cwd=REPO_ROOT)
    results: list[dict[str, Any]] = []
    with (data.root / "stderr").open("w") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write), ClientSession(read, write) as session:
            await session.initialize()

            async def one() -> None:
                result = await session.call_tool("mail_fetch", {"label": "Large mail", "uid": uid, "max_chars": 5000})
                assert not result.is_error, result.content
                results.append(result.structured_content)

            async with anyio.create_task_group() as group:
                for _ in range(CALLS):
                    group.start_soon(one)
            peak = _server_peak_mb(data.path)
    return results, peak


def test_eight_fetches_of_a_60_mb_message_stay_small(dovecot: DovecotServer, test_ca: TestCA) -> None:
    import ssl

    import anyio
    from imapclient import IMAPClient

    with IMAPClient(
        "127.0.0.1", dovecot.imaps_port, ssl_context=ssl.create_default_context(cafile=str(test_ca.ca_file))
    ) as client:
        client.login("big", PASSWORD)
        client.append("INBOX", _with_attachment())
    data = DataDir()
    try:
        settings = {
            "username": "big",
            "host": "127.0.0.1",
            "port": dovecot.imaps_port,
            "tls_mode": "implicit",
            "ca_file": str(test_ca.ca_file),
        }
        data.add("imap", "Large mail", settings, {"password": PASSWORD})
        results, peak = anyio.run(_fetch_at_once, data, 1)
    finally:
        data.close()
    assert len(results) == CALLS
    for result in results:
        assert result["headers"]["subject"] == "The big report" and result["truncated"] is True
        assert result["text"].strip() == "Grüße, the report is attached." and result["attachments"] == [
            "Report-2026.bin"
        ]
    assert peak < PEAK_LIMIT_MB, f"the server peaked at {peak:.0f} MB"
