"""``manage.py dingtalk_emulator --port 8890 [--users N --depts M --seed S]``: a fake DingTalk."""

from django.core.management.base import BaseCommand

from apps.dingtalk.emulator.org import generate
from apps.dingtalk.emulator.server import Emulator, make_server


class Command(BaseCommand):
    help = "Serve a fake DingTalk (oapi, api v1.0 and the login page) with a generated organisation."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8890)
        parser.add_argument("--users", type=int, default=50)
        parser.add_argument("--depts", type=int, default=10)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--rate-limit", type=int, default=20, help="calls/s per API; 0 = unlimited")
        parser.add_argument("--token-ttl", type=int, default=7200)
        parser.add_argument("--app-key", default="dingemulatorkey")
        parser.add_argument("--app-secret", default="emulator-secret")
        parser.add_argument("--verbose-http", action="store_true")

    def handle(self, *args, **opts):
        org = generate(users=opts["users"], depts=opts["depts"], seed=opts["seed"])
        emulator = Emulator(
            org,
            app_key=opts["app_key"],
            app_secret=opts["app_secret"],
            rate_limit=opts["rate_limit"],
            token_ttl=opts["token_ttl"],
        )
        server = make_server(emulator, opts["host"], opts["port"])
        server.verbose = opts["verbose_http"]
        host, port = server.server_address[:2]
        self.stdout.write(
            f"DingTalk emulator on http://{host}:{port} - {len(org.users)} users, {len(org.depts)} departments; "
            f"AppKey {opts['app_key']}. Point ARKID_DINGTALK_OAPI_BASE/_API_BASE/_LOGIN_BASE here."
        )
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
