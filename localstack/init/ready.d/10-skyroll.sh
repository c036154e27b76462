#!/bin/bash
# LocalStack init hook (runs inside the container once LocalStack is ready). The repo is
# mounted at /skyroll by docker-compose.yml; the bootstrap needs pydantic-settings next to
# LocalStack's own boto3.
set -euo pipefail
cd /skyroll
python3 -c "import pydantic_settings" 2>/dev/null || pip install --quiet pydantic-settings==2.16.3
SKYROLL_AWS_ENDPOINT_URL=http://localhost:4566 PYTHONPATH=/skyroll python3 /skyroll/localstack/bootstrap.py
