#!/usr/bin/env bash
# Starts Kiln in single-binary mode on this machine with deploy/local/kiln.yaml: UI and API on
# http://localhost:4040, OTLP gRPC on localhost:4317, state under .kiln-data/local. Extra
# arguments are passed on as flags (they win over the file), e.g.
#   deploy/local/run-local.sh -server.http-listen-port=4041
# A multi-process cluster (etcd, S3Proxy, one process per component): deploy/local/run-cluster.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
exec bin/kiln -config.file=deploy/local/kiln.yaml "$@"
