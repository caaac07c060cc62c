"""Human controls: keyboard, mouse or gamepad -> an action with smooth, analog steering.

Holding a steering key ramps the command toward full lock over `ramp_s` seconds and
releasing it returns the command to centre over `return_s`, so recorded labels are
analog, never the -1/0/+1 of bang-bang keyboard driving.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pygame

LEFT_KEYS = (pygame.K_LEFT, pygame.K_a)
RIGHT_KEYS = (pygame.K_RIGHT, pygame.K_d)
UP_KEYS = (pygame.K_UP, pygame.K_w)
DOWN_KEYS = (pygame.K_DOWN, pygame.K_s)


@dataclass
class HumanControls:
    """Turns input state into [steer] or [steer, throttle] each step.

    Attributes:
        mode: "keyboard", "mouse" (horizontal position over `mouse_span` steers) or
            "gamepad" (axis 0 steers, axis 1 throttles).
        ramp_s: time for a held key to go from centre to full lock [s].
        return_s: time for a released key to return from full lock to centre [s].
    """

    mode: str = "keyboard"
    ramp_s: float = 0.35
    return_s: float = 0.25
    mouse_span: tuple[int, int] = (0, 640)
    steer: float = 0.0
    throttle: float = 0.0

    def __post_init__(self):
        if self.mode not in ("keyboard", "mouse", "gamepad"):
            raise ValueError(f"controls={self.mode!r}: expected keyboard, mouse or gamepad")
        self.joystick = None
        if self.mode == "gamepad":
            pygame.joystick.init()
            if pygame.joystick.get_count() == 0:
                raise ValueError("controls=gamepad: no gamepad found; plug one in or use keyboard or mouse")
            self.joystick = pygame.joystick.Joystick(0)

    def max_step(self, dt_s: float) -> float:
        """The largest change of the steering command in one step (for tests and HUDs)."""
        return dt_s / min(self.ramp_s, self.return_s)

    def reset(self) -> None:
        self.steer = 0.0
        self.throttle = 0.0

    def update(self, dt_s: float, keys=None) -> tuple[float, float]:
        """Read the input devices and return (steer, throttle), each in [-1, 1]."""
        keys = keys if keys is not None else pygame.key.get_pressed()
        left = any(keys[k] for k in LEFT_KEYS)
        right = any(keys[k] for k in RIGHT_KEYS)
        if self.mode == "mouse":
            x = pygame.mouse.get_pos()[0]
            lo, hi = self.mouse_span
            target = float(np.clip(1.0 - 2.0 * (x - lo) / max(hi - lo, 1), -1.0, 1.0))  # left of centre: +
            self.steer = self._approach(self.steer, target, dt_s / self.ramp_s * 2)
        elif self.mode == "gamepad":
            self.steer = float(np.clip(-self.joystick.get_axis(0), -1.0, 1.0))
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
