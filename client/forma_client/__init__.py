"""Forma's Python client: datasets as pandas/Arrow, snapshots, the coach and its models.

>>> from forma_client import Forma
>>> forma = Forma.login("http://127.0.0.1:8000", "analyst@forma.example", "…")
>>> forma.frame("sets", since="2025-01-01").dtypes
"""

from forma_client.client import Forma
from forma_client.errors import FormaError

__all__ = ["Forma", "FormaError"]
