"""The address serve and demo print is one a client can connect to as soon as it reads it: a
script that waits for the "Serving … at http://HOST:PORT/" line and then connects, once, is
answered, not refused while the server is still starting."""

import contextlib
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

GOVARCHIVE = str(Path(sys.executable).with_name("govarchive"))


@contextlib.contextmanager
def serving(command, cwd, *, env=None, stderr=subprocess.DEVNULL):
    """The command (serve, demo) started in ``cwd``; yields its "Serving … at http://HOST:PORT/"
    line as soon as it prints it, and stops it with Ctrl-C's SIGINT at the end."""
    server = subprocess.Popen([GOVARCHIVE, *map(str, command)], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=stderr, text=True, errors="replace")
    try:
        for line in server.stdout:
            if line.startswith("Serving "):
                break
        else:
            raise AssertionError(f"no Serving line; exit status {server.wait()}")
        yield line
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _answer_at_once(command, cwd):
    """The first bytes of the answer to a request sent, in one attempt, to the address the
    command prints on its "Serving" line, the moment it prints it."""
    with serving(command, cwd) as line:
        host, port = re.search(r"http://([^/]+):(\d+)/", line).groups()
        assert port != "0", line
        with socket.create_connection((host, int(port)), timeout=60) as client:
            client.sendall(b"GET /-/versions.json HTTP/1.0\r\nHost: " + host.encode() + b"\r\n\r\n")
            return client.recv(64)


def test_serve_on_port_0_is_connectable_when_it_says_where_it_serves(archive_copy):
    answer = _answer_at_once(["serve", "--db", archive_copy, "--port", "0"], archive_copy.parent)
    assert answer.startswith(b"HTTP/1.1 200 "), answer


def test_the_demo_on_port_0_prints_the_port_it_took_and_is_connectable_then(tmp_path):
    answer = _answer_at_once(["demo", "--db", "demo.db", "--port", "0"], tmp_path)
    assert answer.startswith(b"HTTP/1.1 200 "), answer
