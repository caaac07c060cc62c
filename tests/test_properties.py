"""Any input to a parser or loader either works or ends in the project's own one-line error."""

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import run_sim
from agent.data.dataset import MANIFEST, Dataset, DatasetError
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


def loads_or_one_line(path, data, loader, error):
    """Write `data` as JSON to `path` and load it: the result, or None after checking that
    the refusal is one line naming the file."""
    path.write_text(json.dumps(data))
    try:
        return loader(path)
    except error as e:
        assert one_line(e) and str(path) in str(e)
        return None


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
@given(
    spec=st.one_of(
        st.text(max_size=30),
        st.lists(
            st.sampled_from(
                [
                    "conv(8,5,2)",
                    "conv(16,3)",
                    "pool(2)",
                    "pool(9)",
                    "fc(32)",
                    "fc(0)",
                    "relu",
                    "dropout(0.5)",
                    "norm",
                    "avgpool(2)",
                    "x",
                ]
            ),
            max_size=6,
        ).map(" ".join),
    )
)
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
    from agent.data.dataset import DatasetWriter
    from sim.config import EnvConfig

    root = tmp_path / "d"
    if not (root / MANIFEST).exists():
        w = DatasetWriter(root, EnvConfig(observation="sensors"))
        ep = w.episode(track="t", driver="human")
        ep.add(
            {"sensors": np.zeros(10, np.float32)},
            np.zeros(1, np.float32),
            np.zeros(1, np.float32),
            {"progress_m": 0, "lateral_offset_m": 0, "heading_error_rad": 0, "speed_mps": 0, "off_road": False},
            "human",
        )
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
@given(
    flag=st.sampled_from(["--tracks", "--laps", "--camera-size", "--workers", "--video-every"]),
    value=st.text(max_size=8),
)
def test_numeric_flags(capsys, flag, value):
    try:
        args = run_sim.build_parser().parse_args(["eval", flag + "=" + value])
    except SystemExit as e:
        err = capsys.readouterr().err.strip()
        assert e.code == 2 and "\n" not in err and flag in err
    else:
        assert isinstance(getattr(args, flag[2:].replace("-", "_")), int)


VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 300),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
    st.lists(st.sampled_from(["school", "cones", 1, None]), max_size=2),
    st.sampled_from(["school", "cones", "weather", "both", "sensors", "camera", "topdown", "recover"]),
)


@settings(max_examples=40, deadline=None)
@given(
    kwargs=st.dictionaries(
        st.sampled_from(
            [
                "num_envs",
                "level",
                "observation",
                "camera",
                "camera_size",
                "rays",
                "ray_fov_deg",
                "offroad",
                "max_steps",
                "split",
            ]
        ),
        VALUES,
        max_size=4,
    )
)
def test_make_vec_arguments(kwargs):
    """`gymnasium.make_vec` with any arguments builds an env that steps, or ends in one line."""
    import gymnasium as gym

    from sim import ENV_ID  # registers it

    kwargs.setdefault("num_envs", 2)
    try:
        env = gym.make_vec(ENV_ID, **kwargs)
    except (ValueError, TypeError) as e:
        assert one_line(e), e
        return
    obs, _ = env.reset(seed=0)
    env.step(np.zeros(env.action_space.shape, np.float32))
    assert all(np.isfinite(v).all() for v in obs.values() if v.dtype.kind == "f")


SUITE_VALUES = st.one_of(
    JSON,
    st.lists(st.integers(-2, 2_000_100), max_size=3),
    st.lists(st.sampled_from(["school", "cones", "moon"]), max_size=3),
    st.integers(-3, 200_000),
)


@SETTINGS
@given(
    suite=st.one_of(
        JSON,
        st.dictionaries(
            st.sampled_from(["name", "levels", "tracks", "laps", "seeds", "split", "description", "extra"]),
            SUITE_VALUES,
            max_size=5,
        ),
    )
)
def test_race_suites(tmp_path, suite):
    from agent.grade.race import SuiteError, load_suite

    s = loads_or_one_line(tmp_path / "suite.json", suite, load_suite, SuiteError)
    assert s is None or (s.tracks and s.levels and s.laps >= 1)


