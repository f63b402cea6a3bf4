"""Loads a built dataset the way the trainer does: every manifest line, every tensor with
torch.load(weights_only=True). Prints one JSON summary; exits non-zero on any mismatch."""
import json, os, sys
import torch

root, frames_h, frames_w, d_model, max_len = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
summary = {"manifests": {}, "latents": 0, "texts": 0}
for name in sorted(os.listdir(root)):
    if not (name.startswith("manifest-") and name.endswith("s.jsonl")):
        continue
    seconds = int(name[len("manifest-"):-len("s.jsonl")])
    lines = [json.loads(l) for l in open(os.path.join(root, name), encoding="utf-8") if l.strip()]
    summary["manifests"][name] = [l["video"] for l in lines]
    for l in lines:
        assert set(l) == {"vid_emb", "text_chunk_emb", "video"}, l
        lat = torch.load(os.path.join(root, l["vid_emb"]), weights_only=True)
        assert type(lat) is torch.Tensor and lat.dtype == torch.bfloat16, (type(lat), lat.dtype)
        t_lat = (16 * seconds) // 4 + 1
        assert lat.dim() == 4 and lat.shape[0] == t_lat and lat.shape[2] == frames_h // 8 and lat.shape[3] == frames_w // 8, lat.shape
        assert torch.isfinite(lat.float()).all()
        summary["latents"] += 1
        assert len(l["text_chunk_emb"]) == seconds // 3, l
        for p in l["text_chunk_emb"]:
            assert "\\" not in p and not os.path.isabs(p)
            e = torch.load(os.path.join(root, p), weights_only=True)
            assert type(e) is torch.Tensor and e.dtype == torch.bfloat16 and tuple(e.shape) == (max_len, d_model), (e.dtype, e.shape)
            summary["texts"] += 1
print(json.dumps(summary))
