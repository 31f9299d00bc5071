"""Run wrk (the Debian package, /usr/bin/wrk) and parse what it prints.

wrk's ``--latency`` report looks like this; we read the summary, the percentile table and the
error lines:

      Latency Distribution
         50%    9.12ms
         75%   11.40ms
         90%   13.05ms
         99%   20.77ms
      60000 requests in 30.00s, 100.00MB read
      Socket errors: connect 0, read 0, write 0, timeout 5
      Non-2xx or 3xx responses: 12
    Requests/sec:   2000.00
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_DURATION = r"([\d.]+)(us|ms|s|m|h)"


class WrkError(RuntimeError):
    pass


@dataclass(frozen=True)
class WrkResult:
    url: str
    requests: int
    seconds: float
    requests_per_sec: float
    latency_ms: dict[str, float]  # "50", "75", "90", "99" -> milliseconds
    non_2xx_3xx: int = 0
    socket_errors: dict[str, int] = field(default_factory=dict)  # connect, read, write, timeout

    @property
    def p50(self) -> float:
        return self.latency_ms["50"]

    @property
    def p99(self) -> float:
        return self.latency_ms["99"]

    @property
    def failed_requests(self) -> int:
        """Responses wrk counted as errors (status >= 400) plus broken connections."""
        broken = sum(count for kind, count in self.socket_errors.items() if kind != "timeout")
        return self.non_2xx_3xx + broken

    def as_dict(self) -> dict:
        return asdict(self)


def wrk_path() -> str:
    path = shutil.which("wrk") or "/usr/bin/wrk"
    if not shutil.which(path):
        raise WrkError("wrk is not installed (Debian: apt-get install wrk)")
    return path


def wrk_version() -> str:
    # wrk has no --version flag; it prints its banner before the usage text.
    result = subprocess.run([wrk_path(), "--version"], capture_output=True, text=True, timeout=10)
    return (result.stdout + result.stderr).splitlines()[0].strip() if (result.stdout + result.stderr) else ""


def run(
    url: str,
    *,
    seconds: int,
    connections: int,
    threads: int = 2,
    timeout: int | None = None,
    script: str | Path | None = None,
    script_args: Sequence[str] = (),
) -> WrkResult:
    """wrk -tT -cC -dSs --latency URL. ``timeout``: wrk's --timeout in seconds (wrk's default: 2).

    ``script``: a Lua script for wrk's ``--script``, and ``script_args`` what its ``init(args)``
    receives (wrk's arguments after ``--``).

    wrk leaves a response slower than its timeout out of the latency distribution (it counts
    it under "Socket errors: timeout" instead), so a slow page needs a longer timeout for
    honest percentiles; the request still counts towards req/s.
    """
    threads = max(1, min(threads, connections))  # wrk refuses more threads than connections
    command = [wrk_path(), f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if timeout is not None:
        command += ["--timeout", f"{timeout}s"]
    if script is not None:
        command += ["--script", str(script)]
    command.append(url)
    if script_args:
        command += ["--", *map(str, script_args)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=seconds + (timeout or 2) + 60)
    if result.returncode != 0:
        raise WrkError(f"{' '.join(command)} failed ({result.returncode}):\n{result.stderr}{result.stdout}")
    return parse(url, result.stdout)


def parse(url: str, output: str) -> WrkResult:
    def need(pattern: str) -> re.Match:
        match = re.search(pattern, output, re.MULTILINE)
        if match is None:
            raise WrkError(f"could not find {pattern!r} in wrk's output:\n{output}")
        return match

    summary = need(r"^\s*(\d+) requests in " + _DURATION)
    requests = int(summary.group(1))
    seconds = float(summary.group(2)) * _UNITS_MS[summary.group(3)] / 1000
    rate = float(need(r"^Requests/sec:\s+([\d.]+)").group(1))

    table = output[need(r"Latency Distribution").end() :]
    latency = {
        percent: float(value) * _UNITS_MS[unit]
        for percent, value, unit in re.findall(r"^\s*(\d+)%\s+" + _DURATION, table, re.MULTILINE)
    }
    if not {"50", "99"} <= latency.keys():
        raise WrkError(f"wrk printed no 50%/99% latency (was --latency passed?):\n{output}")

    errors = {}
    if match := re.search(r"Socket errors: (.*)$", output, re.MULTILINE):
        errors = {kind: int(count) for kind, count in re.findall(r"(\w+) (\d+)", match.group(1))}
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return WrkResult(
        url=url,
        requests=requests,
        seconds=seconds,
        requests_per_sec=rate,
        latency_ms=latency,
        non_2xx_3xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=errors,
    )
