from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher


class ArkidArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id with OWASP's minimum (19 MiB, 2 passes, 1 lane) by default.

    Django's stock parameters (100 MiB, 8 lanes) cost several hundred ms on a 2-core box and
    make logins a denial-of-service lever; these cost roughly 30-50 ms here (see
    bench/bench_login.py). Raising them in settings upgrades hashes on the next login.
    """

    @property
    def time_cost(self):
        return settings.ARGON2_TIME_COST

    @property
    def memory_cost(self):
        return settings.ARGON2_MEMORY_COST

    @property
    def parallelism(self):
        return settings.ARGON2_PARALLELISM