KNOB_VALUES = st.one_of(
    JSON,
    st.lists(
        st.one_of(
            st.integers(-10, 10**30),
            st.floats(allow_nan=True, allow_infinity=True),
            st.sampled_from(["tiny", "mlp", "pilotnet", "sensors", "camera", "school", "adam", "conv(8,3)"]),
        ),
        max_size=3,
    ),
)


@SETTINGS
@given(
    space=st.one_of(
        JSON,
        st.dictionaries(
            st.sampled_from(
                ["arch", "episodes", "steps", "dart", "model", "lr", "batch_size", "level", "epochs", "seed"]
            ),
            KNOB_VALUES,
            max_size=4,
        ),
    )
)
def test_search_spaces(tmp_path, space):
    from agent.learn.sweep import SpaceError, load_space, plan

    checked = loads_or_one_line(tmp_path / "space.json", space, load_space, SpaceError)
    assert checked is None or plan(checked)


OBSTACLE = st.fixed_dictionaries(
    {"kind": st.sampled_from(["cone", "car", "truck"]), "s_m": NUMBERS, "offset_m": st.floats(-6, 6)}
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(obstacles=st.one_of(JSON, st.lists(OBSTACLE, max_size=5)), s_scale=st.sampled_from([1.0, 50.0]))
def test_track_files_with_obstacles(tmp_path, obstacles, s_scale):
    """Obstacles in a track file load (and then leave a way past, off the start) or end in one line."""
    from sim.obstacles import problems

    if isinstance(obstacles, list):
        obstacles = [
            {**o, "s_m": o["s_m"] * s_scale} if isinstance(o, dict) and isinstance(o.get("s_m"), (int, float)) else o
            for o in obstacles
        ]
    path = tmp_path / "t.json"
    path.write_text(
        json.dumps(
            {
                "name": "o",
                "width_m": 8.0,
                "centerline": [[0, 0], [60, 0], [90, 30], [60, 60], [0, 60], [-30, 30]],
                "obstacles": obstacles,
            }
        )
    )
    try:
        track = load(path)
    except TrackError as e:
        assert one_line(e) and str(path) in str(e)
    else:
        assert problems(track.obstacles, track.length_m, track.width_m) == []


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cuts=st.one_of(
        JSON,
        st.lists(
            st.lists(st.one_of(st.integers(-5, 400), st.floats(allow_nan=True)), min_size=0, max_size=3), max_size=4
        ),
    )
)
def test_manifests_with_cuts(tmp_path, cuts):
    """Whatever a manifest says was cut, the dataset loads with those frames left out, or ends in one line."""
    from agent.data.dataset import DatasetWriter
    from sim.config import EnvConfig

    root = tmp_path / "d"
    if not (root / MANIFEST).exists():
        w = DatasetWriter(root, EnvConfig(observation="sensors"))
        ep = w.episode(track="t", driver="human")
        for _ in range(120):
            ep.add(
                {"sensors": np.zeros(10, np.float32)},
                np.zeros(1, np.float32),
                np.zeros(1, np.float32),
                {"progress_m": 0, "lateral_offset_m": 0, "heading_error_rad": 0, "speed_mps": 0, "off_road": False},
                "human",
            )
        ep.close()
        w.close()
    manifest = json.loads((root / MANIFEST).read_text())
    manifest["episodes"][0]["excluded"] = cuts
    (root / MANIFEST).write_text(json.dumps(manifest))
    try:
        data = Dataset(root).load(("sensors", "action", "excluded"))
    except DatasetError as e:
        assert one_line(e) and str(root) in str(e)
    else:
        assert len(data["action"]) == 120 and data["excluded"].dtype == bool
