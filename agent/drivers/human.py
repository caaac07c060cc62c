"""Human controls: keyboard, mouse or gamepad -> an action with smooth, analog steering;
and a scripted person (`HumanModel`) who presses those keys, for tests and the lecture.

Three keyboard styles (`STYLES`). The default (`DEFAULT_STYLE`) is the one the scripted
person, given a person's timing, kept on the road best in `benchmarks/bench_controls.py`
while a network still learned to drive from its recordings (the README shows it):

- **ramp** (default): holding a key turns the wheel slowly at first and faster the longer
  it is held (the command grows with the square of the time held, reaching the lock in
  `ramp_s`), and releasing it lets the wheel return to centre over `return_s`; pressing
  the other way returns it faster. The lock a held key reaches falls with speed
  (`lock(speed)`), as in driving games: a tap at cruise speed is a small correction, a
  held key still takes the tightest curve.
- **wheel**: the arrows turn a steering wheel, slowly at first and faster the longer a
  key is held, and it holds its angle when they are released; Space re-centres it. A
  curve is held with the keys up. Its angle is scaled by the same `lock(speed)`.
- **arcade**: the ramp before issue 27: a held key reaches full lock in 0.35 s at any
  speed and a released one is back at centre in 0.25 s. Easy to steer at a crawl, twitchy
  at cruise speed (one 0.4 s press swerves the car off the road); kept for comparison.

The recorded label is always the command the car executed, so a network learns what
the car did. Mouse and gamepad steering keep their full analog range at every speed.

Mouse steering is relative: the pointer's position at the start (or when Space is
pressed) is the centre, so a pointer left anywhere steers nothing until it moves.
"""

from __future__ import annotations

import math
import os
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import numpy as np

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame  # noqa: E402

from agent.drivers.styles import DEFAULT_STYLE, MODES, STYLES  # noqa: E402

LEFT_KEYS = (pygame.K_LEFT, pygame.K_a)
RIGHT_KEYS = (pygame.K_RIGHT, pygame.K_d)
UP_KEYS = (pygame.K_UP, pygame.K_w)
DOWN_KEYS = (pygame.K_DOWN, pygame.K_s)
CENTRE_KEYS = (pygame.K_SPACE,)
ARCADE_S, ARCADE_RETURN_S = 0.35, 0.25  # the arcade style: to full lock and back to centre [s]


class Keys:
    """The keys held down, indexable like `pygame.key.get_pressed()`."""

    def __init__(self, *down: int):
        self.down = set(down)

    def __getitem__(self, key: int) -> bool:
        return key in self.down


START_MOVE_PX = 8  # mouse: a movement this large starts the car
START_STICK = 0.25  # gamepad: a deflection this large starts the car


class _Masked:
    """Key states with some keys read as up."""

    def __init__(self, keys, up: set[int]):
        self.keys, self.up = keys, up

    def __getitem__(self, key: int) -> bool:
        return key not in self.up and bool(self.keys[key])


