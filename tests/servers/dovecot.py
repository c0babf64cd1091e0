"""A real Dovecot IMAP server on loopback for the tests (and for trying tether by hand).

`start_dovecot(...)` writes a standalone config into a short, world-traversable temporary
directory, starts `dovecot -F` in its own process group, waits for the IMAP greeting and
returns a handle that can add users, change passwords and stop the server. Extra passdb
blocks and auth mechanisms can be passed in (e.g. an oauth2 passdb for XOAUTH2).

Run `python -m tests.servers.dovecot` to start one, print how to reach it, and keep it up.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tests.servers.tls import ServerCert

DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)
LISTEN = ("127.0.0.1", "127.0.0.2")  # 127.0.0.2 is "remote" to Dovecot: it shows LOGINDISABLED there


class DovecotStartError(RuntimeError):
    pass


@dataclass(frozen=True)
class DovecotOptions:
    cert: ServerCert | None  # None: no TLS at all (ssl = no), to test a server without STARTTLS
    users: dict[str, str] = field(default_factory=lambda: {"alice": "alice-secret-1"})
    auth_mechanisms: tuple[str, ...] = ("plain", "login")
    # Whole `passdb { ... }` blocks tried before the password file (e.g. driver = oauth2).
    extra_passdbs: tuple[str, ...] = ()
    extra_config: str = ""
    max_userip_connections: int = 10


@dataclass
class DovecotServer:
    directory: Path
    imap_port: int  # plain / STARTTLS
    imaps_port: int  # implicit TLS
    options: DovecotOptions
    process: subprocess.Popen[bytes]
    passwords: dict[str, str]
    host: str = "127.0.0.1"

    @property
    def log(self) -> str:
        path = self.directory / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def set_password(self, user: str, password: str, *, wait: bool = True) -> None:
        """Change (or add) a user's password and (unless told not to) wait until Dovecot sees it."""
        self.passwords[user] = password
        _write_passwd(self.directory, self.passwords)
        # Dovecot re-reads the file when its whole-second mtime changes, at most once a second.
        future = time.time() + 2
        os.utime(self.directory / "passwd", (future, future))
        if wait:
            time.sleep(1.05 - (time.time() % 1.0))

    def stop(self) -> None:
        _stop_group(self.process)
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> DovecotServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_dovecot(options: DovecotOptions, *, attempts: int = 5, wait: float = 10.0) -> DovecotServer:
    """Start a private Dovecot; retries with new ports if one was taken in between."""
    if DOVECOT is None:
        raise DovecotStartError("dovecot is not installed (Debian package dovecot-imapd)")
    last_log = ""
    for _ in range(attempts):
        directory = Path(tempfile.mkdtemp(prefix="tdc-"))
        directory.chmod(0o755)
        imap_port, imaps_port = _free_ports(2)
        _prepare(directory, options, imap_port, imaps_port)
        process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(directory / "dovecot.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,  # own process group, stopped as a whole
        )
        server = DovecotServer(directory, imap_port, imaps_port, options, process, dict(options.users))
        if _wait_for_greeting(server, wait):
            return server
        last_log = server.log + (
            process.stderr.read().decode(errors="replace") if process.poll() is not None and process.stderr else ""
        )
        server.stop()
        if "Address already in use" not in last_log:
            break
    raise DovecotStartError(f"Dovecot did not start:\n{last_log[-2000:]}")


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _wait_for_greeting(server: DovecotServer, wait: float) -> bool:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            return False
        try:
            with socket.create_connection((LISTEN[0], server.imap_port), timeout=1) as sock:
                if sock.recv(64).startswith(b"* OK"):
                    return True
        except OSError:
            time.sleep(0.02)
    return False


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=0.5)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
    except ProcessLookupError:
        pass


def _write_passwd(directory: Path, passwords: dict[str, str]) -> None:
    text = "".join(f"{user}:{{PLAIN}}{password}::::::\n" for user, password in passwords.items())
    temporary = directory / "passwd.new"
    temporary.write_text(text)
    temporary.chmod(0o644)
    temporary.replace(directory / "passwd")


def _prepare(directory: Path, options: DovecotOptions, imap_port: int, imaps_port: int) -> None:
    home = directory / "home"
    home.mkdir(mode=0o755)
    _write_passwd(directory, options.users)
    if os.geteuid() == 0:
        import pwd

        nobody = pwd.getpwnam("nobody")
        os.chown(home, nobody.pw_uid, nobody.pw_gid)
        identity = "default_internal_user = dovecot\ndefault_login_user = dovenull\nfirst_valid_uid = 1\n"
        mail_ids = "uid=nobody gid=nogroup"
        chroots = ""
    else:
        import grp
        import pwd

        me = pwd.getpwuid(os.getuid()).pw_name
        group = grp.getgrgid(os.getgid()).gr_name
        identity = (
            f"default_internal_user = {me}\ndefault_internal_group = {group}\ndefault_login_user = {me}\n"
            f"first_valid_uid = {os.getuid()}\n"
        )
        mail_ids = f"uid={os.getuid()} gid={os.getgid()}"
        chroots = "service imap-login {\n  chroot =\n}\nservice anvil {\n  chroot =\n}\n"
    (directory / "dovecot.conf").write_text(
        _config(directory, options, imap_port, imaps_port, identity, mail_ids) + chroots
    )


