"""Ports for tests' own servers and for "nothing listens here" cases.

The system picks the port (bind to 0), so two test runs on one machine do not collide on a
fixed number. Between this probe and the server's own bind another process could take it;
servers that can bind port 0 themselves (the LDAP test server) do that instead.
"""

from __future__ import annotations

import socket


def free_port() -> int:
    """A loopback TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
