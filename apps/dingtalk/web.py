"""DingTalk login pages ArkID serves itself.

``qr_view``: DingTalk's embedded QR frame (``ddlogin.js``'s ``DTFrameLogin``) on an ArkID
page, for ``/login/source/dingtalk/?embed=1``; when the script cannot load (offline, blocked)
the page offers the plain redirect to DingTalk's login page instead. Same rule as below:
only ``state`` comes from the URL, the callback address is built server-side.

``inapp_view``: in-app (workbench, 免登) login, the page DingTalk's in-app browser opens.

``/login/source/dingtalk/?inapp=1`` (the accounts start view: a ``state`` bound to the
session) sends the browser here. This page asks DingTalk's JSAPI for an in-app auth code
(``dd.runtime.permission.requestAuthCode`` with the CorpId) and goes on to the accounts
callback with ``inapp_code`` and the same ``state``; the callback turns the code into the
userid with ``topapi/v2/user/getuserinfo`` (``login.py``). The page takes only ``state`` from
the URL: the callback address is fixed, so a crafted link cannot send a code elsewhere, and a
foreign ``state`` fails against the session like any other.
"""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from apps.dingtalk import config as config_module
from apps.dingtalk.login import KEY, authorize_params, authorize_url

JSAPI_URL = "https://g.alicdn.com/dingding/dingtalk-jsapi/2.10.3/dingtalk.open.js"
QR_SCRIPT_URL = "https://g.alicdn.com/dingding/h5-dingtalk-login/0.21.0/ddlogin.js"


@never_cache
@require_GET
def qr_view(request):
    if not config_module.current().configured:
        raise Http404
    state = request.GET.get("state", "")[:64]
    redirect_uri = request.build_absolute_uri(f"/login/source/{KEY}/callback/")
    context = {
        "params": authorize_params(state=state, redirect_uri=redirect_uri),
        "fallback_url": authorize_url(state=state, redirect_uri=redirect_uri),
        "script_url": QR_SCRIPT_URL,
    }
    return render(request, "dingtalk/qr.html", context)


@never_cache
@require_GET
def inapp_view(request):
    config = config_module.current()
    if not config.configured:
        raise Http404
    context = {
        "corp_id": config.corp_id,
        "state": request.GET.get("state", "")[:64],
        "callback": f"/login/source/{KEY}/callback/",
        "jsapi_url": JSAPI_URL,
    }
    return render(request, "dingtalk/inapp.html", context)
