#!/usr/bin/env bash
# Runs the peer baselines (DPDK rte_hash, .NET ConcurrentDictionary, FASTER) and DashFlow's own engine
# benchmark on the same flow counts, interleaved per size so that all see the same machine state, and
# prints DashFlow / peer ratios. Absolute rates drift between runs on these machines; compare only
# ratios taken within one run. See ../shared/peers/README.md for what the peers measure.
#
# Usage: benchmarks/peers/run-peers.sh [--peers-only] [--runs K] [--out FILE] [FLOWS...]
#   FLOWS         flow counts (default: 1000000 4000000 16000000)
#   --peers-only  skip DashFlow's bench (run only rte_hash and the dotnet peers)
#   --runs K      repeat every size K times, interleaved; ratios use the medians (default 1)
#   --out FILE    JSON-lines output (default: <repo>/artifacts/peers.jsonl; overwritten)
# Environment: DASHFLOW_SHARED  path of shared/ (default: <repo>/../shared)
set -euo pipefail

usage() { sed -n '7,12s/^# \{0,1\}//p' "$0"; }

REPO=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
SHARED=${DASHFLOW_SHARED:-$REPO/../shared}
OUT=$REPO/artifacts/peers.jsonl
PEERS_ONLY=0
RUNS=1
SIZES=()

while (($#)); do
  case $1 in
    --peers-only) PEERS_ONLY=1 ;;
    --runs) RUNS=${2:?--runs needs a count}; shift ;;
    --runs=*) RUNS=${1#*=} ;;
    --out) OUT=${2:?--out needs a file}; shift ;;
    --out=*) OUT=${1#*=} ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
    *) SIZES+=("$1") ;;
  esac
  shift
