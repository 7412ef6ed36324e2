"""Throwaway Redis, PostgreSQL and moto servers on free loopback ports.

Used by the pytest fixtures (``tests/fixtures/servers.py``) and by the bot's local sandbox
console. Every server lives in its own temporary directory, listens on 127.0.0.1 only, and is
stopped by ``stop()``, by leaving its ``with`` block, or at interpreter exit (``atexit``); if
its owner dies without any of these (SIGKILL, a crash), the kernel signals the server to stop
(``sandbox/lifeline.py``), so no run leaves an orphan server. ``stop()`` is idempotent.

PostgreSQL refuses to run as root: when the effective uid is 0, ``initdb``/``pg_ctl`` run as
the ``postgres`` user (``subprocess`` ``user=``/``group=``) and the temp dir is chowned to it.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import http.client
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import psycopg
from psycopg import sql

from sandbox.lifeline import spawn

__all__ = ["MotoServer", "PostgresServer", "RedisServer", "ServerError", "free_port"]

LOOPBACK = "127.0.0.1"
_PORT_ATTEMPTS = 3
_LOG_TAIL_LINES = 25
_MAX_SOCKET_DIR = 90  # a unix socket path must stay under 108 bytes: dir + "/.s.PGSQL.65535"
_DB_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_PORT_IN_USE = ("Address already in use", "could not bind", "could not create any TCP/IP")


class ServerError(RuntimeError):
    """A server could not be started or managed."""


class _PortTakenError(ServerError):
    """The chosen port was grabbed by someone else between free_port() and bind."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def _require_binary(name: str, hint: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ServerError(f"{name!r} not found on PATH; install it: {hint}")
    return path


def _log_tail(path: Path | None) -> str:
    if path is None or not path.exists():
        return "(no log)"
    lines = path.read_text(errors="replace").splitlines()
    return "\n".join(lines[-_LOG_TAIL_LINES:])


def _mentions_port_in_use(text: str) -> bool:
    return any(marker in text for marker in _PORT_IN_USE)


class _Server:
    """Context-manager and atexit plumbing shared by the three servers."""

    def start(self) -> str:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def _arm_atexit(self) -> None:
        atexit.register(self.stop)

    def _disarm_atexit(self) -> None:
        atexit.unregister(self.stop)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


# --------------------------------------------------------------------------------------------
# Redis
# --------------------------------------------------------------------------------------------


