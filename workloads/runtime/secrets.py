"""Secrets, one interface: a job reads its environment's Key Vault-backed scope, the local toolchain environment
variables or an untracked `.env` (`retailflow.local.secrets`). A `Secret` never shows its value: not in a repr, a
log line, an error message or a format string; only `reveal()` gives it, at the call that needs it."""

from __future__ import annotations

from typing import Any, Protocol


class MissingSecret(KeyError):
    """A secret the configuration names is not where it should be (the message names the key, never a value)."""

    def __str__(self) -> str:
        return str(self.args[0])


class Secret:
    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret(***)"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __reduce__(self) -> str | tuple[Any, ...]:  # never pickled into a task's closure or a log record
        raise TypeError("a Secret is not serialisable")


class SecretStore(Protocol):
    def get(self, key: str) -> Secret: ...


class ScopeSecrets:
    """The Databricks secret scope of the environment (Key Vault-backed), read through `dbutils`."""

    def __init__(self, scope: str) -> None:
        self.scope = scope

    def get(self, key: str) -> Secret:
        from databricks.sdk.runtime import dbutils

        try:
            return Secret(dbutils.secrets.get(scope=self.scope, key=key))
        except Exception:
            raise MissingSecret(f"secret {key!r} is not readable in scope {self.scope!r}") from None
