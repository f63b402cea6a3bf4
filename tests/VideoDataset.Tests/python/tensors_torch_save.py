"""Writes tensor files with torch.save itself, for the reader: a 4-D bfloat16 tensor, a float32 view with
a storage offset (torch saves the whole storage), a float16 scalar.

Usage: tensors_torch_save.py OUT_DIR   (writes <name>.pt and expected.json: name -> dtype, shape, bits)
"""
import json
import os
import sys

import torch

SAME_SIZE_INT = {torch.float32: torch.int32, torch.float16: torch.int16, torch.bfloat16: torch.int16}


def main():
    out = sys.argv[1]
    g = torch.Generator().manual_seed(7)
    base = torch.randn(4, 5, generator=g)
    tensors = {
        "bf16_4d": torch.randn(2, 3, 4, 5, generator=g).to(torch.bfloat16),
        "f32_offset_view": base[1:3],
        "f16_scalar": torch.tensor(3.5, dtype=torch.float16),
    }
    expected = {}
    for name, t in tensors.items():
        torch.save(t, os.path.join(out, name + ".pt"))
        expected[name] = {
            "dtype": str(t.dtype), "shape": list(t.shape),
            "bits": t.contiguous().view(SAME_SIZE_INT[t.dtype]).numpy().tobytes().hex(),
        }
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f)
    print("OK")


if __name__ == "__main__":
    main()
