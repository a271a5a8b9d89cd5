"""``meta/``: what the public login page needs — branding and which login methods exist.

Other apps add their sections (DingTalk's public app ids, ...) through
:data:`meta_contributors`; nothing secret may ever be returned here.
"""

from __future__ import annotations

from collections.abc import Callable

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts import config
from apps.directory.models import Organization

meta_contributors: list[Callable[[], dict]] = []

# v1's login page switches.
ACCOUNT_FLAGS = (
    "support_email",
    "support_mobile",
    "support_register",
    "support_email_register",
    "support_mobile_register",
    "support_ding_qr",
    "support_alipay_qr",
    "support_work_wechat_qr",
    "support_wechat_qr",
    "support_qq_qr",
    "support_github",
)


def company_config() -> dict:
    # Read-only: a public GET must not create the singleton row.
    org = Organization.objects.filter(pk=1).first() or Organization()
    return {
        "name_cn": org.name,
        "fullname_cn": org.fullname,
        "name_en": org.name_en,
        "fullname_en": org.fullname_en,
        "icon": org.icon,
        "color": org.color,
        "address": org.address,
        "domain": org.domain,
    }


def account_flags() -> dict:
    """v1's ``support_*``: a method is offered when it is switched on AND its sender works.
    Login sources (DingTalk, ...) turn their own flags on through :data:`meta_contributors`."""
    account, sms, email = config.account_config(), config.sms_config(), config.email_config()
    flags = dict.fromkeys(ACCOUNT_FLAGS, False)
    flags["support_email"] = account.allow_email and email.is_configured
    flags["support_mobile"] = account.allow_mobile and sms.is_configured
    flags["support_email_register"] = account.allow_register and flags["support_email"]
    flags["support_mobile_register"] = account.allow_register and flags["support_mobile"]
    flags["support_register"] = flags["support_email_register"] or flags["support_mobile_register"]
    return flags


def build_meta() -> dict:
    body = {
        "company_config": company_config(),
        "account_config": account_flags(),
        "ding_config": {},
    }
    for contributor in meta_contributors:
        for key, value in contributor().items():
            # A section both sides fill (account_config's support_ding_qr) is merged, not replaced.
            if isinstance(value, dict) and isinstance(body.get(key), dict):
                body[key] = {**body[key], **value}
            else:
                body[key] = value
    return body


class MetaView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    allowed_during_password_change = True

    @extend_schema(responses={200: OpenApiResponse(description="company_config, account_config, ding_config.")})
    def get(self, request):
        return Response(build_meta())
