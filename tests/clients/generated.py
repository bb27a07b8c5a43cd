"""Python clients generated from a spec, as third-party developers make them, behind one small interface:
call an operation by its operationId, find the model class of a schema, parse a body with it."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from tests.clients.operations import Operation, class_key


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:4])}… exited with {done.returncode}:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}")


def _import(folder: Path, package: str) -> ModuleType:
    sys.path.insert(0, str(folder))
    try:
        return importlib.import_module(package)
    finally:
        sys.path.remove(str(folder))


def _model(models: ModuleType, schema_name: str) -> type:
    found = [c for name, c in vars(models).items() if inspect.isclass(c) and class_key(name) == class_key(schema_name)]
    assert found, f"no generated model class for the schema {schema_name}"
    return found[0]


class OpenapiPythonClient:
    """openapi-python-client: one module per operation under api/<tag>/, attrs models with from_dict."""

    name = "openapi-python-client"
    package = "opc_policy_client"
    needs: str | None = None  # a program outside Python it runs on

    @classmethod
    def generate(cls, spec: Path, folder: Path) -> OpenapiPythonClient:
        config = folder / "config.json"
        config.write_text(json.dumps({"post_hooks": []}))  # no formatter run: nothing to install, faster
        _run(
            [sys.executable, "-m", "openapi_python_client", "generate", "--path", str(spec), "--meta", "none"]
            + ["--output-path", str(folder / cls.package), "--config", str(config)]
        )
        return cls(_import(folder, cls.package))

    def __init__(self, package: ModuleType) -> None:
        self.package = package
        api = importlib.import_module(f"{package.__name__}.api")
        self.modules = {
            class_key(info.name.rsplit(".", 1)[-1]): importlib.import_module(info.name)
            for info in pkgutil.walk_packages(api.__path__, f"{api.__name__}.")
            if not info.ispkg
        }

    def call(self, base_url: str, operation: Operation, params: dict[str, str]) -> tuple[int, object, bytes]:
        """(status, parsed result, the body the client received)"""
        module = self.modules.get(class_key(operation.operation_id))
        assert module is not None, f"no generated module for {operation.operation_id}"
        client = self.package.Client(base_url=base_url, raise_on_unexpected_status=True, timeout=30)
        response = module.sync_detailed(client=client, **params)
        return int(response.status_code), response.parsed, response.content

    def model(self, schema_name: str) -> type:
        return _model(importlib.import_module(f"{self.package.__name__}.models"), schema_name)

    def parse(self, model: type, body: object) -> object:
        return model.from_dict(body)

    def as_json(self, parsed: object) -> object:
        return parsed.to_dict()

    def payload(self, parsed: object) -> object:
        """A file result's content: File wraps it in a stream."""
        return parsed.payload.read() if hasattr(parsed, "payload") else parsed


class OpenapiGenerator:
    """openapi-generator's `python` client (urllib3): one class per tag, a method per operation, pydantic models."""

    name = "openapi-generator"
    package = "og_policy_client"
    needs = "java"  # the wheel's jar, on Java 11 or newer

    @classmethod
    def generate(cls, spec: Path, folder: Path) -> OpenapiGenerator:
        _run(
            [sys.executable, "-c", "import sys; from openapi_generator_cli import cli; sys.exit(cli())"]
            + ["generate", "-i", str(spec), "-g", "python", "-o", str(folder), "--package-name", cls.package]
            + ["--global-property", "apiTests=false,modelTests=false,apiDocs=false,modelDocs=false"]
        )
        return cls(_import(folder, cls.package))

    def __init__(self, package: ModuleType) -> None:
        self.package = package

    def call(self, base_url: str, operation: Operation, params: dict[str, str]) -> tuple[int, object, bytes]:
        """(status, parsed result, the body the client received)"""
        client = self.package.ApiClient(self.package.Configuration(host=base_url))
        api = importlib.import_module(f"{self.package.__name__}.api")
        methods = {
            class_key(name.removesuffix("_with_http_info")): getattr(api_class(client), name)
            for api_name, api_class in vars(api).items()
            if api_name.endswith("Api") and inspect.isclass(api_class)
            for name in dir(api_class)
            if name.endswith("_with_http_info")
        }
        method = methods.get(class_key(operation.operation_id))
        assert method is not None, f"no generated method for {operation.operation_id} (have {sorted(methods)})"
        response = method(**params)
        return int(response.status_code), response.data, response.raw_data

    def model(self, schema_name: str) -> type:
        return _model(importlib.import_module(f"{self.package.__name__}.models"), schema_name)

    def parse(self, model: type, body: object) -> object:
        return model.from_json(json.dumps(body))

    def as_json(self, parsed: object) -> object:
        return json.loads(parsed.to_json())  # to_dict keeps dates as date objects

    def payload(self, parsed: object) -> object:
        return parsed


GENERATORS = {generator.name: generator for generator in (OpenapiPythonClient, OpenapiGenerator)}
