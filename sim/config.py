"""Typed, frozen configuration for the world: car, track, sensors, camera and the env.

Every number carries its unit in its name. Nothing here imports pygame or torch.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from numbers import Integral, Real

OBSERVATIONS = ("both", "camera", "sensors")
ACTIONS = ("steer", "steer+throttle")
CAMERA_MODES = ("dashcam", "topdown")
MARKING_STYLES = ("solid", "dashed", "none")
OFFROAD_MODES = ("terminate", "recover")

# Procedural track seeds: a training range and a disjoint test range.
TRAIN_SEEDS = range(0, 1_000_000)
TEST_SEEDS = range(1_000_000, 2_000_000)
SPLITS = {"train": TRAIN_SEEDS, "test": TEST_SEEDS}
# obstacles on opposite halves of the road at least this far apart: room to change sides (sim.obstacles)
MIN_APART_M = 30.0
MAX_CAMERA_PX = 1024  # a 1024x1024 frame is 3 MB; far larger ones would exhaust memory


def check_int(name: str, value, lo: int, hi: int | None = None) -> None:
    """Raise a one-line ValueError unless `value` is an integer in [lo, hi]."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValueError(f"{name}={value!r}: expected an integer")
    if value < lo or (hi is not None and value > hi):
        raise ValueError(f"{name}={value}: expected " + (f"{lo} to {hi}" if hi is not None else f"at least {lo}"))


def check_real(name: str, value, lo: float, positive: bool = False) -> None:
    """Raise a one-line ValueError unless `value` is a finite number >= lo (> lo if positive)."""
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise ValueError(f"{name}={value!r}: expected a finite number")
    if value < lo or (positive and value == lo):
        raise ValueError(f"{name}={value}: expected a number {'>' if positive else '>='} {lo}")


@dataclass(frozen=True)
class CarParams:
    """Kinematic bicycle referenced at the car's centre, plus a cruise controller."""

    wheelbase_m: float = 2.6
    max_steer_rad: float = math.radians(30.0)
    max_steer_rate_radps: float = math.radians(180.0)  # the wheel cannot jump
    max_accel_mps2: float = 4.0
    max_brake_mps2: float = 8.0
    drag_per_m: float = 0.0015  # deceleration = drag_per_m * v**2 [1/m]
    max_speed_mps: float = 30.0
    cruise_speed_mps: float = 12.0  # target speed when the action is steering only
    cruise_gain_per_s: float = 1.5  # proportional gain of the cruise controller

    @property
    def min_turn_radius_m(self) -> float:
        return self.wheelbase_m / math.tan(self.max_steer_rad)


@dataclass(frozen=True)
class TrackParams:
    """How procedural tracks are generated and how any track is resampled."""

    width_m: float = 10.0  # with max_width_m: the narrowest width drawn
    max_width_m: float | None = None  # each track's width drawn from [width_m, max_width_m]
    markings: tuple[str, ...] = ()  # "edge/centre" styles, one drawn per track; (): "solid/dashed"
    obstacle_spacing_m: tuple[float, float] | None = None  # an obstacle about every so many metres
    min_length_m: float = 300.0
    max_length_m: float = 900.0
    min_radius_m: float = 15.0  # tightest centreline curve; the car turns down to ~4.5 m
    min_gap_m: float = 6.0  # grass between road edges of parts of the track that are far apart
    spacing_m: float = 1.0  # centreline resampling step


@dataclass(frozen=True)
class SensorParams:
    """Distance rays to the road edge, fanned symmetrically about the heading."""

    n_rays: int = 9
    fov_rad: float = math.pi  # 9 rays over +-90 degrees
    max_range_m: float = 50.0
    step_m: float = 1.0  # ray-marching step before the exact refinement


