"""Typed settings, read once from the environment (prefix-free names, as operators expect)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'var' / 'policy.sqlite3'}"


class Settings(BaseSettings):
    database_url: str = Field(DEFAULT_DATABASE_URL, description="Where the dataset lives (SQLite file by default).")


@cache
def get_settings() -> Settings:
    return Settings()
