"""TypeScript types generated from the committed spec with openapi-typescript compile under `tsc --strict`, and
every operation's 200 is reachable by its path, method and media type.

The tools are pinned in tests/clients/package.json and package-lock.json (`npm ci --prefix tests/clients`):
TypeScript stays on 5, as TypeScript 7 crashes openapi-typescript."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.clients.operations import SPEC_PATH, is_json, load_spec, operations

BIN = Path(__file__).resolve().parent / "node_modules" / ".bin"
TSC_OPTIONS = ["--noEmit", "--strict", "--target", "es2022", "--module", "esnext", "--moduleResolution", "bundler"]

# Hand-written uses a TypeScript developer makes; each @ts-expect-error fails the build if a type degrades to `any`.
USES = """
type Measure = paths["/v1/measures"]["get"]["responses"][200]["content"]["application/json"]["data"][number];
const title: Measure["title"] = "推動數字經濟發展";
export const text: string = title;
// @ts-expect-error a title is text
export const notText: Measure["title"] = 1;

type Unit = paths["/v1/units/{unit_id}"]["get"]["responses"][200]["content"]["application/json"];
export const unitKind = (unit: Unit): string => unit.kind;
export const measureCount = (unit: Unit): number => unit.measure_count;

type MeasureQuery = NonNullable<paths["/v1/measures"]["get"]["parameters"]["query"]>;
export const query: MeasureQuery = { unit: "科技局", limit: 3 };
// @ts-expect-error limit is a number
export const badQuery: MeasureQuery = { limit: "3" };
"""


def node_tools() -> Path:
    if not (BIN / "tsc").exists() or not (BIN / "openapi-typescript").exists():
        reason = "tests/clients/node_modules is missing: run `npm ci --prefix tests/clients`"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the TypeScript client test: {reason}")
        pytest.skip(reason)
    return BIN


# What each kind of 200 must be in TypeScript: tsc fails if a body's type is `unknown` or the wrong shape.
BODY_TYPES = {"model": "object", "text": "string"}


def every_operation() -> str:
    """One type per operation and 200 media type (tsc fails if the generated types lack any of them), and a
    function that uses the body as what it is: an object for JSON, a string for CSV and plain text."""
    spec, lines = load_spec(), []
    for operation in operations(spec):
        for media in spec["paths"][operation.path][operation.method]["responses"]["200"].get("content", {}):
            name = f"Ok{len(lines)}"
            lines.append(f'export type {name} = paths["{operation.path}"]["{operation.method}"]["responses"][200]["content"]["{media}"];')
            if operation.kind in BODY_TYPES and is_json(media) == (operation.kind == "model"):
                lines.append(f"export const use{name} = (body: {name}): {BODY_TYPES[operation.kind]} => body;")
    return "\n".join(lines)


def run(command: list[str], cwd: Path) -> None:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, f"{' '.join(command)} exited with {done.returncode}:\n{done.stdout[-6000:]}\n{done.stderr[-3000:]}"


def test_typescript_types_from_the_committed_spec_compile_strictly(tmp_path: Path):
    tools = node_tools()
    run([str(tools / "openapi-typescript"), str(SPEC_PATH), "-o", str(tmp_path / "api.d.ts")], tmp_path)
    usage = tmp_path / "usage.ts"
    usage.write_text(f'import type {{ paths }} from "./api";\n{USES}\n{every_operation()}\n', encoding="utf-8")
    run([str(tools / "tsc"), *TSC_OPTIONS, usage.name], tmp_path)
