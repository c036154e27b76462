"""Cold-start imports: every deployed function's handler imported from its artifact (what
`cdk deploy` ships, layers/artifacts.py) in a clean python3.12 -I -S, the way Lambda's
runtime loads it, next to a bare Chalice app as the floor.

    python bench/bench_cold_start.py [out.md]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from layers.artifacts import FunctionArtifact, build  # noqa: E402
from tests.artifacts.lane import FunctionHost, LocalNames, function_env  # noqa: E402

RUNS = 5
API_BUDGET_CPU_MS = 300.0
BARE_CHALICE = 'from chalice import Chalice\n\napp = Chalice(app_name="bare")\n'


def measure(artifact: FunctionArtifact, refs: dict[str, str], tmp: Path) -> dict[str, float]:
    wall, cpu, modules = [], [], 0
    for run in range(RUNS):
        scratch = tmp / f"{artifact.function_name}-{run}"
        env = function_env(artifact, refs, moto="http://127.0.0.1:9", lambda_api="", tmp=scratch)
        host = FunctionHost(artifact, env, scratch, tmp / f"{artifact.function_name}.log")
        ready = host.ready
        host.close()
        if not ready.get("ready"):
            raise RuntimeError(f"{artifact.function_name}: {ready.get('error')}")
        wall.append(ready["import_ms"])
        cpu.append(ready["import_cpu_ms"])
        modules = len(ready["modules"])
    return {
        "wall": statistics.median(wall),
        "cpu": statistics.median(cpu),
        "modules": modules,
    }


def bare_chalice(api: FunctionArtifact, tmp: Path) -> FunctionArtifact:
    """The API's own package (its vendored chalice runtime) under a one-route app."""
    code = tmp / "bare"
    code.mkdir()
    (code / "app.py").write_text(BARE_CHALICE)
    return FunctionArtifact(
        logical_id="Bare",
        function_name="bare-chalice",
        kind="api",
        handler="app.app",
        paths=(str(code), api.paths[0]),
        environment={},
        memory_mb=api.memory_mb,
        timeout_seconds=api.timeout_seconds,
    )


def main(out: str | None) -> int:
    artifacts = build()
    names = LocalNames(region="us-east-1", bucket="bench", secret_arn="arn:bench")
    refs = names.refs(artifacts.template)
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        tmp = Path(scratch)
        api = artifacts.functions["api"]
        baseline = measure(bare_chalice(api, tmp), refs, tmp)
        rows.append(("bare Chalice app (floor)", "api", baseline))
        for name in sorted(artifacts.functions):
            artifact = artifacts.functions[name]
            print(f"  {name} …", flush=True)
            rows.append((name, artifact.kind, measure(artifact, refs, tmp)))
    api_cpu = next(r[2]["cpu"] for r in rows if r[0] == "api")
    lines = [
        "## Cold start: handler imports from the deployed artifacts",
        "",
        f"Each handler imported {RUNS} times in a fresh `python3.12 -I -S` with only its code",
        "and layers (or its image's packages) on `sys.path` and the environment the template",
        "gives it (`make bench BENCH=cold_start`); medians. Layers, images and code",
        "assets ship unchecked-hash bytecode: Lambda cannot write a cache into its",
        "read-only task root, so anything shipped without one is compiled on every cold start.",
        "",
        "| function | kind | import CPU ms | import wall ms | modules |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for name, kind, r in rows:
        lines.append(f"| {name} | {kind} | {r['cpu']:.0f} | {r['wall']:.0f} | {r['modules']} |")
    verdict = "within" if api_cpu < API_BUDGET_CPU_MS else "OVER"
    lines += [
        "",
        f"The API's import: {api_cpu:.0f} ms of CPU, {verdict} the {API_BUDGET_CPU_MS:.0f} ms "
        f"budget ({api_cpu - baseline['cpu']:.0f} ms above a bare Chalice app).",
    ]
    text = "\n".join(lines) + "\n"
    if out:
        Path(out).write_text(text)
    print(text)
    return 0 if api_cpu < API_BUDGET_CPU_MS else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else None))
