#!/usr/bin/env bash
# Starts a whole Kiln cluster on this machine: etcd, S3Proxy and one JVM per component, each from
# its own jar, configured by deploy/local/cluster.yaml:
#   query-frontend     http://127.0.0.1:4040  (UI, Grafana data source, query API)
#   distributor-1/-2   http://127.0.0.1:4041, :4042  (push here: /ingest, push.v1, OTLP/HTTP)
#   ingester-1..3, store-gateway-1..2, querier-1..2, compactor  on 4043..4050
#   ring pages         http://127.0.0.1:4041/ring, :4046/store-gateway/ring, :4050/compactor/ring
# Internal gRPC ports are 9095.. in the same order. State and logs go to .kiln-data/cluster.
# Needs etcd (Debian: apt-get install etcd-server) and a JDK >= 21. Ctrl-C stops everything;
# ingesters leave their ring and flush on the way out.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
state=${KILN_CLUSTER_DIR:-$root/.kiln-data/cluster}
mkdir -p "$state/logs" "$state/s3/profiles"
JAVA_HOME=$(bin/java-home); export JAVA_HOME
java="$JAVA_HOME/bin/java"

if [[ ! -f ingester/target/kiln-ingester.jar || ! -f server/target/kiln-server.jar ]]; then
  bin/mvn -q package -DskipTests
fi
etcd_bin=$(command -v etcd || echo /usr/bin/etcd)
[[ -x "$etcd_bin" ]] || { echo "run-cluster: etcd not found (apt-get install etcd-server)" >&2; exit 1; }
if [[ ! -f "$state/s3proxy.classpath" ]]; then
  bin/mvn -q dependency:build-classpath -pl server -Dmdep.includeScope=test -Dmdep.outputFile="$state/s3proxy.classpath"
fi

pids=()
cleanup() {
  # Components first (SIGTERM: graceful), then the stores they need while stopping.
  for ((i=${#pids[@]}-1; i>=0; i--)); do kill "${pids[i]}" 2>/dev/null || true; wait "${pids[i]}" 2>/dev/null || true; done
}
trap cleanup EXIT INT TERM

"$etcd_bin" --data-dir "$state/etcd" --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
  --listen-peer-urls http://127.0.0.1:2380 >"$state/logs/etcd.log" 2>&1 &
pids+=($!)
cat >"$state/s3proxy.conf" <<CONF
s3proxy.endpoint=http://127.0.0.1:9000
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=kiln-access
s3proxy.credential=kiln-secret
jclouds.provider=filesystem-nio2
jclouds.filesystem.basedir=$state/s3
CONF
"$java" -cp "$(cat "$state/s3proxy.classpath")" -Dlogback.configurationFile="$root/common/src/main/resources/logback.xml" \
  org.gaul.s3proxy.Main --properties "$state/s3proxy.conf" >"$state/logs/s3proxy.log" 2>&1 &
pids+=($!)

http=4040
grpc=9095
start() { # name module flags...
  local name=$1 module=$2; shift 2
  "$java" -Xmx512m -jar "$module/target/kiln-$module.jar" -config.file=deploy/local/cluster.yaml \
    -server.http-listen-port=$http -server.grpc-listen-port=$grpc "$@" >"$state/logs/$name.log" 2>&1 &
  pids+=($!)
  echo "$name: http://127.0.0.1:$http (gRPC $grpc, log $state/logs/$name.log)"
  http=$((http + 1)); grpc=$((grpc + 1))
}
await_ready() { # port
  for _ in $(seq 1 600); do
    curl -fs "http://127.0.0.1:$1/ready" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "run-cluster: the process on port $1 did not become ready; see $state/logs" >&2
  exit 1
}

# Queriers must be known to the frontend, so they are placed first in the port plan.
start query-frontend query-frontend "-frontend.querier-addresses=127.0.0.1:9103,127.0.0.1:9104"
start distributor-1 distributor
start distributor-2 distributor
for i in 1 2 3; do start "ingester-$i" ingester "-ingester.lifecycler.id=ingester-$i" "-pyroscopedb.data-path=$state/ingester-$i"; done
for i in 1 2; do start "store-gateway-$i" store-gateway "-store-gateway.sharding-ring.instance-id=store-gateway-$i"; done
start querier-1 querier
start querier-2 querier
start compactor compactor "-compactor.sharding-ring.instance-id=compactor-1" "-compactor.data-dir=$state/compactor"
for port in $(seq 4040 $((http - 1))); do await_ready "$port"; done
echo "Kiln cluster ready: UI http://127.0.0.1:4040, push to http://127.0.0.1:4041. Ctrl-C stops it."
wait
