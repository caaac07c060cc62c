"""Human controls: keyboard, mouse or gamepad -> an action with smooth, analog steering;
and a scripted person (`HumanModel`) who presses those keys, for tests and the lecture.

Two keyboard styles (`STYLES`); the default (`DEFAULT_STYLE`) is the one whose recordings
taught a network to drive better in `benchmarks/bench_controls.py` (the README shows it):

- **wheel**: the arrows turn a steering wheel, slowly at first and faster the
  longer a key is held (a tap nudges it), and it holds its angle when they are released;
  Space re-centres it. A curve is held with the keys up,
  so the recorded labels take every value, as a gamepad's do.
- **ramp**: holding a key ramps the command toward full lock over `ramp_s` seconds and
  releasing returns it to centre over `return_s`. A curve needs tapping, so the labels
  are a comb of the few values a tap reaches; but they swing around what the road asks
  for at that moment, which the frame shows, while a wheel's held angle also carries the
  driver's history, which it does not. Measured with `HumanModel` over 3 seeds, networks
  learned to drive better from the ramp's labels, so it is the default.

Mouse steering is relative: the pointer's position at the start (or when Space is
pressed) is the centre, so a pointer left anywhere steers nothing until it moves.
"""

from __future__ import annotations

import math
import os
from collections import deque
from dataclasses import dataclass

import numpy as np

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame  # noqa: E402

