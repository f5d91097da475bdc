#!/usr/bin/env bash
# Serving benchmark on loopback: starts `./minerva-native serve -m MODEL --port P --parallel 16`, waits for /health 200
# (bounded), runs tools/Minerva.Native.LoadGen (streaming greedy chat, C concurrent clients per level), then stops the
# server (SIGTERM, bounded wait, SIGKILL only if it hangs). With PEER=1 each run is followed by the same load on
# llama.cpp's batched decode (LoadGen --peer-llamacpp, in-process, the server stopped), so the engines alternate.
#   usage: scripts/serve-bench.sh MODEL [LEVELS (default 1,4,16)] [OUT_DIR (default bench-results/serve-<timestamp>)]
#   env:   REQUESTS per level, one value or a list (16); PROMPT_TOKENS (32); MAX_TOKENS (32); RUNS (1); PEER (0);
#          PORT (18080); PARALLEL (16); THREADS (default: all cores, both engines); CTX (context per slot, both engines;
#          default: serve's, the model's at most 4096, and the peer's 2048); WARMUP (1); HEALTH_WAIT (s, 300);
#          LOADGEN_TIMEOUT (s, 1800)
# Writes OUT_DIR/serve.csv (every run's level summaries), <engine>-run<N>.json and .txt, server-run<N>.log, meta.txt.
set -u
model=${1:?usage: scripts/serve-bench.sh MODEL [LEVELS] [OUT_DIR]}
levels=${2:-1,4,16}
out=${3:-bench-results/serve-$(date +%Y%m%d-%H%M%S)}
REQUESTS=${REQUESTS:-16}; PROMPT_TOKENS=${PROMPT_TOKENS:-32}; MAX_TOKENS=${MAX_TOKENS:-32}; RUNS=${RUNS:-1}; PEER=${PEER:-0}
PORT=${PORT:-18080}; PARALLEL=${PARALLEL:-16}; THREADS=${THREADS:-}; CTX=${CTX:-}; WARMUP=${WARMUP:-1}
HEALTH_WAIT=${HEALTH_WAIT:-300}; LOADGEN_TIMEOUT=${LOADGEN_TIMEOUT:-1800}

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
loadgen=tools/Minerva.Native.LoadGen/bin/Release/net10.0/minerva-loadgen.dll
[ -x ./minerva-native ] || { echo "serve-bench: ./minerva-native is missing (build first)" >&2; exit 2; }
[ -f "$loadgen" ] || { echo "serve-bench: $loadgen is missing (dotnet build Minerva.Native.sln -c Release)" >&2; exit 2; }
[ -f "$model" ] || [ -d "$model" ] || { echo "serve-bench: $model: no such model" >&2; exit 2; }
mkdir -p "$out"
threads_arg=(); [ -n "$THREADS" ] && threads_arg=(--threads "$THREADS")
ctx_serve=(); ctx_peer=(); [ -n "$CTX" ] && ctx_serve=(-c "$CTX") && ctx_peer=(--ctx-size "$CTX")
load_args=(--concurrency "$levels" --requests "$REQUESTS" --prompt-tokens "$PROMPT_TOKENS" --max-tokens "$MAX_TOKENS" --warmup "$WARMUP"
           --csv "$out/serve.csv")
{
  echo "date: $(date -u +%FT%TZ)"
  echo "commit: $(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD 2>/dev/null || echo ' (with local changes)')"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs) x $(nproc)"
  echo "model: $model"
  echo "levels: $levels  requests: $REQUESTS  prompt tokens: $PROMPT_TOKENS  max tokens: $MAX_TOKENS  runs: $RUNS  peer: $PEER"
  echo "server: ./minerva-native serve -m $model --host 127.0.0.1 --port $PORT --parallel $PARALLEL ${threads_arg[*]} ${ctx_serve[*]}"
} | tee "$out/meta.txt"

server=""
stop_server() {
  [ -n "$server" ] || return 0
  kill -TERM "$server" 2>/dev/null
  for _ in $(seq 60); do kill -0 "$server" 2>/dev/null || break; sleep 0.5; done
  kill -0 "$server" 2>/dev/null && { echo "serve-bench: the server did not stop within 30 s; killing it" >&2; kill -KILL "$server"; }
  wait "$server" 2>/dev/null
  server=""
}
trap stop_server EXIT
trap 'exit 130' INT TERM

status=0
for run in $(seq "$RUNS"); do
  ./minerva-native serve -m "$model" --host 127.0.0.1 --port "$PORT" --parallel "$PARALLEL" "${threads_arg[@]}" "${ctx_serve[@]}" > "$out/server-run$run.log" 2>&1 &
  server=$!
  ready=0
  for _ in $(seq "$HEALTH_WAIT"); do
    kill -0 "$server" 2>/dev/null || break
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$PORT/health")" = 200 ] && { ready=1; break; }
    sleep 1
  done
  if [ $ready = 0 ]; then
    echo "serve-bench: the server was not healthy within $HEALTH_WAIT s (see $out/server-run$run.log)" >&2
    tail -5 "$out/server-run$run.log" >&2
    exit 1
  fi
  echo "run $run minerva-native: load average before $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/meta.txt"
  timeout "$LOADGEN_TIMEOUT" dotnet "$loadgen" --url "http://127.0.0.1:$PORT" "${load_args[@]}" --label minerva-native --run "$run" \
    --json "$out/minerva-native-run$run.json" | tee "$out/minerva-native-run$run.txt" || status=1
  stop_server

  if [ "$PEER" = 1 ]; then
    echo "run $run llama.cpp: load average before $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/meta.txt"
    timeout "$LOADGEN_TIMEOUT" dotnet "$loadgen" --peer-llamacpp "$model" --parallel "$PARALLEL" "${threads_arg[@]}" "${ctx_peer[@]}" "${load_args[@]}" \
      --label llama.cpp --run "$run" --json "$out/llama.cpp-run$run.json" | tee "$out/llama.cpp-run$run.txt" || status=1
  fi
done
echo "serve-bench: results in $out (serve.csv)"
column -s, -t < "$out/serve.csv" 2>/dev/null || cat "$out/serve.csv"
exit $status