@dataclass
class HumanControls:
    """Turns input state into (steer, throttle) each step.

    Attributes:
        mode: "keyboard", "mouse" (horizontal movement from where the pointer started
            steers; `mouse_span` pixels is lock to lock) or "gamepad" (axis 0 steers,
            axis 1 throttles).
        style: the keyboard's steering, "ramp", "wheel" or "arcade" (see the module's doc).
        ramp_s: ramp style: how long a key held from centre takes to reach the lock [s];
            the command grows with the time held to the power `ramp_power` (2: a 0.4 s
            tap reaches a tenth of the lock, a nudge).
        return_s: ramp style: how long a released key takes to come back from the lock
            to centre, at a steady rate [s] (pressing the other way: twice as fast).
        lock_half_mps: ramp and wheel styles: the speed at which a held key reaches half
            of full lock [m/s]; `lock(speed) = 1 / (1 + (speed / lock_half_mps)**2)`.
        wheel_s: wheel style: once a key has been held `wheel_accel_s`, the time it takes to
            turn the wheel from centre to full lock [s].
        wheel_accel_s: wheel style: the turning rate grows from nothing to full over this
            long a hold [s], so a tap nudges the wheel by a little.
    """

    mode: str = "keyboard"
    style: str = DEFAULT_STYLE
    ramp_s: float = 1.4
    return_s: float = 0.8
    ramp_power: float = 2.0
    lock_half_mps: float = 24.0
    wheel_s: float = 0.6
    wheel_accel_s: float = 0.3
    mouse_span: int = 640
    steer: float = 0.0
    throttle: float = 0.0

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"controls={self.mode!r}: expected keyboard, mouse or gamepad")
        if self.style not in STYLES:
            raise ValueError(f"style={self.style!r}: expected one of {', '.join(STYLES)}")
        self.joystick = None
        self.mouse_centre: int | None = None
        self.held_s = 0.0  # how long the steering key now down has been held
        self.wheel = 0.0  # ramp: the signed share of the lock; wheel: the wheel's angle; both in [-1, 1]
        self.ignored: set[int] = set()  # keys held when driving stopped: they steer nothing until released
        self._anchor: tuple | None = None  # the pointer or stick when waiting began
        if self.mode == "gamepad":
            pygame.joystick.init()
            if pygame.joystick.get_count() == 0:
                raise ValueError("controls=gamepad: no gamepad found; plug one in or use keyboard or mouse")
            self.joystick = pygame.joystick.Joystick(0)

    @property
    def name(self) -> str:
        """What the HUD says is steering: 'keyboard (ramp)', 'mouse', 'gamepad'."""
        return f"keyboard ({self.style})" if self.mode == "keyboard" else self.mode

    def legend(self) -> str:
        """One HUD line: how to steer with the controls in use."""
        if self.mode == "mouse":
            return "mouse steers  Space: centre"
        if self.mode == "gamepad":
            return "left stick steers"
        if self.style == "wheel":
            return "arrows: wheel  Space: centre"
        return "hold arrows to steer"

    def lock(self, speed_mps: float) -> float:
        """The share of full lock a held key reaches at `speed_mps` (ramp and wheel styles)."""
        if self.style == "arcade":
            return 1.0
        return 1.0 / (1.0 + (max(speed_mps, 0.0) / self.lock_half_mps) ** 2)

    def max_step(self, dt_s: float) -> float:
        """The largest change of the steering command in one step at a steady speed (for tests and HUDs)."""
        if self.mode == "keyboard" and self.style == "wheel":
            return dt_s / self.wheel_s
        if self.mode == "keyboard" and self.style == "ramp":
            return max(
                self.ramp_power * dt_s / self.ramp_s, 2.0 * dt_s / self.return_s
            )  # pressing near the lock, or countering
        return dt_s / min(ARCADE_S, ARCADE_RETURN_S)

    def start_at(self, steer: float, speed_mps: float = 0.0) -> None:
        """Take over from another driver: the command starts at `steer`, where they had it."""
        steer = float(np.clip(steer, -1.0, 1.0))
        if self.mode == "keyboard" and self.style != "arcade":
            self.wheel = float(np.clip(steer / self.lock(speed_mps), -1.0, 1.0))
            steer = self.wheel * self.lock(speed_mps)
        self.steer = steer

    def reset(self) -> None:
        self.steer = 0.0
        self.throttle = 0.0
        self.wheel = 0.0
        self.mouse_centre = None  # the next read of the pointer is the new centre
        self.held_s = 0.0

    def hold_until_released(self, keys=None) -> None:
        """Ignore the keys down now until each is released (a crash stops the car while keys
        are held: they must not steer the next track), and take the pointer's and the
        stick's positions as where `wants_to_start` measures movement from."""
        keys = keys if keys is not None else pygame.key.get_pressed()
        self.ignored = {k for k in LEFT_KEYS + RIGHT_KEYS + UP_KEYS + DOWN_KEYS if keys[k]}
        self._anchor = self._pointer()

    def wants_to_start(self, keys=None) -> bool:
        """Whether the person is steering (or, with throttle, accelerating): a key that is
        not being ignored, the pointer moved, or the stick pushed."""
        keys = self._live(keys if keys is not None else pygame.key.get_pressed())
        if any(keys[k] for k in LEFT_KEYS + RIGHT_KEYS + UP_KEYS):
            return True
        if self.mode == "keyboard":
            return False
        now, anchor = self._pointer(), self._anchor
        if self._anchor is None:
            self._anchor = now
            return False
        if self.mode == "mouse":
            return abs(now[0] - anchor[0]) > START_MOVE_PX
        return abs(now[0]) > START_STICK

    def _pointer(self) -> tuple:
        if self.mode == "mouse":
            return pygame.mouse.get_pos()
        if self.mode == "gamepad":
            return (self.joystick.get_axis(0),)
        return ()

    def _live(self, keys):
        """`keys` with the ignored ones up; an ignored key that was released stops being ignored."""
        for k in [k for k in self.ignored if not keys[k]]:
            self.ignored.discard(k)
        return _Masked(keys, self.ignored) if self.ignored else keys

    def update(self, dt_s: float, keys=None, speed_mps: float = 0.0) -> tuple[float, float]:
        """Read the input devices and return (steer, throttle), each in [-1, 1]; `speed_mps`
        is the car's speed (keyboard steering reaches less lock as it rises)."""
        keys = self._live(keys if keys is not None else pygame.key.get_pressed())
        left = any(keys[k] for k in LEFT_KEYS)
        right = any(keys[k] for k in RIGHT_KEYS)
        centre = any(keys[k] for k in CENTRE_KEYS)
        direction = (1.0 if left else 0.0) - (1.0 if right else 0.0)
        if self.mode == "mouse":
            x = pygame.mouse.get_pos()[0]
            if self.mouse_centre is None or centre:
                self.mouse_centre = x
            target = float(np.clip(-2.0 * (x - self.mouse_centre) / self.mouse_span, -1.0, 1.0))  # left: +
            self.steer = self._approach(self.steer, target, dt_s / ARCADE_S * 2)
        elif self.mode == "gamepad":
            self.steer = float(np.clip(-self.joystick.get_axis(0), -1.0, 1.0))
        elif self.style == "wheel":
            self.held_s = self.held_s + dt_s if direction else 0.0
            if centre:
                self.wheel = 0.0
            elif direction:
                rate = min(1.0, self.held_s / self.wheel_accel_s) / self.wheel_s
                self.wheel = float(np.clip(self.wheel + direction * rate * dt_s, -1.0, 1.0))
            self.steer = self.wheel * self.lock(speed_mps)
        elif self.style == "ramp":
            u = self.wheel  # the share of the lock, signed
            if direction and direction * u >= 0:  # pressing on: along u = (time held / ramp_s) ** ramp_power
                held = self.ramp_s * abs(u) ** (1.0 / self.ramp_power) + dt_s
                u = direction * min(1.0, (held / self.ramp_s) ** self.ramp_power)
            else:  # released, or pressed the other way (faster): back toward centre at a steady rate
                u = self._approach(u, 0.0, dt_s / self.return_s * (2.0 if direction else 1.0))
            self.wheel = u
            self.steer = u * self.lock(speed_mps)
        else:  # arcade
            moving_out = direction != 0.0 and (
                abs(direction) > abs(self.steer) or np.sign(direction) != np.sign(self.steer)
            )
            self.steer = self._approach(self.steer, direction, dt_s / (ARCADE_S if moving_out else ARCADE_RETURN_S))
        if self.mode == "gamepad":
            self.throttle = float(np.clip(-self.joystick.get_axis(1), -1.0, 1.0))
        else:
            up = any(keys[k] for k in UP_KEYS)
            down = any(keys[k] for k in DOWN_KEYS)
            self.throttle = (1.0 if up else 0.0) - (1.0 if down else 0.0)
        return self.steer, self.throttle

    @staticmethod
    def _approach(value: float, target: float, max_delta: float) -> float:
        return value + float(np.clip(target - value, -max_delta, max_delta))


