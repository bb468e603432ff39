from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class KubeconfigRequestSerializer(serializers.Serializer):
    hours = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text=(
            _(
                "Token lifetime. At most the smallest maximum of the console and of the clusters your "
                "namespaces are on; longer is a 400 naming the limit."
            )
        ),
    )


class UnavailableClusterSerializer(serializers.Serializer):
    cluster = serializers.CharField()
    reason = serializers.CharField()
    namespaces = serializers.ListField(child=serializers.CharField())


class KubeconfigSerializer(serializers.Serializer):
    kubeconfig = serializers.CharField(source="text", help_text=_("The kubeconfig as YAML."))
    expires_at = serializers.DateTimeField(help_text=_("When its tokens stop working."))
    namespaces = serializers.ListField(child=serializers.CharField(), help_text=_("One context each."))
    hours = serializers.IntegerField(help_text=_("The tokens' lifetime."))
    max_hours = serializers.IntegerField(help_text=_("The longest lifetime you may ask for."))
    unavailable = UnavailableClusterSerializer(
        many=True,
        help_text=_("Clusters that could not issue a token now: their namespaces are not in the file."),
    )


class KubeconfigLimitSerializer(serializers.Serializer):
    max_hours = serializers.IntegerField(help_text=_("The longest token lifetime you may ask for."))
    default_hours = serializers.IntegerField(help_text=_("The lifetime when you do not ask."))
    cluster = serializers.CharField(
        allow_null=True, help_text=_("The cluster whose maximum applies; null: the console's maximum.")
    )


class RevocationSerializer(serializers.Serializer):
    revoked = serializers.ListField(
        child=serializers.CharField(), help_text=_("Clusters where tokens are revoked.")
    )
    failed = serializers.DictField(
        child=serializers.CharField(), help_text=_("Clusters that could not be reached, with the error.")
    )
