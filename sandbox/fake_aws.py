"""FakeAws: the AWS calls moto 5.2 cannot do, over HTTP (aiohttp, in a daemon thread).

boto3 talks to it through `aws.service_endpoints` like to the real service (AWS JSON 1.1):

* CloudTrail `LookupEvents`: events seeded per account, real filtering on the lookup attribute
  and the time range, newest first, paged with NextToken.
* CloudWatch Logs Insights `StartQuery` / `GetQueryResults` / `StopQuery` over seeded Pino
  lines. The query is tokenised and evaluated, not pattern-matched: the grammar the bot emits
  (`fields`, `filter` with conditions joined by `and` / `or` (`and` binds tighter), `sort`,
  `limit`; a condition is `<field> like "substring"`, `<field> like /regex/` (Python `re`,
  so `(?i)` works as in the service), `<field> = "string"` or `<field> >=|>|<=|<|= <number>`
  (a number compares only with a numeric field)), anything else is a
  MalformedQueryException as the real service would answer. So hostile search text is
  checked end to end: a quote or a slash in it must match itself, not end the literal.
  Log groups belong to an account (`add_log_group(..., account=)`): a query names another
  account's group by ARN and sees it only through an OAM link to the caller's account that
  shares log groups (otherwise ResourceNotFoundException, as the group is not visible);
  `@log` is `account-id:group-name`, as the service shows it.
* CloudWatch `GetMetricData` for queries with a percentile statistic (`p99`, `p95.5` …, which
  moto answers with HTTP 500), over datapoints seeded with `add_metric_points`: CloudWatch's
  own arithmetic per period (nearest-rank percentiles, Average, Sum, Minimum, Maximum,
  SampleCount). Every other GetMetricData (and every other CloudWatch call) goes to moto.

Every other request is forwarded unchanged to `upstream` (moto), so a service that moto does
serve can be routed through here to get fault injection (`inject_fault`) for one account.
The caller's account is found from the SigV4 access key id (`bind_account`, or moto's
sts:GetCallerIdentity for that key when `upstream` is set).

    fake = FakeAws(upstream=moto_url)
    url = fake.start()
    fake.add_trail_event("222222222222", {"eventName": "AssumeRole", "errorCode": "AccessDenied"})
    fake.add_log_line("/rtb-ai-hub/workflow-engine", {"level": "error", "msg": "boom", ...})
    fake.add_metric_points("111111111111", "RTBHub/WebhookListener", "Latency",
                           {"Service": "webhook-listener"}, [(moment, 4210.0), ...])
    fake.inject_fault("LookupEvents", account="333333333333", error="AccessDeniedException")
    ...
    fake.stop()
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import math
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp import web

from sandbox.threaded_http import ThreadedHttpServer

log = logging.getLogger(__name__)

CLOUDTRAIL_PREFIX = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101."
LOGS_PREFIX = "Logs_20140328."
CLOUDWATCH_PREFIX = "GraniteServiceVersion20100801."  # CloudWatch over AWS JSON 1.0
JSON_11 = "application/x-amz-json-1.1"
JSON_10 = "application/x-amz-json-1.0"
_PERCENTILE = re.compile(r"^p(\d{1,2}(?:\.\d+)?|100)$")
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
_LOOKUP_KEYS = {
    "EventId": lambda e: [e["EventId"]],
    "EventName": lambda e: [e["EventName"]],
    "ReadOnly": lambda e: [e["ReadOnly"]],
    "Username": lambda e: [e.get("Username", "")],
    "EventSource": lambda e: [e["EventSource"]],
    "AccessKeyId": lambda e: [e.get("AccessKeyId", "")],
    "ResourceType": lambda e: [r.get("ResourceType", "") for r in e["Resources"]],
    "ResourceName": lambda e: [r.get("ResourceName", "") for r in e["Resources"]],
}
_HOP_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection"})
_MESSAGES = {
    "ThrottlingException": "Rate exceeded",
    "AccessDeniedException": "User is not authorized to perform this operation",
}


@dataclass(frozen=True)
class AwsCall:
    """One request as the fake received it."""

    service: str  # from the SigV4 credential scope: cloudtrail, logs, monitoring, …
    operation: str  # LookupEvents, StartQuery, … (from X-Amz-Target)
    access_key_id: str | None
    region: str | None
    account: str | None  # resolved from the access key id (None: unknown)
    body: dict[str, Any]
    at: float
    proxied: bool = False


@dataclass
class _Fault:
    operation: str  # "*" or an operation name
    account: str | None
    error: str | None
    status: int
    delay: float
    remaining: int | None

    def matches(self, operation: str, account: str | None) -> bool:
        wanted_op = self.operation in ("*", operation)
        return wanted_op and (self.account is None or self.account == account)


@dataclass
class _LogLine:
    timestamp_ms: int
    fields: dict[str, Any]
    raw: str


_GroupKey = tuple[str | None, str]  # (owner account, None: every account; group name)


@dataclass
class _Query:
    query_id: str
    groups: tuple[tuple[str, tuple[_GroupKey, ...]], ...]  # (@log, the stored groups)
    start_ms: int
    end_ms: int
    program: InsightsQuery
    running_polls: int
    status: str = "Running"


class AwsError(Exception):
    """Answered as HTTP `status` with `{"__type": code, "message": message}`."""

    def __init__(self, code: str, message: str, status: int = 400, **extra: Any) -> None:
        super().__init__(message)
        self.code, self.message, self.status, self.extra = code, message, status, extra

    def response(self) -> web.Response:
        body = {"__type": self.code, "message": self.message, **self.extra}
        return web.Response(status=self.status, text=json.dumps(body), content_type=JSON_11)


# -- Logs Insights: the subset of the query language the bot emits ---------------------------

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<regex>/(?:[^/\\\n]|\\.)*/)
      | (?P<number>\d+)
      | (?P<ident>[@A-Za-z_][\w.@]*)
      | (?P<punct>>=|<=|[|,=<>])
    )""",
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class Token:
    kind: str  # string | regex | number | ident | punct
    value: str  # a string token's value is unescaped; a regex's is the pattern between / /
    offset: int


