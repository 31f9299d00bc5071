"""A throwaway demo newsroom served by ``masthead serve`` on loopback, for benchmarks.

    with DemoServer(workers=2) as server:   # seeds a temporary var dir, starts granian
        server.url("/healthz")              # http://127.0.0.1:<free port>/healthz
        server.manage("shell", "-c", "...") # any masthead command against the same database

    server = DemoServer(env={"METER_ENABLED": "0"})  # extra settings for every command and the server
    server.prepare()                                 # seed once, then serve it several ways:
    server.start(); ...; server.stop()
    server.extra_env["METER_ENABLED"] = "1"
    server.start(); ...; server.close()              # close() stops and removes the var dir

    with DemoServer(var_dir=server.var_dir, env={...}) as twin:  # a second server, same newsroom:
        ...                                                      # it leaves the var dir alone

Everything lives in a temporary ``MASTHEAD_VAR_DIR`` (SQLite database, media, mail, static),
so a benchmark never reads or writes the developer's ``var/``. Settings that would point the
server somewhere else (``DATABASE_URL``, ``REDIS_URL``, ``MEDIA_ROOT``, ``EMAIL_HOST``…) are
removed from the child environment; ``env=`` then adds what a benchmark sets on purpose (it
may name a scrubbed variable, such as a ``REDIS_URL`` for a throwaway Redis database). The
server is always stopped on exit: SIGTERM to its process group, then SIGKILL after a bounded
wait.
"""

from __future__ import annotations

import http.client
import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# Variables a developer's shell may carry that would make the benchmark use (or write to)
# something other than its own temporary var dir, or change what is being measured.
SCRUBBED_ENV = (
    "DATABASE_URL",
    "REDIS_URL",
    "CACHE_KEY_PREFIX",
    "MEDIA_ROOT",
    "EMAIL_HOST",
    "EMAIL_HOST_USER",
    "EMAIL_HOST_PASSWORD",
    "EMAIL_HOST_PASSWORD_FILE",
    "EMAIL_PORT",
    "EMAIL_USE_TLS",
    "EMAIL_USE_SSL",
    "DEBUG",
    "SITE_URL",
    "ALLOWED_HOSTS",
    "TRUSTED_PROXIES",
    "HOST",
    "PORT",
    "WEB_CONCURRENCY",
    "DJANGO_SETTINGS_MODULE",
)

STOP_TIMEOUT = 10.0  # seconds between SIGTERM and SIGKILL
READY_TIMEOUT = 60.0  # seconds for granian to answer /healthz
IDLE_TIMEOUT = 180.0  # seconds for the server to finish abandoned requests
IDLE_SAMPLE = 0.5  # seconds between CPU samples
IDLE_CPU = 0.05  # below this share of one core, the server counts as idle
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


class ServerError(RuntimeError):
    pass


def cpu_count() -> int:
    """The cores this process may use (the affinity mask, not just the machine's total)."""
    counter = getattr(os, "process_cpu_count", None) or os.cpu_count
    return counter() or 1


