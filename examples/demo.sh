#!/usr/bin/env bash
# `make demo`: a garden on the embedded defaults, the examples applied with kubectl, and the
# control-plane-migration trigger of the seed document run verbatim.
set -euo pipefail
cd "$(dirname "$0")/.."

DIR=${DEMO_DIR:-$(mktemp -d /tmp/transplant-demo.XXXXXX)}
mkdir -p "$DIR"
LOG="$DIR/garden.log"
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "starting the garden (state in $DIR)"
node dist/src/cli/main.js garden --dir "$DIR" >"$DIR/garden.out" 2>"$LOG" &
GARDEN_PID=$!
trap 'kill $GARDEN_PID 2>/dev/null || true; wait $GARDEN_PID 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  grep -q 'project member kubeconfig' "$DIR/garden.out" 2>/dev/null && break
  kill -0 $GARDEN_PID 2>/dev/null || { cat "$LOG"; exit 1; }
  sleep 0.1
done
cat "$DIR/garden.out"
export KUBECONFIG="$DIR/garden.kubeconfig"

step "kubectl apply -f examples/"
kubectl apply -f examples/

step "reporting the seeds healthy (the gardenlet's heartbeat, until seeds run their own gardenlet)"
NOW=$(date -u +%Y-%m-%dT%H:%M:%SZ)
CONDITIONS=""
for type in GardenletReady BackupBucketsReady ExtensionsReady SeedSystemComponentsHealthy; do
  CONDITIONS="$CONDITIONS${CONDITIONS:+,}{\"type\":\"$type\",\"status\":\"True\",\"reason\":\"Demo\",\"message\":\"reported by demo\",\"lastTransitionTime\":\"$NOW\",\"lastUpdateTime\":\"$NOW\"}"
done
for seed in seed-a seed-b; do
  kubectl patch seed "$seed" --subresource status --type merge -p "{\"status\":{\"conditions\":[$CONDITIONS]}}"
done
kubectl get seeds
kubectl get shoots -A

step "triggering the migration of garden-dev/my-shoot to seed-b (the seed document's command)"
NAMESPACE=garden-dev
SHOOT_NAME=my-shoot
DEST_SEED_NAME=seed-b
set -x
kubectl get --raw /apis/core.gardener.cloud/v1beta1/namespaces/${NAMESPACE}/shoots/${SHOOT_NAME} | jq -c '.spec.seedName = "'${DEST_SEED_NAME}'"' | kubectl replace --raw /apis/core.gardener.cloud/v1beta1/namespaces/${NAMESPACE}/shoots/${SHOOT_NAME}/binding -f - | jq -r '.spec.seedName'
set +x
kubectl get shoots -A
kubectl get shoot -n garden-dev my-shoot -o jsonpath='{"generation: "}{.metadata.generation}{"\nspec.seedName: "}{.spec.seedName}{"\n"}'

step "a project member may not move control planes"
kubectl --kubeconfig "$DIR/project-member.kubeconfig" auth can-i update shoots --subresource binding -n garden-dev || true
if kubectl get --raw /apis/core.gardener.cloud/v1beta1/namespaces/${NAMESPACE}/shoots/${SHOOT_NAME} | jq -c '.spec.seedName = "seed-a"' \
  | kubectl --kubeconfig "$DIR/project-member.kubeconfig" replace --raw /apis/core.gardener.cloud/v1beta1/namespaces/${NAMESPACE}/shoots/${SHOOT_NAME}/binding -f -; then
  echo "unexpected: the binding was accepted" >&2
  exit 1
fi

step "done: the garden keeps its state in $DIR (kubeconfig: $KUBECONFIG)"
