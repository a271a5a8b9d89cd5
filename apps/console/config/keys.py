"""OIDC signing keys: what signs ID tokens now, what is retiring, and a rotation.

A rotation (``apps.oidc.actions.rotate_keys``, audited) gives each algorithm a new active key;
the old keys retire but stay published in the JWKS until the ID tokens they signed have
expired, so relying parties keep verifying them. Private keys never reach this page.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.db.models import F
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from oauth2_provider.settings import oauth2_settings

from apps.console.config.web import PERM, render_settings
from apps.console.web import console_view, paginate
from apps.oidc.actions import rotate_keys
from apps.oidc.models import SigningKey

ACTIVE, RETIRING, EXPIRED = "active", "retiring", "expired"


def key_state(key: SigningKey, now: dt.datetime) -> tuple[str, dt.datetime | None]:
    """(state, the moment it leaves the JWKS): active keys have no end; a retired key is
    published until the last ID token it could have signed expires."""
    if key.retired is None:
        return ACTIVE, None
    until = key.retired + dt.timedelta(seconds=oauth2_settings.ID_TOKEN_EXPIRE_SECONDS)
    return (RETIRING if until > now else EXPIRED), until


@require_GET
@console_view(PERM)
def keys_view(request):
    # Active first, then the most recently retired; only kid, algorithm and dates are read.
    rows = SigningKey.objects.only("id", "kid", "algorithm", "created", "retired").order_by(
        F("retired").desc(nulls_first=True), "-id"
    )
    page = paginate(rows, request.GET)
    now = timezone.now()
    keys = []
    for key in page.object_list:
        state, until = key_state(key, now)
        keys.append({"kid": key.kid, "algorithm": key.algorithm, "created": key.created, "retired": key.retired,
                     "state": state, "until": until})  # fmt: skip
    context = {"page": page, "keys": keys, "lifetime": oauth2_settings.ID_TOKEN_EXPIRE_SECONDS}
    return render_settings(request, "console/config/keys.html", context, page="oidc_keys")


@require_POST
@console_view(PERM)
def rotate_view(request):
    new = rotate_keys(actor=request.user)
    messages.success(
        request, _("New signing keys: %(kids)s. The old ones stay published until their tokens expire.")
        % {"kids": ", ".join(k.kid for k in new)}
    )  # fmt: skip
    return redirect("console-config-oidc-keys")
