"""The DriveLab world: tracks, car physics, sensors, camera and the `DriveLab-v1` env.

Importing `sim` registers the Gymnasium id `ENV_ID`. Its version changes whenever the
observations or the dynamics change (Gymnasium's convention), so a result names the world
it was measured in; `tests/sim/test_version.py` replays a reference rollout and fails when
they change under the same id. What changed in each version: `sim.env.DrivingEnv`'s
Version History and the README's changelog.
"""

import gymnasium as gym

ENV_VERSION = 1
ENV_ID = f"DriveLab-v{ENV_VERSION}"

if ENV_ID not in gym.registry:
    gym.register(id=ENV_ID, entry_point="sim.env:DrivingEnv", vector_entry_point="sim.vector:DrivingVectorEnv")