LEFT_KEYS = (pygame.K_LEFT, pygame.K_a)
RIGHT_KEYS = (pygame.K_RIGHT, pygame.K_d)
UP_KEYS = (pygame.K_UP, pygame.K_w)
DOWN_KEYS = (pygame.K_DOWN, pygame.K_s)
CENTRE_KEYS = (pygame.K_SPACE,)
MODES = ("keyboard", "mouse", "gamepad")
STYLES = ("ramp", "wheel")
DEFAULT_STYLE = "ramp"  # chosen by benchmarks/bench_controls.py (tests check it still agrees)


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
        style: the keyboard's steering, "wheel" or "ramp" (see the module's doc).
        wheel_s: wheel style: once a key has been held `wheel_accel_s`, the time it takes to
            turn the wheel from centre to full lock [s].
        wheel_accel_s: wheel style: the turning rate grows from nothing to full over this
            long a hold [s], so a tap nudges the wheel by a little.
        ramp_s: ramp style: time for a held key to go from centre to full lock [s].
        return_s: ramp style: time for a released key to return from full lock to centre [s].
    """

    mode: str = "keyboard"
    style: str = DEFAULT_STYLE
    wheel_s: float = 0.6
    wheel_accel_s: float = 0.3
    ramp_s: float = 0.35
    return_s: float = 0.25
    mouse_span: int = 640
    steer: float = 0.0
    throttle: float = 0.0

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"controls={self.mode!r}: expected keyboard, mouse or gamepad")
        if self.style not in STYLES:
            raise ValueError(f"style={self.style!r}: expected wheel or ramp")
        self.joystick = None
        self.mouse_centre: int | None = None
        self.held_s = 0.0  # how long the steering key now down has been held
        self.ignored: set[int] = set()  # keys held when driving stopped: they steer nothing until released
        self._anchor: tuple | None = None  # the pointer or stick when waiting began
        if self.mode == "gamepad":
            pygame.joystick.init()
            if pygame.joystick.get_count() == 0:
                raise ValueError("controls=gamepad: no gamepad found; plug one in or use keyboard or mouse")
            self.joystick = pygame.joystick.Joystick(0)

    @property
    def name(self) -> str:
        """What the HUD says is steering: 'keyboard (wheel)', 'mouse', 'gamepad'."""
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

    def max_step(self, dt_s: float) -> float:
        """The largest change of the steering command in one step (for tests and HUDs)."""
        if self.mode == "keyboard" and self.style == "wheel":
            return dt_s / self.wheel_s
        return dt_s / min(self.ramp_s, self.return_s)

    def reset(self) -> None:
        self.steer = 0.0
        self.throttle = 0.0
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

    def update(self, dt_s: float, keys=None) -> tuple[float, float]:
        """Read the input devices and return (steer, throttle), each in [-1, 1]."""
        keys = self._live(keys if keys is not None else pygame.key.get_pressed())
        left = any(keys[k] for k in LEFT_KEYS)
        right = any(keys[k] for k in RIGHT_KEYS)
        centre = any(keys[k] for k in CENTRE_KEYS)
        if self.mode == "mouse":
            x = pygame.mouse.get_pos()[0]
            if self.mouse_centre is None or centre:
                self.mouse_centre = x
            target = float(np.clip(-2.0 * (x - self.mouse_centre) / self.mouse_span, -1.0, 1.0))  # left: +
            self.steer = self._approach(self.steer, target, dt_s / self.ramp_s * 2)
        elif self.mode == "gamepad":
            self.steer = float(np.clip(-self.joystick.get_axis(0), -1.0, 1.0))
        elif self.style == "wheel":
            direction = (1.0 if left else 0.0) - (1.0 if right else 0.0)
            self.held_s = self.held_s + dt_s if direction else 0.0
            if centre:
                self.steer = 0.0
            elif direction:
                rate = min(1.0, self.held_s / self.wheel_accel_s) / self.wheel_s
                self.steer = float(np.clip(self.steer + direction * rate * dt_s, -1.0, 1.0))
        else:
            target = (1.0 if left else 0.0) - (1.0 if right else 0.0)
            moving_out = target != 0.0 and (abs(target) > abs(self.steer) or np.sign(target) != np.sign(self.steer))
            rate = dt_s / (self.ramp_s if moving_out else self.return_s)
            self.steer = self._approach(self.steer, target, rate)
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


# ------------------------------------------------------------------- a scripted person
@dataclass(frozen=True)
class PersonParams:
    """How the scripted person drives (defaults: a careful beginner on a keyboard)."""

    reaction_s: float = 0.25  # what they act on is what the road asked for this long ago
    deadband: float = 0.06  # steering error they tolerate before pressing a key
    min_press_s: float = 0.1  # a key press lasts at least this long (so they overshoot)
    min_release_s: float = 0.07  # and a released key stays up at least this long
    misjudge: float = 0.06  # std of their error in judging the steering a curve needs
    misjudge_s: float = 1.5  # how long such an error lasts (correlation time) [s]
    lapse_every_s: float = 40.0  # mean time between lapses of attention [s]
    lapse_s: tuple[float, float] = (0.8, 2.2)  # a lapse lasts this long; no keys move [s]


class HumanModel:
    """A scripted person at the keyboard: sees the steering the road asks for (the expert's)
    `reaction_s` late and misjudged, presses keys to get there, overshoots (a press lasts
    at least `min_press_s`), and now and then looks away (`lapse_every_s`) and may drift
    off the road. Its keys go through `HumanControls`, the same code a person's go through.

    `step(wanted)` returns the steering the car gets this step, which is also the label,
    as a person's is.
    """

    def __init__(self, controls: HumanControls, dt_s: float, rng: np.random.Generator, params: PersonParams = PersonParams()):
        if controls.mode != "keyboard":
            raise ValueError(f"the scripted person drives with the keyboard, not the {controls.mode}")
        self.controls = controls
        self.dt_s = dt_s
        self.rng = rng
        self.p = params
        self.seen = deque(maxlen=max(1, round(params.reaction_s / dt_s)) + 1)
        self.key = 0  # held: +1 left, -1 right, 0 none
        self.held_steps = 0  # steps the current key state has lasted
        self.error = 0.0  # current misjudgement
        self.lapse_steps = 0
        self.lapses = 0

    def keys(self, wanted: float) -> Keys:
        p, dt = self.p, self.dt_s
        self.seen.append(float(wanted))
        rho = math.exp(-dt / p.misjudge_s)
        self.error = rho * self.error + p.misjudge * math.sqrt(1 - rho * rho) * self.rng.standard_normal()
        if self.lapse_steps == 0 and self.rng.random() < dt / p.lapse_every_s:
            self.lapse_steps = round(self.rng.uniform(*p.lapse_s) / dt)
            self.lapses += 1
        if self.lapse_steps > 0:  # looking away: hands still
            self.lapse_steps -= 1
            self._hold(0)
            return Keys()
        aim = float(np.clip(self.seen[0] + self.error, -1.0, 1.0))  # the oldest: what they saw
        steer = self.controls.steer
        err = aim - steer
        key = self.key
        if self.held_steps * dt >= (p.min_press_s if key else p.min_release_s):
            if key and err * key < p.deadband / 2:
                key = 0  # close enough: let go
            elif not key and abs(err) > p.deadband:
                key = 1 if err > 0 else -1
                if self.controls.style == "ramp" and steer != 0 and 0 <= aim / steer < 1:
                    key = 0  # ramp: letting go is the quickest way back toward centre
        if self.controls.style == "wheel" and not key and abs(aim) < p.deadband and abs(steer) > 3 * p.deadband:
            self._hold(0)
            return Keys(CENTRE_KEYS[0])  # a straight ahead: centre the wheel
        self._hold(key)
        return Keys(*((LEFT_KEYS[0],) if key > 0 else (RIGHT_KEYS[0],) if key < 0 else ()))

    def _hold(self, key: int) -> None:
        self.held_steps = self.held_steps + 1 if key == self.key else 1
        self.key = key

    def step(self, wanted: float) -> float:
        """One step: the keys this person presses given the steering the road asks for,
        through the controls; returns the steering command."""
        return self.controls.update(self.dt_s, self.keys(wanted))[0]

    def reset(self) -> None:
        self.controls.reset()
        self.seen.clear()
        self.key, self.held_steps, self.lapse_steps = 0, 0, 0
