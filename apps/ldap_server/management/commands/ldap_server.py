"""``python manage.py ldap_server``: run the LDAP service in the foreground (docs/ldap.md)."""

from __future__ import annotations

import asyncio
import signal

from django.conf import settings
from django.core.management.base import BaseCommand

from apps.ldap_server.server import LdapServer


class Command(BaseCommand):
    help = "Serve the directory over LDAP (read-only)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=10389)
        parser.add_argument("--ldaps-port", type=int, default=10636, help="used when a TLS certificate is set")
        parser.add_argument(
            "--metrics-port",
            type=int,
            default=settings.LDAP_METRICS_PORT,
            help="serve Prometheus metrics of this process on this port (0: off)",
        )

    def handle(self, *args, host, port, ldaps_port, metrics_port, **options):
        if metrics_port:
            self._serve_metrics(metrics_port)
        asyncio.run(self._run(host, port, ldaps_port))

    def _serve_metrics(self, port: int) -> None:
        # The LDAP server is its own process, so the web's /metrics cannot see its counters:
        # it serves them itself, from prometheus_client's small threaded HTTP server.
        from prometheus_client import start_http_server

        start_http_server(port, addr=settings.LDAP_METRICS_HOST)
        self.stdout.write(f"LDAP metrics on http://{settings.LDAP_METRICS_HOST}:{port}/metrics")

    async def _run(self, host: str, port: int, ldaps_port: int) -> None:
        server = LdapServer.from_settings()
        await server.start(host, port, ldaps_port or None)  # --ldaps-port 0: no LDAPS
        self.stdout.write(f"LDAP server on {host}, ports {server.ports()}; base {server.view.base_dn}")
        self.stdout.flush()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await server.close()
