"""How long `tether mcp` takes to answer `initialize`, as a ratio to a minimal MCP server measured in the same run.

Each process is spawned with the initialize request already waiting on its stdin, and timed
from spawn to the first line of its reply on stdout:
- anchor: the smallest stdio server the MCP SDK allows (one low-level Server, no tools); tether speaks
  the protocol itself and does not import the SDK, which comes with the test extra;
- interpreter: `python -c pass`, for what starting Python alone costs on this machine;
- tether: `python -m app mcp` on a data directory with a few integrations and a vault unlocked
  by a passphrase command, the way an assistant's configuration starts it.

The CPU time each server had used when its reply arrived is printed too: on a busy machine it
moves much less than the wall time. Linux only (/proc).

Run: python benchmarks/mcp_startup.py [--rounds 9]. Prints medians; the goal is tether <= 0.5 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

PASSPHRASE = "benchmark passphrase"
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}},
}
ANCHOR_SERVER = """
import anyio
from mcp.server import Server
from mcp.server.stdio import stdio_server


async def main():
    server = Server("anchor")
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


anyio.run(main)
"""


def prepare_data_dir(root: Path, count: int = 20) -> tuple[Path, dict[str, str]]:
    """A data directory with an unlocked-by-command vault and a few integrations, and the environment to use it."""
    from storage.paths import VAULT_NAME
    from storage.secrets.vault import VaultStore
    from storage.service import open_storage

    data = root / "data"
    data.mkdir()
    vault = VaultStore(data / VAULT_NAME)
    vault.create(PASSPHRASE)
    storage = open_storage(data, vault)
    for n in range(count):
        storage.integrations.add("ical", f"Bench feed {n:02d}", {}, {"url": f"https://127.0.0.1:9/feed-{n}.ics"})
    env = {
        **os.environ,
        "HOME": str(root / "home"),
        "XDG_DATA_HOME": str(root / "home" / "data"),
        "XDG_CONFIG_HOME": str(root / "home" / "config"),
        "TETHER_LOG_DIR": str(root / "logs"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "TETHER_SECRET_STORE": "vault",
        "TETHER_PASSPHRASE_COMMAND": f"printf '%s' '{PASSPHRASE}'",
    }
    return data, env


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a running process has used so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def time_initialize(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Seconds from spawn to the first line of the reply to initialize, and the CPU seconds the server used by then."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=REPO, env=env
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        process.stdin.write((json.dumps(INITIALIZE) + "\n").encode())
        process.stdin.flush()
        line = process.stdout.readline()
        elapsed = time.perf_counter() - start
        cpu = cpu_seconds(process.pid)
        reply = json.loads(line)
        if "result" not in reply:
            raise RuntimeError(f"initialize failed: {line!r}")
        return elapsed, cpu
    finally:
        process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def time_interpreter(env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True, env=env)
    return time.perf_counter() - start


def byte_compile() -> None:
    """Compile tether's modules first, as installing it does: a stale or missing .pyc would time the compiler."""
    packages = [str(REPO / name) for name in ("app", "screens", "widgets", "storage", "connectors")]
    subprocess.run([sys.executable, "-m", "compileall", "-q", *packages], check=True, stdout=subprocess.DEVNULL)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    byte_compile()
    with tempfile.TemporaryDirectory(prefix="tether-mcp-bench-") as tmp:
        root = Path(tmp)
        data, env = prepare_data_dir(root)
        anchor_script = root / "anchor.py"
        anchor_script.write_text(ANCHOR_SERVER)
        tether = [sys.executable, "-m", "app", "mcp", "--data-dir", str(data)]
        anchor = [sys.executable, str(anchor_script)]
        time_initialize(tether, env)  # the first run migrates nothing but warms the file cache: not counted
        interpreter, anchored, served, anchor_cpu, tether_cpu = [], [], [], [], []
        for _ in range(args.rounds):  # alternate, so machine load affects all alike
            interpreter.append(time_interpreter(env))
            wall, cpu = time_initialize(anchor, env)
            anchored.append(wall)
            anchor_cpu.append(cpu)
            wall, cpu = time_initialize(tether, env)
            served.append(wall)
            tether_cpu.append(cpu)
    i, a, t = statistics.median(interpreter), statistics.median(anchored), statistics.median(served)
    ratio = statistics.median(mine / base for mine, base in zip(served, anchored, strict=True))
    ac, tc = statistics.median(anchor_cpu), statistics.median(tether_cpu)
    print(f"rounds: {args.rounds} (medians); load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")
    print(f"python -c pass:                        {i * 1000:7.0f} ms")
    print(f"minimal MCP SDK server, initialize:    {a * 1000:7.0f} ms   CPU {ac * 1000:5.0f} ms")
    print(f"tether mcp, initialize:                {t * 1000:7.0f} ms   CPU {tc * 1000:5.0f} ms   (goal <= 500 ms)")
    print(f"TETHER MCP vs minimal SDK server: {ratio:.2f}x (median of per-round ratios)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
