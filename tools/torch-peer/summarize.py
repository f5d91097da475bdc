#!/usr/bin/env python3
"""summary.md of a scripts/gpu-check.sh run: our decode (the bench CSVs) beside the PyTorch peer (decode_bench.py's
JSON lines) on the same model folder and prompt, each as a share of the device-to-device copy bandwidth.

  bytes per token x decode t/s / copy GB/s   (copy = read + write, tools/cuda-selftest/copy_bandwidth.cu)

Weight bytes per token come from `minerva-native info MODEL --json --tensors` files (every tensor but the token
embedding), keyed by model file name as the bench CSV's ModelFile column holds it. Standard library only.
"""
import argparse
import csv
import json
import os
import statistics
import sys


def read_csv(path):
    if not path or not os.path.exists(path) or os.path.getsize(path) == 0:
        return []
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def read_jsonl(path):
    rows = []
    if path and os.path.exists(path):
        for line in open(path, encoding="utf-8"):
            line = line.strip()
            if line.startswith("{"):
                try:
                    rows.append(json.loads(line))
                except ValueError:
                    pass
    return rows


def bytes_per_token(info_paths):
    """{model file name: bytes a decode step reads} from `info --json --tensors` outputs."""
    out = {}
    for p in info_paths:
        try:
            d = json.load(open(p, encoding="utf-8"))
        except (OSError, ValueError):
            continue
        tensors = d.get("tensors") or []
        tied = bool((d.get("hyperparameters") or {}).get("tied_embeddings"))
        total = sum(t.get("bytes", 0) for t in tensors)
        embed = sum(t.get("bytes", 0) for t in tensors if t["name"] in ("token_embd.weight", "model.embed_tokens.weight"))
        name = os.path.basename(os.path.normpath(d.get("file") or p))
        if total:
            out[name] = total - (0 if tied else embed)
    return out