done
((${#SIZES[@]})) || SIZES=(1000000 4000000 16000000)
for n in "${SIZES[@]}" "$RUNS"; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "not a positive integer: $n" >&2; exit 2; }
done
[[ -f $SHARED/peers/rte_hash/bench.c && -d $SHARED/peers/dotnet ]] \
  || { echo "peer sources not found under $SHARED/peers (set DASHFLOW_SHARED)" >&2; exit 1; }
SHARED=$(cd "$SHARED" && pwd)

export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# The temp dir must not sit under the repo: its Directory.Build.props (central package management)
# would apply to the copied peer project.
WORK=$(mktemp -d "${TMPDIR:-/tmp}/dashflow-peers.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

log() { printf '[run-peers] %s\n' "$*" >&2; }

# --- rte_hash: install DPDK if missing, build bench.c -----------------------------------------------
if ! pkg-config --exists libdpdk 2>/dev/null; then
  log "installing libdpdk-dev pkg-config"
  SUDO=; ((EUID == 0)) || SUDO=sudo
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libdpdk-dev pkg-config >&2
fi
RTE_BENCH=$WORK/rte_bench
log "building rte_hash bench"
# shellcheck disable=SC2046  # pkg-config output must word-split
cc -O3 -march=native "$SHARED/peers/rte_hash/bench.c" $(pkg-config --cflags --libs libdpdk) -o "$RTE_BENCH"

# --- dotnet peers: shared/ is read-only, so build a copy (bin/ and obj/ go beside it) ----------------
PEER_PROJ=$WORK/peers-dotnet
mkdir -p "$PEER_PROJ"
(cd "$SHARED/peers/dotnet" && tar --exclude=./bin --exclude=./obj -cf - .) | tar -xf - -C "$PEER_PROJ"
chmod -R u+w "$PEER_PROJ"
log "building dotnet peers"
dotnet build -c Release -nologo -v q "$PEER_PROJ" >&2

if ((!PEERS_ONLY)); then
  log "building DashFlow.Cli"
  dotnet build -c Release -nologo -v q "$REPO/src/DashFlow.Cli" >&2
fi

# --- run -----------------------------------------------------------------------------------------
mkdir -p "$(dirname "$OUT")"
: >"$OUT"
FAILED=0

# run NAME CMD...: passes the command's JSON lines (those starting with '{') to stdout and $OUT,
# everything else to stderr. DashFlow's line gets "peer":"dashflow" if it has no "peer" key.
run() {
  local name=$1; shift
  local raw=$WORK/raw.out rc=0
  "$@" >"$raw" || rc=$?
  grep -v '^{' "$raw" >&2 || true
  local lines
  lines=$(grep '^{' "$raw" || true)
  if ((rc != 0)) || [[ -z $lines ]]; then
    log "FAILED: $name (exit $rc, $(grep -c '^{' "$raw" || true) JSON lines)"
    FAILED=1
  fi
  [[ -n $lines ]] || return 0
  if [[ $name == dashflow ]]; then
    lines=$(sed '/"peer"[[:space:]]*:/!s/^{/{"peer":"dashflow",/' <<<"$lines")
  fi
  printf '%s\n' "$lines" | tee -a "$OUT"
}

for ((r = 1; r <= RUNS; r++)); do
  for n in "${SIZES[@]}"; do
    log "flows=$n run $r/$RUNS: rte_hash"
    run rte_hash "$RTE_BENCH" "$n"
    log "flows=$n run $r/$RUNS: dotnet peers"
    run dotnet-peers dotnet run -c Release --no-build --project "$PEER_PROJ" -- "$n" all
    if ((!PEERS_ONLY)); then
      log "flows=$n run $r/$RUNS: dashflow"
      run dashflow dotnet run -c Release --no-build --project "$REPO/src/DashFlow.Cli" -- \
        bench engine --flows "$n" --json
    fi
  done
done

# --- ratios --------------------------------------------------------------------------------------
python3 - "$OUT" <<'PY' | tee "$WORK/summary"
import json, statistics, sys
from collections import defaultdict

rows = defaultdict(lambda: defaultdict(list))     # flows -> peer -> [record]
with open(sys.argv[1]) as f:
    for line in f:
        line = line.strip()
        if not line.startswith("{"):
            continue
        rec = json.loads(line)
        if "vs" in rec or "flows" not in rec:
            continue
        peer = rec.get("peer", "dashflow")
        kind = ("rte_hash" if peer.startswith("dpdk-rte_hash") else
                "concurrentdictionary" if "concurrentdictionary" in peer else
                "faster" if "faster" in peer else peer)
        rows[int(rec["flows"])][kind].append(rec)

def med(recs, key):
    vals = [r[key] for r in recs if isinstance(r.get(key), (int, float))]
    return statistics.median(vals) if vals else None

def ratio(a, b):
    return round(a / b, 3) if a is not None and b else None

def fmt(v, w=8, p=2):
    return f"{'-':>{w}}" if v is None else f"{v:>{w}.{p}f}"

PEERS = ["dashflow", "rte_hash", "concurrentdictionary", "faster"]
ratio_lines, table = [], []
table.append("")
table.append("Medians per size (M ops/s; B/flow: rte_hash index+key only, others incl. 128-B flow state)")
table.append(f"{'flows':>10} {'system':<22}{'insert':>8}{'lookup':>8}{'bulk':>8}{'delete':>8}{'B/flow':>8}{'GC ms':>8}")
for n in sorted(rows):
    for kind in PEERS:
        recs = rows[n].get(kind)
        if not recs:
            continue
        bpf = med(recs, "bytes_per_flow") if kind != "rte_hash" else med(recs, "index_bytes_per_flow")
        bulk = med(recs, "bulk32_lookup_mops") if kind == "rte_hash" else med(recs, "batch_lookup_mops")
        table.append(f"{n:>10} {kind:<22}{fmt(med(recs,'insert_mops'))}{fmt(med(recs,'lookup_mops'))}{fmt(bulk)}"
                     f"{fmt(med(recs,'delete_mops'))}{fmt(bpf,8,1)}{fmt(med(recs,'gc_pause_ms'),8,1)}")

    df = rows[n].get("dashflow")
    if not df:
        continue
    rte = rows[n].get("rte_hash")
    if rte:
        ratio_lines.append({"flows": n, "vs": "rte_hash",
            "insert_ratio": ratio(med(df, "insert_mops"), med(rte, "insert_mops")),
            "lookup_ratio": ratio(med(df, "lookup_mops"), med(rte, "lookup_mops")),
            "bulk_lookup_ratio": ratio(med(df, "batch_lookup_mops"), med(rte, "bulk32_lookup_mops")),
            "delete_ratio": ratio(med(df, "delete_mops"), med(rte, "delete_mops")),
            "dashflow_bytes_per_flow": med(df, "bytes_per_flow"),
            "peer_bytes_per_flow": med(rte, "index_bytes_per_flow")})
    for kind in ("concurrentdictionary", "faster"):
        p = rows[n].get(kind)
        if p:
            ratio_lines.append({"flows": n, "vs": kind,
                "insert_ratio": ratio(med(df, "insert_mops"), med(p, "insert_mops")),
                "lookup_ratio": ratio(med(df, "lookup_mops"), med(p, "lookup_mops")),
                "delete_ratio": ratio(med(df, "delete_mops"), med(p, "delete_mops")),
                "dashflow_bytes_per_flow": med(df, "bytes_per_flow"),
                "peer_bytes_per_flow": med(p, "bytes_per_flow"),
                "dashflow_gc_pause_ms": med(df, "gc_pause_ms"),
                "peer_gc_pause_ms": med(p, "gc_pause_ms")})

print("\n".join(table), file=sys.stderr)
if ratio_lines:
    print("", file=sys.stderr)
    print("DashFlow / peer (>1 = DashFlow faster); bytes per flow side by side", file=sys.stderr)
    print(f"{'flows':>10} {'vs':<22}{'insert':>8}{'lookup':>8}{'bulk':>8}{'delete':>8}{'DF B/fl':>9}{'peer B/fl':>10}",
          file=sys.stderr)
    for r in ratio_lines:
        print(f"{r['flows']:>10} {r['vs']:<22}{fmt(r['insert_ratio'])}{fmt(r['lookup_ratio'])}"
              f"{fmt(r.get('bulk_lookup_ratio'))}{fmt(r['delete_ratio'])}"
              f"{fmt(r['dashflow_bytes_per_flow'],9,1)}{fmt(r['peer_bytes_per_flow'],10,1)}", file=sys.stderr)
    print("", file=sys.stderr)
    for r in ratio_lines:
        print(json.dumps(r, separators=(",", ":")))
else:
    print("(no DashFlow results: no ratios)", file=sys.stderr)
PY
# Ratio JSON lines (stdout of the python step) go to the output file too.
cat "$WORK/summary" >>"$OUT"
log "results: $OUT"
exit "$FAILED"
