"""Serving on an address that cannot be had: one line naming the host and port, exit status 1,
and no "Serving ..." line before it."""

import socket

import pytest

from archive.db import ArchiveError
from archive.serve import listen


@pytest.fixture
def busy_port():
    """A port on 127.0.0.1 that another program listens on."""
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    yield taken.getsockname()[1]
    taken.close()


def test_a_port_in_use_is_named_with_its_host(busy_port):
    with pytest.raises(ArchiveError) as raised:
        listen("127.0.0.1", busy_port)
    assert str(raised.value) == f"port {busy_port} on 127.0.0.1 is in use: pick another with --port"


@pytest.mark.parametrize("host", ["999.1.1.1", "192.0.2.1"])
def test_a_host_that_is_not_this_machine_s_is_named(host):
    with pytest.raises(ArchiveError, match=f"^cannot listen on {host}: .*--host takes an address or name of this "
                                           "machine$"):
        listen(host, 0)


def test_the_socket_is_bound_to_the_host_and_port():
    sock = listen("127.0.0.1", 0)
    try:
        assert sock.getsockname()[0] == "127.0.0.1" and sock.getsockname()[1] > 0
    finally:
        sock.close()


def test_the_demo_on_a_port_in_use_says_so_in_one_line_before_it_rebuilds_anything(run_cli, busy_port, tmp_path):
    (tmp_path / "demo.db").write_bytes(b"")
    result = run_cli("demo", "--db", "demo.db", "--port", busy_port)
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [f"Error: port {busy_port} on 127.0.0.1 is in use: pick another with --port"]
    # It crawled the whole sample site and replaced the old demo archive before it found the port taken.
    assert result.stdout == "" and (tmp_path / "demo.db").read_bytes() == b""


@pytest.mark.parametrize("where, said", [
    (("--port", "BUSY"), "port BUSY on 127.0.0.1 is in use: pick another with --port"),
    (("--host", "999.1.1.1"), "cannot listen on 999.1.1.1: "),
])
def test_serve_on_an_address_it_cannot_have_says_so_before_serving(run_cli, crawled_archive, busy_port, where, said):
    where = [str(busy_port) if arg == "BUSY" else arg for arg in where]
    result = run_cli("serve", "--db", crawled_archive / "archive.db", *where)
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Serving" not in result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: " + said.replace("BUSY", str(busy_port))), result.stderr


@pytest.mark.parametrize("command", [("serve", "--db", "ARCHIVE"), ("demo", "--db", "demo.db")])
def test_a_public_url_without_its_scheme_is_refused_before_anything_is_done(run_cli, crawled_archive, monkeypatch,
                                                                             command):
    # Taken as is, every stable URL and citation would be a path under the page that shows it.
    monkeypatch.setenv("GOVARCHIVE_PUBLIC_URL", "archive.example.org")
    result = run_cli(*[str(crawled_archive / "archive.db") if arg == "ARCHIVE" else arg for arg in command])
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Serving" not in result.stdout and "Demo archive" not in result.stdout
    assert ("environment variable GOVARCHIVE_PUBLIC_URL is 'archive.example.org': it must be an http(s) address "
            "with its scheme and host, such as https://archive.example.org") in result.stderr


def test_a_public_url_with_a_path_is_refused_before_anything_is_done(run_cli, crawled_archive, monkeypatch):
    # The reading room's links would carry the path and datasette's and the relative ones not.
    monkeypatch.setenv("GOVARCHIVE_PUBLIC_URL", "https://archive.example.org/luu-tru")
    result = run_cli("serve", "--db", crawled_archive / "archive.db")
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Serving" not in result.stdout
    assert ("environment variable GOVARCHIVE_PUBLIC_URL is 'https://archive.example.org/luu-tru': it must be the "
            "scheme and host alone, such as https://archive.example.org") in result.stderr