@dataclass(frozen=True)
class CameraParams:
    """Ego camera sampled from a numpy raster of the track.

    `dashcam` is a pinhole camera looking forward and slightly down; `topdown` is an
    ego-centred map, heading up, with the car near the bottom.
    """

    mode: str = "dashcam"
    width_px: int = 64
    height_px: int = 64
    grayscale: bool = False
    # dashcam
    fov_deg: float = 100.0  # horizontal field of view
    height_m: float = 2.2  # above the ground
    pitch_deg: float = 20.0  # down from horizontal
    forward_m: float = 0.5  # ahead of the car's centre
    max_distance_m: float = 40.0  # ground further than this is drawn as if at this distance
    # topdown
    view_m: float = 40.0  # side of the square seen
    behind_m: float = 8.0  # how much of the view lies behind the car

    @property
    def channels(self) -> int:
        return 1 if self.grayscale else 3


@dataclass(frozen=True)
class RasterParams:
    """The track texture the camera samples."""

    m_per_px: float = 0.5
    margin_m: float = 8.0  # grass around the road; the camera clamps to it beyond
    levels: int = 4  # mipmap levels, each half the resolution of the one before
    edge_line_m: float = 0.5
    centre_line_m: float = 0.5
    dash_m: float = 3.0  # dashed centre line: dash length = gap length
    segment_m: float = 8.0  # the road is drawn lazily in pieces this long, as cars come near


@dataclass(frozen=True)
class Level:
    """A named preset of how hard the world is (see `sim.levels` for the presets).

    Track fields (None or empty: the config's own TrackParams) are drawn per track from
    the track's seed; episode fields are drawn per episode (`sim.levels.draw_conditions`).
    With `disjoint_splits`, every episode draw of the train split comes from other
    values than the test split's (alternate bins of each range), so evaluation on the
    test split meets conditions never seen in training.
    """

    name: str = "school"
    # per track
    road_width_m: tuple[float, float] | None = None  # [m], uniform
    min_radius_m: float | None = None  # tightest curve [m]
    markings: tuple[str, ...] = ()  # "edge/centre" styles from MARKING_STYLES
    obstacle_spacing_m: tuple[float, float] | None = None  # cones and parked cars, one every [low, high] m
    # per episode
    cruise_speed_mps: tuple[float, float] | None = None  # [m/s], uniform
    weather: bool = False  # sun, sky, fog and the colours of grass, asphalt and lines
    camera_jitter: float = 0.0  # up to this fraction off the camera's height, pitch and field of view
    sensor_noise_m: float = 0.0  # largest std of the Gaussian noise on every ray distance [m]
    steer_trim: float = 0.0  # largest |steering offset| the car adds to every command (fraction of full lock)
    disjoint_splits: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"level name {self.name!r}: expected a non-empty string")
        for label, pair in (
            ("road_width_m", self.road_width_m),
            ("cruise_speed_mps", self.cruise_speed_mps),
            ("obstacle_spacing_m", self.obstacle_spacing_m),
        ):
            if pair is not None:
                if len(pair) != 2:
                    raise ValueError(f"level {self.name}: {label}={pair!r}: expected (low, high)")
                check_real(
                    f"level {self.name}: {label}",
                    pair[0],
                    MIN_APART_M if label == "obstacle_spacing_m" else 0.0,
                    positive=label != "obstacle_spacing_m",
                )
                check_real(f"level {self.name}: {label}", pair[1], pair[0])
        if self.min_radius_m is not None:
            check_real(f"level {self.name}: min_radius_m", self.min_radius_m, 0.0, positive=True)
        for m in self.markings:
            parts = m.split("/") if isinstance(m, str) else []
            if len(parts) != 2 or not all(p in MARKING_STYLES for p in parts):
                raise ValueError(
                    f"level {self.name}: marking {m!r}: expected 'edge/centre', each one of {', '.join(MARKING_STYLES)}"
                )
        for label in ("camera_jitter", "sensor_noise_m", "steer_trim"):
            check_real(f"level {self.name}: {label}", getattr(self, label), 0.0)
        if self.camera_jitter > 0.2 or self.steer_trim > 0.2:
            raise ValueError(f"level {self.name}: camera_jitter and steer_trim must stay under 0.2")

    TRACK_FIELDS = (
        "width_m",
        "max_width_m",
        "min_radius_m",
        "markings",
        "obstacle_spacing_m",
    )  # of TrackParams, set by track_params

    def track_params(self, base: "TrackParams") -> "TrackParams":
        """`base` with this level's track fields put in."""
        kw = {}
        if self.road_width_m is not None:
            kw.update(width_m=float(self.road_width_m[0]), max_width_m=float(self.road_width_m[1]))
        if self.min_radius_m is not None:
            kw["min_radius_m"] = float(self.min_radius_m)
        if self.markings:
            kw["markings"] = tuple(self.markings)
        if self.obstacle_spacing_m is not None:
            kw["obstacle_spacing_m"] = tuple(float(v) for v in self.obstacle_spacing_m)
        return replace(base, **kw)

    @property
    def varies_episodes(self) -> bool:
        """Whether anything is drawn per episode."""
        return bool(
            self.cruise_speed_mps or self.weather or self.camera_jitter or self.sensor_noise_m or self.steer_trim
        )


