"""Reward files: the student's `reward(params) -> float`, and the `params` it is called with.

A reward file is a Python file that defines `reward(params)`. `rl` calls it once per car
per step, after the car has moved, and PPO learns to make the sum of what it returns large.
`params` uses AWS DeepRacer's names wherever the meaning is the same, so a DeepRacer reward
function runs here with little change; DriveLab adds its own below them.

DeepRacer's names:

| name | type | meaning |
|---|---|---|
| `all_wheels_on_track` | bool | the whole car is on the road |
| `x`, `y` | float | the car's position [m] |
| `heading` | float | the car's direction [degrees, -180 to 180, 0 = +x, anticlockwise] |
| `distance_from_center` | float | distance from the centre line [m] |
| `is_left_of_center` | bool | the car is left of the centre line |
| `is_offtrack` | bool | the car's centre has left the road (the episode ends) |
| `is_crashed` | bool | the car hit an obstacle this step (the episode ends) |
| `progress` | float | share of a lap driven [%], net (reversing takes it back); past 100 on lap 2 |
| `speed` | float | [m/s] |
| `steering_angle` | float | the front wheels' angle [degrees, left +] |
| `steps` | int | steps since the episode began (30 a second) |
| `track_width` | float | road width here [m] |
| `track_length` | float | one lap [m] |
| `waypoints` | list | the centre line as (x, y) points [m], in the direction of travel |
| `closest_waypoints` | list | [index behind the car, index ahead of it] into `waypoints` |
| `objects_distance` | list | each obstacle's distance from the start line along the track [m] |
| `closest_objects` | list | [index behind, index ahead] into `objects_distance` ([] without obstacles) |
| `objects_left_of_center` | list | each obstacle: its centre is left of the centre line |

DriveLab's own:

| name | type | meaning |
|---|---|---|
| `lateral_offset_m` | float | signed distance from the centre line [m, left +] |
| `heading_error_rad` | float | the car's heading minus the road's [rad, left +] |
| `progress_delta_m` | float | metres gained along the track this step (negative when going back) |
| `progress_m` | float | net metres along the track since the episode began |
| `objects_offset_m` | list | each obstacle's centre: signed distance from the centre line [m, left +] |
| `next_object_m` | float | metres along the road to the next obstacle (`closest_objects[1]`); inf without obstacles |
| `lap` | int | laps completed |
| `level` | str | the level's name (`school`, `cones`, ...) |
"""

from __future__ import annotations

import hashlib
import inspect
import math
import traceback
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from agent.learn.knobs import DEFAULT_REWARD, REWARDS_DIR  # noqa: F401  (re-exported)
from sim.geometry import wrap_angle
from sim.obstacles import CAR_RADIUS_M

INSTALL = 'pip install -c constraints.txt -e ".[rl]"'

# the per-step values, in the order `RewardParams.rows` builds them
STEP_KEYS = (
    "all_wheels_on_track",
    "x",
    "y",
    "heading",
    "distance_from_center",
    "is_left_of_center",
    "is_offtrack",
    "is_crashed",
    "progress",
    "speed",
    "steering_angle",
    "steps",
    "closest_waypoints",
    "lateral_offset_m",
    "heading_error_rad",
    "progress_delta_m",
    "progress_m",
    "lap",
)
TRACK_KEYS = (
    "track_width",
    "track_length",
    "waypoints",
    "objects_distance",
    "objects_left_of_center",
    "objects_offset_m",
    "level",
)
PARAM_KEYS = STEP_KEYS + TRACK_KEYS + ("closest_objects", "next_object_m")


def require_sb3() -> None:
    """Return when Stable-Baselines3 (the `rl` extra) imports; else RuntimeError with the pip command."""
    try:
        import stable_baselines3  # noqa: F401
    except ImportError:
        raise RuntimeError(f"rl needs Stable-Baselines3, the `rl` extra: {INSTALL}") from None


class RewardError(ValueError):
    """A reward file that cannot be used; the message is one line naming the file."""


@dataclass(frozen=True)
class RewardFn:
    """A loaded reward file: the function, its path, its text and the text's SHA-256."""

    fn: object
    path: str
    text: str
    sha256: str

    def __call__(self, params: dict) -> float:
        try:
            r = self.fn(params)
        except Exception as e:
            raise RewardError(
                f"{self.path}: line {_line_in(e, self.path)}: reward(params) raised {type(e).__name__}: "
                f"{_first_line(e)} (params: {describe_params(params)})"
            ) from None
        if isinstance(r, (bool, np.bool_)) or not isinstance(r, (int, float, np.integer, np.floating)):
            raise RewardError(
                f"{self.path}: line {self.fn.__code__.co_firstlineno}: reward(params) returned {_short(r)} "
                f"({type(r).__name__}); it must return a number (params: {describe_params(params)})"
            )
        r = float(r)
        if not math.isfinite(r):
            raise RewardError(
                f"{self.path}: line {self.fn.__code__.co_firstlineno}: reward(params) returned {r}; it must return a "
                f"finite number (params: {describe_params(params)})"
            )
        return r