def tokenize(query: str) -> list[Token]:
    """Tokens of `query`; an unclosed string or an unknown character is a compile error."""
    tokens: list[Token] = []
    position = 0
    while position < len(query):
        if query[position:].strip() == "":
            break
        match = _TOKEN.match(query, position)
        if match is None or match.lastgroup is None:
            offset = len(query) - len(query[position:].lstrip())
            raise _compile_error(f"unexpected character at {offset}", offset)
        text = match.group(match.lastgroup)
        value = _TOKEN_VALUE.get(match.lastgroup, lambda t: t)(text)
        tokens.append(Token(match.lastgroup, value, match.start(match.lastgroup)))
        position = match.end()
    return tokens


def _regex_pattern(literal: str) -> str:
    """`/a\\/b/` → `a\\/b`: the engine gets the escapes (`\\/` is a literal slash to it)."""
    pattern = literal[1:-1]
    try:
        re.compile(pattern)
    except re.error as exc:
        raise _compile_error(f"invalid regular expression: {exc}") from None
    return pattern


def _unquote(literal: str) -> str:
    return re.sub(r"\\(.)", r"\1", literal[1:-1], flags=re.DOTALL)


_TOKEN_VALUE: dict[str, Callable[[str], str]] = {"string": _unquote, "regex": _regex_pattern}


def _compile_error(message: str, offset: int = 0) -> AwsError:
    location = {"startCharOffset": offset, "endCharOffset": offset + 1}
    return AwsError(
        "MalformedQueryException",
        message,
        queryCompileError={"location": location, "message": message},
    )


_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "=": lambda a, b: a == b,
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
}


@dataclass(frozen=True)
class Condition:
    field: str
    operator: str  # like | = | >= | > | <= | <
    value: str
    kind: str = "string"  # the value's token: string | regex | number

    def holds(self, fields: Mapping[str, Any]) -> bool:
        if self.field not in fields or fields[self.field] is None:
            return False
        actual = fields[self.field]
        if self.kind == "number":
            number = _as_number(actual)
            return number is not None and _COMPARE[self.operator](number, float(self.value))
        if self.kind == "regex":
            return re.search(self.value, _as_text(actual)) is not None
        text = _as_text(actual)
        return self.value in text if self.operator == "like" else text == self.value


@dataclass(frozen=True)
class FilterCommand:
    """One `filter`: alternatives joined by `or`, each a conjunction joined by `and`."""

    alternatives: tuple[tuple[Condition, ...], ...]

    def holds(self, fields: Mapping[str, Any]) -> bool:
        return any(all(c.holds(fields) for c in conj) for conj in self.alternatives)


