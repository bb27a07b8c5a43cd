"""The FastAPI application (work in progress: routes are added by api/routes/*)."""

from __future__ import annotations

from fastapi import FastAPI

app = FastAPI(title="Policy documents open-data API")


@app.get("/healthz", include_in_schema=False)
def healthz() -> dict[str, str]:
    return {"status": "ok"}
