"""An in-process Kubernetes API emulator for tests and local development.

``KubeEmulator`` (in ``kubeemu.server``) serves the Kubernetes REST API over real HTTP on
loopback so the console's gateway and the official ``kubernetes`` client can be exercised
without a cluster.
"""
