#!/bin/bash
# Alternating ours / llama.cpp per stream count; run from /work/wt-bench.
set -u
cd /work/wt-bench
OURS=src/Minerva.Native.Cli/bin/Release/net10.0/minerva-native
PEER="dotnet tools/Minerva.Native.PeerBench/bin/Release/net10.0/minerva-peerbench.dll"
M=models/synthetic-tinyllama-1.1b-Q4_K_M.gguf
A="--device cpu --threads 2"
R="${RUNS:-3}"
for C in ${STREAMS:-1 4 8}; do
  echo "== $(date -u +%T) ours Q4_K_M x$C (load $(cut -d' ' -f1 /proc/loadavg))"
  $OURS bench --model $M $A --concurrency $C --runs $R --warmup 1 --no-chart --no-json --csv /tmp/bc/m/ours-q4-x$C.csv 2>&1 | grep -E "^\[|FAIL"
  echo "== $(date -u +%T) llama.cpp Q4_K_M x$C (load $(cut -d' ' -f1 /proc/loadavg))"
  $PEER --model $M $A --concurrency $C --runs $R --warmup 1 --csv /tmp/bc/m/peer-q4-x$C.csv 2>&1 | grep -E "^\[|fail"
done
echo "== $(date -u +%T) done"