@dataclass(frozen=True)
class EnvConfig:
    """Everything that defines what an agent sees and does; stored with datasets and models."""

    observation: str = "both"
    action: str = "steer"
    camera: CameraParams = field(default_factory=CameraParams)
    sensors: SensorParams = field(default_factory=SensorParams)
    car: CarParams = field(default_factory=CarParams)
    track: TrackParams = field(default_factory=TrackParams)
    raster: RasterParams = field(default_factory=RasterParams)
    dt_s: float = 1.0 / 30.0
    offroad: str = "terminate"
    max_steps: int = 6000
    max_laps: int | None = None
    offroad_penalty: float = 10.0
    collision_penalty: float = 10.0  # reward taken on each step that starts a contact with an obstacle
    level: Level = field(default_factory=Level)

    def __post_init__(self) -> None:
        if not isinstance(self.level, Level):
            raise ValueError(f"level={self.level!r}: expected a Level (see sim.levels.LEVELS)")
        object.__setattr__(self, "track", self.level.track_params(self.track))  # the level decides its tracks
        for name, value, allowed in (
            ("observation", self.observation, OBSERVATIONS),
            ("action", self.action, ACTIONS),
            ("camera", self.camera.mode, CAMERA_MODES),
            ("offroad", self.offroad, OFFROAD_MODES),
        ):
            if value not in allowed:
                raise ValueError(f"{name}={value!r}: expected one of {', '.join(allowed)}")
        check_int("camera_size (width)", self.camera.width_px, 8, MAX_CAMERA_PX)
        check_int("camera_size (height)", self.camera.height_px, 8, MAX_CAMERA_PX)
        if not isinstance(self.camera.grayscale, bool):
            raise ValueError(f"grayscale={self.camera.grayscale!r}: expected True or False")
        check_int("sensors.n_rays", self.sensors.n_rays, 1, 360)
        check_real("sensors.fov_rad", self.sensors.fov_rad, 0.0, positive=True)
        if self.sensors.fov_rad > 2 * math.pi:
            raise ValueError(f"sensors.fov_rad={self.sensors.fov_rad}: expected at most 2 pi (a full circle)")
        check_real("sensors.max_range_m", self.sensors.max_range_m, 0.0, positive=True)
        check_real("dt_s", self.dt_s, 0.0, positive=True)
        check_int("max_steps", self.max_steps, 1)
        if self.max_laps is not None:
            check_int("max_laps", self.max_laps, 1)
        check_real("offroad_penalty", self.offroad_penalty, 0.0)
        check_real("collision_penalty", self.collision_penalty, 0.0)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "EnvConfig":
        nested = {
            "camera": CameraParams,
            "sensors": SensorParams,
            "car": CarParams,
            "track": TrackParams,
            "raster": RasterParams,
            "level": Level,
        }

        def tuples(d: dict) -> dict:  # JSON turns tuples into lists
            return {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}

        kwargs = {k: (nested[k](**tuples(v)) if k in nested else v) for k, v in data.items()}
        return cls(**kwargs)
