"""Runs the functions ``cdk deploy`` ships, each from its artifact, against the local stack.

A ``FunctionHost`` is one warm Lambda environment: a clean Python 3.12 (``-I -S``: no
site-packages, no current directory) whose ``sys.path`` is the function's code and layers
only, with the environment variables the template gives it (CloudFormation references
resolved to the local stack's names), the AWS SDK pointed at the emulators, and only its
own temporary directory to write in. ``LambdaApi`` answers the Lambda Invoke API
(``AWS_ENDPOINT_URL_LAMBDA``) by handing the payload to the named host, as the API's
synchronous calls to the text encoder and the jobs function need.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import threading
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from layers.artifacts import FunctionArtifact
from layers.build import REPO_ROOT

HOST_SCRIPT = REPO_ROOT / "layers" / "lambda_host.py"
ACCOUNT = "123456789012"


def lambda_python() -> str:
    """The interpreter under the project venv (3.12, the Lambda runtime's version)."""
    base = getattr(sys, "_base_executable", sys.executable)
    return str(Path(base).resolve())


@dataclass
class LocalNames:
    """What the template's references resolve to on the local stack."""

    region: str
    bucket: str
    secret_arn: str
    topic_arn: str = ""

    def refs(self, template: dict[str, Any]) -> dict[str, str]:
        refs = {
            "AWS::Region": self.region,
            "AWS::AccountId": ACCOUNT,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
        }
        for logical_id, resource in template["Resources"].items():
            props = resource.get("Properties", {})
            kind = resource["Type"]
            if kind == "AWS::S3::Bucket":
                refs[logical_id] = self.bucket
            elif kind in (
                "AWS::SecretsManager::SecretTargetAttachment",
                "AWS::SecretsManager::Secret",
            ):
                refs[logical_id] = self.secret_arn
            elif kind == "AWS::Lambda::Function" and isinstance(props.get("FunctionName"), str):
                refs[logical_id] = props["FunctionName"]
            elif kind == "AWS::Serverless::Function":
                refs[logical_id] = "api"
            elif kind == "AWS::SNS::Topic" and self.topic_arn:
                refs[logical_id] = self.topic_arn
        return refs


def resolve(value: Any, refs: dict[str, str]) -> str:
    """A CloudFormation value with the intrinsics Lambda environments use, resolved; any
    other reference fails loudly (a new one must be mapped to the local stack here)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((fn, arg),) = value.items()
        if fn == "Ref":
            if arg not in refs:
                raise KeyError(f"no local value for Ref {arg}")
            return refs[arg]
        if fn == "Fn::Join":
            separator, parts = arg
            return str(separator).join(resolve(p, refs) for p in parts)
        if fn == "Fn::GetAtt":
            key = ".".join(arg) if isinstance(arg, list) else str(arg)
            if key not in refs:
                raise KeyError(f"no local value for Fn::GetAtt {key}")
            return refs[key]
    raise ValueError(f"cannot resolve {value!r} for a local run")


class FunctionHost:
    """One function's warm environment; ``invoke`` sends an event and returns the result."""

    def __init__(
        self, artifact: FunctionArtifact, env: dict[str, str], tmp: Path, log: Path
    ) -> None:
        self.artifact = artifact
        self.tmp = tmp
        tmp.mkdir(parents=True, exist_ok=True)
        config = tmp / "host.json"
        config.write_text(
            json.dumps(
                {
                    "paths": list(artifact.paths),
                    "handler": artifact.handler,
                    "function_name": artifact.function_name,
                    "memory_mb": artifact.memory_mb,
                    "timeout_seconds": artifact.timeout_seconds,
                    "region": env.get("AWS_REGION", "us-east-1"),
                }
            )
        )
        self._log = log.open("ab")
        self._lock = threading.Lock()
        self.process = subprocess.Popen(
            [lambda_python(), "-I", "-S", str(HOST_SCRIPT), str(config)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env=env,
            cwd=artifact.paths[0],  # Lambda starts in the task root
            text=True,
        )
        self.ready = self._read()
        self.log_path = log

    def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.artifact.function_name} exited: {self.log_path_tail()}")
        return dict(json.loads(line))

    def log_path_tail(self, chars: int = 4000) -> str:
        self._log.flush()
        return Path(self._log.name).read_text(errors="replace")[-chars:]

    def invoke(self, event: dict[str, Any]) -> Any:
        """The handler's result; raises ``HandlerError`` when the handler raised."""
        if not self.ready.get("ready"):
            raise HandlerError(f"cold start failed:\n{self.ready.get('error')}")
        assert self.process.stdin is not None
        with self._lock:
            self.process.stdin.write(json.dumps(event) + "\n")
            self.process.stdin.flush()
            answer = self._read()
        if "error" in answer:
            raise HandlerError(f"{answer['type']}: {answer['error']}")
        return answer["result"]

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


class HandlerError(RuntimeError):
    pass


class LambdaApi:
    """The Lambda Invoke API (``POST /2015-03-31/functions/{name}/invocations``) over hosts."""

    def __init__(self, lookup: Callable[[str], FunctionHost | None]) -> None:
        self.lookup = lookup
        self.calls: list[tuple[str, str]] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                parts = self.path.split("?")[0].strip("/").split("/")
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if len(parts) != 4 or parts[1] != "functions" or parts[3] != "invocations":
                    self._reply(404, {"message": f"unknown path {self.path}"})
                    return
                name = parts[2].rsplit(":", 1)[-1]  # a name or an ARN
                invocation = self.headers.get("X-Amz-Invocation-Type", "RequestResponse")
                api.calls.append((name, invocation))
                host = api.lookup(name)
                if host is None:
                    self._reply(404, {"__type": "ResourceNotFoundException"})
                    return
                event = json.loads(body or b"{}")
                if invocation == "Event":
                    threading.Thread(target=host.invoke, args=(event,), daemon=True).start()
                    self._reply(202, None)
                    return
                try:
                    self._reply(200, host.invoke(event))
                except HandlerError as exc:
                    self._reply(
                        200,
                        {"errorMessage": str(exc), "errorType": "HandlerError"},
                        {"X-Amz-Function-Error": "Unhandled"},
                    )

            def _reply(self, status: int, payload: Any, headers: dict | None = None) -> None:
                data = b"" if payload is None else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def function_env(
    artifact: FunctionArtifact,
    refs: dict[str, str],
    *,
    moto: str,
    lambda_api: str,
    tmp: Path,
) -> dict[str, str]:
    """What the function's process sees: the template's variables, the image's ENV lines,
    Lambda's reserved variables, and the AWS SDK pointed at the emulators (by the SDK's own
    endpoint variables: the settings stay exactly as deployed)."""
    env = {k: resolve(v, refs) for k, v in artifact.environment.items()}
    env.update(artifact.image_environment)
    env.update(
        {
            "AWS_REGION": refs["AWS::Region"],
            "AWS_DEFAULT_REGION": refs["AWS::Region"],
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_ENDPOINT_URL": moto,
            "AWS_ENDPOINT_URL_LAMBDA": lambda_api,
            "AWS_LAMBDA_FUNCTION_NAME": artifact.function_name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(artifact.memory_mb),
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
            "LAMBDA_TASK_ROOT": artifact.paths[0],
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "TMPDIR": str(tmp),
            "HOME": str(tmp),
        }
    )
    return env


def snapshot(dirs: tuple[Path, ...]) -> dict[str, tuple[int, int]]:
    """(size, mtime) of every file under ``dirs``: the code must come out as it went in."""
    seen: dict[str, tuple[int, int]] = {}
    for top in dirs:
        for dirpath, _dirs, files in os.walk(top):
            for name in files:
                path = os.path.join(dirpath, name)
                info = os.lstat(path)
                seen[path] = (info.st_size, info.st_mtime_ns)
    return seen


class Gateway:
    """API Gateway's REST proxy integration in front of the API host: an HTTP request
    becomes the proxy event (matched against the template's route table), the handler's
    answer becomes the HTTP response. ``make smoke`` then runs over it as over AWS."""

    def __init__(self, host: FunctionHost, routes: dict[str, set[str]], stage: str) -> None:
        self.host = host
        self.stage = stage
        # Literal routes win over parameterized ones, as in API Gateway.
        self.routes = sorted(
            ((path, _route_regex(path), methods) for path, methods in routes.items()),
            key=lambda r: (r[0].count("{"), -len(r[0])),
        )
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, headers, data = gateway.handle(
                    self.command, self.path, dict(self.headers.items()), body
                )
                self.send_response(status)
                for key, value in headers:
                    if key.lower() not in ("content-length", "connection"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _any

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        path, _, query = raw_path.partition("?")
        found = self._match(path)
        if found is None or (method not in found[2] and "ANY" not in found[2]):
            return 403, [], b'{"message":"Missing Authentication Token"}'
        template, params, _methods = found
        event = proxy_event(method, template, path, params, query, headers, body)
        event["requestContext"]["stage"] = self.stage
        try:
            answer = self.host.invoke(event)
        except HandlerError:
            return 502, [], b'{"message": "Internal server error"}'
        out: list[tuple[str, str]] = []
        for key, values in (answer.get("multiValueHeaders") or {}).items():
            out += [(key, v) for v in values]
        for key, value in (answer.get("headers") or {}).items():
            out.append((key, value))
        data = answer.get("body") or ""
        raw = base64.b64decode(data) if answer.get("isBase64Encoded") else data.encode()
        return int(answer["statusCode"]), out, raw

    def _match(self, path: str) -> tuple[str, dict[str, str], set[str]] | None:
        for template, regex, methods in self.routes:
            match = regex.fullmatch(path)
            if match:
                return template, match.groupdict(), methods
        return None

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _route_regex(template: str) -> re.Pattern[str]:
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
    return re.compile(pattern)


def proxy_event(
    method: str,
    resource: str,
    path: str,
    params: dict[str, str],
    query: str,
    headers: dict[str, str],
    body: bytes,
) -> dict[str, Any]:
    """API Gateway's REST proxy event (version 1.0)."""
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
    multi: dict[str, list[str]] = {}
    for key, value in pairs:
        multi.setdefault(key, []).append(value)
    try:
        text, encoded = body.decode(), False
    except UnicodeDecodeError:
        text, encoded = base64.b64encode(body).decode(), True
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers or None,
        "multiValueHeaders": {k: [v] for k, v in headers.items()} or None,
        "queryStringParameters": {k: v[-1] for k, v in multi.items()} or None,
        "multiValueQueryStringParameters": multi or None,
        "pathParameters": {k: urllib.parse.unquote(v) for k, v in params.items()} or None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "path": path,
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": "127.0.0.1", "userAgent": headers.get("User-Agent", "")},
            "accountId": ACCOUNT,
        },
        "body": text if body else None,
        "isBase64Encoded": encoded,
    }


def api_routes(template: dict[str, Any]) -> dict[str, set[str]]:
    """{path template: methods} of the REST API's OpenAPI body in the template."""
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Api":
            paths = resource["Properties"]["DefinitionBody"]["paths"]
            return {
                path: {m.upper().replace("X-AMAZON-APIGATEWAY-ANY-METHOD", "ANY") for m in ops}
                for path, ops in paths.items()
            }
    raise LookupError("no AWS::Serverless::Api in the template")
