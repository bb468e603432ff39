"""YAML for people to read: no anchors and aliases (``&id001``/``*id001``) where objects share a dict."""

from typing import Any

import yaml


class _PlainDumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump_plain(obj: Any) -> str:
    """``obj`` as block YAML in insertion order, each shared value written out in full."""
    return yaml.dump(obj, Dumper=_PlainDumper, sort_keys=False)
