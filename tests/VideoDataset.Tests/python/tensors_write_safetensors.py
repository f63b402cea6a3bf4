"""Writes a safetensors file by hand (no safetensors package): 8-byte little-endian header length, JSON
header, raw little-endian data. The values are rounded to F16/BF16 by torch itself.

Usage: tensors_write_safetensors.py OUT.safetensors EXPECTED.json
EXPECTED.json: {"name": {"dtype": "BF16", "shape": [...], "bits": hex, "source": [float32 values]}}
"""
import json
import struct
import sys

import torch

SAME_SIZE_INT = {torch.float32: torch.int32, torch.float16: torch.int16, torch.bfloat16: torch.int16}
NAMES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16"}


def main():
    out, expected_path = sys.argv[1], sys.argv[2]
    g = torch.Generator().manual_seed(1234)
    tensors = {
        "encoder.block.0.weight": torch.randn(2, 3, generator=g, dtype=torch.float32),
        "encoder.norm.weight": (torch.randn(5, generator=g) * 1000).to(torch.float16),
        "decoder.conv.weight": (torch.randn(2, 3, 2, 2, generator=g) / 3).to(torch.bfloat16),
        "empty": torch.zeros(0, 4, dtype=torch.bfloat16),
    }
    # The source float32 values for the rounded tensors, so the reader's test can check our own rounding too.
    g = torch.Generator().manual_seed(1234)
    torch.randn(2, 3, generator=g)
    sources = {
        "encoder.block.0.weight": None,
        "encoder.norm.weight": (torch.randn(5, generator=g) * 1000),
        "decoder.conv.weight": (torch.randn(2, 3, 2, 2, generator=g) / 3),
        "empty": torch.zeros(0, 4),
    }
    header, blobs, offset, expected = {"__metadata__": {"format": "pt", "writer": "python"}}, [], 0, {}
    for name, t in tensors.items():
        data = t.contiguous().view(SAME_SIZE_INT[t.dtype]).numpy().tobytes()
        header[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
        src = sources[name]
        expected[name] = {
            "dtype": NAMES[t.dtype], "shape": list(t.shape), "bits": data.hex(),
            "source": (src if src is not None else t).flatten().tolist(),
        }
    text = json.dumps(header).encode("utf-8")
    with open(out, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)
    with open(expected_path, "w") as f:
        json.dump(expected, f)
    print("OK")


if __name__ == "__main__":
    main()
