"""A checkpoint as an ONNX graph that drives: raw observation in, steering out.

The graph holds the model's own preprocessing (`models.preprocess.preprocess`: the crop,
the channel order, the scaling) traced from the same function training and driving use,
so an exported policy cannot drift from its checkpoint. Inputs: `camera` uint8 (B, H, W,
C) and/or `sensors` float32 (B, n), as the env observes them; output: `steering` float32
(B,). The checkpoint's metadata (env layout, input spec, training arguments) travels in
the ONNX file's metadata under `drivelab`. Needs the `formats` extra (onnx, onnxruntime).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import torch

from models import checkpoint
from models.preprocess import InputSpec, preprocess

META_KEY = "drivelab"
TOLERANCE = 1e-4


class ExportError(ValueError):
    """An export or an ONNX file that cannot be used; one line naming the file."""


class _Driving(torch.nn.Module):
    """Raw observation -> steering: preprocessing, the network, its head's steering."""

    def __init__(self, model, spec: InputSpec):
        super().__init__()
        self.model, self.spec = model, spec

    def forward(self, *inputs):
        obs = dict(zip(self.spec.keys, inputs))
        x = preprocess(obs, self.spec)
        return self.model.steering(self.model(**x))


def export_onnx(model_path: str | Path, out: str | Path, frames: dict[str, np.ndarray]) -> dict:
    """Write the ONNX graph of the checkpoint at `model_path` to `out`, then check it:
    onnxruntime on `frames` (a batch of real observations) must match torch within
    TOLERANCE. Returns {"frames", "max_abs_diff", "inputs"}; raises ExportError otherwise.
    """
    import onnx

    model, meta = checkpoint.load(model_path)
    model = model.to(memory_format=torch.contiguous_format).float()
    spec = InputSpec.from_dict(meta["input"])
    wrapper = _Driving(model, spec).eval()
    example = tuple(torch.from_numpy(np.ascontiguousarray(frames[k][:2])) for k in spec.keys)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    dynamic = {k: {0: "batch"} for k in spec.keys} | {"steering": {0: "batch"}}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", torch.jit.TracerWarning)  # the sensor scale is a constant, as it should be
        warnings.simplefilter("ignore", DeprecationWarning)  # the TorchScript exporter: the new one needs onnxscript
        torch.onnx.export(
            wrapper,
            example,
            tmp,
            input_names=list(spec.keys),
            output_names=["steering"],
            dynamic_axes=dynamic,
            opset_version=17,
            dynamo=False,
        )
    graph = onnx.load(tmp)
    graph.metadata_props.add(key=META_KEY, value=json.dumps(meta))
    onnx.save(graph, tmp)
    with torch.no_grad():
        want = wrapper(*(torch.from_numpy(np.ascontiguousarray(frames[k])) for k in spec.keys)).numpy()
    got = OnnxDriver(tmp).steering(frames)
    diff = float(np.abs(got - want).max())
    if not diff <= TOLERANCE:
        tmp.unlink()
        raise ExportError(
            f"{out}: onnxruntime and torch disagree by {diff:.2e} on {len(want)} frames (allowed {TOLERANCE}); not "
            "written"
        )
    tmp.replace(out)
    return {"frames": len(want), "max_abs_diff": diff, "inputs": list(spec.keys)}


class OnnxDriver:
    """An exported policy run by onnxruntime: `steering(obs batch) -> (B,)`, and its `meta`."""

    def __init__(self, path: str | Path, threads: int = 1):
        try:
            import onnxruntime as ort
        except ImportError:
            raise ExportError(
                f"{path}: running an ONNX policy needs onnxruntime (pip install -e '.[formats]')"
            ) from None
        path = Path(path)
        if not path.exists():
            raise ExportError(f"{path}: no such ONNX file")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        try:
            self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as e:  # onnxruntime raises its own types for files it cannot read
            raise ExportError(f"{path}: not an ONNX model ({type(e).__name__})") from None
        props = self.session.get_modelmeta().custom_metadata_map
        if META_KEY not in props:
            raise ExportError(
                f"{path}: an ONNX model, but not a DriveLab policy (no '{META_KEY}' metadata; make one with "
                "run_sim.py export)"
            )
        self.meta = json.loads(props[META_KEY])
        self.spec = InputSpec.from_dict(self.meta["input"])
        self.path = path

    def steering(self, obs: dict) -> np.ndarray:
        feeds = {}
        for k in self.spec.keys:
            v = np.asarray(obs[k], dtype=np.uint8 if k == "camera" else np.float32)
            feeds[k] = v[None] if v.ndim == (3 if k == "camera" else 1) else v
        return self.session.run(["steering"], feeds)[0].reshape(-1)
