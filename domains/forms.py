from django import forms
from django.utils.translation import gettext_lazy as _


class DomainForm(forms.Form):
    name = forms.CharField(
        label=_("Domain"),
        max_length=253,
        help_text=_("A domain your team controls, e.g. shop.example.com. Its subdomains come with it."),
    )
