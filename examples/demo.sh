#!/usr/bin/env bash
# `make demo`: a local landscape (garden + seed-a + seed-b) on the embedded defaults, the examples
# applied with kubectl, the shoot filled with data and migrated from seed-a to seed-b with the seed
# document's trigger command, verbatim; progress shown while it runs, the data and the kubeconfig
# issued before the migration checked afterwards. Exits non-zero when anything is off.
set -euo pipefail
cd "$(dirname "$0")/.."

DIR=${DEMO_DIR:-$(mktemp -d /tmp/transplant-demo.XXXXXX)}
mkdir -p "$DIR"
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "transplant up: the garden and seeds seed-a, seed-b (state in $DIR)"
node dist/src/cli/main.js up --dir "$DIR" --seeds seed-a,seed-b --detach --log-level warn
trap 'node dist/src/cli/main.js down --dir "$DIR" >/dev/null 2>&1 || true' EXIT
export KUBECONFIG="$DIR/garden.kubeconfig"

step "kubectl apply -f examples/"
kubectl apply -f examples/

kubectl get seeds

step "waiting for garden-dev/my-shoot: its control plane (etcd + kube-apiserver) comes up on seed-a"
for _ in $(seq 1 240); do
  kubectl get shoot -n garden-dev my-shoot -o jsonpath='{.status.lastOperation.type} {.status.lastOperation.state} {.status.lastOperation.progress}% {.status.lastOperation.description}{"\n"}' | tail -1
  state=$(kubectl get shoot -n garden-dev my-shoot -o jsonpath='{.status.lastOperation.type}/{.status.lastOperation.state}')
  [ "$state" = "Create/Succeeded" ] && break
  sleep 0.5
done
[ "$state" = "Create/Succeeded" ] || { echo "the shoot was not created in time" >&2; exit 1; }
kubectl get shoots -A
kubectl --kubeconfig "$DIR/seeds/seed-a.kubeconfig" get etcds,dnsrecords -A

step "an admin kubeconfig for the shoot (shoots/adminkubeconfig), used with kubectl"
kubectl create --raw /apis/core.gardener.cloud/v1beta1/namespaces/garden-dev/shoots/my-shoot/adminkubeconfig -f - <<<'{"apiVersion":"authentication.gardener.cloud/v1alpha1","kind":"AdminKubeconfigRequest","spec":{"expirationSeconds":3600}}' \
  | jq -r .status.kubeconfig | base64 -d >"$DIR/my-shoot.kubeconfig"
chmod 600 "$DIR/my-shoot.kubeconfig"
kubectl --kubeconfig "$DIR/my-shoot.kubeconfig" create configmap demo --from-literal=written-at="$(date -Iseconds)"
kubectl --kubeconfig "$DIR/my-shoot.kubeconfig" get configmaps,namespaces

step "filling the shoot with data: 1000 ConfigMaps in namespace demo-data"
SHOOT_KUBECONFIG="$DIR/my-shoot.kubeconfig"
kubectl --kubeconfig "$SHOOT_KUBECONFIG" create namespace demo-data
# One List object, created in one kubectl call (kubectl sends one POST per item).
for i in $(seq 1 1000); do
  printf '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm-%04d","namespace":"demo-data"},"data":{"index":"%d","payload":"value number %d, written before the migration"}}\n' "$i" "$i" "$i"