def _redis_pings(port: int) -> bool:
    try:
        with socket.create_connection((LOOPBACK, port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer(_Server):
    """``redis-server`` without persistence, in a temp dir, on a free loopback port."""

    def __init__(self, binary: str = "redis-server", startup_timeout: float = 10.0) -> None:
        self._binary = binary
        self._timeout = startup_timeout
        self._dir: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._port: int | None = None

    @property
    def url(self) -> str:
        if self._port is None:
            raise ServerError("RedisServer is not running; call start() first")
        return f"redis://{LOOPBACK}:{self._port}/0"

    @property
    def port(self) -> int:
        if self._port is None:
            raise ServerError("RedisServer is not running; call start() first")
        return self._port

    def start(self) -> str:
        if self._port is not None:
            return self.url
        exe = _require_binary(self._binary, "apt-get install redis-server")
        self._dir = Path(tempfile.mkdtemp(prefix="rtb-redis-"))
        self._arm_atexit()
        try:
            self._port = self._start_on_some_port(exe)
        except BaseException:
            self.stop()
            raise
        return self.url

    def _start_on_some_port(self, exe: str) -> int:
        for _ in range(_PORT_ATTEMPTS - 1):
            with contextlib.suppress(_PortTakenError):
                return self._start_on(exe, free_port())
        return self._start_on(exe, free_port())

    def _start_on(self, exe: str, port: int) -> int:
        assert self._dir is not None
        log = self._dir / "redis.log"
        cmd = [
            exe,
            "--port",
            str(port),
            "--bind",
            LOOPBACK,
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self._dir),
            "--daemonize",
            "no",
            "--logfile",
            str(log),
        ]
        self._proc = spawn(
            cmd,
            death_signal=signal.SIGTERM,  # a clean shutdown; nothing is saved
            cwd=self._dir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait_ready(port, log)
        return port

    def _wait_ready(self, port: int, log: Path) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + self._timeout
        while time.monotonic() < deadline:
            if _redis_pings(port):
                return
            if self._proc.poll() is not None:
                self._proc = None
                tail = _log_tail(log)
                error = _PortTakenError if _mentions_port_in_use(tail) else ServerError
                raise error(f"redis-server exited during startup:\n{tail}")
            time.sleep(0.01)
        raise ServerError(
            f"redis-server did not answer PING within {self._timeout} s:\n{_log_tail(log)}"
        )

    def stop(self) -> None:
        self._disarm_atexit()
        _terminate(self._proc)
        self._proc = None
        self._port = None
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None


def _terminate(proc: subprocess.Popen[bytes] | None, grace: float = 5.0) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# --------------------------------------------------------------------------------------------
# PostgreSQL
# --------------------------------------------------------------------------------------------


def _find_pg_bindir() -> Path:
    initdb = shutil.which("initdb")
    if initdb is not None:
        return Path(initdb).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version_key)
    if not candidates:
        raise ServerError(
            "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found on "
            "PATH or in /usr/lib/postgresql/*/bin; install them: "
            "apt-get install postgresql"
        )
    return Path(candidates[-1]).parent


def _version_key(initdb: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", Path(initdb).parent.parent.name))


def _pg_owner(user: str) -> pwd.struct_passwd | None:
    """The account PostgreSQL must run as: None when we are not root (run as ourselves)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(user)
    except KeyError:
        raise ServerError(
            f"running as root, but PostgreSQL refuses to run as root and there is "
            f"no {user!r} user to run it as (useradd -r {user})"
        ) from None


def _traversable_by_others(path: Path) -> bool:
    return all(p.stat().st_mode & stat.S_IXOTH for p in [path, *path.parents])


def _temp_parent(owner: pwd.struct_passwd | None) -> str:
    parent = tempfile.gettempdir()
    if owner is None or _traversable_by_others(Path(parent)):
        return parent
    # TMPDIR is private to root, so postgres could not reach its data dir; mkdtemp in /tmp is
    # still unpredictable and private (0700, then chowned to postgres).
    return "/tmp"  # noqa: S108


def _postmaster_ready(pid_file: Path, pid: int) -> bool:
    """True once postmaster.pid names ``pid`` and says "ready" (what ``pg_ctl -w`` checks)."""
    try:
        lines = pid_file.read_text().splitlines()
    except OSError:
        return False
    return len(lines) >= 8 and lines[0].strip() == str(pid) and lines[7].strip() == "ready"


def _conf_value(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class PostgresServer(_Server):
    """A PostgreSQL cluster made with ``initdb``, tuned for throwaway tests.

    Trust auth for the ``postgres`` superuser, no fsync, TCP on 127.0.0.1 only, the unix socket
    inside the temp dir. Databases are created and dropped through the admin URL.
    """

    def __init__(
        self,
        bindir: str | Path | None = None,
        run_as: str = "postgres",
        startup_timeout: float = 10.0,
    ) -> None:
        self._bindir = Path(bindir) if bindir is not None else None
        self._run_as = run_as
        self._timeout = startup_timeout
        self._owner: pwd.struct_passwd | None = None
        self._dir: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._port: int | None = None

    # -- addresses ---------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._port is None:
            raise ServerError("PostgresServer is not running; call start() first")
        return self._port

    @property
    def url(self) -> str:
        """The admin URL (database ``postgres``)."""
        return self.url_for("postgres")

    def url_for(self, dbname: str) -> str:
        return f"postgresql://postgres@{LOOPBACK}:{self.port}/{dbname}"

    @property
    def _data(self) -> Path:
        assert self._dir is not None
        return self._dir / "data"

    @property
    def _log(self) -> Path:
        assert self._dir is not None
        return self._dir / "postgres.log"

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> str:
        if self._port is not None:
            return self.url
        self._bindir = self._bindir or _find_pg_bindir()
        self._owner = _pg_owner(self._run_as)
        self._dir = Path(tempfile.mkdtemp(prefix="rtb-pg-", dir=_temp_parent(self._owner)))
        self._arm_atexit()
        try:
            self._prepare_dir()
            self._initdb()
            self._port = self._start_on_some_port()
        except BaseException:
            self.stop()
            raise
        return self.url

    def _prepare_dir(self) -> None:
        assert self._dir is not None
        if self._owner is not None:
            os.chown(self._dir, self._owner.pw_uid, self._owner.pw_gid)

    def _initdb(self) -> None:
        self._run(
            "initdb",
            "-D",
            str(self._data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
        )
        self._append_conf(self._settings())

    def _settings(self) -> dict[str, str]:
        assert self._dir is not None
        socket_dir = str(self._dir) if len(str(self._dir)) <= _MAX_SOCKET_DIR else ""
        return {
            "listen_addresses": _conf_value(LOOPBACK),
            "unix_socket_directories": _conf_value(socket_dir),
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "200",
        }

    def _append_conf(self, settings: dict[str, str]) -> None:
        lines = "".join(f"{key} = {value}\n" for key, value in settings.items())
        with (self._data / "postgresql.conf").open("a") as conf:
            conf.write("\n# rtb-ops-bot sandbox/servers.py\n" + lines)

    def _start_on_some_port(self) -> int:
        for _ in range(_PORT_ATTEMPTS - 1):
            with contextlib.suppress(_PortTakenError):
                return self._start_on(free_port())
        return self._start_on(free_port())

    def _start_on(self, port: int) -> int:
        # postgres runs as our child (not daemonized by pg_ctl) so we reap it and a Ctrl-C on
        # the terminal reaches it too; pg_ctl is used to stop it.
        assert self._bindir is not None and self._dir is not None
        with self._log.open("ab") as log:
            self._proc = spawn(
                [str(self._bindir / "postgres"), "-D", str(self._data), "-p", str(port)],
                death_signal=signal.SIGQUIT,  # immediate shutdown: its backends too, shm freed
                cwd=self._dir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                **self._as_owner(),
            )
        self._wait_ready()
        return port

    def _wait_ready(self) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + self._timeout
        while time.monotonic() < deadline:
            if _postmaster_ready(self._data / "postmaster.pid", self._proc.pid):
                return
            if self._proc.poll() is not None:
                self._proc = None
                tail = _log_tail(self._log)
                error = _PortTakenError if _mentions_port_in_use(tail) else ServerError
                raise error(f"postgres exited during startup:\n{tail}")
            time.sleep(0.01)
        raise ServerError(
            f"postgres was not ready within {self._timeout} s:\n{_log_tail(self._log)}"
        )

    def stop(self) -> None:
        self._disarm_atexit()
        if self._proc is not None and self._proc.poll() is None:
            with contextlib.suppress(ServerError, subprocess.TimeoutExpired):
                self._run("pg_ctl", "stop", "-w", "-m", "immediate", "-D", str(self._data))
        _terminate(self._proc)
        self._proc = None
        self._port = None
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def _run(self, tool: str, *args: str) -> None:
        assert self._bindir is not None and self._dir is not None
        result = subprocess.run(
            [str(self._bindir / tool), *args],
            cwd=self._dir,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=self._timeout + 20,
            check=False,
            **self._as_owner(),
        )
        if result.returncode != 0:
            raise ServerError(
                f"{tool} {' '.join(args)} failed ({result.returncode}):\n"
                f"{result.stdout}{result.stderr}"
            )

    def _as_owner(self) -> dict[str, Any]:
        if self._owner is None:
            return {}
        return {"user": self._owner.pw_uid, "group": self._owner.pw_gid, "extra_groups": []}

    # -- databases ---------------------------------------------------------------------------

    def create_database(self, name: str, template: str | None = None) -> str:
        """Create database ``name`` (optionally cloned from ``template``); return its URL.

        A template must have no open connections while it is cloned.
        """
        query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(_checked_name(name)))
        if template is not None:
            query += sql.SQL(" TEMPLATE {}").format(sql.Identifier(_checked_name(template)))
        self._admin(query)
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        """Drop ``name`` if it exists, disconnecting any sessions still open on it."""
        name_sql = sql.Identifier(_checked_name(name))
        self._admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name_sql))

    def _admin(self, query: sql.Composed) -> None:
        with psycopg.connect(self.url, autocommit=True, connect_timeout=10) as conn:
            conn.execute(query)


def _checked_name(name: str) -> str:
    if not _DB_NAME.match(name):
        raise ValueError(f"not a plain database name: {name!r}")
    return name


# --------------------------------------------------------------------------------------------
# moto (AWS)
# --------------------------------------------------------------------------------------------


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


class MotoServer(_Server):
    """``moto.server.ThreadedMotoServer`` in this process, on a loopback port.

    ``port=0`` (default) lets the OS pick the port at bind time, so there is no race.
    """

    def __init__(self, port: int = 0) -> None:
        self._requested_port = port
        self._server: Any = None
        self._port: int | None = None

    @property
    def port(self) -> int:
        if self._port is None:
            raise ServerError("MotoServer is not running; call start() first")
        return self._port

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> str:
        if self._port is not None:
            return self.url
        from moto.server import ThreadedMotoServer  # lazy: heavy import, optional extra

        if self._requested_port and not _port_is_free(self._requested_port):
            # ThreadedMotoServer.start() would wait forever if its thread cannot bind.
            raise ServerError(f"port {self._requested_port} is already in use")
        server = ThreadedMotoServer(ip_address=LOOPBACK, port=self._requested_port, verbose=False)
        server.start()
        self._server = server
        self._port = int(server.get_host_and_port()[1])
        self._arm_atexit()
        return self.url

    def reset(self) -> None:
        """Forget every AWS resource (``POST /moto-api/reset``)."""
        conn = http.client.HTTPConnection(LOOPBACK, self.port, timeout=30)
        try:
            conn.request("POST", "/moto-api/reset", body=b"")
            response = conn.getresponse()
            response.read()
        finally:
            conn.close()
        if response.status != 200:
            raise ServerError(f"moto reset failed: HTTP {response.status}")

    def stop(self) -> None:
        self._disarm_atexit()
        server, self._server, self._port = self._server, None, None
        if server is not None:
            server.stop()
