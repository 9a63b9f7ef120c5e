"""A real S3-compatible server for the store's S3 path: moto's standalone server in a
thread of the test process, speaking the S3 protocol over HTTP on a loopback port."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import boto3
import pytest


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str
    options: dict

    def bucket(self, name: str) -> str:
        client = boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            region_name="us-east-1",
        )
        client.create_bucket(Bucket=name)
        return name


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    yield S3Server(endpoint, {"endpoint_url": endpoint, "key": "test", "secret": "test"})
    server.stop()
