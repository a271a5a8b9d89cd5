"""OAuth 2.0 / OIDC endpoint throughput versus a bare JSON view (``GET /ping/``).

    python bench/bench_oidc.py [--seconds 3] [--rounds 5] [--database-url postgres://…/<empty db>]

Measured on a real server: gunicorn started with the command ``make run`` uses, saturated
over loopback by wrk (bench/http_load.py), in phases alternating between ``/ping/`` and the
operation so a neighbour's noise hits both:

- ``client_credentials``: ``POST /oauth/token/`` with HTTP Basic client authentication (the
  salted SHA-256 secret check, one access token written, the grant audited);
- ``refresh``: ``POST /oauth/token/`` with ``grant_type=refresh_token``; each connection
  sends the token its previous response returned (rotation: the old pair revoked, a new
  pair and an RS256-signed ID token issued, the app's access permission checked);
- ``code``: the authorization code exchange (PKCE S256 verified, the code redeemed, access,
  refresh and RS256-signed ID token issued); the codes are made through
  ``/oauth/authorize/`` before each phase, untimed;
- ``userinfo``: ``GET /oauth/userinfo/`` with a bearer token (scope openid profile email).

Goals (the issue's: throughput as a ratio to /ping/'s): token endpoint >= 0.40, userinfo
>= 0.60; exit code 3 when one is missed, as bench/run.py expects. Judged on the server's
CPU time per request (gunicorn's processes, and PostgreSQL's with ``--database-url``): at
saturation a server's throughput is its cores over that, and unlike requests per second it
does not move with what else the machine runs. The requests/s ratio (median of the rounds)
is printed beside it; on a quiet machine the two agree.

SQLite in a temporary directory (ARKID_VAR_DIR and ARKID_DATABASE_URL are overridden before
Django starts) and the in-process cache, marked shared so the cached paths production has
with Redis are measured (nothing changes a client while the server runs, so each worker's
copy stays right); ``--database-url postgres://…/<empty database>`` measures PostgreSQL.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402 - bench/ is not a package
import http_load  # noqa: E402

TOKEN_GOAL, USERINFO_GOAL = 0.40, 0.60
GOAL_MISSED = 3
REDIRECT = "https://rp.example.com/callback"
VERIFIER = "v" * 64
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()


def _setup_django(var_dir: str, database_url: str = "") -> None:
    import warnings

    warnings.simplefilter("ignore", DeprecationWarning)  # DOT's RFC 9700 notices
    common.setup_sqlite_django(var_dir, database_url=database_url, ARKID_SHARED_CACHE="true")


class Bench:
    """The relying party's app and a signed-in user; makes codes and tokens (untimed)."""

    def __init__(self):
        from django.test import Client

        from apps.directory.models import User
        from apps.permissions.actions.apps import create_app

        admin = User.objects.create(username="admin", name="Admin", is_admin=True)
        self.user = User.objects.create(username="alice", name="Alice", email="alice@example.com")
        grants = ["authorization_code", "refresh_token", "client_credentials"]
        oauth = {"redirect_uris": [REDIRECT], "skip_authorization": True, "grant_types": grants}
        _, shown = create_app(actor=admin, name="Bench RP", allow_any_user=True, protocols={"oauth_app": oauth})
        self.client_id = shown["oauth_app"]["client_id"]
        basic = base64.b64encode(f"{self.client_id}:{shown['oauth_app']['client_secret']}".encode()).decode()
        self.rp_authorization = f"Basic {basic}"
        self.rp = Client(HTTP_AUTHORIZATION=self.rp_authorization)
        self.seconds = 3
        # Requests/s the codes and refresh tokens made for a phase must last: the last phase's.
        self.rates = {"code": 100.0, "refresh": 100.0}
        self.browser = Client()
        self.browser.force_login(self.user)

    def _post_token(self, data: dict) -> dict:
        # Form-encoded, as every OAuth client sends it (the test client defaults to multipart).
        response = self.rp.post("/oauth/token/", urlencode(data), content_type="application/x-www-form-urlencoded")
        if response.status_code != 200:
            raise SystemExit(f"token failed: {response.status_code} {response.content[:300]!r}")
        return response.json()

    def _code(self) -> str:
        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": REDIRECT,
            "scope": "openid profile email",
            "state": "s",
            "code_challenge": CHALLENGE,
            "code_challenge_method": "S256",
        }
        response = self.browser.get("/oauth/authorize/", params)
        return parse_qs(urlsplit(response["Location"]).query)["code"][0]

    def _exchange(self, code: str) -> dict:
        data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": VERIFIER}
        return self._post_token(data)