def _config(
    directory: Path, options: DovecotOptions, imap_port: int, imaps_port: int, identity: str, mail_ids: str
) -> str:
    if options.cert is not None:
        tls = (
            "ssl = yes\n"
            f"ssl_cert = <{options.cert.cert_file}\n"
            f"ssl_key = <{options.cert.key_file}\n"
            "ssl_dh = </usr/share/dovecot/dh.pem\n"
        )
        imaps = f"  inet_listener imaps {{\n    port = {imaps_port}\n    ssl = yes\n  }}\n"
    else:
        tls, imaps = "ssl = no\n", ""
    passdbs = "\n".join(options.extra_passdbs)
    return f"""\
base_dir = {directory}/run
state_dir = {directory}/state
log_path = {directory}/dovecot.log
protocols = imap
listen = {", ".join(LISTEN)}
{identity}{tls}auth_mechanisms = {" ".join(options.auth_mechanisms)}
auth_failure_delay = 0
disable_plaintext_auth = yes
mail_location = maildir:~/Maildir
mail_max_userip_connections = {options.max_userip_connections}
{passdbs}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {directory}/passwd
}}
userdb {{
  driver = static
  args = {mail_ids} home={directory}/home/%u
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Drafts {{
    special_use = \\Drafts
    auto = subscribe
  }}
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
  mailbox Trash {{
    special_use = \\Trash
    auto = subscribe
  }}
  mailbox Archive {{
    special_use = \\Archive
    auto = subscribe
  }}
}}
service imap-login {{
  inet_listener imap {{
    port = {imap_port}
  }}
{imaps}}}
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
{options.extra_config}
"""


def append_messages(
    server: DovecotServer,
    user: str,
    folder: str,
    messages: Iterable[tuple[bytes, tuple[str, ...], object]],
    ca_file: Path | None,
) -> None:
    """Seed mail with a plain imapclient session: (raw message, flags, internal date) each."""
    import ssl

    from imapclient import IMAPClient

    context = ssl.create_default_context(cafile=str(ca_file)) if ca_file else None
    with IMAPClient(
        server.host,
        server.imaps_port if context else server.imap_port,
        ssl=bool(context),
        ssl_context=context,
        timeout=10,
    ) as client:
        client.login(user, server.passwords[user])
        for raw, flags, when in messages:
            client.append(folder, raw, flags=flags, msg_time=when)


def main() -> None:
    """Start a Dovecot with one seeded mailbox and keep it up until Ctrl-C."""
    import datetime as dt

    from tests.servers.tls import make_ca

    ca_dir = Path(tempfile.mkdtemp(prefix="tether-ca-"))
    ca_dir.chmod(0o755)
    ca = make_ca(ca_dir)
    server = start_dovecot(DovecotOptions(cert=ca.issue("dovecot")))
    now = dt.datetime.now(dt.UTC)
    sample = [
        (
            f"From: Sender {n} <sender{n}@example.com>\r\nTo: alice@example.com\r\nSubject: Sample {n}\r\n"
            f"Date: {(now - dt.timedelta(hours=n)).strftime('%a, %d %b %Y %H:%M:%S +0000')}\r\n\r\nHello {n}\r\n".encode(),
            ("\\Seen",) if n % 2 else (),
            now - dt.timedelta(hours=n),
        )
        for n in range(1, 6)
    ]
    append_messages(server, "alice", "INBOX", sample, ca.ca_file)
    print(f"Dovecot is up (pid {server.process.pid}).")
    print(f"  host      {server.host}   (127.0.0.2 shows LOGINDISABLED without TLS)")
    print(f"  imaps     {server.imaps_port}   (tls_mode=implicit)")
    print(f"  imap      {server.imap_port}   (tls_mode=starttls)")
    print("  user      alice")
    print(f"  password  {server.passwords['alice']}")
    print(f"  ca file   {ca.ca_file}")
    print(f"  log       {server.directory / 'dovecot.log'}")
    print("Example:")
    print(
        f"  printf '%s\\n' {server.passwords['alice']} | tether add imap --label 'Test mail' --set username=alice "
        f"--set host={server.host} --set port={server.imaps_port} --set ca_file={ca.ca_file} --secret-stdin password"
    )
    print("Ctrl-C (or SIGTERM) stops it.", flush=True)

    def stop(*_: object) -> None:
        raise KeyboardInterrupt

    # Also when started in the background, where SIGINT may arrive ignored.
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        shutil.rmtree(ca_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
