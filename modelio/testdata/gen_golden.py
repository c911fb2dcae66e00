# Writes golden.safetensors with a safetensors writer of its own (struct + json, following
# the format's description, independent of modelio's), and golden.json with the values a
# reader must find: every dtype modelio reads, a scalar, an empty tensor, metadata, and data
# laid out in another order than the header lists it.
# Run from the repository root: /usr/bin/python3 modelio/testdata/gen_golden.py
import json, os, struct
import numpy as np

np.seterr(over="ignore")  # 1e40 is meant to overflow float32 to inf

HERE = os.path.dirname(os.path.abspath(__file__))
f16 = np.array([1.0, -0.0, 6.1e-5, 5.96e-8, 65504.0, np.inf], dtype=np.float16)  # incl. subnormals
f32 = np.array([[0.25, -1.5, 3.0e-39], [np.pi, 1e30, -7.0]], dtype=np.float32)
bf16_src = np.array([1.0, -2.5, 3.140625], dtype=np.float32)
tensors = {  # name: (dtype, shape, raw bytes, values as float32)
    "b.weight": ("F32", [2, 3], f32.tobytes(), f32),
    "a.scalar": ("F32", [], np.float32(0.5).tobytes(), np.float32(0.5)),
    "c.half": ("F16", [6], f16.tobytes(), f16.astype(np.float32)),
    "d.bfloat": ("BF16", [3], (bf16_src.view(np.uint32) >> 16).astype("<u2").tobytes(), bf16_src),
    "e.double": ("F64", [2, 2], np.array([[1 / 3, -2.0], [1e-300, 1e40]]).tobytes(),
                 np.array([[1 / 3, -2.0], [1e-300, 1e40]]).astype(np.float32)),
    "f.num_batches_tracked": ("I64", [], np.int64(12345).tobytes(), np.float32(12345)),
    "g.int": ("I32", [3], np.array([-7, 0, 2 ** 30], dtype="<i4").tobytes(), np.array([-7, 0, 2 ** 30], dtype=np.float32)),
    "h.empty": ("F32", [0, 4], b"", np.zeros((0, 4), dtype=np.float32)),
}
# The data goes in reverse name order; the header lists names in another order again.
header, data = {"__metadata__": {"note": "written by gen_golden.py", "unicode": "ünïcødé"}}, b""
for name in sorted(tensors, reverse=True):
    dtype, shape, raw, _ = tensors[name]
    header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
    data += raw
js = json.dumps(dict(sorted(header.items(), key=lambda kv: kv[0][::-1])), ensure_ascii=False).encode()
js += b" " * (-len(js) % 8)
with open(os.path.join(HERE, "golden.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(js)) + js + data)
expect = {name: {"shape": shape, "bits": np.asarray(v, dtype=np.float32).reshape(-1).view(np.uint32).tolist()}
          for name, (_, shape, _, v) in tensors.items()}
with open(os.path.join(HERE, "golden.json"), "w") as f:
    json.dump({"tensors": expect, "metadata": header["__metadata__"]}, f, indent=1, ensure_ascii=False)
print("wrote golden.safetensors and golden.json")
