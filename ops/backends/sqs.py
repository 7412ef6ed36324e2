"""The alarm queue: SQS long-polling with boto3, in the blocking pool.

A receive waits up to `wait_seconds` (20: SQS's maximum, so an idle replica asks three times a
minute) in a thread of its own (`BlockingCalls.run_detached`: a replica told to stop does not
wait for the poll to end); its HTTP read timeout is that wait
plus a margin, not the backend timeout of ordinary calls (5 s), which a long poll would always
exceed. Each receive asks for `ApproximateReceiveCount`, so the caller can tell a message that
keeps coming back.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import boto3
import botocore.config

from ops.backends.aws import AwsSessions
from ops.backends.blocking import BlockingCalls
from ops.config import Config, EnvName

BACKEND = "SQS (alarms)"
CALL_MARGIN_SECONDS = 10.0  # past the long poll's wait: the answer's own transfer time
MAX_BATCH = 10  # SQS's maximum per receive


@dataclass(frozen=True)
class QueueMessage:
    message_id: str  # SQS's id of this message (not the SNS MessageId inside it)
    receipt_handle: str
    body: str
    receive_count: int  # ApproximateReceiveCount: 1 the first time


class AlarmQueue:
    def __init__(
        self,
        config: Config,
        aws: AwsSessions,
        blocking: BlockingCalls,
        *,
        max_attempts: int = 3,
    ) -> None:
        settings = config.incidents
        if settings.queue_url is None:
            raise ValueError("incidents.queue_url is not configured")  # internal: a deployer's
        self.queue_url = settings.queue_url
        self.dead_letter_queue_url = settings.dead_letter_queue_url
        self.wait_seconds = settings.wait_seconds
        self._env: EnvName = settings.queue_env
        self._config = config
        self._aws = aws
        self._blocking = blocking
        self._timeout = config.timeouts.backend_seconds
        self._botocore = botocore.config.Config(
            retries={"total_max_attempts": max_attempts, "mode": "standard"},
            connect_timeout=3,
            read_timeout=settings.wait_seconds + CALL_MARGIN_SECONDS,
        )
        self._client: tuple[Any, boto3.session.Session] | None = None
        self._lock = threading.Lock()

    def _sqs(self) -> Any:
        """The client for the current session (re-built when the assumed role is refreshed)."""
        session = self._aws.session(self._env)
        with self._lock:
            if self._client is None or self._client[1] is not session:
                client = session.client(
                    "sqs",
                    region_name=self._config.environments[self._env].region,
                    endpoint_url=self._config.aws.service_endpoints.get(
                        "sqs", self._config.aws.endpoint_url
                    ),
                    config=self._botocore,
                )
                self._client = (client, session)
            return self._client[0]

    async def receive(
        self, max_messages: int = MAX_BATCH, *, wait: int | None = None
    ) -> list[QueueMessage]:
        """Up to `max_messages`, waiting up to `wait` seconds (default: the configured wait)."""
        seconds = self.wait_seconds if wait is None else wait
        answer = await self._blocking.run_detached(
            BACKEND,
            seconds + CALL_MARGIN_SECONDS,
            lambda: self._sqs().receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=min(max_messages, MAX_BATCH),
                WaitTimeSeconds=seconds,
                MessageSystemAttributeNames=["ApproximateReceiveCount"],
            ),
            name="sqs-long-poll",
        )
        return [_message(m) for m in answer.get("Messages", [])]

    async def delete(self, message: QueueMessage) -> None:
        await self._blocking.run(
            BACKEND,
            self._timeout,
            lambda: self._sqs().delete_message(
                QueueUrl=self.queue_url, ReceiptHandle=message.receipt_handle
            ),
        )

    async def retry_after(self, message: QueueMessage, seconds: int) -> None:
        """Let the message come back after `seconds` (instead of the queue's timeout)."""
        await self._blocking.run(
            BACKEND,
            self._timeout,
            lambda: self._sqs().change_message_visibility(
                QueueUrl=self.queue_url,
                ReceiptHandle=message.receipt_handle,
                VisibilityTimeout=seconds,
            ),
        )

    async def move_to_dead_letters(self, message: QueueMessage) -> bool:
        """Send a copy to the dead-letter queue, then delete it here. False: no DLQ configured
        (the message stays, for the queue's own redrive policy)."""
        target = self.dead_letter_queue_url
        if target is None:
            return False
        await self._blocking.run(
            BACKEND,
            self._timeout,
            lambda: self._sqs().send_message(
                QueueUrl=target,
                MessageBody=message.body,
                MessageAttributes={
                    "rtb-original-message-id": {
                        "DataType": "String",
                        "StringValue": message.message_id,
                    }
                },
            ),
        )
        await self.delete(message)
        return True


def _message(raw: dict[str, Any]) -> QueueMessage:
    attributes = raw.get("Attributes") or {}
    return QueueMessage(
        message_id=str(raw["MessageId"]),
        receipt_handle=str(raw["ReceiptHandle"]),
        body=str(raw.get("Body", "")),
        receive_count=int(attributes.get("ApproximateReceiveCount", "1")),
    )