@dataclass(frozen=True)
class InsightsQuery:
    """A parsed query: each command as the fake understood it (tests inspect `commands`)."""

    commands: tuple[str, ...]  # command names in order: fields, filter, sort, limit
    fields: tuple[str, ...] = ()
    filters: tuple[FilterCommand, ...] = ()
    sort: tuple[str, bool] | None = None  # (field, descending)
    limit: int | None = None

    @classmethod
    def parse(cls, query: str) -> InsightsQuery:
        commands: list[list[Token]] = [[]]
        for token in tokenize(query):
            if token.kind == "punct" and token.value == "|":
                commands.append([])
            else:
                commands[-1].append(token)
        parsed: dict[str, Any] = {"commands": [], "filters": []}
        for tokens in commands:
            _parse_command(tokens, parsed)
        return cls(
            commands=tuple(parsed["commands"]),
            fields=tuple(parsed.get("fields", ())),
            filters=tuple(parsed["filters"]),
            sort=parsed.get("sort"),
            limit=parsed.get("limit"),
        )


def _parse_command(tokens: list[Token], parsed: dict[str, Any]) -> None:
    if not tokens or tokens[0].kind != "ident":
        offset = tokens[0].offset if tokens else 0
        raise _compile_error("expected a command", offset)
    name, args = tokens[0].value, tokens[1:]
    parsers = {
        "fields": _parse_fields,
        "filter": _parse_filter,
        "sort": _parse_sort,
        "limit": _parse_limit,
    }
    if name not in parsers:
        raise _compile_error(f"unsupported command {name!r} (fake)", tokens[0].offset)
    parsed["commands"].append(name)
    parsers[name](args, parsed, tokens[0].offset)


def _parse_fields(args: list[Token], parsed: dict[str, Any], offset: int) -> None:
    names = [t for i, t in enumerate(args) if i % 2 == 0]
    commas = [t for i, t in enumerate(args) if i % 2 == 1]
    if not names or any(t.kind != "ident" for t in names) or any(t.value != "," for t in commas):
        raise _compile_error("fields: expected field names separated by commas", offset)
    if len(args) % 2 == 0:
        raise _compile_error("fields: trailing comma", offset)
    parsed["fields"] = [*parsed.get("fields", ()), *(t.value for t in names)]


def _parse_filter(args: list[Token], parsed: dict[str, Any], offset: int) -> None:
    alternatives: list[tuple[Condition, ...]] = []
    conjunction: list[Condition] = []
    rest = list(args)
    while True:
        if not _is_condition(rest[:3]):
            raise _compile_error(
                'filter: expected <field> like|= "string", like /regex/ or >=|>|<=|<|= number '
                "[and|or ...]",
                rest[0].offset if rest else offset,
            )
        name, operator, value = rest[:3]
        conjunction.append(Condition(name.value, operator.value, value.value, value.kind))
        rest = rest[3:]
        if not rest:
            break
        joiner = (rest[0].kind, rest[0].value)
        if joiner not in (("ident", "and"), ("ident", "or")):
            raise _compile_error(
                "filter: expected 'and' or 'or' between conditions", rest[0].offset
            )
        if joiner[1] == "or":
            alternatives.append(tuple(conjunction))
            conjunction = []
        rest = rest[1:]
    alternatives.append(tuple(conjunction))
    parsed["filters"].append(FilterCommand(tuple(alternatives)))


def _is_condition(tokens: list[Token]) -> bool:
    if len(tokens) != 3:
        return False
    name, operator, value = tokens
    if name.kind != "ident":
        return False
    if (operator.kind, operator.value) == ("ident", "like"):
        return value.kind in ("string", "regex")
    if operator.kind != "punct" or operator.value not in _COMPARE:
        return False
    return value.kind == "number" or (operator.value == "=" and value.kind == "string")


def _parse_sort(args: list[Token], parsed: dict[str, Any], offset: int) -> None:
    if not 1 <= len(args) <= 2 or args[0].kind != "ident":
        raise _compile_error("sort: expected <field> [asc|desc]", offset)
    direction = args[1].value if len(args) == 2 else "asc"
    if direction not in ("asc", "desc"):
        raise _compile_error("sort: expected asc or desc", offset)
    parsed["sort"] = (args[0].value, direction == "desc")


def _parse_limit(args: list[Token], parsed: dict[str, Any], offset: int) -> None:
    if len(args) != 1 or args[0].kind != "number" or not 1 <= int(args[0].value) <= 10000:
        raise _compile_error("limit: expected a number from 1 to 10000", offset)
    parsed["limit"] = int(args[0].value)


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value) if isinstance(value, dict | list) else str(value)


def _insights_time(ms: int) -> str:
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{ms % 1000:03d}"