STADIUM = Path(__file__).resolve().parents[2] / "assets" / "tracks" / "stadium.json"  # starts on a 600 m straight


def tap_swerve_m(style: str = DEFAULT_STYLE, press_s: float = 0.4, within_s: float = 2.5) -> float:
    """How far one press of Left, `press_s` long, moves the car sideways within `within_s`
    at cruise speed (the keys go through `HumanControls` with `style`), measured against the
    same drive with no press, on the stadium's straight; infinite if the car leaves the road."""
    from sim.env import DrivingEnv

    paths = []
    for press in (False, True):
        env = DrivingEnv(observation="sensors", track=STADIUM)
        _, info = env.reset(seed=0)
        controls, lateral, dt = HumanControls(style=style), [], env.unwrapped.config.dt_s
        for k in range(round((0.5 + within_s) / dt)):
            t = k * dt - 0.5  # half a second of straight driving first
            keys = Keys(LEFT_KEYS[0]) if press and 0 <= t < press_s else Keys()
            steer, _ = controls.update(dt, keys, info["speed_mps"])
            _, _, terminated, _, info = env.step(np.array([steer], dtype=np.float32))
            lateral.append(info["lateral_offset_m"])
            if terminated:
                return float("inf")
        paths.append(np.array(lateral))
    return float(np.abs(paths[1] - paths[0]).max())