done | jq -s '{apiVersion: "v1", kind: "List", items: .}' >"$DIR/demo-data.json"
kubectl --kubeconfig "$SHOOT_KUBECONFIG" create -f "$DIR/demo-data.json" >/dev/null
# Every object with its resourceVersion and content, to compare after the migration.
snapshot_data() {
  kubectl --kubeconfig "$SHOOT_KUBECONFIG" get configmaps -n demo-data -o json \
    | jq -r '.items[] | "\(.metadata.name) \(.metadata.resourceVersion) \(.data.payload)"' | sort
}
snapshot_data >"$DIR/data-before.txt"
echo "$(wc -l <"$DIR/data-before.txt") ConfigMaps in demo-data"
# The shoot's machine: a node agent on the landscape's infrastructure, outside both seeds.
MACHINE_PID=$(pgrep -f -- "--machine-dir=$DIR/infrastructure/" | head -1)
kubectl --kubeconfig "$SHOOT_KUBECONFIG" get nodes
NODE=$(kubectl --kubeconfig "$SHOOT_KUBECONFIG" get nodes -o jsonpath='{.items[0].metadata.name}')
echo "its machine runs as pid $MACHINE_PID; the API server reaches it through the VPN tunnel to seed-a's vpn-seed-server:"
echo "  kubectl get --raw /api/v1/nodes/$NODE/proxy/healthz -> $(kubectl --kubeconfig "$SHOOT_KUBECONFIG" get --raw "/api/v1/nodes/$NODE/proxy/healthz")"

step "a Deployment, as on any cluster: kube-controller-manager, kube-scheduler and the node run its pods"
kubectl --kubeconfig "$SHOOT_KUBECONFIG" create deployment web --image=nginx --replicas=2
kubectl --kubeconfig "$SHOOT_KUBECONFIG" expose deployment web --port=80
kubectl --kubeconfig "$SHOOT_KUBECONFIG" rollout status deployment/web --timeout=120s
kubectl --kubeconfig "$SHOOT_KUBECONFIG" get pods -o wide
# Each pod's identity and state, and the Deployment's, to compare after the migration.
snapshot_workload() {
  kubectl --kubeconfig "$SHOOT_KUBECONFIG" get deployments,replicasets,pods,endpoints -o json \
    | jq -r '.items[] | "\(.kind) \(.metadata.name) \(.metadata.uid) \(.metadata.resourceVersion) \(.spec.nodeName // "") \(.status.phase // "")"' | sort
}
# Once the controllers are done with it: two snapshots a second apart agree.
snapshot_workload >"$DIR/workload-before.txt"
for _ in $(seq 1 30); do
  sleep 1
  snapshot_workload >"$DIR/workload-now.txt"
  diff -q "$DIR/workload-before.txt" "$DIR/workload-now.txt" >/dev/null && break
  mv "$DIR/workload-now.txt" "$DIR/workload-before.txt"
done

step "migrating garden-dev/my-shoot from seed-a to seed-b (the seed document's command, verbatim)"
NAMESPACE=garden-dev
SHOOT_NAME=my-shoot
DEST_SEED_NAME=seed-b
set -x
kubectl get --raw /apis/core.gardener.cloud/v1beta1/namespaces/${NAMESPACE}/shoots/${SHOOT_NAME} | jq -c '.spec.seedName = "'${DEST_SEED_NAME}'"' | kubectl replace --raw /apis/core.gardener.cloud/v1beta1/namespaces/${NAMESPACE}/shoots/${SHOOT_NAME}/binding -f - | jq -r '.spec.seedName'
set +x

step "progress: Migrate on seed-a, then Restore on seed-b (one line per change of .status.lastOperation)"
started_ns=$(date +%s%N)
last=""
state=""
for _ in $(seq 1 1200); do
  line=$(kubectl get shoot -n garden-dev my-shoot -o jsonpath='{.status.lastOperation.type} {.status.lastOperation.state} {.status.lastOperation.progress}% {.status.lastOperation.description}')
  if [ "$line" != "$last" ]; then
    elapsed_ms=$((($(date +%s%N) - started_ns) / 1000000))
    printf '%4d.%01ds  %s\n' $((elapsed_ms / 1000)) $((elapsed_ms % 1000 / 100)) "$line"
    last=$line
  fi
  read -r op_type op_state _ <<<"$line"
  state="$op_type/$op_state"
  [ "$state" = "Restore/Succeeded" ] && break
  sleep 0.2
