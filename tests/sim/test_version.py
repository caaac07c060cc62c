"""The env's id names its world: a reference rollout of every level, replayed, must read what
it read when `sim.ENV_VERSION` was set. A change to observations or dynamics fails here
until the version is bumped, the change is written in `sim.env.DrivingEnv`'s Version
History and the README's changelog, and the reference is written anew:

    python tests/sim/test_version.py --write
"""

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = Path(__file__).parent / "data" / "rollout_reference.json"


def rollout() -> dict:
    """What 2 cars see and do at every level over 120 steps of fixed steering (a new track
    and conditions at each reset; sensors and the camera frames' mean colour, rounded)."""
    import gymnasium as gym

    from sim import ENV_ID
    from sim.levels import LEVELS

    out = {}
    for level in LEVELS:
        venv = gym.make_vec(ENV_ID, num_envs=2, level=level, max_steps=90)
        obs, _ = venv.reset(seed=7)
        sensors, frames, poses = [], [], []
        for k in range(120):
            steer = np.array([[0.3 * np.sin(k / 9)], [-0.2 * np.cos(k / 7)]], dtype=np.float32)
            obs, _, _, _, info = venv.step(steer)
            sensors.append(np.round(obs["sensors"].astype(np.float64), 3).tolist())
            frames.append(np.round(obs["camera"].reshape(2, -1, 3).mean(axis=1), 2).tolist())
            poses.append([round(float(v), 4) for v in np.concatenate([info["progress_m"], info["lateral_offset_m"]])])
        venv.close()
        out[level] = {"sensors": sensors, "frames": frames, "poses": poses}
    return out


def test_the_world_is_the_one_its_id_names():
    from sim import ENV_ID, ENV_VERSION

    ref = json.loads(REFERENCE.read_text())
    assert ref["version"] == ENV_VERSION, (
        f"{REFERENCE.name} was written for DriveLab-v{ref['version']}: write it anew for {ENV_ID}"
    )
    now = rollout()
    bump = (
        f"observations or dynamics changed under {ENV_ID}: bump sim.ENV_VERSION, say what changed (DrivingEnv's "
        "Version History, the README's changelog) and run `python tests/sim/test_version.py --write`"
    )
    for level, r in ref["levels"].items():
        for key, tol in (("poses", 2e-3), ("sensors", 0.02), ("frames", 0.6)):
            a, b = np.array(r[key]), np.array(now[level][key])
            worst = float(np.abs(a - b).max())
            # tolerances cover rounding across CPUs (a ray's last sample, a pixel's +-1), not a changed rule
            assert worst <= tol, f"level {level}, {key}: off by {worst:.4f} (> {tol}); {bump}"


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    sys.path.insert(0, str(ROOT))
    from sim import ENV_VERSION

    REFERENCE.write_text(json.dumps({"version": ENV_VERSION, "levels": rollout()}, separators=(",", ":")))
    print(f"wrote {REFERENCE} for DriveLab-v{ENV_VERSION}")
