"""What the benchmarks that time a running ``govarchive serve`` share: a free port, and waiting
until the server answers."""

from __future__ import annotations

import socket
import time
import urllib.request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_serving(base: str, *, seconds: float = 60) -> None:
    """Return once ``base`` answers; a server that never does ends the benchmark."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(base + "/-/versions.json", timeout=2).read()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"the server at {base} did not answer within {seconds:.0f} s") from None
            time.sleep(0.2)
