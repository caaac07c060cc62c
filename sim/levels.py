"""Levels: named presets of how hard the world is, and the conditions drawn per episode.

A `Level` (sim.config) says what varies: per track (road width, tightest curve, line
markings, drawn from the track's seed) and per episode (cruise speed, the camera's look,
camera pose, sensor noise, steering trim, drawn here from the episode's generator). The
presets, easiest first:

- `school`: the original world: 10 m roads, curves down to 15 m, solid edge lines and a
  dashed centre line, 12 m/s, noon, no noise. Nothing is drawn per episode.
- `country`: roads 6-10 m wide, curves down to 9 m, edge and centre lines each solid,
  dashed or absent (per track), cruise speed 10-16 m/s (per episode).
- `weather`: `country` in changing conditions (per episode): the sun from noon to dusk
  (brightness and colour), sky, fog (visibility from 25 m to clear), grass, asphalt and
  line colours, the camera's height, pitch and field of view (+-4%), noise on the ray
  sensors (std up to 0.3 m) and a steering trim (up to 3% of full lock). Train and test
  splits draw these from disjoint values (`disjoint_splits`), so the test split measures
  driving in conditions never seen in training, like CARLA's new-weather split.
- `cones`: `weather` plus static obstacles (sim.obstacles): a traffic cone (60%) or a
  parked car (40%) every 60-120 m (uniform), on one half of the road, never in a curve
  tighter than 20 m, always leaving 3.5 m free beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from sim.config import MARKING_STYLES, CameraParams, EnvConfig, Level, TrackParams

_ALL_MARKINGS = tuple(f"{e}/{c}" for e in MARKING_STYLES for c in MARKING_STYLES)

LEVELS: dict[str, Level] = {"school": Level()}
LEVELS["country"] = Level(
    "country", road_width_m=(6.0, 10.0), min_radius_m=9.0, markings=_ALL_MARKINGS, cruise_speed_mps=(10.0, 16.0)
)
LEVELS["weather"] = replace(
    LEVELS["country"],
    name="weather",
    weather=True,
    camera_jitter=0.04,
    sensor_noise_m=0.3,
    steer_trim=0.03,
    disjoint_splits=True,
)
LEVELS["cones"] = replace(LEVELS["weather"], name="cones", obstacle_spacing_m=(60.0, 120.0))

ABOUT = {
    "school": "the original world: wide roads, gentle curves, noon, no noise (the bundled models' world)",
    "country": "narrower roads (6-10 m), tighter curves (9 m), varied line markings, cruise speed 10-16 m/s",
    "weather": "country plus sun from noon to dusk, fog, colours, camera pose, sensor noise and steering trim; "
    "the test split's conditions are never seen in training",
    "cones": "weather plus traffic cones and parked cars on one half of the road, one every 60-120 m",
}

BINS = 8  # with disjoint splits, each range is cut in this many bins: train draws from even ones, test from odd


def level_named(name) -> Level:
    """The preset called `name` (a Level passes through); a one-line error lists the levels."""
    if isinstance(name, Level):
        return name
    if not isinstance(name, str) or name not in LEVELS:
        raise ValueError(f"level={name!r}: expected one of {', '.join(LEVELS)} (or a Level)")
    return LEVELS[name]


def with_level(config: EnvConfig, level) -> EnvConfig:
    """`config` at another level: the track fields a level sets go back to their defaults
    first, so no level inherits another's roads."""
    level = level_named(level)
    base = TrackParams()
    track = replace(config.track, **{f: getattr(base, f) for f in Level.TRACK_FIELDS})
    return replace(config, level=level, track=track)


@dataclass(frozen=True)
class Look:
    """How the camera's world looks this episode (the default is the school's noon).

    sun: 1 at noon down to 0 at dusk (darker, warmer light, an orange sky); fog_per_m:
    fog density (visibility ~ 3 / fog_per_m metres; 0 is clear); grass_dry: 0 lush green
    to 1 dry straw; grass_shade, asphalt_shade: brightness factors; asphalt_tint: -1
    bluish to +1 brownish; line_fade: 0 fresh paint to 1 the asphalt's colour.
    """

    sun: float = 1.0
    fog_per_m: float = 0.0
    grass_dry: float = 0.0
    grass_shade: float = 1.0
    asphalt_shade: float = 1.0
    asphalt_tint: float = 0.0
    line_fade: float = 0.0