def _form(data: dict) -> str:
    return urlencode(data)


def _targets(bench: Bench) -> dict:
    """{name: a Target, or a function making a fresh one for each phase}."""
    token_headers = {"Authorization": bench.rp_authorization, "Content-Type": "application/x-www-form-urlencoded"}
    token = "/oauth/token/"

    def code_target() -> http_load.Target:
        # Enough codes for the phase at the last phase's rate, and some more (a phase that
        # runs out ends early: it still measures, for less time).
        count = int(bench.rates["code"] * bench.seconds * 1.3) + 20
        bodies = [
            _form(
                {
                    "grant_type": "authorization_code",
                    "code": bench._code(),
                    "redirect_uri": REDIRECT,
                    "code_verifier": VERIFIER,
                }
            )
            for _ in range(count)
        ]
        return http_load.Target("code", token, method="POST", headers=token_headers, bodies=bodies)

    def refresh_target() -> http_load.Target:
        # Each refresh token is good once (rotation): as many as the phase needs, from codes.
        count = int(bench.rates["refresh"] * bench.seconds * 1.3) + 20
        tokens = [bench._exchange(bench._code())["refresh_token"] for _ in range(count)]
        bodies = [_form({"grant_type": "refresh_token", "refresh_token": token}) for token in tokens]
        return http_load.Target("refresh", token, method="POST", headers=token_headers, bodies=bodies)

    access = bench._exchange(bench._code())["access_token"]
    return {
        "ping": http_load.Target("ping", "/ping/"),
        "client_credentials": http_load.Target(
            "client_credentials",
            token,
            method="POST",
            headers=token_headers,
            body=_form({"grant_type": "client_credentials"}),
        ),
        "refresh": refresh_target,
        "code": code_target,
        "userinfo": http_load.Target("userinfo", "/oauth/userinfo/", headers={"Authorization": f"Bearer {access}"}),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=3, help="seconds per wrk phase")
    parser.add_argument("--rounds", type=int, default=5, help="ping/operation phase pairs per operation")
    parser.add_argument(
        "--database-url",
        default="",
        help="an EMPTY PostgreSQL database to migrate and fill (default: SQLite in a temporary directory)",
    )
    args = parser.parse_args()
    if http_load.wrk_missing():
        print(http_load.wrk_missing(), file=sys.stderr)
        return 2
    var_dir = tempfile.mkdtemp(prefix="arkid-bench-")
    try:
        _setup_django(var_dir, args.database_url)
        bench = Bench()
        goals = {"client_credentials": TOKEN_GOAL, "refresh": TOKEN_GOAL, "code": TOKEN_GOAL, "userinfo": USERINFO_GOAL}
        all_met = True
        with http_load.Server(("postgresql",) if args.database_url else ()) as server:
            bench.seconds = args.seconds
            targets = _targets(bench)
            print(f"oidc.server  gunicorn as make run starts it, {server.connections} connections from wrk")
            for name, goal in goals.items():
                compared = http_load.compare(
                    server,
                    targets["ping"],
                    targets[name],
                    rounds=args.rounds,
                    seconds=args.seconds,
                    observe=lambda phase, name=name: bench.rates.__setitem__(name, phase.rate),
                )
                met = compared.cpu_ratio >= goal
                all_met &= met
                print(compared.describe(f"oidc.{name}", "ping"))
                print(f"RESULT oidc.{name}_per_s {statistics.median(p.rate for p in compared.operation):.1f} /s")
                print(f"RESULT oidc.{name}.ratio_vs_ping {compared.ratio:.2f} ratio")
                verdict = "met" if met else "missed"
                print(
                    f"RESULT oidc.{name}.cpu_ratio_vs_ping {compared.cpu_ratio:.2f} ratio goal>={goal:g} {verdict}",
                    flush=True,
                )
        return 0 if all_met else GOAL_MISSED
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
