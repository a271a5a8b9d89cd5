"""``python manage.py ldap_server``: run the LDAP service in the foreground (docs/ldap.md)."""

from __future__ import annotations

import asyncio
import signal

from django.core.management.base import BaseCommand

from apps.ldap_server.server import LdapServer


class Command(BaseCommand):
    help = "Serve the directory over LDAP (read-only)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=10389)
        parser.add_argument("--ldaps-port", type=int, default=10636, help="used when a TLS certificate is set")

    def handle(self, *args, host, port, ldaps_port, **options):
        asyncio.run(self._run(host, port, ldaps_port))

    async def _run(self, host: str, port: int, ldaps_port: int) -> None:
        server = LdapServer.from_settings()
        await server.start(host, port, ldaps_port)
        self.stdout.write(f"LDAP server on {host}, ports {server.ports()}; base {server.view.base_dn}")
        self.stdout.flush()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await server.close()
