"""Settings: the only module that reads the environment (pydantic-settings)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from platformdirs import user_data_dir
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_database_url() -> str:
    """SQLite in the user's data directory: the embedded default that needs no setup."""
    directory = Path(user_data_dir("opensource-check", appauthor=False))
    return f"sqlite:///{directory / 'opensource-check.db'}"


class Settings(BaseSettings):
    """Every setting, read from the environment (or a .env file) by its upper-case name."""

    # An empty value means unset, in the environment, a .env file and in code alike: compose
    # files pass `VAR: ${VAR:-}`, and "set but empty" must never switch a check off.
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True,
                                      env_ignore_empty=True)

    # Server
    port: int = Field(3000, ge=0, le=65535, description="HTTP port of `serve`.")
    host: str | None = Field(
        None, description="Interface `serve` binds to; default 0.0.0.0 (127.0.0.1 for "
                          "anonymous Teams).")
    metrics_port: int | None = Field(
        None, ge=0, le=65535, description="Serve /metrics on this port instead of PORT.")
    read_timeout_seconds: float = Field(
        10, gt=0, description="A request (or a new connection's first) must arrive within this.")
    max_connections: int = Field(
        500, gt=0, description="Open connections beyond this are closed at once.")
    max_turns_in_flight: int = Field(
        200, gt=0, description="Turns running at once; beyond it users are told to retry.")
    shutdown_grace_seconds: float = Field(
        25, gt=0, le=600, description="On SIGTERM, at most this long to finish requests and turns "
                                      "in flight; what still runs then is cancelled.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Log level.")
    log_format: Literal["json", "console"] = Field("console", description="Log format.")

    # State
    database_url: str = Field(
        default_factory=default_database_url,
        description="sqlite:///path or postgresql://...; default: SQLite in the user data dir.")
    redis_url: str | None = Field(
        None, description="redis://...: conversation state and idempotency keys in Redis.")
    conversation_ttl_days: float = Field(
        7, gt=0, description="Idle days after which an unfinished check expires.")
    idempotency_window_seconds: int = Field(
        3600, gt=0, description="How long event ids are remembered to drop retried deliveries.")
    history_retention_days: int = Field(
        730, gt=0, description="Days completed checks are kept in the history.")
    store_timeout_seconds: float = Field(
        5, gt=0, description="Connect and statement timeout of PostgreSQL and Redis.")
    encryption_key: SecretStr | None = Field(
        None, description="Fernet key(s), comma separated, newest first: encrypts Slack tokens.")

    # Company policy
    policy_file: Path | None = Field(
        None, description="The company policy YAML (see For the OSPO); none: no reviews.")

    # Slack
    slack_bot_token: SecretStr | None = Field(None, description="xoxb- token (one workspace).")
    slack_signing_secret: SecretStr | None = Field(None, description="Verifies Slack requests.")
    slack_app_token: SecretStr | None = Field(None, description="xapp- token: use Socket Mode.")
    slack_client_id: str | None = Field(None, description="OAuth client id (many workspaces).")
    slack_client_secret: SecretStr | None = Field(None, description="OAuth client secret.")
    slack_api_url: str = Field("https://slack.com/api/", description="Slack Web API base URL.")
    allowed_workspaces: str | None = Field(
        None, description="Comma-separated Slack team ids allowed to install and use the app; "
                          "empty: any.")

    # Microsoft Teams
    microsoft_app_id: str | None = Field(None, description="Bot registration app id.")
    microsoft_app_password: SecretStr | None = Field(None, description="Bot app secret.")
    microsoft_app_tenant_id: str | None = Field(None, description="Tenant of a single-tenant bot.")
    microsoft_app_type: Literal["MultiTenant", "SingleTenant", "UserAssignedMSI"] = Field(
        "MultiTenant", description="Bot Framework app type.")
    allowed_tenants: str | None = Field(
        None, description="Comma-separated Microsoft tenant ids allowed to use the bot; "
                          "empty: any.")
    teams_sdk: Literal["agents", "botbuilder"] = Field(
        "agents", description="Teams SDK: agents (Microsoft 365 Agents SDK) or botbuilder "
                              "(Bot Framework SDK 4.17.1, archived).")

    @model_validator(mode="before")
    @classmethod
    def _empty_means_unset(cls, values: Any) -> Any:
        if isinstance(values, dict):
            return {name: value for name, value in values.items()
                    if not (isinstance(value, str) and not value.strip())}
        return values

    @property
    def workspace_allow_list(self) -> frozenset[str]:
        """Slack team ids allowed; empty means every workspace."""
        return _id_set(self.allowed_workspaces)

    @property
    def tenant_allow_list(self) -> frozenset[str]:
        """Microsoft tenant ids allowed; empty means every tenant."""
        return _id_set(self.allowed_tenants)

    @property
    def slack_enabled(self) -> bool:
        """Any Slack setting given means the operator wants Slack."""
        return any((self.slack_bot_token, self.slack_signing_secret, self.slack_app_token,
                    self.slack_client_id))

    @property
    def teams_enabled(self) -> bool:
        """Teams runs when an app id is set (or when asked for explicitly by `serve --teams`)."""
        return self.microsoft_app_id is not None


def _id_set(text: str | None) -> frozenset[str]:
    return frozenset(part.strip() for part in (text or "").split(",") if part.strip())


def settings_table() -> str:
    """The README's configuration table, generated from this model (a test keeps it current)."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = "user data dir SQLite" if name == "database_url" else field.default
        shown = "" if default is None else f"`{default}`"
        rows.append(f"| `{name.upper()}` | {shown} | {field.description} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(settings_table())  # noqa: T201  (python -m bot.settings regenerates the README table)