# ------------------------------------------------------------------- a scripted person
@dataclass(frozen=True)
class PersonParams:
    """How the scripted person drives (defaults: a careful beginner on a keyboard).

    Their hands: every press and every release lasts a time drawn anew each time
    (log-normal around `press_s` and `release_s`, spread `timing_spread`: tens of
    milliseconds either way, as a person's taps vary), and letting go of a key takes
    `let_go_s` on top. Their eyes: what they act on is what the view showed `reaction_s`
    ago, judged with an error that drifts (`misjudge`, `misjudge_s`).
    """

    reaction_s: float = 0.25  # what they act on is what the road asked for this long ago ...
    preview_s: float = 0.1  # ... less this much: seeing the road ahead (the chase view), they steer into a curve early
    deadband: float = 0.06  # steering error they tolerate before pressing a key
    press_s: float = 0.12  # a press lasts at least about this long (so they overshoot)
    release_s: float = 0.09  # and a released key stays up at least about this long
    timing_spread: float = 0.35  # log-normal spread of those two times (0.35: +-40 ms around 0.12 s)
    counter: float = 0.2  # ramp styles: an error this large toward centre is met by pressing the other way
    let_go_s: float = 0.05  # from deciding to let go to the key being up [s]
    misjudge: float = 0.06  # std of their error in judging the steering the road asks for
    misjudge_s: float = 1.5  # how long such an error lasts (correlation time) [s]
    lapse_every_s: float = 40.0  # mean time between lapses of attention [s]
    lapse_s: tuple[float, float] = (0.3, 1.0)  # a glance away lasts this long; the hands stay as they were [s]


