"""Any input to a parser or loader either works or ends in the project's own one-line error."""

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import run_sim
from agent.dataset import MANIFEST, Dataset, DatasetError
from models import checkpoint
from models.checkpoint import CheckpointError
from models.nets import DrivingNet, SpecError, parse
from sim.track import TrackError, load

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=8), inner, max_size=6),
    max_leaves=30,
)
NUMBERS = st.one_of(st.integers(-5, 5), st.floats(allow_nan=True, allow_infinity=True), st.floats(-500, 500))
TRACKISH = st.fixed_dictionaries(
    {"width_m": NUMBERS, "centerline": st.lists(st.lists(NUMBERS, min_size=1, max_size=3), max_size=12)},
    optional={"name": st.text(max_size=5)},
)


def one_line(e: Exception) -> bool:
    return bool(str(e)) and "\n" not in str(e)


@SETTINGS
@given(content=st.one_of(JSON.map(json.dumps), TRACKISH.map(json.dumps), st.text(max_size=40)))
def test_track_files(tmp_path, content):
    path = tmp_path / "t.json"
    path.write_text(content)
    try:
        track = load(path)
    except TrackError as e:
        assert one_line(e) and str(path) in str(e)
    else:
        assert track.n >= 8 and np.isfinite(track.centerline).all()


@SETTINGS
@given(spec=st.one_of(st.text(max_size=30), st.lists(st.sampled_from(["conv(8,5,2)", "conv(16,3)", "pool(2)", "pool(9)", "fc(32)", "fc(0)", "relu", "dropout(0.5)", "norm", "avgpool(2)", "x"]), max_size=6).map(" ".join)))
def test_architecture_specs(spec):
    try:
        layers = parse(spec)
        net = DrivingNet({"camera": (3, 42, 64)}, spec, None, "regression")
    except SpecError as e:
        assert one_line(e)
    else:
        assert layers and sum(p.numel() for p in net.parameters()) > 0


@SETTINGS
@given(manifest=st.one_of(JSON, st.fixed_dictionaries({"schema": st.just(1), "env": JSON, "episodes": JSON})))
def test_dataset_manifests(tmp_path, manifest):
    root = tmp_path / "d"
    root.mkdir(exist_ok=True)
    (root / MANIFEST).write_text(json.dumps(manifest))
    try:
        Dataset(root).load(("action",))
    except DatasetError as e:
        assert one_line(e)


@SETTINGS
@given(data=st.binary(max_size=300))
def test_chunk_files(tmp_path, data):
    from agent.dataset import DatasetWriter
    from sim.config import EnvConfig

    root = tmp_path / "d"
    if not (root / MANIFEST).exists():
        w = DatasetWriter(root, EnvConfig(observation="sensors"))
        ep = w.episode(track="t", driver="human")
        ep.add({"sensors": np.zeros(10, np.float32)}, np.zeros(1, np.float32), np.zeros(1, np.float32), {"progress_m": 0, "lateral_offset_m": 0, "heading_error_rad": 0, "speed_mps": 0, "off_road": False}, "human")
        ep.close()
    chunk = root / Dataset(root).episodes[0]["chunks"][0]
    chunk.write_bytes(data)
    with pytest.raises(DatasetError) as e:
        Dataset(root).load(("sensors", "action"))
    assert one_line(e.value) and str(chunk) in str(e.value)


@SETTINGS
@given(data=st.binary(max_size=400))
def test_checkpoint_files(tmp_path, data):
    path = tmp_path / "m.pt"
    path.write_bytes(data)
    with pytest.raises(CheckpointError) as e:
        checkpoint.load(path)
    assert one_line(e.value) and str(path) in str(e.value)


@SETTINGS
@given(flag=st.sampled_from(["--tracks", "--laps", "--camera-size", "--workers", "--video-every"]), value=st.text(max_size=8))
def test_numeric_flags(capsys, flag, value):
    try:
        args = run_sim.build_parser().parse_args(["eval", flag + "=" + value])
    except SystemExit as e:
        err = capsys.readouterr().err.strip()
        assert e.code == 2 and "\n" not in err and flag in err
    else:
        assert isinstance(getattr(args, flag[2:].replace("-", "_")), int)


VALUES = st.one_of(st.none(), st.booleans(), st.integers(-3, 300), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=6),
                   st.lists(st.sampled_from(["school", "cones", 1, None]), max_size=2), st.sampled_from(["school", "cones", "weather", "both", "sensors", "camera", "topdown", "recover"]))


@settings(max_examples=40, deadline=None)
@given(kwargs=st.dictionaries(st.sampled_from(["num_envs", "level", "observation", "camera", "camera_size", "rays", "ray_fov_deg", "offroad", "max_steps", "split"]), VALUES, max_size=4))
def test_make_vec_arguments(kwargs):
    """`gymnasium.make_vec` with any arguments builds an env that steps, or ends in one line."""
    import gymnasium as gym

    import sim  # noqa: F401

    kwargs.setdefault("num_envs", 2)
    try:
        env = gym.make_vec("DriveLab-v0", **kwargs)
    except (ValueError, TypeError) as e:
        assert one_line(e), e
        return
    obs, _ = env.reset(seed=0)
    env.step(np.zeros(env.action_space.shape, np.float32))
    assert all(np.isfinite(v).all() for v in obs.values() if v.dtype.kind == "f")
