"""OAuth 2.0 and OpenID Connect provider, on django-oauth-toolkit (protocol layer)."""
