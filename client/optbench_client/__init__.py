"""Python client for the optbench API: typed answers, and DataFrames whose columns are
the API's own field names.

    from optbench_client import Client
    c = Client()                       # embedded server and its local token by default
    experiment = c.submit("examples/landscape-paper.yaml")
    c.wait(experiment)
    c.distribution_frame(experiment)

``AsyncClient`` has the same queries as coroutines. Installs without PyTorch
(``pip install ./client``); the ``optbench`` command needs the ``cli`` extra.
"""

from optbench_client.aio import AsyncClient
from optbench_client.client import Client
from optbench_client.errors import (
    ApiError,
    NotAnOptbenchServer,
    OptbenchError,
    ServerTooOld,
    ServerUnreachable,
    TokenRefused,
    UnexpectedAnswer,
    VersionMismatchWarning,
)
from optbench_client.transport import Retry
from optbench_client.version import __version__
from optbench_client.weights import DownloadedModel, read_safetensors

__all__ = [
    "ApiError",
    "AsyncClient",
    "Client",
    "DownloadedModel",
    "NotAnOptbenchServer",
    "OptbenchError",
    "Retry",
    "ServerTooOld",
    "ServerUnreachable",
    "TokenRefused",
    "UnexpectedAnswer",
    "VersionMismatchWarning",
    "__version__",
    "read_safetensors",
]
