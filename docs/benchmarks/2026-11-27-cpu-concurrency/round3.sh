#!/bin/bash
# Round 3: BF16 x8 again (the llama.cpp runs of round 2 fell in a load spike), then Q4_K_M 1 4 8 once more; 2 runs each.
set -u
cd /work/wt-bench
OURS=src/Minerva.Native.Cli/bin/Release/net10.0/minerva-native
PEER="dotnet tools/Minerva.Native.PeerBench/bin/Release/net10.0/minerva-peerbench.dll"
A="--device cpu --threads 2"
pair() { # tag ours-model peer-model C runs
  echo "== $(date -u +%T) ours $1 x$4 (load $(cut -d' ' -f1 /proc/loadavg))"
  $OURS bench --model $2 $A --concurrency $4 --runs $5 --warmup 1 --no-chart --no-json --csv /tmp/bc/m/ours-$1-x$4.csv 2>&1 | grep -E "^\[|FAIL"
  echo "== $(date -u +%T) llama.cpp $1 x$4 (load $(cut -d' ' -f1 /proc/loadavg))"
  $PEER --model $3 $A --concurrency $4 --runs $5 --warmup 1 --csv /tmp/bc/m/peer-$1-x$4.csv 2>&1 | grep -E "^\[|fail"
}
pair bf16r3 models/synthetic-tinyllama-1.1b-BF16 models/tl-bf16.gguf 8 2
Q=models/synthetic-tinyllama-1.1b-Q4_K_M.gguf
for C in 1 4 8; do pair q4r3 $Q $Q $C 2; done
echo "== $(date -u +%T) done"
