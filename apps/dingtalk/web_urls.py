from django.urls import path

from apps.dingtalk import web

urlpatterns = [
    path("login/inapp/", web.inapp_view, name="dingtalk-inapp-login"),
    path("login/qr/", web.qr_view, name="dingtalk-qr-login"),
]
