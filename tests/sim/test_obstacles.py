"""Obstacles: placed from the seed with a way past, seen by camera and rays, touched as collisions."""

import json

import numpy as np
import pytest

from agent.drivers.expert import Expert, ExpertParams
from agent.grade.evaluate import eval_tracks, evaluate
from sim import track as tracks
from sim.config import EnvConfig
from sim.env import DrivingEnv, resolve_track
from sim.levels import Conditions, with_level
from sim.obstacles import CAR_RADIUS_M, INNER_EDGE_M, PASS_GAP_M, SIZES, Obstacle, avoidance_offsets, problems
from sim.world import World

CONES = with_level(EnvConfig(), "cones")


def test_cones_tracks_carry_seeded_obstacles_with_a_way_past():
    count, length = 0, 0.0
    for seed in range(20):
        t = tracks.from_seed(seed, CONES.track)
        assert t.obstacles == tracks.from_seed(seed, CONES.track).obstacles  # same seed, same obstacles
        s = np.array([o.s_m for o in t.obstacles])
        assert len(s) >= 1 and np.all(np.diff(s) >= 60.0 - 1e-9)
        count, length = count + len(s), length + t.length_m
        assert problems(t.obstacles, t.length_m, t.width_m) == []
        for o in t.obstacles:
            inner = abs(o.offset_m) - o.size[1] / 2
            assert inner == pytest.approx(INNER_EDGE_M)  # on one half, reaching to 0.3 m of the centre line
            assert t.width_m / 2 + inner >= PASS_GAP_M
    assert 60 < length / count < 150  # one every 60-120 m, fewer in tight curves
    assert tracks.from_seed(3).obstacles == ()  # school: none


def _write(tmp_path, name, obstacles, width_m=8.0):
    base = tracks.from_seed(3)
    path = tmp_path / f"{name}.json"
    tracks.save(tracks.Track.from_polyline(name, width_m, base.centerline), path)
    data = json.loads(path.read_text())
    data["obstacles"] = obstacles
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(
    "obstacles, message",
    [
        ([{"kind": "cone", "s_m": 50, "offset_m": 2.9}], "obstacle 0 (cone at 50.0 m): lies off the road"),
        ([{"kind": "car", "s_m": 50, "offset_m": 0.0}], "obstacle 0 (car at 50.0 m): blocks the road"),
        (
            [{"kind": "cone", "s_m": 50, "offset_m": 1}, {"kind": "car", "s_m": 52, "offset_m": -2}],
            "obstacle 1 (car at 52.0 m): overlaps obstacle 0",
        ),
        ([{"kind": "truck", "s_m": 50, "offset_m": 1}], "obstacle 0 must be"),
    ],
)
def test_bad_obstacles_in_a_track_file_are_one_line_errors(tmp_path, obstacles, message):
    path = _write(tmp_path, "bad", obstacles, width_m=6.0)
    with pytest.raises(tracks.TrackError) as e:
        tracks.load(path)
    assert str(path) in str(e.value) and message in str(e.value) and "\n" not in str(e.value)


def test_track_file_obstacles_load_and_round_trip(tmp_path):
    path = _write(
        tmp_path, "ok", [{"kind": "car", "s_m": 120, "offset_m": -1.3}, {"kind": "cone", "s_m": 40, "offset_m": 0.65}]
    )
    t = tracks.load(path)
    assert [o.kind for o in t.obstacles] == ["cone", "car"]  # sorted along the road
    tracks.save(t, tmp_path / "again.json")
    assert tracks.load(tmp_path / "again.json").obstacles == t.obstacles


def _world(offroad="terminate", observation="both"):
    from dataclasses import replace

    cfg = replace(CONES, offroad=offroad, observation=observation)
    t = resolve_track(1, cfg.track)
    w = World(cfg, 1)
    w.set_track(0, t)
    w.set_conditions(0, Conditions())
    w.reset_cars(0)
    return w, t


def _place_before(w, t, o, d, lateral=0.0):
    s = o.s_m - d
    (px, py), h = t.point_at(s), float(t.heading_at(s))
    w.place(0, px - np.sin(h) * lateral, py + np.cos(h) * lateral, h, 12.0)


@pytest.mark.parametrize("offroad", ["terminate", "recover"])
def test_driving_into_an_obstacle_is_a_collision(offroad):
    w, t = _world(offroad)
    o = t.obstacles[0]
    _place_before(w, t, o, 8.0, lateral=o.offset_m)
    hits, rewards = [], []
    for _ in range(30):
        r, term, _ = w.step(np.zeros(1), None)
        rewards.append(r[0])
        hits.append(int(w.collisions[0]))
        if term[0]:
            break
    assert max(hits) == 1 and min(rewards) < -5  # one collision, penalised
    if offroad == "terminate":
        assert term[0]
    else:
        assert w.interventions[0] == 1 and w.s[0] > o.s_m + o.size[0] / 2  # put back past it
    w2, _ = _world(offroad)
    _place_before(w2, t, o, 8.0, lateral=-o.offset_m * 2.5)  # on the free half: no contact
    for _ in range(30):
        w2.step(np.zeros(1), None)
    assert w2.collisions[0] == 0


