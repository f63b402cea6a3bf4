"""Independent T5 v1.1 encoder reference for the C# tests (plain PyTorch, float32, CPU).

Written from transformers' modeling_t5.py semantics, as functions over a weight dict:
RMS norm with float32 variance, unscaled attention plus the bucketed relative bias of block 0
(shared by every block), gated tanh-GELU feed-forward, final RMS norm, no attention mask.

Usage:
  t5_reference.py encode MODEL_DIR IDS_JSON OUT_F32 [--time N] [--threads T] [--converted]
      ids: [[...], ...] equal lengths; writes [B, L, d] float32 LE. --time N encodes N times and prints
      "TIME <seconds of each run>" (the forward pass only, not loading); --threads sets torch's threads (default 1);
      --converted converts every weight to float32 once at load instead of at each use. With --time it also prints
      "BLAS <library files>" and "PEAK_RSS_KB <the process's peak resident memory>".
  t5_reference.py buckets NUM_BUCKETS MAX_DISTANCE LO HI   prints JSON buckets for offsets LO..HI (key - query)
"""
import json
import math
import os
import resource
import struct
import sys
import time

import torch

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


class Float32Weights(dict):
    """Weights kept as stored (bf16 halves the memory of real-size models) and handed out as float32."""

    def __getitem__(self, name):
        return dict.__getitem__(self, name).float()


def read_safetensors(path):
    """One tensor at a time, in its stored dtype, so a multi-GB shard is never held twice."""
    tensors = {}
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n).decode("utf-8"))
        base = 8 + n
        for name, info in header.items():
            if name == "__metadata__":
                continue
            start, end = info["data_offsets"]
            f.seek(base + start)
            buf = bytearray(f.read(end - start))
            t = torch.frombuffer(buf, dtype=DTYPES[info["dtype"]]) if end > start else torch.empty(0, dtype=DTYPES[info["dtype"]])
            tensors[name] = t.reshape(info["shape"])
    return tensors


def load_weights(model_dir):
    single = os.path.join(model_dir, "model.safetensors")
    if os.path.exists(single):
        return Float32Weights(read_safetensors(single))
    with open(os.path.join(model_dir, "model.safetensors.index.json")) as f:
        weight_map = json.load(f)["weight_map"]
    weights = Float32Weights()
    for shard in sorted(set(weight_map.values())):
        weights.update(read_safetensors(os.path.join(model_dir, shard)))
    return weights


def buckets_of(offsets, num_buckets, max_distance):
    """Bidirectional buckets of key-minus-query offsets (a long tensor).

    The logarithmic part uses the same float32 tensor operations as transformers, on the whole
    tensor at once, so that offsets on a bucket boundary round exactly as the reference does.
    """
    half = num_buckets // 2
    exact = half // 2
    dist = offsets.abs()
    scaled = torch.log(dist.float() / exact) / math.log(max_distance / exact) * (half - exact)
    large = torch.clamp(exact + scaled.to(torch.long), max=half - 1)
    inside = torch.where(dist < exact, dist, large)
    return inside + half * (offsets > 0).long()


def rms_norm(x, w, eps):
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def gelu_tanh(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def encode(cfg, w, ids):
    heads, dkv = cfg["num_heads"], cfg["d_kv"]
    eps = cfg.get("layer_norm_epsilon", 1e-6)
    nb = cfg.get("relative_attention_num_buckets", 32)
    maxd = cfg.get("relative_attention_max_distance", 128)
    emb = w["shared.weight"] if "shared.weight" in w else w["encoder.embed_tokens.weight"]
    x = emb[ids]  # [B, L, d]
    B, L, _ = x.shape

    positions = torch.arange(L)
    table = buckets_of(positions[None, :] - positions[:, None], nb, maxd)
    bias_w = w["encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"]  # [nb, heads]
    bias = bias_w[table].permute(2, 0, 1)  # [heads, L, L]

    for i in range(cfg["num_layers"]):
        p = "encoder.block.%d.layer." % i
        h = rms_norm(x, w[p + "0.layer_norm.weight"], eps)
        # per-head einsum formulation instead of view/transpose
        qh = torch.einsum("bld,hkd->bhlk", h, w[p + "0.SelfAttention.q.weight"].reshape(heads, dkv, -1))
        kh = torch.einsum("bld,hkd->bhlk", h, w[p + "0.SelfAttention.k.weight"].reshape(heads, dkv, -1))
        vh = torch.einsum("bld,hkd->bhlk", h, w[p + "0.SelfAttention.v.weight"].reshape(heads, dkv, -1))
        scores = torch.einsum("bhqc,bhkc->bhqk", qh, kh) + bias
        probs = torch.softmax(scores, dim=-1)
        ctx = torch.einsum("bhqk,bhkc->bqhc", probs, vh).reshape(B, L, heads * dkv)
        x = x + ctx @ w[p + "0.SelfAttention.o.weight"].t()

        h = rms_norm(x, w[p + "1.layer_norm.weight"], eps)
        ff = p + "1.DenseReluDense."
        gated = gelu_tanh(h @ w[ff + "wi_0.weight"].t()) * (h @ w[ff + "wi_1.weight"].t())
        x = x + gated @ w[ff + "wo.weight"].t()
    return rms_norm(x, w["encoder.final_layer_norm.weight"], eps)


def blas_library():
    """The BLAS this process loaded (torch's matmuls go through it; Debian's default is the unoptimised reference BLAS)."""
    with open("/proc/self/maps") as f:
        paths = {line.split()[-1] for line in f if "blas" in line.rsplit("/", 1)[-1]}
    return " ".join(sorted(os.path.realpath(p) for p in paths)) or "none"


def main():
    args = sys.argv[1:]
    options = {}
    for flag in ("--time", "--threads"):
        if flag in args:
            i = args.index(flag)
            options[flag] = int(args[i + 1])
            del args[i:i + 2]
    converted = "--converted" in args
    if converted:
        args.remove("--converted")
    torch.set_num_threads(options.get("--threads", 1))
    if args[0] == "buckets":
        nb, maxd, lo, hi = map(int, args[1:5])
        print(json.dumps(buckets_of(torch.arange(lo, hi + 1), nb, maxd).tolist()))
    elif args[0] == "encode":
        model_dir, ids_path, out_path = args[1:4]
        with open(model_dir + "/config.json") as f:
            cfg = json.load(f)
        assert cfg.get("feed_forward_proj") == "gated-gelu", "reference covers T5 v1.1 only"
        with open(ids_path) as f:
            ids = torch.tensor(json.load(f), dtype=torch.long)
        weights = load_weights(model_dir)
        if converted:
            weights = {name: weights[name] for name in weights.keys()}
        times = []
        with torch.no_grad():
            for _ in range(options.get("--time", 1)):
                start = time.perf_counter()
                out = encode(cfg, weights, ids).contiguous()
                times.append(time.perf_counter() - start)
        if "--time" in options:
            print("TIME %s" % " ".join("%.6f" % t for t in times), flush=True)
            print("BLAS %s" % blas_library(), flush=True)
            print("PEAK_RSS_KB %d" % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, flush=True)
        with open(out_path, "wb") as f:
            f.write(out.numpy().astype("<f4").tobytes())
    else:
        raise SystemExit("unknown command " + args[0])


if __name__ == "__main__":
    main()
