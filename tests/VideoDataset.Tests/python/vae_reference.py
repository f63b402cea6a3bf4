"""Independent PyTorch reference of the CogVideoX VAE encoder (diffusers AutoencoderKLCogVideoX.encoder),
written as plain functions over a weight dictionary, with the temporal chunking of DESIGN.md section 4.

usage: vae_reference.py VAE_DIR INPUT.safetensors CHUNK_FRAMES[,CHUNK_FRAMES...] OUTPUT.safetensors [--time N] [--threads T]

INPUT holds "video": float32 [1, 3, F, H, W] in [-1, 1]. OUTPUT gets, per chunk length w,
"latent_<w>": float32 [T_lat, 2C, H/8, W/8].
--time N encodes N times per chunk length and prints "TIME <w> <seconds of each run>" and "CPU <w> <CPU seconds
of each run, all threads>" (the encoder's forward pass only: loading and conversion are not timed); --threads sets torch's threads (default 1).
Safetensors is parsed here by hand (json header + raw bytes) so this script needs nothing but torch.
"""
import json
import math
import struct
import sys
import time

import torch
import torch.nn.functional as F

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}
DTYPE_NAMES = {v: k for k, v in DTYPES.items()}


def read_safetensors(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        buf = bytearray(data[start:end])
        t = torch.frombuffer(buf, dtype=DTYPES[info["dtype"]]) if end > start else torch.empty(0, dtype=DTYPES[info["dtype"]])
        out[name] = t.reshape(info["shape"]).clone()
    return out


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.contiguous()
        raw = t.view(torch.uint8).numpy().tobytes() if t.dtype != torch.bfloat16 else t.view(torch.int16).numpy().tobytes()
        header[name] = {"dtype": DTYPE_NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


class Encoder:
    """Weights by diffusers key; `caches` maps a causal conv's key prefix to its last two padded input frames."""

    def __init__(self, config, weights):
        self.cfg = config
        self.w = {k[len("encoder."):]: v.float() for k, v in weights.items() if k.startswith("encoder.")}
        self.groups = config.get("norm_num_groups", 32)
        self.eps = config.get("norm_eps", 1e-6)
        self.widths = config.get("block_out_channels", [128, 256, 256, 512])
        self.layers = config.get("layers_per_block", 3)
        self.time_levels = int(math.log2(config.get("temporal_compression_ratio", 4)))
        self.caches = {}

    def causal_conv(self, x, key):
        weight, bias = self.w[key + ".conv.weight"], self.w[key + ".conv.bias"]
        kt = weight.shape[2]
        front = self.caches.get(key)
        if front is None:
            front = x[:, :, :1].repeat(1, 1, kt - 1, 1, 1)
        x = torch.cat([front, x], dim=2)
        self.caches[key] = x[:, :, x.shape[2] - (kt - 1):]
        return F.conv3d(x, weight, bias, padding=(0, weight.shape[3] // 2, weight.shape[4] // 2))

    def norm(self, x, key, eps):
        return F.group_norm(x, self.groups, self.w[key + ".weight"], self.w[key + ".bias"], eps)

    @staticmethod
    def swish(x):
        return x * torch.sigmoid(x)

    def resnet(self, x, key):
        h = self.causal_conv(self.swish(self.norm(x, key + ".norm1", self.eps)), key + ".conv1")
        h = self.causal_conv(self.swish(self.norm(h, key + ".norm2", self.eps)), key + ".conv2")
        if key + ".conv_shortcut.weight" in self.w:
            x = F.conv3d(x, self.w[key + ".conv_shortcut.weight"], self.w[key + ".conv_shortcut.bias"])
        return x + h

    @staticmethod
    def halve_time(x):
        # diffusers: fold H, W into the batch and avg_pool1d over time, the first frame alone if the count is odd
        b, c, t, hh, ww = x.shape
        seq = x.permute(0, 3, 4, 1, 2).reshape(b * hh * ww, c, t)
        if t % 2 == 1:
            rest = seq[..., 1:]
            if rest.shape[-1] > 0:
                rest = F.avg_pool1d(rest, kernel_size=2, stride=2)
            seq = torch.cat([seq[..., :1], rest], dim=-1)
        else:
            seq = F.avg_pool1d(seq, kernel_size=2, stride=2)
        return seq.reshape(b, hh, ww, c, seq.shape[-1]).permute(0, 3, 4, 1, 2)

    def downsample(self, x, key, compress_time):
        if compress_time:
            x = self.halve_time(x)
        x = F.pad(x, (0, 1, 0, 1))
        b, c, t, hh, ww = x.shape
        frames = x.transpose(1, 2).reshape(b * t, c, hh, ww)
        y = F.conv2d(frames, self.w[key + ".conv.weight"], self.w[key + ".conv.bias"], stride=2)
        return y.reshape(b, t, *y.shape[1:]).transpose(1, 2)

    def chunk(self, x):
        h = self.causal_conv(x, "conv_in")
        for i in range(len(self.widths)):
            for j in range(self.layers):
                h = self.resnet(h, f"down_blocks.{i}.resnets.{j}")
            if i < len(self.widths) - 1:
                h = self.downsample(h, f"down_blocks.{i}.downsamplers.0", i < self.time_levels)
        h = self.resnet(h, "mid_block.resnets.0")
        h = self.resnet(h, "mid_block.resnets.1")
        h = self.swish(self.norm(h, "norm_out", 1e-6))
        return self.causal_conv(h, "conv_out")

    def encode(self, video, chunk_frames):
        self.caches = {}
        frames = video.shape[2]
        bounds = [0] + list(range(chunk_frames + 1, frames, chunk_frames)) + [frames]
        outs = [self.chunk(video[:, :, a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
        return torch.cat(outs, dim=2)


def main():
    args = sys.argv[1:]
    options = {}
    for flag in ("--time", "--threads"):
        if flag in args:
            i = args.index(flag)
            options[flag] = int(args[i + 1])
            del args[i:i + 2]
    vae_dir, input_path, output_path = args[0], args[1], args[3]
    chunk_lengths = [int(w) for w in args[2].split(",")]
    with open(vae_dir + "/config.json") as f:
        config = json.load(f)
    weights = read_safetensors(vae_dir + "/diffusion_pytorch_model.safetensors")
    video = read_safetensors(input_path)["video"].float()
    torch.set_num_threads(options.get("--threads", 1))
    encoder = Encoder(config, weights)
    out = {}
    with torch.no_grad():
        for w in chunk_lengths:
            times, cpu = [], []
            for _ in range(options.get("--time", 1)):
                start, start_cpu = time.perf_counter(), time.process_time()
                latent = encoder.encode(video, w)
                times.append(time.perf_counter() - start)
                cpu.append(time.process_time() - start_cpu)
            if "--time" in options:
                print("TIME %d %s" % (w, " ".join("%.6f" % t for t in times)), flush=True)
                print("CPU %d %s" % (w, " ".join("%.6f" % t for t in cpu)), flush=True)
            out[f"latent_{w}"] = latent[0].permute(1, 0, 2, 3).contiguous()
    write_safetensors(output_path, out)


if __name__ == "__main__":
    main()
