"""Reward files: what `params` holds, the shipped rewards, and every way a file can be wrong."""

import math

import numpy as np
import pytest

from agent.learn.reward import PARAM_KEYS, REWARDS_DIR, RewardError, RewardParams, load_reward
from sim.config import EnvConfig
from sim.env import resolve_track
from sim.levels import LEVELS
from sim.world import World


def _world(n=2, level="school"):
    cfg = EnvConfig(observation="sensors", level=LEVELS[level])
    w = World(cfg, n)
    for i in range(n):
        w.set_track(i, resolve_track(1000 + i, cfg.track))
    w.reset_cars(np.arange(n))
    return w


def _drive(w, steps, steer=0.0):
    params = RewardParams(w, w.config.level.name)
    last, rows = w.progress.copy(), None
    for _ in range(steps):
        w.step(np.full(w.n, steer), None)
        rows = params.rows(w.progress - last, np.zeros(w.n, dtype=bool))
        last = w.progress.copy()
    return rows


def test_params_describe_the_car_where_it_is():
    w = _world()
    w.place(1, *(w.tracks[1].centerline[40] + 1.5 * w.tracks[1].normal[40]), w.tracks[1].heading[40], 12.0)
    rows = _drive(w, 10, steer=0.0)
    assert set(rows[0]) == set(PARAM_KEYS)
    for i, p in enumerate(rows):
        track = w.tracks[i]
        assert p["distance_from_center"] == pytest.approx(abs(w.lateral[i]))
        assert p["is_left_of_center"] == (w.lateral[i] > 0)
        assert p["lateral_offset_m"] == pytest.approx(w.lateral[i])
        assert p["track_width"] == track.width_m and p["track_length"] == pytest.approx(track.length_m)
        assert len(p["waypoints"]) == track.n and p["steps"] == 10
        assert p["speed"] == pytest.approx(w.car.speed[i]) and p["level"] == "school"
        assert 0 < p["progress_delta_m"] < 1.0  # about 0.4 m a step at the cruise speed
        assert p["progress"] == pytest.approx(100 * w.progress[i] / track.length_m)
        # the car lies between its two closest waypoints, along the track
        a, b = (np.array(p["waypoints"][k]) for k in p["closest_waypoints"])
        along = np.dot(np.array([p["x"], p["y"]]) - a, (b - a) / np.linalg.norm(b - a))
        assert 0 <= along <= np.linalg.norm(b - a) + 1e-9
        assert -180 <= p["heading"] <= 180 and math.isclose(
            math.radians(p["heading"]) % (2 * math.pi), w.car.heading[i] % (2 * math.pi), abs_tol=1e-9
        )
    assert rows[1]["is_left_of_center"] and rows[1]["all_wheels_on_track"] and rows[1]["distance_from_center"] > 1
    assert rows[0]["closest_objects"] == [] and rows[0]["objects_distance"] == []


def test_params_name_the_obstacles_behind_and_ahead():
    w = _world(1, "cones")
    rows = _drive(w, 60)
    s = rows[0]["objects_distance"]
    assert s == sorted(s) and len(s) > 0
    behind, ahead = rows[0]["closest_objects"]
    assert s[ahead] >= w.s[0] or ahead == 0  # the next one along (or the first, round the loop)
    assert behind == (ahead - 1) % len(s)
    track = w.tracks[0]
    assert rows[0]["objects_offset_m"] == [o.offset_m for o in track.obstacles]
    assert rows[0]["objects_left_of_center"] == [o.offset_m > 0 for o in track.obstacles]
    assert any(rows[0]["objects_left_of_center"]) and not all(rows[0]["objects_left_of_center"])  # both halves
    assert rows[0]["next_object_m"] == pytest.approx((s[ahead] - w.s[0]) % track.length_m)
    assert 0 <= rows[0]["next_object_m"] < track.length_m
    school = _drive(_world(1), 1)[0]
    assert school["next_object_m"] == math.inf and school["objects_offset_m"] == school["objects_left_of_center"] == []