def _first_line(e: Exception) -> str:
    return (str(e).strip().splitlines() or [""])[0][:120]


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _line_in(e: Exception, path: str) -> int | str:
    """The line of `path` where exception `e` was raised (the deepest frame in that file)."""
    lines = [f.lineno for f in traceback.extract_tb(e.__traceback__) if f.filename == path]
    return lines[-1] if lines else "?"


def describe_params(params: dict) -> str:
    """The scalar params on one line (lists shortened to their length)."""
    parts = []
    for k, v in params.items():
        if isinstance(v, float):
            parts.append(f"{k}={v:.4g}")
        elif isinstance(v, list) and len(v) > 2:
            parts.append(f"{k}=[{len(v)} items]")
        else:
            parts.append(f"{k}={v!r}")
    return ", ".join(parts)


def load_reward(path: str | Path) -> RewardFn:
    """Read, compile and check a reward file; raises RewardError with one line naming it."""
    path = Path(path)
    if not path.is_file():
        raise RewardError(f"{path}: no such reward file (ship your own, or one of {REWARDS_DIR})")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise RewardError(f"{path}: cannot be read ({type(e).__name__}: {_first_line(e)})") from None
    name = str(path)
    try:
        code = compile(text, name, "exec")
    except SyntaxError as e:
        raise RewardError(f"{path}: line {e.lineno}: does not parse ({e.msg})") from None
    namespace = {"__name__": "drivelab_reward", "__file__": name}
    try:
        exec(code, namespace)
    except Exception as e:
        raise RewardError(
            f"{path}: line {_line_in(e, name)}: running the file raised {type(e).__name__}: {_first_line(e)}"
        ) from None
    fn = namespace.get("reward")
    if not callable(fn) or not hasattr(fn, "__code__"):
        raise RewardError(f"{path}: defines no function reward(params) (it must return a number for each step)")
    try:
        inspect.signature(fn).bind({})
    except TypeError:
        raise RewardError(
            f"{path}: line {fn.__code__.co_firstlineno}: reward{inspect.signature(fn)} must take one argument, "
            "params (a dict)"
        ) from None
    return RewardFn(fn, name, text, hashlib.sha256(text.encode()).hexdigest())


class RewardParams:
    """Builds each car's `params` from a World after its step (see the module's tables).

    Call `reset(cars)` when cars start an episode; `rows(delta_m, crashed)` after a step.
    What belongs to a track (its waypoints, width, obstacles) is made once per track.
    """

    def __init__(self, world, level: str):
        self.world = world
        self.level = level
        self._track = [None] * world.n
        self._const: list[dict] = [{}] * world.n
        self._objects: list[np.ndarray] = [np.zeros(0)] * world.n

    def _track_values(self, i: int) -> None:
        track = self.world.tracks[i]
        if self._track[i] is track:
            return
        self._track[i] = track
        s = np.array([o.s_m for o in track.obstacles])
        self._objects[i] = s
        offsets = [float(o.offset_m) for o in track.obstacles]
        self._const[i] = {
            "track_width": float(track.width_m),
            "track_length": float(track.length_m),
            "waypoints": [tuple(p) for p in track.centerline.tolist()],
            "objects_distance": s.tolist(),
            "objects_left_of_center": [o > 0 for o in offsets],
            "objects_offset_m": offsets,
            "level": self.level,
        }

    def rows(self, delta_m: np.ndarray, crashed: np.ndarray) -> list[dict]:
        """Every car's params for the step just taken."""
        w = self.world
        c, ts = w.car, w.trackset
        half = ts.half_width
        lat = w.lateral
        row = ts.start + w.vertex
        behind = (np.floor(w.s / ts.ds).astype(np.int64)) % ts.n
        cols = (
            (np.abs(lat) + CAR_RADIUS_M <= half).tolist(),
            c.x.tolist(),
            c.y.tolist(),
            np.degrees(wrap_angle(c.heading)).tolist(),
            np.abs(lat).tolist(),
            (lat > 0).tolist(),
            w.off_road.tolist(),
            np.asarray(crashed).tolist(),
            (100.0 * w.progress / ts.length).tolist(),
            c.speed.tolist(),
            np.degrees(c.steer).tolist(),
            w.steps.tolist(),
            np.stack([behind, (behind + 1) % ts.n], axis=1).tolist(),
            lat.tolist(),
            wrap_angle(c.heading - ts.heading[row]).tolist(),
            np.asarray(delta_m).tolist(),
            w.progress.tolist(),
            w.laps.tolist(),
        )
        out = []
        for i, values in enumerate(zip(*cols)):
            self._track_values(i)
            p = dict(zip(STEP_KEYS, values))
            p.update(self._const[i])
            objects = self._objects[i]
            if len(objects):
                ahead = int(np.searchsorted(objects, w.s[i])) % len(objects)
                p["closest_objects"] = [(ahead - 1) % len(objects), ahead]
                p["next_object_m"] = float((objects[ahead] - w.s[i]) % ts.length[i])
            else:
                p["closest_objects"] = []
                p["next_object_m"] = math.inf
            out.append(p)
        return out
