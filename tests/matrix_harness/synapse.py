"""Run a throwaway Synapse homeserver as a subprocess.

Everything (config, signing key, SQLite database, media, logs) lives in one
working directory. The server only listens on 127.0.0.1 with a plain HTTP
``client`` listener (which also serves ``/_synapse/admin`` and ``/health``).
HTTP helpers use the standard library only, so they work from sync code.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

SERVER_NAME = "localhost"

# Rate-limit settings known to Synapse (checked against synapse/config/ratelimiting.py).
# Unknown keys are ignored by Synapse, so older versions simply skip the extra ones.
_UNLIMITED = {"per_second": 10000, "burst_count": 10000}
_RATE_LIMITS: dict[str, Any] = {
    "rc_message": _UNLIMITED,
    "rc_registration": _UNLIMITED,
    "rc_registration_token_validity": _UNLIMITED,
    "rc_login": {
        "address": _UNLIMITED,
        "account": _UNLIMITED,
        "failed_attempts": _UNLIMITED,
    },
    "rc_admin_redaction": _UNLIMITED,
    "rc_joins": {"local": _UNLIMITED, "remote": _UNLIMITED},
    "rc_joins_per_room": _UNLIMITED,
    "rc_key_requests": _UNLIMITED,
    "rc_3pid_validation": _UNLIMITED,
    "rc_invites": {
        "per_room": _UNLIMITED,
        "per_user": _UNLIMITED,
        "per_issuer": _UNLIMITED,
    },
    "rc_third_party_invite": _UNLIMITED,
    "rc_media_create": _UNLIMITED,
    "rc_presence": {"per_user": _UNLIMITED},
    "rc_delayed_event_mgmt": _UNLIMITED,
    "rc_room_creation": _UNLIMITED,
    "rc_reports": _UNLIMITED,
    "rc_user_directory": _UNLIMITED,
    "rc_profile": _UNLIMITED,
}


# Real limits for one account (messages per second, burst), on a homeserver that
# otherwise lifts them: see SynapseServer.limit_messages.
REAL_MESSAGE_RATE = (2, 5)


class SynapseError(RuntimeError):
    """Synapse failed to start, or an HTTP call to it failed."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _die_with_parent() -> None:
    """Ask Linux to SIGTERM the child if the parent dies (best effort)."""
    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)


def _can_tie_to_parent() -> bool:
    # PDEATHSIG fires when the *thread* that forked exits: only use it from the main thread.
    return (
        sys.platform.startswith("linux") and threading.current_thread() is threading.main_thread()
    )


