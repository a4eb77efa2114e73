"""The one exception the package raises. Kept free of Airflow imports so it can be loaded
before Airflow, and from the native module on any thread."""

from __future__ import annotations


class SsmSecretsError(Exception):
    """A lookup failed. ``kind`` is the WIT error case (``configuration``, ``credentials``,
    ``access-denied``, ``throttled``, ``service``, ``transport``, ``invalid-value``, or
    ``host`` when the host could not run the component); ``code`` is the AWS error code where
    there is one. The message never holds a secret."""

    def __init__(self, kind: str, message: str, code: str | None = None):
        super().__init__(message)
        self.kind = kind
        self.code = code