@dataclass(frozen=True)
class Conditions:
    """What one episode's car meets, drawn by `draw_conditions` (the default: school's).

    cruise_speed_mps: None keeps the car's own; steer_trim: added to every steering
    command (fraction of full lock); sensor_noise_m: std of the noise on each ray [m],
    drawn from a generator seeded with `noise_seed`; camera: the camera's jittered
    parameters (None: the config's); look: None keeps school's colours.
    """

    cruise_speed_mps: float | None = None
    steer_trim: float = 0.0
    sensor_noise_m: float = 0.0
    noise_seed: int = 0
    camera: CameraParams | None = None
    look: Look | None = None


def split_uniform(rng: np.random.Generator, lo: float, hi: float, split: str | None) -> float:
    """Uniform in [lo, hi]; with a split, only from that split's bins (train: even, test: odd)."""
    if split is None:
        return float(rng.uniform(lo, hi))
    x = rng.random() * (BINS // 2)  # one draw picks the bin (its integer part) and the place in it
    b = int(x)
    return float(lo + (hi - lo) * (2 * b + (split != "train") + (x - b)) / BINS)


def draw_conditions(level: Level, rng: np.random.Generator, split: str, camera: CameraParams) -> Conditions:
    """One episode's conditions at `level`, from `rng` (which draws nothing at `school`).

    The draws come in a fixed order, so the same generator state gives the same episode.
    """
    if not level.varies_episodes:
        return Conditions()
    bins = split if level.disjoint_splits else None

    def u(lo: float, hi: float) -> float:
        return split_uniform(rng, lo, hi, bins)

    cruise = u(*level.cruise_speed_mps) if level.cruise_speed_mps else None
    look = None
    if level.weather:
        look = Look(
            sun=u(0.0, 1.0),
            fog_per_m=0.12 * u(0.0, 1.0) ** 3,  # visibility 25 m at worst, mostly far
            grass_dry=u(0.0, 1.0),
            grass_shade=u(0.75, 1.25),
            asphalt_shade=u(0.7, 1.4),
            asphalt_tint=u(-1.0, 1.0),
            line_fade=u(0.0, 0.6),
        )
    cam = None
    if level.camera_jitter:
        j = level.camera_jitter
        cam = replace(
            camera,
            height_m=camera.height_m * (1 + u(-j, j)),
            pitch_deg=camera.pitch_deg * (1 + u(-j, j)),
            fov_deg=camera.fov_deg * (1 + u(-j, j)),
        )
    noise = u(0.0, level.sensor_noise_m) if level.sensor_noise_m else 0.0
    trim = u(-level.steer_trim, level.steer_trim) if level.steer_trim else 0.0
    return Conditions(cruise, trim, noise, int(rng.integers(2**31)), cam, look)


def describe(level: Level) -> list[str]:
    """One line per parameter with the value it has at this level, for `run_sim.py levels`."""
    cfg = with_level(EnvConfig(), level)
    t, car = cfg.track, cfg.car
    width = (t.width_m, t.max_width_m or t.width_m)
    cruise = level.cruise_speed_mps or (car.cruise_speed_mps, car.cruise_speed_mps)
    lines = [
        ("road width [m], per track", f"{width[0]:g}-{width[1]:g}" if width[0] != width[1] else f"{width[0]:g}"),
        ("tightest curve radius [m]", f"{t.min_radius_m:g}"),
        ("markings (edge/centre), per track", ", ".join(t.markings or ("solid/dashed",))),
        (
            "cruise speed [m/s], per episode",
            f"{cruise[0]:g}-{cruise[1]:g}" if cruise[0] != cruise[1] else f"{cruise[0]:g}",
        ),
        ("weather (sun, sky, fog, colours)", "drawn per episode" if level.weather else "noon, clear, fixed colours"),
        ("camera height/pitch/fov jitter", f"+-{100 * level.camera_jitter:g}%"),
        ("sensor noise std [m], up to", f"{level.sensor_noise_m:g}"),
        ("steering trim, up to", f"{100 * level.steer_trim:g}% of full lock"),
        (
            "obstacles, per track",
            "one every {:g}-{:g} m (cones and parked cars)".format(*level.obstacle_spacing_m)
            if level.obstacle_spacing_m
            else "none",
        ),
        ("train/test conditions", "disjoint" if level.disjoint_splits else "same ranges (tracks differ)"),
    ]
    return [f"{k:<36} {v}" for k, v in lines]
