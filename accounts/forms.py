from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy


class SignupForm(forms.Form):
    """Extra signup field for allauth: the name other members see."""

    display_name = forms.CharField(label=_("Display name"), max_length=60, min_length=1)

    def clean_display_name(self) -> str:
        name = self.cleaned_data["display_name"].strip()
        if not name:
            raise forms.ValidationError(_("Choose a display name."))
        return name

    def signup(self, request, user) -> None:
        user.display_name = self.cleaned_data["display_name"]
        user.save(update_fields=["display_name"])


# Django 6.1 changed this validator message's msgid and its Dutch catalogue still has the old one;
# naming it here puts it in our catalogue (locale/nl), which takes precedence.
PASSWORD_TOO_SHORT = ngettext_lazy(
    "This password is too short. It must contain at least %d character.",
    "This password is too short. It must contain at least %d characters.",
    8,
)
