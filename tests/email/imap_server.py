"""A private Dovecot IMAP server for the email-in tests: its own config, passwd-file user, Maildir and port.

Dovecot comes from Debian's dovecot-imapd (scripts/ensure-test-services.sh installs it). The test process
starts `dovecot -F -c <tmp config>` on a free loopback port and stops it afterwards; the system's own
Dovecot, if any, is never touched. Mail is delivered the way an MTA's LMTP would leave it for a mail
client: appended over IMAP, unseen.
"""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

USER = "support@shop.example"
PASSWORD = "imap-test-password"  # noqa: S105 - a throwaway test server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def dovecot_binary() -> str:
    found = shutil.which("dovecot") or shutil.which("dovecot", path="/usr/sbin:/sbin")
    if not found:
        pytest.fail("dovecot is not installed: run `bash scripts/ensure-test-services.sh` (dovecot-imapd)")
    return found


def _mail_user() -> tuple[str, str]:
    """The OS user Dovecot keeps the mailbox as: Dovecot refuses uid 0, so as root its own `dovecot` user."""
    if os.getuid() != 0:
        me = pwd.getpwuid(os.getuid()).pw_name
        return me, me
    return "dovecot", "dovenull"


CONFIG = """\
first_valid_uid = 1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
instance_name = supportops-test-{port}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
mail_location = maildir:~/Maildir
default_login_user = {login_user}
default_internal_user = {mail_user}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_user} home={root}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


class DovecotServer:
    """Start, use and stop one private Dovecot."""

    def __init__(self) -> None:
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="supportops-dovecot-", dir="/tmp"))
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        mail_user, login_user = _mail_user()
        self.root.chmod(0o755)  # the mail processes run as `mail_user`
        for name in ("run", "state", "home"):
            (self.root / name).mkdir()
        shutil.chown(self.root / "home", mail_user, mail_user)
        (self.root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        config = CONFIG.format(root=self.root, port=self.port, mail_user=mail_user, login_user=login_user)
        (self.root / "dovecot.conf").write_text(config)
        self.process = subprocess.Popen([dovecot_binary(), "-F", "-c", str(self.root / "dovecot.conf")])
        self._wait_until_listening()

    def _wait_until_listening(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    if sock.recv(64).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.1)
        pytest.fail(f"dovecot did not start: {self.log()}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.process = None
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text() if path.exists() else ""

    def client(self) -> imaplib.IMAP4:
        imap = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        imap.login(USER, PASSWORD)
        return imap

    def deliver(self, raw: bytes, folder: str = "INBOX") -> None:
        """Put a message in the mailbox, unseen, as the MTA would."""
        with self.client() as imap:
            status, data = imap.append(folder, None, None, raw)
            assert status == "OK", data

    def flags(self, folder: str = "INBOX") -> list[str]:
        """The flags of every message in the folder, in order."""
        with self.client() as imap:
            status, _ = imap.select(f'"{folder}"', readonly=True)
            if status != "OK":
                return []
            _, data = imap.fetch("1:*", "(FLAGS)")
            return [item.decode() for item in data if item]

    def count(self, folder: str = "INBOX") -> int:
        with self.client() as imap:
            status, data = imap.select(f'"{folder}"', readonly=True)
            return int(data[0]) if status == "OK" else 0

    def clear_seen(self, folder: str = "INBOX") -> None:
        """Unflag every message, as if the poller had died after taking them in but before marking them."""
        with self.client() as imap:
            imap.select(f'"{folder}"')
            imap.store("1:*", "-FLAGS", "(\\Seen)")

    def settings(self) -> dict:
        """The app settings that point the poller at this server."""
        return {
            "INBOUND_IMAP_HOST": "127.0.0.1",
            "INBOUND_IMAP_PORT": self.port,
            "INBOUND_IMAP_SSL": False,
            "INBOUND_IMAP_USER": USER,
            "INBOUND_IMAP_PASSWORD": PASSWORD,
        }

    def env(self) -> dict[str, str]:
        return {
            key: str(value).lower() if isinstance(value, bool) else str(value)
            for key, value in self.settings().items()
        }