class SynapseServer:
    """A Synapse homeserver living in ``workdir``, listening on 127.0.0.1."""

    def __init__(
        self,
        workdir: str | os.PathLike[str],
        *,
        port: int | None = None,
        server_name: str = SERVER_NAME,
        startup_timeout: float = 60.0,
        stop_timeout: float = 5.0,
    ) -> None:
        self.workdir = Path(workdir).resolve()
        self.server_name = server_name
        self.port = port or _free_port()
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self.registration_shared_secret = secrets.token_hex(32)
        self.config_path = self.workdir / "homeserver.yaml"
        self.log_path = self.workdir / "homeserver.log"
        self.output_path = self.workdir / "homeserver.out"
        self.startup_seconds: float | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._output_file: Any = None
        self._admin_token: str | None = None

    # -- configuration -------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def user_id(self, localpart: str) -> str:
        return f"@{localpart}:{self.server_name}"

    def _config(self) -> dict[str, Any]:
        work = self.workdir
        return {
            "server_name": self.server_name,
            "public_baseurl": self.base_url + "/",
            "pid_file": str(work / "homeserver.pid"),
            "listeners": [
                {
                    "port": self.port,
                    "bind_addresses": ["127.0.0.1"],
                    "type": "http",
                    "tls": False,
                    "x_forwarded": False,
                    "resources": [{"names": ["client"], "compress": False}],
                }
            ],
            "database": {"name": "sqlite3", "args": {"database": str(work / "homeserver.db")}},
            "log_config": str(work / "log_config.yaml"),
            "media_store_path": str(work / "media_store"),
            "signing_key_path": str(work / "signing.key"),
            "trusted_key_servers": [],
            "suppress_key_server_warning": True,
            "report_stats": False,
            "enable_registration": False,
            "registration_shared_secret": self.registration_shared_secret,
            "macaroon_secret_key": secrets.token_hex(32),
            "form_secret": secrets.token_hex(32),
            "url_preview_enabled": False,
            "enable_metrics": False,
            **_RATE_LIMITS,
        }

    def _log_config(self) -> dict[str, Any]:
        return {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {
                "plain": {"format": "%(asctime)s %(name)s %(levelname)s %(message)s"},
            },
            "handlers": {
                "file": {
                    "class": "logging.FileHandler",
                    "filename": str(self.log_path),
                    "formatter": "plain",
                    "encoding": "utf-8",
                },
            },
            "root": {"level": "WARNING", "handlers": ["file"]},
        }

    def write_config(self) -> None:
        """Write homeserver.yaml and the log config (JSON is valid YAML)."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "media_store").mkdir(exist_ok=True)
        # Keep the secrets stable across restarts: only write once.
        if self.config_path.exists():
            existing = json.loads(self.config_path.read_text("utf-8"))
            self.registration_shared_secret = existing["registration_shared_secret"]
            existing["listeners"][0]["port"] = self.port
            config = existing
        else:
            config = self._config()
        self.config_path.write_text(json.dumps(config, indent=2), "utf-8")
        (self.workdir / "log_config.yaml").write_text(
            json.dumps(self._log_config(), indent=2), "utf-8"
        )

    # -- lifecycle -----------------------------------------------------

    def start(self) -> None:
        """Start Synapse and wait until it answers on ``/health``."""
        if self.running:
            return
        if not _port_is_free(self.port):
            raise SynapseError(f"Port 127.0.0.1:{self.port} is already in use.")
        self.write_config()
        self._output_file = open(self.output_path, "ab")
        began = time.monotonic()
        # Synapse's default mode generates missing files (the signing key) then runs.
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "synapse.app.homeserver",
                "--config-path",
                str(self.config_path),
            ],
            cwd=self.workdir,
            stdin=subprocess.DEVNULL,
            stdout=self._output_file,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent if _can_tie_to_parent() else None,
        )
        deadline = began + self.startup_timeout
        while True:
            if self._process.poll() is not None:
                code = self._process.returncode
                self._cleanup_process()
                raise SynapseError(
                    f"Synapse exited with code {code} during startup.\n{self.log_tail()}"
                )
            if self._healthy():
                break
            if time.monotonic() > deadline:
                self.stop()
                raise SynapseError(
                    f"Synapse did not answer on {self.base_url}/health within "
                    f"{self.startup_timeout:.0f}s.\n{self.log_tail()}"
                )
            time.sleep(0.1)
        self.startup_seconds = time.monotonic() - began

    def stop(self) -> None:
        """Stop Synapse (SIGTERM, then SIGKILL). Safe to call repeatedly."""
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGTERM)
            try:
                process.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(process.pid, signal.SIGKILL)
                process.wait(self.stop_timeout)
        self._cleanup_process()

    def restart(self) -> None:
        """Stop and start again with the same port and data."""
        self.stop()
        self.start()

    def _cleanup_process(self) -> None:
        self._process = None
        if self._output_file is not None:
            self._output_file.close()
            self._output_file = None

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.base_url + "/health", timeout=2) as resp:
                return bool(resp.status == 200)
        except (OSError, urllib.error.URLError):
            return False

    def log_tail(self, lines: int = 40) -> str:
        """Last lines of the Synapse log and of its stdout/stderr."""
        parts = []
        for path in (self.log_path, self.output_path):
            if path.exists():
                text = path.read_text("utf-8", errors="replace").splitlines()[-lines:]
                parts.append(f"--- {path.name} (last {len(text)} lines) ---\n" + "\n".join(text))
            else:
                parts.append(f"--- {path.name}: missing ---")
        return "\n".join(parts)

    def __enter__(self) -> SynapseServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- HTTP helpers --------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        access_token: str | None = None,
        timeout: float = 30.0,
    ) -> dict[str, Any]:
        """Send a JSON request to the homeserver and return the decoded JSON reply."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base_url + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if access_token:
            req.add_header("Authorization", f"Bearer {access_token}")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                payload = resp.read()
        except urllib.error.HTTPError as err:
            detail = err.read().decode("utf-8", errors="replace")
            raise SynapseError(f"{method} {path} failed: HTTP {err.code}: {detail}") from err
        return json.loads(payload) if payload else {}

    def register_user(self, localpart: str, password: str, admin: bool = False) -> tuple[str, str]:
        """Create a user through the shared-secret admin API; return (user_id, token)."""
        path = "/_synapse/admin/v1/register"
        nonce = self.request("GET", path)["nonce"]
        mac = hmac.new(self.registration_shared_secret.encode(), digestmod=hashlib.sha1)
        for part in (nonce, localpart, password):
            mac.update(part.encode("utf-8"))
            mac.update(b"\x00")
        mac.update(b"admin" if admin else b"notadmin")
        reply = self.request(
            "POST",
            path,
            {
                "nonce": nonce,
                "username": localpart,
                "password": password,
                "admin": admin,
                "mac": mac.hexdigest(),
            },
        )
        return reply["user_id"], reply["access_token"]

    def login(self, localpart: str, password: str) -> dict[str, Any]:
        """Password login; returns the raw login reply (user_id, access_token, device_id)."""
        return self.request(
            "POST",
            "/_matrix/client/v3/login",
            {
                "type": "m.login.password",
                "identifier": {"type": "m.id.user", "user": localpart},
                "password": password,
            },
        )

    # -- rate limits ---------------------------------------------------

    def admin_token(self) -> str:
        """The access token of an admin account of the harness (made on first use)."""
        if self._admin_token is None:
            localpart = f"harness-admin-{secrets.token_hex(4)}"
            _user, self._admin_token = self.register_user(
                localpart, secrets.token_hex(16), admin=True)
        return self._admin_token

    def _override_path(self, user_id: str) -> str:
        return f"/_synapse/admin/v1/users/{urllib.parse.quote(user_id)}/override_ratelimit"

    def limit_messages(self, user_id: str, per_second: int = REAL_MESSAGE_RATE[0],
                       burst_count: int = REAL_MESSAGE_RATE[1]) -> None:
        """Give ``user_id`` a real message rate limit (``rc_message``: sending events,
        redactions, creating rooms), although the config lifts it for everyone: a
        per-user override set through the admin API, which Synapse applies at once
        (whole numbers only, as the admin API takes them)."""
        if per_second <= 0 or burst_count <= 0:
            raise ValueError("a rate limit needs a positive rate and burst")
        self.request("POST", self._override_path(user_id),
                     {"messages_per_second": per_second, "burst_count": burst_count},
                     access_token=self.admin_token())

    def unlimit_messages(self, user_id: str) -> None:
        """Remove the override of :meth:`limit_messages` (the config's limits again)."""
        self.request("DELETE", self._override_path(user_id), access_token=self.admin_token())

    def message_limit(self, user_id: str) -> dict[str, Any]:
        """The override of ``user_id`` as Synapse reports it (empty when none)."""
        return self.request("GET", self._override_path(user_id),
                            access_token=self.admin_token())
