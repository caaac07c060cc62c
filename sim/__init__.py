"""The DriveLab world: tracks, car physics, sensors, camera and the `DriveLab-v0` env.

Importing `sim` registers the Gymnasium id `DriveLab-v0`.
"""

import gymnasium as gym

if "DriveLab-v0" not in gym.registry:
    gym.register(id="DriveLab-v0", entry_point="sim.env:DrivingEnv", vector_entry_point="sim.vector:DrivingVectorEnv")
