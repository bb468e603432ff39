from django import forms


class DomainForm(forms.Form):
    name = forms.CharField(
        label="Domain",
        max_length=253,
        help_text="A domain your team controls, e.g. shop.example.com. Its subdomains come with it.",
    )