def num(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def fmt(x, spec=".1f"):
    return "" if x is None else format(x, spec)


def share(bpt, tps, copy):
    """(GB/s the decode moves, % of the copy bandwidth)."""
    if not bpt or not tps:
        return None, None
    gbps = bpt * tps / 1e9
    return gbps, (100.0 * gbps / copy if copy else None)


def ours_rows(label, rows, bpt, copy):
    """One row per (model, scenario, sizes, streams): medians over the counted runs, like the bench's own table."""
    groups = {}
    for r in rows:
        key = (r.get("ModelFile", ""), r.get("QuantType", ""), r.get("Scenario", ""), r.get("PromptTokens", ""),
               r.get("GenTokens", ""), r.get("Concurrency") or "1")
        groups.setdefault(key, []).append(r)
    out = []
    for (model, quant, scenario, p, n, streams), rs in groups.items():
        gen = [v for v in (num(r.get("GenTokensPerSec")) for r in rs) if v]
        prompt = [v for v in (num(r.get("PromptTokensPerSec")) for r in rs) if v]
        if not gen:
            continue
        med = statistics.median(gen)
        single = streams in ("", "1")
        gbps, pct = share(bpt.get(model), med, copy) if single else (None, None)
        agg = [v for v in (num(r.get("AggregateGenTokensPerSec")) for r in rs) if v]
        out.append({"engine": f"minerva-native ({label})", "model": model, "type": quant, "mode": scenario
                    + ("" if single else f" x{streams} (aggregate {statistics.median(agg):.1f} t/s)" if agg else f" x{streams}"),
                    "sizes": f"{p}/{n}", "prompt": statistics.median(prompt) if prompt else None, "decode": med,
                    "min": min(gen), "max": max(gen), "runs": len(gen), "gbps": gbps, "pct": pct,
                    "commit": (rs[0].get("GitCommit") or "")[:9]})
    return out


def torch_rows(records, copy):
    out = []
    for r in records:
        if r.get("mode") == "dry-run":
            continue
        bpt = r.get("weight_bytes_per_token")
        ok = r.get("ok")
        gbps, pct = share(bpt, r.get("decode_tps"), copy) if ok else (None, None)
        mode = r.get("mode", "")
        if ok and r.get("decode_tps_pipelined"):
            mode += f" (no per-step wait: {r['decode_tps_pipelined']:.1f} t/s)"
        if ok and r.get("compile_s"):
            mode += f", compile {r['compile_s']:.0f} s"
        if not ok:
            mode += f": FAILED {r.get('error', '')[:160]}"
        out.append({"engine": f"PyTorch {r.get('torch', '')} + transformers {r.get('transformers', '')}",
                    "model": r.get("model", ""), "type": {"bfloat16": "BF16", "float16": "F16", "float32": "F32"}.get(
                        r.get("dtype"), r.get("dtype", "")), "mode": mode,
                    "sizes": f"{r.get('prompt_tokens')}/{r.get('gen_tokens')}", "prompt": r.get("prefill_tps"),
                    "decode": r.get("decode_tps") if ok else None, "min": r.get("decode_tps_min"),
                    "max": r.get("decode_tps_max"), "runs": r.get("runs"), "gbps": gbps, "pct": pct, "commit": "",
                    "note": r.get("note") or ""})
    return out


def table(rows):
    lines = ["| engine | model | type | what | prompt/gen | prompt t/s | decode t/s, median (min..max) | runs | GB/s | % of copy |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        dec = "" if r["decode"] is None else f"**{r['decode']:.1f}** ({fmt(r['min'])}..{fmt(r['max'])})"
        lines.append(f"| {r['engine']} | {r['model']} | {r['type']} | {r['mode']} | {r['sizes']} | {fmt(r['prompt'])} | "
                     f"{dec} | {r['runs'] or ''} | {fmt(r['gbps'])} | {fmt(r['pct'])} |")
    return "\n".join(lines)


def ratios(ours, theirs):
    """ours / PyTorch decode per weight type, for each PyTorch mode, from the round medians."""
    lines = []
    for t in theirs:
        if t["decode"] is None:
            continue
        mine = [o["decode"] for o in ours if o["type"] == t["type"] and o["decode"] and o["sizes"] == t["sizes"]]
        if mine:
            m = statistics.median(mine)
            lines.append(f"- {t['type']}, {t['mode'].split(' ')[0]}: ours {m:.1f} t/s / PyTorch {t['decode']:.1f} t/s = "
                         f"**{m / t['decode']:.2f}x**")
    return lines


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True)
    p.add_argument("--meta", action="append", default=[], help="KEY=VALUE shown at the top (repeatable)")
    p.add_argument("--copy-gbps", type=float, help="the copy bandwidth the shares are taken of")
    p.add_argument("--copy-note", default="", help="how it was measured (each probe's number)")
    p.add_argument("--ours", action="append", default=[], help="LABEL=CSV of a `minerva-native bench` run (repeatable)")
    p.add_argument("--bench", action="append", default=[], help="LABEL=CSV of the bench the flags asked for")
    p.add_argument("--torch", action="append", default=[], help="decode_bench.py JSON lines (repeatable)")
    p.add_argument("--info", action="append", default=[], help="`minerva-native info --json --tensors` output")
    p.add_argument("--commands", help="file of the commands that ran, one a line")
    a = p.parse_args(argv)

    bpt = bytes_per_token(a.info)
    for rec in (r for path in a.torch for r in read_jsonl(path)):
        if rec.get("model") and rec.get("weight_bytes_per_token"):
            bpt.setdefault(rec["model"], rec["weight_bytes_per_token"])
    copy = a.copy_gbps
    ours = [row for spec in a.ours for row in ours_rows(spec.split("=", 1)[0], read_csv(spec.split("=", 1)[-1]), bpt, copy)]
    theirs = torch_rows([r for path in a.torch for r in read_jsonl(path)], copy)
    bench = [row for spec in a.bench for row in ours_rows(spec.split("=", 1)[0], read_csv(spec.split("=", 1)[-1]), bpt, copy)]

    md = ["# GPU check: minerva-native and the PyTorch peer", ""]
    md += ["| | |", "| --- | --- |"] + [f"| {m.split('=', 1)[0]} | {m.split('=', 1)[-1]} |" for m in a.meta]
    md.append(f"| copy bandwidth | {fmt(copy, '.0f') + ' GB/s (device-to-device, read + write)' if copy else 'not measured'}"
              f"{'; ' + a.copy_note if a.copy_note else ''} |")
    if bpt:
        md.append("| weight bytes per token | " + "; ".join(f"{k}: {v / 1e6:.1f} MB" for k, v in sorted(bpt.items())) + " |")
    md += ["", "## Decode, batch 1, same model folder and prompt ids", ""]
    if ours or theirs:
        md.append(table(ours + theirs))
        md += [""] + ratios(ours, theirs)
        md += ["", "Decode t/s = 1000 / median step time of a run (every step waited for), median over the runs; prompt "
               "t/s = prompt tokens / time to the first token. GB/s = weight bytes per token x decode t/s; % of copy = "
               "that over the copy bandwidth (KV-cache reads, a few MB here, not counted). PyTorch `eager` is "
               "`model.generate` as it comes; `compiled` is a static KV cache with the one-token step under "
               "`torch.compile(mode=\"reduce-overhead\")` (CUDA graphs), compile time excluded."]
        notes = [f"- {t['type']} {t['mode'].split(' ')[0]}: {t['note']}" for t in theirs if t.get("note")]
        if notes:
            md += ["", "Notes from the peer:"] + notes
    else:
        md.append("No decode results (see the logs).")
    if bench:
        md += ["", "## The bench the flags asked for", "", table(bench)]
    if a.commands and os.path.exists(a.commands):
        md += ["", "## Commands", "", "```"] + [line.rstrip("\n") for line in open(a.commands, encoding="utf-8")] + ["```"]
    with open(a.out, "w", encoding="utf-8") as f:
        f.write("\n".join(md) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
