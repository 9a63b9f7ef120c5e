"""Python client for the optbench API; results as pandas DataFrames.

from client import Client
c = Client()                       # embedded server and its local token by default
experiment = c.submit("examples/landscape-paper.yaml")
c.wait(experiment)
c.distribution_frame(experiment)
"""

from client.api import ApiError, Client

__all__ = ["ApiError", "Client"]