def _flatten(obj: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Insights names nested JSON fields with dots (`err.message`)."""
    flat: dict[str, Any] = {}
    for key, value in obj.items():
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def run_query(program: InsightsQuery, lines: list[tuple[str, _LogLine]]) -> list[dict[str, Any]]:
    """Evaluate a parsed query over (group, line) pairs; rows as {field: value}."""
    rows = []
    for group, line in lines:
        fields = {
            **_flatten(line.fields),
            "@timestamp": _insights_time(line.timestamp_ms),
            "@message": line.raw,
            "@log": group,  # account-id:group-name
            "_ms": line.timestamp_ms,
        }
        if all(command.holds(fields) for command in program.filters):
            rows.append(fields)
    if program.sort is not None:
        name, descending = program.sort
        key = "_ms" if name == "@timestamp" else name
        rows.sort(key=lambda r: (r.get(key) is not None, r.get(key, 0)), reverse=descending)
    return rows[: program.limit or 10000]


_SHARED_BY_DEFAULT = ("AWS::Logs::LogGroup", "AWS::CloudWatch::Metric")  # an OAM link


# -- the server ------------------------------------------------------------------------------


class FakeAws:
    def __init__(
        self,
        upstream: str | None = None,
        host: str = "127.0.0.1",
        *,
        oam_links: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        """`upstream`: moto's URL, for forwarding other calls and resolving access keys.
        `oam_links`: sink account → the source accounts linked to it (log groups and
        metrics shared), the state `reset()` returns to."""
        self._initial_oam_links = {k: tuple(v) for k, v in (oam_links or {}).items()}
        self.upstream = upstream.rstrip("/") if upstream else None
        self.host = host
        self.url = ""
        self.requests: list[AwsCall] = []
        self.query_polls = 0  # GetQueryResults answers "Running" this many times first
        self._lock = threading.RLock()
        self._accounts: dict[str, str] = {}
        self._trail: dict[str, list[dict[str, Any]]] = {}
        self._groups: dict[_GroupKey, list[_LogLine]] = {}
        self._queries: dict[str, _Query] = {}
        self._metrics: dict[_MetricKey, list[tuple[float, float]]] = {}
        self._faults: list[_Fault] = []
        self._oam_links: dict[str, dict[str, tuple[str, ...]]] = {}  # sink account → links
        self._restore_oam_links()
        self._ids = itertools.count(1)
        self._http: aiohttp.ClientSession | None = None
        self._server = ThreadedHttpServer(
            self._handle, name="fake-aws", host=host, on_shutdown=self._close_http
        )

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> str:
        self.url = self._server.start()
        return self.url

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> FakeAws:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _close_http(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    # -- seeding and inspection (called from the test thread) --------------------------------

    def reset(self) -> None:
        """Forget events, log lines, queries, faults, bindings and the request log."""
        with self._lock:
            self.requests.clear()
            self._accounts.clear()
            self._trail.clear()
            self._groups.clear()
            self._queries.clear()
            self._metrics.clear()
            self._faults.clear()
            self._restore_oam_links()
            self.query_polls = 0

    def bind_account(self, access_key_id: str, account: str) -> None:
        """Say which account an access key belongs to (otherwise asked of moto's STS)."""
        with self._lock:
            self._accounts[access_key_id] = account

    def add_trail_event(self, account: str, record: Mapping[str, Any]) -> str:
        """Store a CloudTrail record (the JSON of `CloudTrailEvent`) in `account`; its EventId.

        `eventName` is required; `eventTime` (ISO 8601 or datetime) defaults to now, and the
        usual record fields get defaults (eventSource sts.amazonaws.com, eventID, …).
        """
        record = dict(record)
        moment = _event_time(record.get("eventTime")).replace(microsecond=0)  # as CloudTrail
        record["eventTime"] = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        record.setdefault("eventVersion", "1.08")
        record.setdefault("eventSource", "sts.amazonaws.com")
        record.setdefault("eventType", "AwsApiCall")
        record.setdefault("eventID", str(uuid.uuid4()))
        record.setdefault("awsRegion", "ap-northeast-2")
        record.setdefault("recipientAccountId", account)
        record.setdefault("readOnly", False)
        with self._lock:
            self._trail.setdefault(account, []).append(_lookup_event(record, moment))
        return str(record["eventID"])

    def _restore_oam_links(self) -> None:
        self._oam_links = {
            sink: dict.fromkeys(sources, _SHARED_BY_DEFAULT)
            for sink, sources in self._initial_oam_links.items()
        }

    def add_oam_link(
        self,
        sink_account: str,
        source_account: str,
        resource_types: Sequence[str] = _SHARED_BY_DEFAULT,
    ) -> None:
        """A CloudWatch OAM link from `source_account` to the sink in `sink_account` (moto has
        no OAM): oam:ListSinks and oam:ListAttachedLinks answer from these."""
        with self._lock:
            self._oam_links.setdefault(sink_account, {})[source_account] = tuple(resource_types)

    def remove_oam_link(self, sink_account: str, source_account: str) -> None:
        with self._lock:
            self._oam_links.get(sink_account, {}).pop(source_account, None)

    def add_log_group(self, group: str, *, account: str | None = None) -> None:
        """Make a log group exist in `account` (None: in every account, for tests that do not
        care whose it is). StartQuery on a group that does not exist is ResourceNotFound."""
        with self._lock:
            self._groups.setdefault((account, group), [])

    def add_log_line(
        self,
        group: str,
        line: Mapping[str, Any] | str,
        *,
        timestamp: datetime | None = None,
        account: str | None = None,
    ) -> None:
        """One log event (a Pino JSON object, or its text) in `account`'s group (None: the
        group of every account). Its time: `timestamp`, else the line's `time` (epoch ms),
        else now."""
        text = line if isinstance(line, str) else json.dumps(line, ensure_ascii=False)
        fields = json.loads(text) if text.lstrip().startswith("{") else {}
        if timestamp is not None:
            ms = int(timestamp.timestamp() * 1000)
        elif isinstance(fields.get("time"), int | float):
            ms = int(fields["time"])
        else:
            ms = int(time.time() * 1000)
        with self._lock:
            self._groups.setdefault((account, group), []).append(_LogLine(ms, fields, text))

    def add_metric_points(
        self,
        account: str,
        namespace: str,
        metric: str,
        dimensions: Mapping[str, str],
        points: Iterable[tuple[datetime, float]],
    ) -> None:
        """Raw datapoints of one metric (exactly these dimensions) in `account`, for the
        GetMetricData percentile queries moto cannot answer."""
        key = _metric_key(account, namespace, metric, dimensions.items())
        stamped = [(moment.timestamp(), float(value)) for moment, value in points]
        with self._lock:
            self._metrics.setdefault(key, []).extend(stamped)

    def inject_fault(
        self,
        operation: str = "*",
        *,
        account: str | None = None,
        error: str | None = "ThrottlingException",
        status: int = 400,
        delay: float = 0.0,
        count: int | None = 1,
    ) -> None:
        """The next `count` matching calls (None: all) wait `delay` s, then answer `error`
        (None: answer normally). `operation` is e.g. LookupEvents, StartQuery, DescribeAlarms."""
        with self._lock:
            self._faults.append(_Fault(operation, account, error, status, delay, count))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def calls(self, operation: str) -> list[AwsCall]:
        with self._lock:
            return [c for c in self.requests if c.operation == operation]

    # -- HTTP ------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        try:
            return await self._respond(request)
        except AwsError as exc:
            return exc.response()
        except Exception:  # the fake must keep serving whatever a request does
            log.exception("fake AWS: %s %s failed", request.method, request.path)
            return AwsError("InternalFailure", "fake AWS internal error", 500).response()

    async def _respond(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        target = request.headers.get("X-Amz-Target", "")
        operation = target.rsplit(".", 1)[-1] if target else ""
        key, region, service = _credential(request.headers.get("Authorization", ""))
        account = await self._account(key)
        body = _json_body(raw)
        if service == "oam":  # REST-JSON: the operation is the path
            operation = request.path.strip("/")
        handler = self._oam_handler(operation) if service == "oam" else self._handler(target, body)
        with self._lock:
            self.requests.append(
                AwsCall(
                    service,
                    operation,
                    key,
                    region,
                    account,
                    body,
                    time.time(),
                    proxied=handler is None,
                )
            )
            fault = self._take_fault(operation, account)
        if fault is not None and fault.delay:
            await asyncio.sleep(fault.delay)
        if fault is not None and fault.error:
            raise AwsError(
                fault.error, _MESSAGES.get(fault.error, f"injected {fault.error}"), fault.status
            )
        if handler is None:
            return await self._forward(request, raw)
        with self._lock:
            answer = handler(body, account)
        if service == "oam":
            return web.json_response(answer)
        kind = JSON_10 if target.startswith(CLOUDWATCH_PREFIX) else JSON_11
        return web.Response(text=json.dumps(answer), content_type=kind)

    def _handler(self, target: str, body: dict[str, Any]) -> Any:
        """The fake's own answer to this call, or None: forward it to moto."""
        if target == CLOUDWATCH_PREFIX + "GetMetricData":
            return self._get_metric_data if _asks_percentile(body) else None
        handlers = {
            CLOUDTRAIL_PREFIX + "LookupEvents": self._lookup_events,
            LOGS_PREFIX + "StartQuery": self._start_query,
            LOGS_PREFIX + "GetQueryResults": self._get_query_results,
            LOGS_PREFIX + "StopQuery": self._stop_query,
        }
        return handlers.get(target)

    def _oam_handler(self, operation: str) -> Any:
        handlers = {"ListSinks": self._list_sinks, "ListAttachedLinks": self._list_attached_links}
        if operation not in handlers:
            raise AwsError("UnknownOperationException", f"the fake has no oam {operation}", 404)
        return handlers[operation]

    def _list_sinks(self, body: dict[str, Any], account: str | None) -> dict[str, Any]:
        if account is None or account not in self._oam_links:
            return {"Items": []}
        return {"Items": [{"Arn": _sink_arn(account), "Id": "fake-sink", "Name": "rtb-hub"}]}

    def _list_attached_links(self, body: dict[str, Any], account: str | None) -> dict[str, Any]:
        sink = body.get("SinkIdentifier")
        if account is None or sink != _sink_arn(account) or account not in self._oam_links:
            raise AwsError("ResourceNotFoundException", f"sink {sink} not found", 404)
        items = [
            {
                "Label": source,
                "LinkArn": f"arn:aws:oam:{REGION_OF_SINKS}:{source}:link/fake-{source}",
                "ResourceTypes": list(types),
            }
            for source, types in self._oam_links[account].items()
        ]
        return {"Items": items}

    def _take_fault(self, operation: str, account: str | None) -> _Fault | None:
        for fault in self._faults:
            if fault.matches(operation, account) and fault.remaining != 0:
                if fault.remaining is not None:
                    fault.remaining -= 1
                return fault
        return None

    async def _account(self, key: str | None) -> str | None:
        if key is None:
            return None
        with self._lock:
            if key in self._accounts:
                return self._accounts[key]
        account = await self._ask_sts(key) if self.upstream else None
        if account is not None:
            with self._lock:
                self._accounts[key] = account
        return account

    async def _ask_sts(self, key: str) -> str | None:
        """moto finds the account of an access key from the Authorization header alone."""
        auth = (
            f"AWS4-HMAC-SHA256 Credential={key}/20240101/us-east-1/sts/aws4_request, "
            "SignedHeaders=host, Signature=0"
        )
        headers = {"Authorization": auth, "Content-Type": "application/x-www-form-urlencoded"}
        for _ in range(3):  # moto's werkzeug server sometimes drops a connection under load
            try:
                async with self._client().post(
                    f"{self.upstream}/",
                    data="Action=GetCallerIdentity&Version=2011-06-15",
                    headers=headers,
                ) as response:
                    text = await response.text()
            except aiohttp.ClientError:
                continue
            match = re.search(r"<Account>(\d{12})</Account>", text)
            return match[1] if match else None
        return None

    async def _forward(self, request: web.Request, raw: bytes) -> web.Response:
        if self.upstream is None:
            raise AwsError("UnknownOperationException", "not served by the fake (no upstream)")
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_HEADERS}
        async with self._client().request(
            request.method, f"{self.upstream}{request.path_qs}", data=raw, headers=headers
        ) as response:
            body = await response.read()
            kept = {k: v for k, v in response.headers.items() if k.lower() not in _HOP_HEADERS}
            return web.Response(status=response.status, body=body, headers=kept)

    def _client(self) -> aiohttp.ClientSession:
        if self._http is None:
            # No keep-alive: werkzeug (moto) closes idle connections, aiohttp would reuse them.
            self._http = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(force_close=True),
                timeout=aiohttp.ClientTimeout(total=30),
            )
        return self._http

    # -- CloudTrail --------------------------------------------------------------------------

    def _lookup_events(self, body: dict[str, Any], account: str | None) -> dict[str, Any]:
        attributes = body.get("LookupAttributes") or []
        if len(attributes) > 1:
            raise AwsError("InvalidLookupAttributesException", "only one lookup attribute")
        start = body.get("StartTime", 0.0)
        end = body.get("EndTime", time.time())
        if start > end:
            raise AwsError("InvalidTimeRangeException", "StartTime is after EndTime")
        events = [e for e in self._trail.get(account or "", []) if start <= e["EventTime"] <= end]
        for attribute in attributes:
            values = _LOOKUP_KEYS.get(attribute.get("AttributeKey", ""))
            if values is None:
                raise AwsError("InvalidLookupAttributesException", "unknown attribute key")
            wanted = attribute.get("AttributeValue")
            events = [e for e in events if wanted in values(e)]
        events.sort(key=lambda e: e["EventTime"], reverse=True)
        offset = _offset(body.get("NextToken"), "InvalidNextTokenException")
        size = int(body.get("MaxResults") or 50)
        answer: dict[str, Any] = {"Events": events[offset : offset + size]}
        if offset + size < len(events):
            answer["NextToken"] = f"page-{offset + size}"
        return answer

    # -- Logs Insights -----------------------------------------------------------------------

    def _start_query(self, body: dict[str, Any], account: str | None) -> dict[str, Any]:
        groups = tuple(
            self._visible_group(owner, name, account) for owner, name in _query_groups(body)
        )
        if len(groups) > MAX_QUERY_GROUPS:
            raise AwsError("InvalidParameterException", f"at most {MAX_QUERY_GROUPS} log groups")
        program = InsightsQuery.parse(str(body.get("queryString", "")))
        query_id = f"{uuid.UUID(int=next(self._ids))}"
        self._queries[query_id] = _Query(
            query_id,
            groups,
            int(body["startTime"]) * 1000,
            int(body["endTime"]) * 1000 + 999,
            program,
            self.query_polls,
        )
        return {"queryId": query_id}

    def _get_query_results(self, body: dict[str, Any], account: str | None) -> dict[str, Any]:
        query = self._query(body)
        scanned = [
            (label, line)
            for label, keys in query.groups
            for key in keys
            for line in self._groups.get(key, [])
            if query.start_ms <= line.timestamp_ms <= query.end_ms
        ]
        if query.status == "Running" and query.running_polls > 0:
            query.running_polls -= 1
            rows: list[dict[str, Any]] = []
        else:
            query.status = "Complete" if query.status == "Running" else query.status
            rows = run_query(query.program, scanned)
        return {
            "results": [_result_row(query.program, row) for row in rows],
            "statistics": {
                "recordsMatched": float(len(rows)),
                "recordsScanned": float(len(scanned)),
                "bytesScanned": float(sum(len(line.raw) for _, line in scanned)),
            },
            "status": query.status,
        }

    def _stop_query(self, body: dict[str, Any], account: str | None) -> dict[str, Any]:
        query = self._query(body)
        stopped = query.status == "Running"
        query.status = "Cancelled" if stopped else query.status
        return {"success": stopped}

    def _visible_group(
        self, owner: str | None, name: str, caller: str | None
    ) -> tuple[str, tuple[_GroupKey, ...]]:
        """(@log, stored keys) of a group the caller may query: its own, or a linked source
        account's (OAM link sharing log groups into the caller's sink); else not found. The
        lines of a group seeded for every account (None) are in each account's group."""
        owner = owner or caller
        linked = self._oam_links.get(caller or "", {}).get(owner or "", ())
        visible = owner == caller or "AWS::Logs::LogGroup" in linked
        keys = tuple(k for k in ((owner, name), (None, name)) if k in self._groups)
        if not visible or not keys:
            raise AwsError("ResourceNotFoundException", f"Log group does not exist: {name}")
        return (f"{owner}:{name}" if owner else name), keys

    def _query(self, body: dict[str, Any]) -> _Query:
        query = self._queries.get(str(body.get("queryId")))
        if query is None:
            raise AwsError("ResourceNotFoundException", "Query does not exist")
        return query

    # -- CloudWatch GetMetricData (percentiles) ----------------------------------------------

    def _get_metric_data(self, body: dict[str, Any], account: str | None) -> dict[str, Any]:
        start, end = float(body.get("StartTime", 0)), float(body.get("EndTime", 0))
        if start >= end:
            raise AwsError(
                "InvalidParameterValue",
                "The parameter StartTime must be less than the parameter EndTime.",
            )
        descending = body.get("ScanBy", "TimestampDescending") == "TimestampDescending"
        results = []
        for query in body.get("MetricDataQueries") or []:
            if "MetricStat" not in query:
                raise AwsError(
                    "InvalidParameterValue", "metric math is not served by the fake (moto's job)"
                )
            if query.get("ReturnData", True):
                results.append(self._metric_result(query, account, start, end, descending))
        return {"MetricDataResults": results, "Messages": []}

    def _metric_result(
        self, query: dict[str, Any], account: str | None, start: float, end: float, desc: bool
    ) -> dict[str, Any]:
        stat, metric = query["MetricStat"], query["MetricStat"]["Metric"]
        dimensions = ((d["Name"], d["Value"]) for d in metric.get("Dimensions") or [])
        key = _metric_key(account or "", metric["Namespace"], metric["MetricName"], dimensions)
        period = int(stat["Period"])
        buckets: dict[int, list[float]] = {}
        for moment, value in self._metrics.get(key, []):
            if start <= moment < end:
                buckets.setdefault(int(moment // period * period), []).append(value)
        compute = _statistic(str(stat["Stat"]))
        stamps = sorted(buckets, reverse=desc)
        return {
            "Id": query["Id"],
            "Label": query.get("Label") or metric["MetricName"],
            "Timestamps": [float(stamp) for stamp in stamps],
            "Values": [compute(buckets[stamp]) for stamp in stamps],
            "StatusCode": "Complete",
        }


_MetricKey = tuple[str, str, str, frozenset[tuple[str, str]]]


def _metric_key(
    account: str, namespace: str, metric: str, dimensions: Iterable[tuple[str, str]]
) -> _MetricKey:
    return account, namespace, metric, frozenset(dimensions)


def _asks_percentile(body: dict[str, Any]) -> bool:
    queries = body.get("MetricDataQueries") or []
    stats = (str((q.get("MetricStat") or {}).get("Stat", "")) for q in queries)
    return any(_PERCENTILE.match(stat) for stat in stats)


_STATISTICS: dict[str, Callable[[Sequence[float]], float]] = {
    "Average": lambda v: sum(v) / len(v),
    "Sum": lambda v: float(sum(v)),
    "Minimum": lambda v: min(v),
    "Maximum": lambda v: max(v),
    "SampleCount": lambda v: float(len(v)),
}


def _statistic(stat: str) -> Callable[[Sequence[float]], float]:
    match = _PERCENTILE.match(stat)
    if match:
        return lambda values: percentile(values, float(match[1]))
    if stat not in _STATISTICS:
        raise AwsError("InvalidParameterValue", f"The statistic {stat} is not valid (fake).")
    return _STATISTICS[stat]


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile: the smallest value with at least p % of the values at or below."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


REGION_OF_SINKS = "ap-northeast-2"
MAX_QUERY_GROUPS = 50  # StartQuery's own limit


def _sink_arn(account: str) -> str:
    return f"arn:aws:oam:{REGION_OF_SINKS}:{account}:sink/fake-sink"


def _credential(authorization: str) -> tuple[str | None, str | None, str]:
    match = _CREDENTIAL.search(authorization)
    return (match[1], match[2], match[3]) if match else (None, None, "")


def _json_body(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _offset(token: Any, error: str) -> int:
    if token is None:
        return 0
    match = re.fullmatch(r"page-(\d+)", str(token))
    if match is None:
        raise AwsError(error, "invalid NextToken")
    return int(match[1])


def _event_time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    if isinstance(value, str):
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    return datetime.now(UTC)


def _lookup_event(record: dict[str, Any], moment: datetime) -> dict[str, Any]:
    """The LookupEvents shape of a CloudTrail record."""
    identity = record.get("userIdentity") or {}
    issuer = (identity.get("sessionContext") or {}).get("sessionIssuer") or {}
    username = identity.get("userName") or issuer.get("userName") or identity.get("principalId")
    event: dict[str, Any] = {
        "EventId": record["eventID"],
        "EventName": record["eventName"],
        "ReadOnly": "true" if record.get("readOnly") else "false",
        "EventTime": moment.timestamp(),
        "EventSource": record["eventSource"],
        "Resources": [
            {"ResourceType": r.get("type", ""), "ResourceName": r.get("ARN", "")}
            for r in record.get("resources") or []
        ],
        "CloudTrailEvent": json.dumps(record),
    }
    if identity.get("accessKeyId"):
        event["AccessKeyId"] = identity["accessKeyId"]
    if username:
        event["Username"] = username
    return event


def _query_groups(body: dict[str, Any]) -> list[tuple[str | None, str]]:
    """(account named, None: the caller's; group name) from logGroupName / logGroupNames /
    logGroupIdentifiers (names, or ARNs `arn:aws:logs:region:account:log-group:name`)."""
    given = [k for k in ("logGroupName", "logGroupNames", "logGroupIdentifiers") if body.get(k)]
    if len(given) != 1:
        raise AwsError("InvalidParameterException", "give exactly one way to name log groups")
    value = body[given[0]]
    names = [value] if isinstance(value, str) else list(value)
    return [_group_of(name) for name in names]


def _group_of(identifier: str) -> tuple[str | None, str]:
    if not identifier.startswith("arn:"):
        return None, identifier
    prefix, _, name = identifier.partition(":log-group:")
    fields = prefix.split(":")
    if not name or len(fields) != 5 or not fields[4].isdigit():
        raise AwsError("InvalidParameterException", f"not a log group ARN: {identifier}")
    return fields[4], name


def _result_row(program: InsightsQuery, row: dict[str, Any]) -> list[dict[str, str]]:
    """Insights leaves out fields a log event does not have, and adds @ptr."""
    names = program.fields or ("@timestamp", "@message")
    cells = [
        {"field": n, "value": _as_text(row[n])} for n in names if n in row and row[n] is not None
    ]
    cells.append({"field": "@ptr", "value": f"ptr-{row['_ms']}"})
    return cells