def test_rays_read_the_distance_to_an_obstacle():
    w, t = _world(observation="sensors")

    def bend(o):  # the straightest stretch: a ray along the road stays on it
        v = int(o.s_m / t.ds)
        return np.abs(t.curvature[np.arange(v - 12, v + 3) % t.n]).max()

    o = min((o for o in t.obstacles if o.kind == "car"), key=bend)
    _place_before(w, t, o, 8.0, lateral=o.offset_m)
    ahead = w.observe()["sensors"][0, len(w.rays.angles) // 2]  # the middle ray looks straight ahead
    assert ahead == pytest.approx(8.0 - o.size[0] / 2, abs=0.3)
    w.set_track(0, tracks.Track.from_polyline("bare", t.width_m, t.centerline))
    w.reset_cars(0)
    _place_before(w, t, o, 8.0, lateral=o.offset_m)
    assert w.observe()["sensors"][0, len(w.rays.angles) // 2] > 12  # without it, the road runs on


def _orange(frame) -> np.ndarray:
    f = frame.astype(int)
    return (f[..., 0] > 180) & (f[..., 1] > 70) & (f[..., 1] < 150) & (f[..., 2] < 80)


def test_the_dashcam_sees_a_cone_standing_on_the_road():
    w, t = _world(observation="camera")
    o = next(o for o in t.obstacles if o.kind == "cone")
    rows = []
    for d in (25.0, 12.0, 6.0):
        _place_before(w, t, o, d)
        mask = _orange(w.observe()["camera"][0])
        assert mask.any(), d  # visible from 25 m
        rows.append(int(np.ptp(np.nonzero(mask)[0])) + 1)
    assert rows[0] <= rows[1] < rows[2] and rows[2] >= 3  # grows as it nears, taller than a flat mark
    bare = World(w.config, 1)
    bare.set_track(0, tracks.Track.from_polyline("bare", t.width_m, t.centerline, markings=t.markings))
    bare.set_conditions(0, Conditions())
    bare.reset_cars(0)
    _place_before(bare, t, o, 6.0)
    assert not _orange(bare.observe()["camera"][0]).any()


def test_the_expert_passes_every_obstacle_and_a_centre_line_follower_does_not():
    r = evaluate(Expert(), CONES, eval_tracks(12), laps=1)
    assert r.summary["collisions"] == 0 and r.summary["lap_completion_rate"] == 1.0
    blind = evaluate(Expert(ExpertParams(avoid=False)), CONES, eval_tracks(12), laps=1)
    assert sum(e["collisions"] > 0 for e in blind.episodes) >= 10 and blind.summary["driving_score"] < 20


@pytest.mark.parametrize("kind, side", [("cone", 1.0), ("car", -1.0)])
def test_the_expert_path_leaves_the_centre_line_late_and_clears_the_obstacle(kind, side):
    """The swerve a network copies starts 9.5 m before the obstacle (where a 64x64 camera
    shows it), holds a clearance beside it, and eases back."""
    ln, wid, _ = SIZES[kind]
    half_len = ln / 2
    o = Obstacle(kind, 100.0, side * (INNER_EDGE_M + wid / 2))
    ds, width = 0.25, 8.0
    off = avoidance_offsets([o], 800, ds, width)
    d = np.arange(800) * ds - o.s_m  # along the road from the obstacle's centre
    near = -half_len
    assert np.all(off[d < near - 9.5 - ds] == 0)  # straight on until 9.5 m before its near end
    assert np.all(off[(d > near - 9.5 + ds) & (d < near)] * side < 0)  # then moving away from it
    beside = (d >= near - 2.5) & (d <= half_len + 6.0)
    gap = np.abs(off[beside] - o.offset_m) - wid / 2  # the car's centre to the obstacle's side
    assert gap.min() >= CAR_RADIUS_M + 0.4 - 1e-9 and np.all(np.abs(off[beside]) <= width / 2 - CAR_RADIUS_M)
    assert np.abs(np.diff(off)).max() < 0.6 * ds  # eased: at most 0.6 m sideways per metre along, no jump
    assert np.all(off[d > half_len + 6.0 + 12.0 + ds] == 0)  # back on the line


def test_info_counts_collisions():
    env = DrivingEnv(level="cones", observation="sensors", offroad="recover")
    env.reset(seed=0)
    assert env.step([0.0])[4]["collisions"] == 0
    total = 0
    for _ in range(3000):
        *_, info = env.step([0.0])  # straight on: the centre line runs through every obstacle
        total = info["collisions"]
    assert total >= 2


@pytest.mark.parametrize(
    "obstacles, message",
    [
        (
            [{"kind": "car", "s_m": 100, "offset_m": 1.3}, {"kind": "car", "s_m": 106, "offset_m": -1.3}],
            "leaves no way past with obstacle 0",
        ),
        ([{"kind": "cone", "s_m": 2, "offset_m": 0.65}], "too near the start line"),
        ([{"kind": "cone", "s_m": 0, "offset_m": -0.65}], "too near the start line"),
    ],
)
def test_obstacles_that_leave_no_way_past_or_sit_on_the_start_are_refused(tmp_path, obstacles, message):
    path = _write(tmp_path, "blocked", obstacles)
    with pytest.raises(tracks.TrackError) as e:
        tracks.load(path)
    assert str(path) in str(e.value) and message in str(e.value) and "\n" not in str(e.value)


def test_placed_obstacles_keep_the_rule_files_are_checked_by():
    """The rule a track file is checked by holds for every procedural cones track."""
    from sim.obstacles import problems

    for seed in range(1_000_000, 1_000_040):
        t = resolve_track(seed, CONES.track)
        assert problems(t.obstacles, t.length_m, t.width_m) == []


@pytest.mark.parametrize("spacing", [(0.0, 0.0), (10.0, 20.0), (80.0, 40.0)])
def test_an_obstacle_spacing_that_leaves_no_room_is_refused_not_a_hang(spacing):
    from dataclasses import replace

    from sim.config import Level, TrackParams

    with pytest.raises(ValueError, match="obstacle_spacing_m"):
        tracks.from_seed(5, replace(TrackParams(), obstacle_spacing_m=spacing))
    with pytest.raises(ValueError, match="obstacle_spacing_m"):
        Level("packed", obstacle_spacing_m=spacing)
