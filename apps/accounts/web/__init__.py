"""Server-rendered pages of the accounts app (login, forced password change, logout)."""
