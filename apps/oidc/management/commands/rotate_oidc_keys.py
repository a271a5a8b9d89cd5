from __future__ import annotations

from django.core.management.base import BaseCommand

from apps.oidc import actions, keys


class Command(BaseCommand):
    help = (
        "Create new ID token signing keys (RS256 and ES256) and retire the current ones. Retired keys "
        "stay in the JWKS until the ID tokens they signed have expired."
    )

    def add_arguments(self, parser):
        parser.add_argument("--algorithm", choices=keys.ALGORITHMS, action="append", help="only this algorithm")

    def handle(self, *args, **options):
        new = actions.rotate_keys(algorithms=tuple(options["algorithm"] or keys.ALGORITHMS))
        for key in new:
            self.stdout.write(f"{key.algorithm}: new active key {key.kid}")
