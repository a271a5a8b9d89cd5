from celery import shared_task

from apps.accounts.actions import tokens


@shared_task(name="accounts.purge_expired_tokens")
def purge_expired_tokens() -> dict[str, int]:
    return tokens.purge_expired_tokens()
