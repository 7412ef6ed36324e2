"""A deployment's rollouts, in one place: its revisions (the ReplicaSets it owns, by revision
annotation), `rollout history`, `rollout status` and following it, `rollout undo`, `set image`,
and pausing KEDA while a change settles.

Every write carries the resourceVersion it read, so a concurrent change is a 409 retried on a
fresh read (ops.kube_writes); the caller decides whether it may (the approvals gate).
"""
