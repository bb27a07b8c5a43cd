"""Typed settings, read once from the environment. Every setting is documented in the README."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_PATH = PROJECT_ROOT / "var" / "policy.sqlite3"
DEFAULT_DATABASE_URL = f"sqlite:///{DEFAULT_DATABASE_PATH}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False)

    database_url: str = Field(DEFAULT_DATABASE_URL, description="Where the dataset lives; an SQLite file by default.")
    host: str = Field("127.0.0.1", description="Address `policy-api serve` listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port `policy-api serve` listens on.")
    workers: int = Field(1, ge=1, le=64, description="uvicorn worker processes.")
    log_level: str = Field("info", pattern="^(critical|error|warning|info|debug)$", description="Log level.")
    public_base_url: str = Field("", description="Prefix for links in responses, e.g. https://api.example.org; empty: root-relative links.")
    # Who compiles and publishes this deployment's dataset, as catalogs and the landing page name
    # them: whoever runs it, never the county government, which wrote the source document.
    publisher_name: str = Field(
        "Lianjiang policy documents open-data project (policy-api)",
        description="Publisher of the dataset in the catalog, the JSON-LD and the landing page: who runs this deployment.",
    )
    publisher_url: str = Field(
        "", description="The publisher's web page; empty: the deployment's own landing page (PUBLIC_BASE_URL, or the local default)."
    )
    contact_email: str = Field("", description="Contact point for the dataset (DCAT contactPoint); empty: the publisher's page only.")
    exports_dir: str = Field(
        "", description="Folder of the open-data dumps; empty: `exports/` beside the SQLite database, or var/exports for other databases."
    )
    response_cache_entries: int = Field(1024, ge=0, description="Finished responses kept in memory per worker; 0 turns the cache off.")
    response_cache_mib: float = Field(
        8, gt=0, description="Upper bound on the response cache per worker, in MiB: bodies, headers and keys."
    )
    memo_mib: int = Field(
        16,
        ge=1,
        description="Upper bound on the database memo per worker (the JSON of measures, units and chapters, filter results, facet counts), keys included, in MiB.",
    )
    reload_interval: float = Field(2.0, gt=0, le=5, description="Seconds between checks for a rebuilt database or new dumps.")
    max_in_flight: int = Field(
        64,
        ge=1,
        description="Requests the app works on at once per worker (answers from the cache aside); more get 503 with Retry-After. /healthz is never shed.",
    )
    cors_origins: str = Field("*", description="Comma-separated origins allowed to read the API from a browser; * for all.")
    # Limits on what a request may cost before the app sees it, enforced by api/protocol.py.
    max_request_line_bytes: int = Field(
        8192, ge=256, le=1 << 20, description="Longest request target (path and query string) read, in bytes; a longer one gets 414."
    )
    max_header_bytes: int = Field(
        65536,
        ge=1024,
        le=16 << 20,
        description="Largest request head (request line and headers together) read, in bytes; a larger one gets 431.",
    )
    request_timeout: float = Field(
        10,
        gt=0,
        le=20,
        description="Seconds a client has to send a request's line and headers, counted from its first byte, or from connecting; "
        "then the connection is closed (with a 408 when no response is being sent on it).",
    )
    keep_alive_timeout: int = Field(5, ge=1, le=300, description="Seconds an idle connection is kept open between requests (uvicorn's).")

    @model_validator(mode="after")
    def _line_within_head(self) -> Settings:
        # The request line is part of the head: a line cap at or above the head cap could never be reached.
        if self.max_request_line_bytes >= self.max_header_bytes:
            raise ValueError("MAX_REQUEST_LINE_BYTES must be smaller than MAX_HEADER_BYTES")
        return self


# The settings that tune how the server runs, and never what a body says: where the data is read
# from (its dataset version names it), limits, sizes, intervals, logging, CORS (a header, not the
# body). The ETags are made from every other setting (api/snapshot.py), so a setting added later
# counts there unless it is listed here.
SERVER_ONLY = frozenset(
    {
        "database_url",
        "exports_dir",
        "host",
        "workers",
        "log_level",
        "response_cache_entries",
        "response_cache_mib",
        "memo_mib",
        "reload_interval",
        "max_in_flight",
        "cors_origins",
        "max_request_line_bytes",
        "max_header_bytes",
        "request_timeout",
        "keep_alive_timeout",
    }
)


def absolute_base(settings: Settings) -> str:
    """The base of the absolute URLs that catalogs and crawlers need (the DCAT catalog, the JSON-LD,
    the sitemap): PUBLIC_BASE_URL, else the local server's own address. Never the request's Host:
    a cached answer must not carry whatever host a client sent."""
    return settings.public_base_url or f"http://127.0.0.1:{settings.port}"


def exports_path(settings: Settings) -> Path:
    if settings.exports_dir:
        return Path(settings.exports_dir)
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database:
        return Path(url.database).parent / "exports"
    return PROJECT_ROOT / "var" / "exports"


@cache
def get_settings() -> Settings:
    return Settings()