def test_avoid_objects_pays_for_room_beside_the_next_obstacle():
    fn = load_reward(REWARDS_DIR / "avoid_objects.py")
    w = _world(1, "cones")
    p = _drive(w, 5)[0]
    gained = p["progress_delta_m"]
    near = dict(p, closest_objects=[0, 1], next_object_m=15.0, objects_offset_m=[0.0, 1.5])
    behind_it = fn(dict(near, lateral_offset_m=1.5))  # straight at it
    half_over = fn(dict(near, lateral_offset_m=0.25))
    clear = fn(dict(near, lateral_offset_m=-1.0))  # 2.5 m beside it
    assert behind_it == pytest.approx(0.0) and 0 < half_over < clear == pytest.approx(gained)
    assert fn(dict(near, lateral_offset_m=1.5, next_object_m=60.0)) == pytest.approx(gained)  # too far off to count
    assert fn(dict(near, is_crashed=True)) == -10.0


@pytest.mark.parametrize(
    "name", ["progress", "center_line", "borders", "no_zigzag", "speed_only", "punish_only", "avoid_objects"]
)
def test_shipped_rewards_pay_for_what_they_say(name):
    fn = load_reward(REWARDS_DIR / f"{name}.py")
    w = _world()
    on_road = _drive(w, 5)[0]
    off = dict(on_road, is_offtrack=True, all_wheels_on_track=False, distance_from_center=on_road["track_width"])
    good, bad = fn(on_road), fn(off)
    assert math.isfinite(good) and math.isfinite(bad)
    if name == "speed_only":
        assert good == bad == pytest.approx(on_road["speed"])  # it cannot tell: the lesson
    else:
        assert good > bad


def _write(tmp_path, text, name="r.py"):
    p = tmp_path / name
    p.write_text(text)
    return p


@pytest.mark.parametrize(
    "text, words",
    [
        (None, "no such reward file"),
        ("def reward(params)\n    return 1\n", "line 1: does not parse"),
        ("x = 1\n", "defines no function reward(params)"),
        ("reward = 3\n", "defines no function reward(params)"),
        ("def reward(params, car):\n    return 1\n", "line 1: reward(params, car) must take one argument"),
        ("import math\n\nmath.sqrt(-1)\n", "line 3: running the file raised ValueError"),
    ],
)
def test_a_bad_reward_file_is_refused_in_one_line(tmp_path, text, words):
    path = tmp_path / "missing.py" if text is None else _write(tmp_path, text)
    with pytest.raises(RewardError) as e:
        load_reward(path)
    msg = str(e.value)
    assert msg.startswith(str(path)) and words in msg and "\n" not in msg


@pytest.mark.parametrize(
    "body, words",
    [
        ("    return 'fast'", "returned 'fast' (str); it must return a number"),
        ("    return None", "returned None (NoneType)"),
        ("    return True", "returned True (bool)"),
        ("    return float('nan')", "returned nan; it must return a finite number"),
        ("    return params['speed'] * float('inf')", "returned inf"),
        ("    x = params['speed']\n    return 1 / (x - x)", "line 3: reward(params) raised ZeroDivisionError"),
        ("    return params['speeed']", "line 2: reward(params) raised KeyError: 'speeed'"),
    ],
)
def test_a_reward_that_misbehaves_names_the_file_line_and_params(tmp_path, body, words):
    fn = load_reward(_write(tmp_path, "def reward(params):\n" + body + "\n"))
    params = _drive(_world(1), 3)[0]
    with pytest.raises(RewardError) as e:
        fn(params)
    msg = str(e.value)
    assert msg.startswith(str(tmp_path / "r.py")) and words in msg and "\n" not in msg
    assert "steps=3" in msg and "waypoints=[" in msg  # the step's params, long lists shortened