done
[ "$state" = "Restore/Succeeded" ] || {
  echo "the migration did not finish in time; last errors:" >&2
  kubectl get shoot -n garden-dev my-shoot -o jsonpath='{range .status.lastErrors[*]}{.taskID}: {.description}{"\n"}{end}' >&2
  exit 1
}
kubectl get shoots -A

step "checking: the control plane runs on seed-b only, every object is there, the old kubeconfig works"
[ "$(kubectl get shoot -n garden-dev my-shoot -o jsonpath='{.status.seedName}')" = "seed-b" ] || { echo "status.seedName is not seed-b" >&2; exit 1; }
kubectl --kubeconfig "$DIR/seeds/seed-b.kubeconfig" get etcds -A
if kubectl --kubeconfig "$DIR/seeds/seed-a.kubeconfig" get namespace shoot--dev--my-shoot >/dev/null 2>&1; then
  echo "the shoot's control-plane namespace is still on seed-a" >&2
  exit 1
fi
echo "seed-a: no control plane of the shoot left"
# The kubeconfig was issued before the migration: same address, same CAs, same client certificate.
snapshot_data >"$DIR/data-after.txt"
if ! diff -q "$DIR/data-before.txt" "$DIR/data-after.txt" >/dev/null; then
  echo "the data changed in the migration:" >&2
  diff "$DIR/data-before.txt" "$DIR/data-after.txt" | head -20 >&2
  exit 1
fi
echo "all $(wc -l <"$DIR/data-after.txt") ConfigMaps are there, each at its resourceVersion with its content (through the kubeconfig issued before the migration)"
snapshot_workload >"$DIR/workload-after.txt"
if ! diff -q "$DIR/workload-before.txt" "$DIR/workload-after.txt" >/dev/null; then
  echo "the Deployment, its ReplicaSet, pods or endpoints changed in the migration:" >&2
  diff "$DIR/workload-before.txt" "$DIR/workload-after.txt" >&2
  exit 1
fi
kubectl --kubeconfig "$SHOOT_KUBECONFIG" get pods -o wide
echo "the Deployment's pods are the same pods (uid, resourceVersion, node), still Running; no rollout, nothing rescheduled"
kubectl --kubeconfig "$SHOOT_KUBECONFIG" get configmap demo -o jsonpath='{"configmap demo, written before the migration: "}{.data.written-at}{"\n"}'
kubectl --kubeconfig "$SHOOT_KUBECONFIG" create configmap after-migration --from-literal=written-at="$(date -Iseconds)"
kill -0 "$MACHINE_PID" || { echo "the machine (pid $MACHINE_PID) did not survive the migration" >&2; exit 1; }
kubectl --kubeconfig "$SHOOT_KUBECONFIG" get nodes
echo "the same machine (pid $MACHINE_PID) is the node, its lease renewed at $(kubectl --kubeconfig "$SHOOT_KUBECONFIG" get lease -n kube-node-lease -o jsonpath='{.items[0].spec.renewTime}') by the API server on seed-b"
echo "  kubectl get --raw /api/v1/nodes/$NODE/proxy/healthz -> $(kubectl --kubeconfig "$SHOOT_KUBECONFIG" get --raw "/api/v1/nodes/$NODE/proxy/healthz") (through its tunnel to seed-b's vpn-seed-server)"

step "a project member may not move control planes"
kubectl --kubeconfig "$DIR/project-member.kubeconfig" auth can-i update shoots --subresource binding -n garden-dev || true
if kubectl get --raw /apis/core.gardener.cloud/v1beta1/namespaces/${NAMESPACE}/shoots/${SHOOT_NAME} | jq -c '.spec.seedName = "seed-a"' \
  | kubectl --kubeconfig "$DIR/project-member.kubeconfig" replace --raw /apis/core.gardener.cloud/v1beta1/namespaces/${NAMESPACE}/shoots/${SHOOT_NAME}/binding -f -; then
  echo "unexpected: the binding was accepted" >&2
  exit 1
fi

step "done: the landscape in $DIR is stopped on exit (restart it with: node dist/src/cli/main.js up --dir $DIR)"
