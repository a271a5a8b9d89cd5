"""Forms of the Apps area. They only parse and shape input: the rules (uid format, OAuth
client consistency, who may grant what) are the actions' and are reported back inline by
:func:`errors_into_app_form`."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import pgettext_lazy

from apps.portal.web import errors_into_form

GRANT_CHOICES = (
    ("authorization_code", pgettext_lazy("console apps", "Authorization code")),
    ("refresh_token", pgettext_lazy("console apps", "Refresh token")),
    ("client_credentials", pgettext_lazy("console apps", "Client credentials")),
    ("password", pgettext_lazy("console apps", "Password")),
    ("device_code", pgettext_lazy("console apps", "Device code")),
)
CLIENT_TYPES = (
    ("confidential", pgettext_lazy("console apps", "Confidential (server-side, has a secret)")),
    ("public", pgettext_lazy("console apps", "Public (PKCE, no secret)")),
)
ALGORITHMS = (("RS256", "RS256"), ("ES256", "ES256"))
URI_LINES_MAX = 50
_HTTP_URL = URLValidator(schemes=["http", "https"])


def _site_or_http_url(value: str) -> None:
    """A logo or home URL ends up in ``href``/``src``: only http(s) or a path on this site."""
    if value.startswith("/") and not value.startswith("//"):
        return
    try:
        _HTTP_URL(value)
    except ValidationError:
        raise ValidationError(
            pgettext_lazy("console apps", "Enter an http(s) URL or a path starting with /.")
        ) from None


class UriLinesField(forms.CharField):
    """One URL per line (a textarea) as a list; each must be http(s)."""

    widget = forms.Textarea(attrs={"rows": 3, "spellcheck": "false"})

    def to_python(self, value):
        text = super().to_python(value) or ""
        return list(dict.fromkeys(line.strip() for line in text.splitlines() if line.strip()))

    def validate(self, value):
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")
        if len(value) > URI_LINES_MAX:
            raise ValidationError(pgettext_lazy("console apps", "At most %(n)d URLs.") % {"n": URI_LINES_MAX})
        for uri in value:
            try:
                _HTTP_URL(uri)
            except ValidationError:
                raise ValidationError(
                    pgettext_lazy("console apps", "%(uri)s is not an http(s) URL.") % {"uri": uri[:200]}
                ) from None

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list | tuple) else value


class AppForm(forms.Form):
    """An app's fields and protocols. The OAuth and LDAP settings are flat ``oauth_*`` and
    ``ldap_*`` fields so each gets its own inline error."""

    name = forms.CharField(label=pgettext_lazy("console apps", "Name"), max_length=255)
    uid = forms.CharField(
        label=pgettext_lazy("console apps", "UID"),
        max_length=64,
        required=False,
        help_text=pgettext_lazy(
            "console apps", "Lower-case letters, digits and '-'; made from the name when empty. It cannot change later."
        ),
    )
    logo = forms.CharField(
        label=pgettext_lazy("console apps", "Logo URL"), max_length=512, required=False, validators=[_site_or_http_url]
    )
    index = forms.CharField(
        label=pgettext_lazy("console apps", "Home URL"), max_length=1024, required=False, validators=[_site_or_http_url]
    )
    remark = forms.CharField(
        label=pgettext_lazy("console apps", "Remark"),
        max_length=10000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    allow_any_user = forms.BooleanField(
        label=pgettext_lazy("console apps", "Every active user may use it (unless denied)"), required=False
    )

    use_oauth = forms.BooleanField(label=pgettext_lazy("console apps", "OAuth 2.0 / OpenID Connect"), required=False)
    oauth_client_type = forms.ChoiceField(
        label=pgettext_lazy("console apps", "Client type"), choices=CLIENT_TYPES, initial="confidential", required=False
    )
    oauth_grant_types = forms.MultipleChoiceField(
        label=pgettext_lazy("console apps", "Grant types"),
        choices=GRANT_CHOICES,
        required=False,
        initial=["authorization_code", "refresh_token"],
        widget=forms.CheckboxSelectMultiple,
    )
    oauth_redirect_uris = UriLinesField(
        label=pgettext_lazy("console apps", "Redirect URIs (one per line)"), required=False
    )
    oauth_post_logout_redirect_uris = UriLinesField(
        label=pgettext_lazy("console apps", "Post-logout redirect URIs (one per line)"), required=False
    )
    oauth_skip_authorization = forms.BooleanField(
        label=pgettext_lazy("console apps", "Skip the consent screen (trusted app)"), required=False
    )
    oauth_algorithm = forms.ChoiceField(
        label=pgettext_lazy("console apps", "ID token algorithm"), choices=ALGORITHMS, initial="RS256", required=False
    )
    oauth_backchannel_logout_uri = forms.CharField(
        label=pgettext_lazy("console apps", "Back-channel logout URI"),
        max_length=1024,
        required=False,
        validators=[_HTTP_URL],
    )
    oauth_allow_implicit = forms.BooleanField(
        label=pgettext_lazy("console apps", "Also allow the implicit grant"), required=False
    )
    oauth_allowed_origins = UriLinesField(
        label=pgettext_lazy("console apps", "Origins of browser apps (CORS, one per line)"),
        required=False,
        help_text=pgettext_lazy("console apps", "For example https://spa.example.com: no path."),
    )

    use_ldap = forms.BooleanField(label=pgettext_lazy("console apps", "LDAP"), required=False)
    ldap_access_holders_only = forms.BooleanField(
        label=pgettext_lazy("console apps", "The app sees only users who may use it"), required=False
    )

    use_http = forms.BooleanField(
        label=pgettext_lazy("console apps", "HTTP (login API and token check)"), required=False
    )

    BASIC = ("name", "uid", "logo", "index", "remark", "allow_any_user")
    OAUTH = (
        "oauth_client_type",
        "oauth_grant_types",
        "oauth_redirect_uris",
        "oauth_post_logout_redirect_uris",
        "oauth_skip_authorization",
        "oauth_algorithm",
        "oauth_backchannel_logout_uri",
        "oauth_allow_implicit",
        "oauth_allowed_origins",
    )

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing = editing
        if editing:
            self.fields["uid"].disabled = True  # the uid is part of permission uids
            self.fields["uid"].help_text = pgettext_lazy("console apps", "The uid cannot change.")

    def fields_of(self, names) -> list:
        return [self[name] for name in names]

    def basic_fields(self):
        return self.fields_of(self.BASIC)

    def oauth_fields(self):
        return self.fields_of(self.OAUTH)

    def app_fields(self) -> dict:
        data = self.cleaned_data
        fields = {k: data[k] for k in ("name", "logo", "index", "remark", "allow_any_user")}
        if not self.editing:
            fields["uid"] = data["uid"] or None
        return fields

    def oauth_config(self) -> dict:
        data = self.cleaned_data
        config = {name.removeprefix("oauth_"): data[name] for name in self.OAUTH}
        config["client_type"] = config["client_type"] or "confidential"
        config["algorithm"] = config["algorithm"] or "RS256"
        return config

    def clean(self):
        data = super().clean()
        # Settings of a protocol left unticked are not used: their errors must not block the form.
        for prefix, switch in (("oauth_", "use_oauth"), ("ldap_", "use_ldap")):
            if not data.get(switch):
                for name in [n for n in self.errors if n.startswith(prefix)]:
                    del self.errors[name]
        return data

    def protocols(self, present: set[str]) -> dict:
        """The protocol sub-objects to send: the ticked ones, and ``None`` for the ones the app
        has but are no longer ticked (which removes them)."""
        data = self.cleaned_data
        wanted = {
            "oauth_app": self.oauth_config() if data["use_oauth"] else None,
            "ldap_app": {"access_holders_only": data["ldap_access_holders_only"]} if data["use_ldap"] else None,
            "http_app": {} if data["use_http"] else None,
        }
        return {key: value for key, value in wanted.items() if value is not None or key in present}


def initial_for(app, configs: dict) -> dict:
    """The edit form's values from the app and its protocol configs (never a secret)."""
    initial = {name: getattr(app, name) for name in ("name", "uid", "logo", "index", "remark", "allow_any_user")}
    oauth = configs.get("oauth_app")
    initial["use_oauth"] = oauth is not None
    for key, value in (oauth or {}).items():
        initial[f"oauth_{key}"] = value
    initial["use_ldap"] = "ldap_app" in configs
    initial["ldap_access_holders_only"] = bool((configs.get("ldap_app") or {}).get("access_holders_only"))
    initial["use_http"] = "http_app" in configs
    return initial


