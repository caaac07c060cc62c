"""DriveLab datasets to and from Minari, the Farama offline-data format.

`to_minari(DIR, ID)` writes one Minari episode per DriveLab episode:

- observations: the env's Dict observation (`camera` uint8, `sensors` float32), N + 1 of
  them. DriveLab stores the observation before each action, so the last one is repeated
  as the final observation.
- actions: the labels (what the network learns). What the car executed (different
  under DART noise) is in the infos as `executed`.
- rewards: the progress along the road each step [m], the env's reward without its
  penalties; the last step's is 0.
- terminations: the last step, when the episode ended off the road or on an obstacle;
  truncations: the last step otherwise.
- infos (N + 1 rows, the last repeated): `progress_m`, `lateral_offset_m`, `off_road`,
  `source` (0 human, 1 expert, 2 takeover, 3 dagger), `executed`, `crash` and `excluded`
  (the frames DriveLab's trainer leaves out).
- Side-camera frames are not steps in time and are dropped (counted in the return value).
- The env spec is `DriveLab-v1` with the dataset's whole `EnvConfig` as `config`, so
  `minari.load_dataset(ID).recover_environment()` makes the env it was recorded in,
  level included. Frames are stored losslessly (no JPEG).

`load_minari(ID)` reads such a dataset back into the arrays `train` uses
(`train minari:ID`). Needs the `formats` extra.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from agent.data.dataset import Dataset, DatasetError
from sim import ENV_ID  # importing sim registers it
from sim.config import EnvConfig

# Minari's (namespace/)name-vVERSION, its namespace rule included (at least two characters)
ID_RE = re.compile(r"^(?:[-_\w][-_\w/]*[-_\w]+/)?[A-Za-z0-9_.-]+-v\d+$")


def check_id(dataset_id: str, label: str | None = None) -> None:
    """A one-line error for an id Minari would not accept (checked before anything is written)."""
    if not isinstance(dataset_id, str) or not ID_RE.match(dataset_id):
        raise ValueError(
            f"{label or f'--minari {dataset_id!r}'}: expected a Minari id like drivelab/mine-v0 "
            "((namespace/)name-vVERSION; a namespace has at least two characters)"
        )


STEP_INFO = ("progress_m", "lateral_offset_m", "off_road", "source", "executed", "crash", "excluded")


def _minari():
    try:
        import minari
    except ImportError:
        raise RuntimeError("Minari datasets need the formats extra: pip install -e '.[formats]'") from None
    return minari


def to_minari(root: str | Path, dataset_id: str, author: str | None = None) -> dict:
    """Write the DriveLab dataset at `root` as Minari dataset `dataset_id`; returns counts."""
    minari = _minari()
    import gymnasium as gym
    from minari.data_collector import EpisodeBuffer

    check_id(dataset_id)
    ds = Dataset(root)
    if ds.frames == 0:
        raise DatasetError(f"{ds.root}: no frames to export")
    if _exists(minari, dataset_id):
        raise ValueError(
            f"--minari {dataset_id}: a local Minari dataset of that id exists; choose another id or delete it (minari "
            f"delete {dataset_id})"
        )
    env = gym.make(ENV_ID, config=ds.env_config.to_dict())
    keys = [k for k in ("camera", "sensors") if k in env.observation_space.spaces]
    buffers, dropped = [], 0
    for i, entry in enumerate(ds.episodes):
        d = ds.load(
            (
                *keys,
                "action",
                "executed",
                "progress_m",
                "lateral_offset_m",
                "off_road",
                "source",
                "camera_shift_m",
                "crash",
                "excluded",
            ),
            episodes=[i],
        )
        real = d["camera_shift_m"] == 0
        dropped += int((~real).sum())
        if not real.any():
            continue
        d = {k: v[real] for k, v in d.items()}
        n = len(d["action"])
        progress = d["progress_m"].astype(np.float64)
        rewards = np.r_[np.diff(progress), 0.0]
        ended = entry.get("end") in ("off_road", "collision")
        buffers.append(
            EpisodeBuffer(
                id=len(buffers),
                observations={k: np.concatenate([d[k], d[k][-1:]]) for k in keys},
                actions=d["action"].astype(np.float32),
                rewards=rewards.tolist(),
                terminations=[False] * (n - 1) + [ended],
                truncations=[False] * (n - 1) + [not ended],
                infos={k: np.concatenate([np.asarray(d[k]), np.asarray(d[k][-1:])]) for k in STEP_INFO},
            )
        )
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=".*(author_email|code_permalink).*"
        )  # Minari asks for them; a local recording has neither
        try:
            _create(minari, dataset_id, buffers, env, ds, author)
        except Exception as e:  # Minari refused midway: leave no half-made dataset to block a retry
            if _exists(minari, dataset_id):
                minari.delete_dataset(dataset_id)
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise ValueError(f"--minari {dataset_id}: Minari could not write it ({first})") from None
    env.close()
    return {
        "episodes": len(buffers),
        "steps": int(sum(len(b.actions) for b in buffers)),
        "dropped_side_frames": dropped,
    }


def _create(minari, dataset_id, buffers, env, ds, author) -> None:
    minari.create_dataset_from_buffers(
        dataset_id,
        buffers,
        env=env,
        eval_env=env.spec,  # the same env for evaluation
        algorithm_name="DriveLab recording (" + ", ".join(sorted({e.get("driver", "?") for e in ds.episodes})) + ")",
        author=author or "DriveLab",
        description=f"Exported from the DriveLab dataset {ds.root.name} at level {ds.env_config.level.name}.",
        data_format="hdf5",
        jpeg_encoding=False,  # lossless frames: the same training from the export as from the folder
    )


def _exists(minari, dataset_id: str) -> bool:
    try:
        minari.load_dataset(dataset_id)
    except Exception:  # unknown, or not a readable dataset
        return False
    return True


def load_minari(dataset_id: str, fields: tuple[str, ...]):
    """A Minari dataset of DriveLab (any version) -> (data arrays, EnvConfig, identity), as
    `agent.learn.train.load_datasets` returns them for DriveLab folders."""
    check_id(dataset_id, f"minari:{dataset_id}")
    minari = _minari()
    try:
        mds = minari.load_dataset(dataset_id)
    except Exception as e:  # Minari raises its own types for unknown ids and damaged files
        raise DatasetError(
            f"minari:{dataset_id}: no such Minari dataset here ({type(e).__name__}); `minari list local` shows them"
        ) from None
    spec = mds.spec.env_spec
    if (
        spec is None or not spec.id.startswith("DriveLab-v") or not isinstance(spec.kwargs.get("config"), dict)
    ):  # any version: the config says all
        raise DatasetError(
            f"minari:{dataset_id}: recorded in {spec.id if spec else 'an unknown env'}, not a DriveLab export"
        )
    config = EnvConfig.from_dict(spec.kwargs["config"])
    parts: dict[str, list] = {}
    for i, ep in enumerate(mds.iterate_episodes()):
        n = len(ep.actions)
        obs = ep.observations if isinstance(ep.observations, dict) else {}
        for k in fields:
            if k in ("camera", "sensors"):
                if k in obs:
                    parts.setdefault(k, []).append(np.asarray(obs[k])[:n])
            elif k == "action":
                parts.setdefault(k, []).append(np.asarray(ep.actions, dtype=np.float32).reshape(n, -1))
            elif k in ep.infos:
                parts.setdefault(k, []).append(np.asarray(ep.infos[k])[:n])
        parts.setdefault("episode", []).append(np.full(n, i, dtype=np.int32))
        parts.setdefault("frame", []).append(np.arange(n))
    data = {k: np.concatenate(v) for k, v in parts.items()}
    for k, dtype in (("off_road", bool), ("crash", bool), ("excluded", bool), ("source", np.uint8)):
        if k in data:
            data[k] = data[k].astype(dtype)
    return (
        data,
        config,
        [{"path": f"minari:{dataset_id}", "frames": len(data["episode"]), "episodes": int(mds.total_episodes)}],
    )