class HumanModel:
    """A scripted person at the keyboard. They look at the road ahead in the view and judge
    the steering it asks for (the expert's pure pursuit toward a point on the centre line
    ahead) `reaction_s` late and misjudged; they press keys to get there with a person's
    uneven timing (no press or release shorter than a drawn time, so they overshoot, and
    letting go takes a moment); and now and then they look away (`lapse_every_s`) and
    may drift off the road. Its keys go through `HumanControls`, the same code a person's
    go through, at the car's speed.

    `step(wanted, speed_mps)` returns the steering the car gets this step, which is also
    the label, as a person's is.
    """

    def __init__(
        self, controls: HumanControls, dt_s: float, rng: np.random.Generator, params: PersonParams = PersonParams()
    ):
        if controls.mode != "keyboard":
            raise ValueError(f"the scripted person drives with the keyboard, not the {controls.mode}")
        self.controls = controls
        self.dt_s = dt_s
        self.rng = rng
        self.p = params
        self.seen = deque(maxlen=max(0, round((params.reaction_s - params.preview_s) / dt_s)) + 1)
        self.key = 0  # held: +1 left, -1 right, 0 none
        self.held_steps = 0  # steps the current key state has lasted
        self.hold_s = params.release_s  # how long the current key state lasts at least (drawn anew at each change)
        self.letting_go = -1  # steps until a key they decided to release is up (-1: none)
        self.error = 0.0  # current misjudgement
        self.lapse_steps = 0
        self.lapses = 0

    def _draw_hold(self, key: int) -> float:
        base = self.p.press_s if key else self.p.release_s
        return float(base * math.exp(self.p.timing_spread * self.rng.standard_normal()))

    def keys(self, wanted: float) -> Keys:
        p, dt = self.p, self.dt_s
        self.seen.append(float(wanted))
        rho = math.exp(-dt / p.misjudge_s)
        self.error = rho * self.error + p.misjudge * math.sqrt(1 - rho * rho) * self.rng.standard_normal()
        if self.lapse_steps == 0 and self.key == 0 and self.rng.random() < dt / p.lapse_every_s:
            self.lapse_steps = round(self.rng.uniform(*p.lapse_s) / dt)
            self.lapses += 1
        if self.lapse_steps > 0:  # looking away: hands still
            self.lapse_steps -= 1
            self._hold(self.key)
            return self._press(self.key)
        if self.letting_go >= 0:  # the key is on its way up
            self.letting_go -= 1
            self._hold(self.key if self.letting_go >= 0 else 0)
            return self._press(self.key)
        aim = float(np.clip(self.seen[0] + self.error, -1.0, 1.0))  # the oldest: what they saw
        steer = self.controls.steer
        err = aim - steer
        key = self.key
        if self.held_steps * dt >= self.hold_s:
            if key and err * key < p.deadband / 2:
                self.letting_go = round(p.let_go_s * (0.5 + self.rng.random()) / dt)  # close enough: let go
                if self.letting_go > 0:
                    self.letting_go -= 1
                    self._hold(key)
                    return self._press(key)
                key = 0
            elif not key and abs(err) > p.deadband:
                key = 1 if err > 0 else -1
                if self.controls.style != "wheel" and steer != 0 and 0 <= aim / steer < 1 and abs(err) < p.counter:
                    key = 0  # a ramp: letting go is the way back toward centre, unless far off
        if self.controls.style == "wheel" and not key and abs(aim) < p.deadband and abs(steer) > 3 * p.deadband:
            self._hold(0)
            return Keys(CENTRE_KEYS[0])  # a straight ahead: centre the wheel
        self._hold(key)
        return self._press(key)

    @staticmethod
    def _press(key: int) -> Keys:
        return Keys(*((LEFT_KEYS[0],) if key > 0 else (RIGHT_KEYS[0],) if key < 0 else ()))

    def _hold(self, key: int) -> None:
        if key == self.key:
            self.held_steps += 1
            return
        self.key, self.held_steps = key, 1
        self.hold_s = self._draw_hold(key)
        self.letting_go = -1

    def step(self, wanted: float, speed_mps: float = 0.0) -> float:
        """One step: the keys this person presses given the steering the road asks for,
        through the controls at the car's speed; returns the steering command."""
        return self.controls.update(self.dt_s, self.keys(wanted), speed_mps)[0]

    def reset(self) -> None:
        self.controls.reset()
        self.seen.clear()
        self.key, self.held_steps, self.lapse_steps, self.letting_go = 0, 0, 0, -1


class ScriptedPeople:
    """Scripted people as a driver (`agent.drivers.spec`): one `HumanModel` per car of a
    world, each on the keyboard `style` and seeded with its car's seed; a car put back on
    the road gets its person's wheel re-centred. What the road asks is the expert's steering."""

    keys = ("sensors",)
    name = "human-model"

    def __init__(self, style: str, dt_s: float, seeds: list[int], params: PersonParams = PersonParams()):
        self.people = [
            HumanModel(HumanControls(style=style), dt_s, np.random.default_rng([s, 3]), params) for s in seeds
        ]

    def steer(self, world, obs=None) -> np.ndarray:
        from agent.drivers.expert import Expert

        for i in np.flatnonzero(world.off_road):
            self.people[i].reset()
        wanted = Expert().steer(world)
        return np.array([p.step(float(w), float(v)) for p, w, v in zip(self.people, wanted, world.car.speed)])


class Person:
    """A person at the window as a driver (`agent.drivers.spec`) of a one-car world: their
    keys, mouse or gamepad through `controls`, at the car's speed; `throttle` holds what
    they asked of the throttle this step."""

    keys = ()
    name = "human"

    def __init__(self, controls: HumanControls, dt_s: float):
        self.controls, self.dt_s = controls, dt_s
        self.throttle = 0.0

    def steer(self, world, obs=None) -> np.ndarray:
        steer, self.throttle = self.controls.update(self.dt_s, speed_mps=float(world.car.speed[0]))
        return np.array([steer])
