import json

import yaml
from rest_framework.renderers import BaseRenderer, JSONRenderer


class KubeconfigYAMLRenderer(BaseRenderer):
    """A kubeconfig as the file itself; anything else (errors) as YAML."""

    media_type = "application/yaml"
    format = "yaml"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if isinstance(data, dict) and "kubeconfig" in data:
            return data["kubeconfig"].encode()
        # Through JSON first: error details are str subclasses that PyYAML's safe dumper refuses.
        plain = json.loads(JSONRenderer().render(data) or b"null")
        return yaml.safe_dump(plain, sort_keys=False).encode()
