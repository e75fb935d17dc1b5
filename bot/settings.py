"""Settings: the only module that reads the environment (pydantic-settings)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from platformdirs import user_data_dir
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_database_url() -> str:
    """SQLite in the user's data directory: the embedded default that needs no setup."""
    directory = Path(user_data_dir("opensource-check", appauthor=False))
    return f"sqlite:///{directory / 'opensource-check.db'}"


class Settings(BaseSettings):
    """Every setting, read from the environment (or a .env file) by its upper-case name."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    # Server
    port: int = Field(3000, ge=0, le=65535, description="HTTP port of `serve`.")
    host: str = Field("0.0.0.0", description="Interface `serve` binds to.")  # noqa: S104
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
    encryption_key: SecretStr | None = Field(
        None, description="Fernet key(s), comma separated, newest first: encrypts Slack tokens.")

    # Slack
    slack_bot_token: SecretStr | None = Field(None, description="xoxb- token (one workspace).")
    slack_signing_secret: SecretStr | None = Field(None, description="Verifies Slack requests.")
    slack_app_token: SecretStr | None = Field(None, description="xapp- token: use Socket Mode.")
    slack_client_id: str | None = Field(None, description="OAuth client id (many workspaces).")
    slack_client_secret: SecretStr | None = Field(None, description="OAuth client secret.")
    slack_api_url: str = Field("https://slack.com/api/", description="Slack Web API base URL.")

    # Microsoft Teams
    microsoft_app_id: str | None = Field(None, description="Bot registration app id.")
    microsoft_app_password: SecretStr | None = Field(None, description="Bot app secret.")
    microsoft_app_tenant_id: str | None = Field(None, description="Tenant of a single-tenant bot.")
    microsoft_app_type: Literal["MultiTenant", "SingleTenant", "UserAssignedMSI"] = Field(
        "MultiTenant", description="Bot Framework app type.")

    @property
    def slack_enabled(self) -> bool:
        """Any Slack setting given means the operator wants Slack."""
        return any((self.slack_bot_token, self.slack_signing_secret, self.slack_app_token,
                    self.slack_client_id))

    @property
    def teams_enabled(self) -> bool:
        """Teams runs when an app id is set (or when asked for explicitly by `serve --teams`)."""
        return self.microsoft_app_id is not None


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
