"""A fake Kubernetes API server for tests and the local console sandbox."""

from sandbox.fake_kube.server import FakeKubeServer

__all__ = ["FakeKubeServer"]
