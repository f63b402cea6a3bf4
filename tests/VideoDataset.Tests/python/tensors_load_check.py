"""Loads tensor files written by TorchTensorFile with real torch.load and checks them.

Usage: tensors_load_check.py EXPECTED.json
EXPECTED.json: [{"path": ..., "dtype": "torch.bfloat16", "shape": [..], "bits": "<hex of the little-endian
bytes>", "values": [float, ...]}, ...]. Each file is loaded with weights_only=False and True and must give a
plain torch.Tensor with exactly that dtype, shape, bytes and values. Prints OK <n> on success, exits 1 otherwise.
"""
import json
import sys
import zipfile

import torch

SAME_SIZE_INT = {torch.float32: torch.int32, torch.float16: torch.int16, torch.bfloat16: torch.int16}


def check(expected):
    path = expected["path"]
    # The zip itself: every CRC valid by Python's own zip reader, every record stored and 64-byte aligned.
    with zipfile.ZipFile(path) as z:
        bad = z.testzip()
        assert bad is None, f"{path}: zipfile reports a bad CRC in {bad}"
        with open(path, "rb") as f:
            raw = f.read()
        for info in z.infolist():
            assert info.compress_type == zipfile.ZIP_STORED, f"{info.filename} is compressed"
            name_len = int.from_bytes(raw[info.header_offset + 26:info.header_offset + 28], "little")
            extra_len = int.from_bytes(raw[info.header_offset + 28:info.header_offset + 30], "little")
            start = info.header_offset + 30 + name_len + extra_len
            assert start % 64 == 0, f"{info.filename} data starts at {start}, not 64-byte aligned"
    for weights_only in (False, True):
        x = torch.load(path, weights_only=weights_only)
        where = f"{path} (weights_only={weights_only})"
        assert type(x) is torch.Tensor, f"{where}: got {type(x)}"
        assert str(x.dtype) == expected["dtype"], f"{where}: dtype {x.dtype}"
        assert list(x.shape) == expected["shape"], f"{where}: shape {list(x.shape)}"
        assert x.is_contiguous(), f"{where}: not contiguous"
        assert not x.requires_grad
        bits = x.view(SAME_SIZE_INT[x.dtype]).numpy().tobytes().hex()
        assert bits == expected["bits"], f"{where}: bytes differ"
        values = x.float().flatten().tolist()
        # Infinities arrive as the strings "Infinity"/"-Infinity" (JSON has no literal for them).
        wanted = [float(v) for v in expected["values"]]
        assert len(values) == len(wanted), f"{where}: {len(values)} values, expected {len(wanted)}"
        for i, (got, want) in enumerate(zip(values, wanted)):
            assert got == want, f"{where}: element {i} is {got}, expected {want}"


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)
    for case in cases:
        check(case)
    print(f"OK {len(cases)} torch {torch.__version__}")


if __name__ == "__main__":
    main()
