from celery import shared_task

from apps.accounts.actions import avatars, housekeeping, tokens


@shared_task(name="accounts.purge_expired_tokens")
def purge_expired_tokens() -> dict[str, int]:
    """Expired API tokens and invitations, then expired lockouts, codes and session records."""
    return {**tokens.purge_expired_tokens(), **housekeeping.purge_expired_security_rows()}


@shared_task(name="accounts.purge_unused_avatars")
def purge_unused_avatars() -> dict[str, int]:
    """Stored avatar files no account points at any more, a day after they were stored."""
    return avatars.purge_unused_avatars()