def errors_into_app_form(form: AppForm, exc: Exception) -> None:
    """The action's errors beside the fields they are about. The OAuth handler reports
    ``"key: message; key: message"`` under ``oauth_app``: split back onto ``oauth_<key>``."""
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for field, messages in exc.message_dict.items():
            prefix = {"oauth_app": "oauth_", "ldap_app": "ldap_"}.get(field)
            for message in messages:
                target, text = None, message
                if prefix:
                    key, sep, rest = message.partition(": ")
                    if sep and f"{prefix}{key}" in form.fields:
                        target, text = f"{prefix}{key}", rest
                    else:
                        target = {"oauth_": "use_oauth", "ldap_": "use_ldap"}[prefix]
                elif field in form.fields:
                    target = field
                form.add_error(target, text)
        return
    errors_into_form(form, exc)


class PermissionForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("console apps", "Name"), max_length=255)
    action = forms.CharField(
        label=pgettext_lazy("console apps", "ID"),
        max_length=64,
        required=False,
        help_text=pgettext_lazy("console apps", "Lower-case letters and digits; made from the name when empty."),
    )


class RenamePermissionForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("console apps", "Name"), max_length=255)


OWNERS_MAX = 500  # per submission: a bulk change, not a way to push the whole directory at once
STATUS_CHOICES = (
    ("1", pgettext_lazy("console apps", "Grant (white list)")),
    ("-1", pgettext_lazy("console apps", "Deny (black list)")),
    ("0", pgettext_lazy("console apps", "Remove (inherit)")),
)


class OwnersForm(forms.Form):
    """Bulk-set one status for the picked users and groups (the API's ``owner`` PATCH)."""

    status = forms.TypedChoiceField(
        label=pgettext_lazy("console apps", "Status"),
        choices=STATUS_CHOICES,
        coerce=int,
        initial="1",
        widget=forms.RadioSelect,
    )
    users = forms.MultipleChoiceField(required=False)  # choices are whatever the picker sent
    groups = forms.MultipleChoiceField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The choices are whatever the async picker offered; scope is checked by the view.
        for name in ("users", "groups"):
            self.fields[name].valid_value = lambda value: isinstance(value, str) and 0 < len(value) <= 200

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if not data.get("users") and not data.get("groups"):
            raise ValidationError(pgettext_lazy("console apps", "Pick at least one user or group."))
        if len(data.get("users", [])) + len(data.get("groups", [])) > OWNERS_MAX:
            raise ValidationError(
                pgettext_lazy("console apps", "At most %(n)d users and groups at a time.") % {"n": OWNERS_MAX}
            )
        return data
