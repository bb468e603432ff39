"""A real Kubernetes control plane on loopback: etcd, kube-apiserver and kube-controller-manager.

Built from the Go modules pinned beside this package (``make cluster-bins``), started by
``LocalCluster`` with certificates of its own, and shared by the ``realcluster`` test tier
(``localcluster.testing``) and ``python manage.py localcluster`` (``make run CLUSTER=local``).
"""
