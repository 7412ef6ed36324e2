"""Per-env Kubernetes clients, called in the blocking pool with a timeout.

Three ways to reach a cluster, one per env (see ops.config.Environment):
- `eks_cluster`: describe_cluster (in the env's account, via AssumeRole) for endpoint and CA,
  plus a presigned-STS bearer token (the aws-iam-authenticator scheme) refreshed before expiry;
- `kube_context`: a kubeconfig context, for local development;
- `kube_server`: a plain URL without auth (the sandbox and the tests' fake API server).
Results come back as plain JSON-shaped dicts, so nothing above this module imports kubernetes.
"""

from __future__ import annotations

import base64
import tempfile
import threading
import time
from typing import Any

import kubernetes.client as k8s
import kubernetes.config
from botocore.signers import RequestSigner

from ops.backends.aws import BOT, Actor, AwsSessions
from ops.backends.blocking import LIBRARY_TIMEOUT_SLACK_SECONDS, BlockingCalls
from ops.backends.kube_routes import Api, Operation, Request, Route, request_for
from ops.config import Config, EnvName
from ops.errors import Problem, UserError

_TOKEN_LIFETIME_SECONDS = 14 * 60  # EKS accepts a token for 15 minutes; refresh before


def eks_token(sts: Any, session: Any, cluster: str, region: str) -> str:
    """A bearer token for EKS: a presigned sts:GetCallerIdentity URL naming the cluster."""
    signer = RequestSigner(
        sts.meta.service_model.service_id,
        region,
        "sts",
        "v4",
        session.get_credentials(),
        session.events,
    )
    request = {
        "method": "GET",
        "url": f"https://sts.{region}.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15",
        "body": {},
        "headers": {"x-k8s-aws-id": cluster},
        "context": {},
    }
    url = signer.generate_presigned_url(
        request, region_name=region, expires_in=60, operation_name=""
    )
    return "k8s-aws-v1." + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")


class Kube:
    """`await kube.call(env, "apps", "read_namespaced_deployment", name=..., namespace=...)`."""

    def __init__(
        self, config: Config, aws: AwsSessions, blocking: BlockingCalls, *, retries: int = 1
    ) -> None:
        self._config = config
        self._aws = aws
        self._blocking = blocking
        self._retries = retries
        self._clients: dict[tuple[str, Actor], k8s.ApiClient] = {}
        self._lock = threading.Lock()
        self._build_locks: dict[tuple[str, Actor], threading.Lock] = {}

    async def call(
        self,
        env: EnvName,
        api: Api,
        method: Operation,
        *,
        actor: Actor = BOT,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> Any:
        """The operation the generated client names `method` (ops.backends.kube_routes), sent
        through the env's `ApiClient`; the server's JSON (a str for a log)."""
        limit = timeout or self._config.timeouts.backend_seconds
        request = request_for(api, method, kwargs)
        return await self._blocking.run(
            f"kubernetes {env}", limit, self._send_blocking, env, request, actor, limit
        )

    async def get_json(
        self, env: EnvName, path: str, *, actor: Actor = BOT, timeout: float | None = None
    ) -> Any:
        """GET an API path (`/apis/apps/v1/namespaces/…`) as plain JSON (the sampler reads two
        objects every minute by path). Errors are the same ApiException as `call`'s."""
        limit = timeout or self._config.timeouts.backend_seconds
        request = Request(Route("GET", path), {}, [], None)
        return await self._blocking.run(
            f"kubernetes {env}", limit, self._send_blocking, env, request, actor, limit
        )

    def _send_blocking(self, env: EnvName, request: Request, actor: Actor, limit: float) -> Any:
        client = self.client(env, actor)
        route = request.route
        headers = {"Accept": route.accept}
        if route.content_type is not None:
            headers["Content-Type"] = route.content_type
        serialized = client.param_serialize(
            route.verb,
            route.path,
            path_params=request.path_params,
            query_params=request.query,
            header_params=headers,
            body=request.body,
            auth_settings=["BearerToken"],
        )
        response = client.call_api(
            *serialized, _request_timeout=limit + LIBRARY_TIMEOUT_SLACK_SECONDS
        )
        response.read()
        return client.response_deserialize(response, {"2XX": route.returns}).data

    def client(self, env: EnvName, actor: Actor = BOT) -> k8s.ApiClient:
        """The cached client for (env, actor); calls arriving together build it once (building
        an EKS client calls describe_cluster, so each env and actor has its own lock)."""
        key = (env, actor)
        with self._lock:
            cached = self._clients.get(key)
            build_lock = self._build_locks.setdefault(key, threading.Lock())
        if cached is not None:
            return cached
        with build_lock:
            with self._lock:
                cached = self._clients.get(key)
            if cached is None:
                cached = self._build(env, actor)
                with self._lock:
                    self._clients[key] = cached
        return cached

    def _build(self, env: EnvName, actor: Actor) -> k8s.ApiClient:
        settings = self._config.environments[env]
        if settings.kube_context:
            return kubernetes.config.new_client_from_config(context=settings.kube_context)
        configuration = k8s.Configuration()
        configuration.retries = self._retries
        if settings.kube_server:
            configuration.host = settings.kube_server
        elif settings.eks_cluster:
            self._configure_eks(configuration, env, settings.eks_cluster, actor)
        else:
            raise UserError(Problem.NO_CLUSTER, env=env)
        return k8s.ApiClient(configuration)

    def _configure_eks(self, configuration: Any, env: EnvName, cluster: str, actor: Actor) -> None:
        region = self._config.environments[env].region
        described = self._aws.client(env, "eks", actor).describe_cluster(name=cluster)["cluster"]
        configuration.host = described["endpoint"]
        with tempfile.NamedTemporaryFile("wb", suffix=".crt", delete=False) as ca_file:
            ca_file.write(base64.b64decode(described["certificateAuthority"]["data"]))
        configuration.ssl_ca_cert = ca_file.name
        issued = [0.0]

        def refresh(conf: Any) -> None:
            if time.time() - issued[0] > _TOKEN_LIFETIME_SECONDS:
                sts = self._aws.client(env, "sts", actor)
                token = eks_token(sts, self._aws.session(env, actor), cluster, region)
                conf.api_key = {"authorization": token}
                conf.api_key_prefix = {"authorization": "Bearer"}
                issued[0] = time.time()

        configuration.refresh_api_key_hook = refresh
        refresh(configuration)

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()
