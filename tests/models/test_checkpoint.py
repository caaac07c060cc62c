import json

import pytest
import torch

from models import checkpoint
from models.checkpoint import CheckpointError
from models.preprocess import input_spec_for
from sim.config import CameraParams, EnvConfig


def make(tmp_path, keys=("camera",)):
    env = EnvConfig()
    spec = input_spec_for(env, keys)
    meta = {
        "camera_arch": "tiny" if "camera" in keys else None,
        "sensor_arch": "mlp" if "sensors" in keys else None,
        "head": "classification",
        "bins": 11,
        "input": spec.to_dict(),
        "env": env.to_dict(),
    }
    model = checkpoint.build_model(meta)
    path = tmp_path / "m.pt"
    checkpoint.save(path, model, meta)
    return path, model, meta


def test_round_trip_identical_predictions(tmp_path):
    path, model, meta = make(tmp_path, ("camera", "sensors"))
    model.eval()
    # load() returns a channels_last model; compare like with like (the conv kernels of the
    # two memory formats may round differently)
    model.to(memory_format=torch.channels_last)
    x = {"camera": torch.rand(5, 3, 42, 64) - 0.5, "sensors": torch.rand(5, 10)}
    back, meta2 = checkpoint.load(path)
    assert meta2 == json.loads(json.dumps(meta))  # tuples come back as lists
    assert torch.equal(model(**x), back(**x))


def test_mismatches_named(tmp_path):
    _, _, meta = make(tmp_path)
    other = EnvConfig(camera=CameraParams(width_px=96, height_px=96)).to_dict()
    problems = checkpoint.env_mismatches(meta, other)
    assert any("camera.width_px 64 (model) vs 96 (env)" in p for p in problems)
    sensors_only = EnvConfig(observation="sensors").to_dict()
    assert any("reads camera" in p for p in checkpoint.env_mismatches(meta, sensors_only))
    assert checkpoint.env_mismatches(meta, EnvConfig().to_dict()) == []


def test_corrupt_and_foreign_files(tmp_path):
    path, _, _ = make(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(CheckpointError) as e:
        checkpoint.load(path)
    assert str(path) in str(e.value) and "\n" not in str(e.value)
    torch.save({"hello": torch.zeros(2)}, tmp_path / "foreign.pt")
    with pytest.raises(CheckpointError, match="not a DriveLab checkpoint"):
        checkpoint.load(tmp_path / "foreign.pt")
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        checkpoint.load(tmp_path / "missing.pt")


def test_loading_runs_no_pickled_code(tmp_path):
    """A checkpoint carrying an arbitrary Python object is refused, not executed."""

    class Boom:
        def __reduce__(self):
            return (exec, ("open('PWNED','w').write('x')",))

    torch.save(
        {"format": "drivelab-checkpoint", "version": 1, "meta": "{}", "state_dict": {}, "x": Boom()},
        tmp_path / "evil.pt",
    )
    with pytest.raises(CheckpointError):
        checkpoint.load(tmp_path / "evil.pt")
    assert not (tmp_path / "PWNED").exists()