def free_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def get(host: str, port: int, path: str, timeout: float = 5.0) -> tuple[int, bytes]:
    """One plain GET, no redirects followed: (status, body)."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": f"{host}:{port}"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


class DemoServer:
    def __init__(
        self,
        *,
        workers: int | None = None,
        host: str = "127.0.0.1",
        quiet: bool = False,
        env: Mapping[str, str] | None = None,
        var_dir: Path | None = None,
        serve_args: tuple[str, ...] = (),
    ):
        if not ipaddress.ip_address(host).is_loopback:
            raise ValueError(f"benchmarks only serve on loopback, not {host}")
        self.host = host
        self.workers = workers or cpu_count()
        self.port: int | None = None
        self.quiet = quiet
        # Extra options for ``masthead serve`` (``--blocking-threads 2``, say).
        self.serve_args = tuple(serve_args)
        # Set on top of the scrubbed environment, for the seeding, every command and the server.
        # Change it between stop() and start() to serve the same newsroom with other settings.
        self.extra_env: dict[str, str] = dict(env or {})
        # A var dir passed in belongs to another DemoServer, already prepared: this one only
        # serves it (under other settings, say) and leaves the directory alone on close.
        self.var_dir: Path | None = Path(var_dir) if var_dir is not None else None
        self._owns_var_dir = var_dir is None
        self.process: subprocess.Popen | None = None
        self._log = None

    # -- lifecycle ----------------------------------------------------------------

    def __enter__(self) -> DemoServer:
        try:
            if self._owns_var_dir:
                self.prepare()
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def prepare(self) -> None:
        """Create the temporary var dir, then migrate and seed the demo newsroom in it."""
        if not self._owns_var_dir:
            raise ServerError("this server serves another one's var dir; prepare that one instead")
        self.var_dir = Path(tempfile.mkdtemp(prefix="masthead-bench-"))
        self._say(f"seeding the demo newsroom in {self.var_dir} (takes a minute)")
        started = time.monotonic()
        self.manage("demo", "--no-serve", capture=True)
        self._say(f"seeded in {time.monotonic() - started:.0f}s")

    def start(self) -> None:
        self.port = free_port(self.host)
        if self._log is not None:  # a restart: the previous run's log handle
            self._log.close()
        self._log = self.log_path().open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "masthead.cli", "serve", "--no-collectstatic", *self.serve_args],
            cwd=REPO,
            env=self.env(),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so the workers stop with it
        )
        self._say(f"serving on {self.url('/')} with {self.workers} workers (pid {self.process.pid})")
        self.wait_until_ready()

    def wait_until_ready(self, timeout: float = READY_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerError(f"masthead serve exited with {self.process.returncode}\n{self.log_tail()}")
            try:
                status, _ = get(self.host, self.port, "/healthz", timeout=2)
            except OSError:
                status = None
            if status == 200:
                return
            time.sleep(0.2)
        raise ServerError(f"masthead serve did not answer /healthz within {timeout:.0f}s\n{self.log_tail()}")

    def wait_until_idle(self, timeout: float = IDLE_TIMEOUT) -> bool:
        """Wait until the server's processes stop using CPU; False if they never did.

        When wrk stops, the requests it had in flight are abandoned but not cancelled: a WSGI
        server works through them anyway. A slow page can leave seconds of such backlog, which
        would otherwise be charged to whatever is measured next.
        """
        deadline = time.monotonic() + timeout
        last = self._cpu_ticks()
        if last is None:  # no /proc: give the backlog a moment and hope
            time.sleep(2)
            return True
        quiet = 0
        while time.monotonic() < deadline:
            time.sleep(IDLE_SAMPLE)
            ticks = self._cpu_ticks()
            if ticks is None:  # the server is gone; nothing left to wait for
                return True
            busy = (ticks - last) / _CLOCK_TICKS / IDLE_SAMPLE  # cores in use
            last = ticks
            quiet = quiet + 1 if busy < IDLE_CPU else 0
            if quiet >= 2:
                return True
        return False

    def stop(self) -> None:
        """SIGTERM the server's process group, SIGKILL it if still there after STOP_TIMEOUT."""
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            self._signal_group(process, signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._say("server ignored SIGTERM; killing it")
        # Workers can outlive the main process; the group kill catches them either way.
        self._signal_group(process, signal.SIGKILL)
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self._say(f"warning: server pid {process.pid} did not exit after SIGKILL")

    def close(self) -> None:
        try:
            self.stop()
        finally:
            if self._log is not None:
                self._log.close()
                self._log = None
            if self.var_dir is not None and self._owns_var_dir:
                shutil.rmtree(self.var_dir, ignore_errors=True)
                self.var_dir = None

    # -- helpers --------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if key not in SCRUBBED_ENV}
        env.update(
            MASTHEAD_DEMO="1",
            MASTHEAD_VAR_DIR=str(self.var_dir),
            HOST=self.host,
            WEB_CONCURRENCY=str(self.workers),
            PYTHONUNBUFFERED="1",
        )
        env.update(self.extra_env)
        if self.port is not None:
            env["PORT"] = str(self.port)
            env["SITE_URL"] = self.url("").rstrip("/")
        return env

    def manage(self, *args: str, capture: bool = True, timeout: float = 600) -> str:
        """Run a masthead command against the benchmark's database; return its stdout."""
        result = subprocess.run(
            [sys.executable, "-m", "masthead.cli", *args],
            cwd=REPO,
            env=self.env(),
            stdin=subprocess.DEVNULL,
            capture_output=capture,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise ServerError(f"masthead {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
        return result.stdout or ""

    def url(self, path: str) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{path}"

    def get(self, path: str, timeout: float = 10.0) -> tuple[int, bytes]:
        return get(self.host, self.port, path, timeout=timeout)

    def log_path(self) -> Path:
        # Servers sharing a var dir keep separate logs.
        return self.var_dir / ("serve.log" if self._owns_var_dir else f"serve-{id(self):x}.log")

    def log_tail(self, lines: int = 40) -> str:
        if self.var_dir is None or not self.log_path().exists():
            return ""
        text = self.log_path().read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def cpu_seconds(self) -> float | None:
        """CPU time (user + system) the server's processes have used so far; None without /proc."""
        ticks = self._cpu_ticks()
        return None if ticks is None else ticks / _CLOCK_TICKS

    def _cpu_ticks(self) -> int | None:
        """User + system CPU ticks used so far by the server's process group (Linux /proc)."""
        if self.process is None or not Path("/proc/self/stat").exists():
            return None
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue  # the process went away meanwhile
            # fields[0] is the state (stat field 3): pgrp is field 5, utime 14, stime 15.
            if int(fields[2]) == self.process.pid:
                total += int(fields[11]) + int(fields[12])
        return total

    def _signal_group(self, process: subprocess.Popen, sig: int) -> None:
        try:
            os.killpg(process.pid, sig)  # the group we created with start_new_session
        except ProcessLookupError:
            pass

    def _say(self, message: str) -> None:
        if not self.quiet:
            print(f"bench: {message}", file=sys.stderr, flush=True)
