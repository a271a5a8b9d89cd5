"""The console's Apps area (``/console/apps/``): apps, their protocols and interface details,
one-time secrets, in-app permissions with their white/black lists and result lists. The
package is "applications" because ``apps/console/apps.py`` is the Django AppConfig."""
