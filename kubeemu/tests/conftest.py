from kubeemu.testing import (  # noqa: F401
    kube_admin_client,
    kube_client_for_token,
    kube_emulator,
    kube_emulator_server,
    kube_kubeconfig,
)
