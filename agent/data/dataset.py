"""Recording episodes to disk and reading them back: the dataset format (its only description).

A dataset is a folder:

    DIR/dataset.json            manifest: {"schema": 1, "env": {...full env config...},
                                  "episodes": [{"id", "track", "driver", "frames", "steps",
                                  "duration_s", "created", "complete", "chunks": [...],
                                  "end": "off_road" (how it ended, when driven by a person),
                                  "excluded": [[first, end), ...] (cuts made in data review)}, ...],
                                  "next_episode": the next episode's number (ids are never reused)}
    DIR/ep000000/chunk0000.npz  up to CHUNK_S seconds of one episode (300 steps at 30 steps/s)
    DIR/ep000000/chunk0001.npz  ...

Each chunk is an uncompressed `.npz`; every array has one row per frame:

| array | dtype, shape | meaning |
|---|---|---|
| `camera` | uint8 (n, H, W, C) | camera frame (if recorded) |
| `sensors` | float32 (n, rays + 1) | ray distances [m], then speed [m/s] (if recorded) |
| `action` | float32 (n, A) | the label: steering (+1 full left) [, throttle] |
| `executed` | float32 (n, A) | what the car actually did (differs from the label under DART noise) |
| `progress_m`, `lateral_offset_m`, `heading_error_rad`, `speed_mps` | float32 (n,) | privileged state |
| `off_road` | bool (n,) | the car was off the road |
| `source` | uint8 (n,) | 0 human, 1 expert, 2 takeover, 3 dagger (SOURCES) |
| `camera_shift_m` | float32 (n,) | sideways shift of a side-camera frame, 0 for real ones |
| `round` | int16 (n,) | DAgger round, 0 otherwise |

Read it with plain numpy:

    import json, numpy as np

    m = json.load(open("DIR/dataset.json"))
    frames = np.concatenate([np.load(f"DIR/{c}")["camera"] for e in m["episodes"] for c in e["chunks"]])

or with `Dataset("DIR").load(("camera", "action"))`.

Frames a trainer leaves out are marked in the manifest, never by rewriting a chunk:
`excluded` on an episode lists [first, end) frame ranges a person cut out (`data review`),
and `end: "off_road"` says the episode ended by leaving the road. From those and the
recorded `off_road` flags, `crash_frames` finds the crash segments: the CRASH_S seconds of
driving before each exit from the road (see its doc for the rule) where a person drove
(source human or takeover; an expert's label near an exit is still the way back).

Crash safety: a chunk is written to a temporary name and renamed; the manifest is
rewritten the same way after every chunk, so a process killed at any moment (even
`kill -9`) leaves a readable dataset that lacks at most the chunk being written; opening
it removes the stale temporary file and warns of any chunk the manifest does not list.
The manifest records each chunk's frame count, and a chunk that disagrees with it (fewer
rows, another dataset's arrays) is an error naming it. Appending a recording made with a
different camera, observation or action layout is refused with a message naming the
differing fields.

One writer at a time: a `DatasetWriter` holds the folder's `.writer.lock` (its process id,
host and command, created atomically) until it is closed or collected, so a second process
waits (`record`) or is refused in one line naming the other writer (`drive`, `watch
--record`, `data review`) instead of overwriting the manifest. The lock of a process that
died is recovered.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import secrets
import socket
import sys
import time
import weakref
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sim.config import EnvConfig

SCHEMA = 1
MANIFEST = "dataset.json"
CHUNK_S = 10.0  # an episode is written in chunks of this much driving
SOURCES = ("human", "expert", "takeover", "dagger")
STEP_FIELDS = ("progress_m", "lateral_offset_m", "heading_error_rad", "speed_mps")
# EnvConfig fields that do not change what a recorded step means
# what may differ between recordings of one dataset: episode length and, since mixing levels
# is a curriculum, the level and the roads it draws (each episode records its level)
_IGNORED_ENV_FIELDS = {"max_steps", "max_laps", "offroad", "offroad_penalty", "level", "track"}


CRASH_S = 1.5  # the driving before an exit from the road that is marked as a crash [s]


class DatasetError(ValueError):
    """A dataset problem; the message is one line naming the file."""


LOCK = ".writer.lock"
_held: dict[str, int] = {}  # the folders this process writes to, and how many writers hold each


def _tmp_name(path: Path) -> Path:
    """A temporary name beside `path` that no other writer uses (pid and random tag)."""
    return path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")


def _lock_owner(path: Path) -> dict | None:
    """Who holds a lock file: its JSON, or None if it is unreadable."""
    try:
        owner = json.loads(path.read_text())
        return owner if isinstance(owner, dict) and isinstance(owner.get("pid"), int) else None
    except (OSError, ValueError):
        return None


def _alive(owner: dict) -> bool:
    if owner.get("host") != socket.gethostname():
        return True  # another machine's process: nothing here can tell it has ended
    try:
        os.kill(owner["pid"], 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _who(owner: dict) -> str:
    return (
        f"process {owner['pid']} on {owner.get('host', '?')} ({owner.get('command', '?')}, since "
        f"{owner.get('since', '?')})"
    )


def acquire(root: Path, wait: bool = False, say=print) -> None:
    """Become the writer of dataset folder `root` (which must exist): take its lock file, or,
    while another live process holds it, wait (`wait`) or raise a one-line DatasetError
    naming it. A lock left by a dead process is taken over. Re-entrant within a process."""
    key = str(root.resolve())
    if _held.get(key):
        _held[key] += 1
        return
    path, told = root / LOCK, False
    while True:
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            owner = _lock_owner(path)
            if owner is None:  # being written this instant, or left unreadable by a crash
                try:
                    stale = time.time() - path.stat().st_mtime > 5
                except FileNotFoundError:
                    continue
                if not stale:
                    time.sleep(0.05)
                    continue
            if owner is None or not _alive(owner):
                try:
                    os.unlink(path)  # a dead writer's lock
                except FileNotFoundError:
                    pass
                continue
            if not wait:
                raise DatasetError(
                    f"{root}: {_who(owner)} is writing to this dataset; let it finish, or use another folder"
                ) from None
            if not told:
                say(f"waiting for {_who(owner)} to finish writing to {root}")
                told = True
            time.sleep(0.2)
            continue
        with os.fdopen(fd, "w") as f:
            json.dump(
                {
                    "pid": os.getpid(),
                    "host": socket.gethostname(),
                    "command": " ".join(sys.argv)[:200],
                    "since": _now(),
                },
                f,
            )
        _held[key] = 1
        return


def release(root: Path) -> None:
    """Give up one hold on `root`'s lock; the last one removes the lock file."""
    key = str(root.resolve())
    if not _held.get(key):
        return
    _held[key] -= 1
    if _held[key] == 0:
        del _held[key]
        owner = _lock_owner(root / LOCK)
        if owner is not None and owner["pid"] == os.getpid():
            try:
                (root / LOCK).unlink()
            except FileNotFoundError:
                pass


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    tmp = _tmp_name(path)
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _flatten(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def config_differences(a: dict, b: dict) -> list[str]:
    """Fields (dotted names) where two env configs differ in what a step means."""
    fa, fb = _flatten(json.loads(json.dumps(a))), _flatten(json.loads(json.dumps(b)))  # tuples and lists alike
    return [
        f"{k} ({fa.get(k)!r} vs {fb.get(k)!r})"
        for k in sorted(set(fa) | set(fb))
        if k.split(".")[0] not in _IGNORED_ENV_FIELDS and fa.get(k) != fb.get(k)
    ]


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


class DatasetWriter:
    """Appends episodes to a dataset folder (created if missing), as its only writer.

    Raises DatasetError if the folder holds a dataset recorded with a different env
    configuration (no silent mixing of camera sizes or observation layouts), or if another
    process is writing to it (unless `wait`: then it waits, saying so once through `say`).
    The folder's lock is released by `close()`, or when the writer is collected.
    """

    def __init__(self, root: str | Path, env_config: EnvConfig, wait: bool = False, say=print):
        self.root = Path(root)
        self.env = env_config.to_dict()
        self.dt_s = env_config.dt_s
        path = self.root / MANIFEST
        if self.root.exists() and not self.root.is_dir():
            raise DatasetError(f"{self.root}: exists and is not a folder")
        if path.exists():
            read_manifest(self.root)  # a broken manifest is refused before anything is taken
        self.root.mkdir(parents=True, exist_ok=True)
        acquire(self.root, wait, say)
        self._release = weakref.finalize(self, release, self.root)
        try:
            if path.exists():  # read under the lock: what any earlier writer saved
                self.manifest = read_manifest(self.root)
                diff = config_differences(self.manifest["env"], self.env)
                if diff:
                    raise DatasetError(
                        f"{path}: this recording's env differs from the dataset's in {', '.join(diff)}; record to "
                        "another folder"
                    )
            else:
                self.manifest = {"schema": SCHEMA, "env": self.env, "episodes": []}
                self._save_manifest()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Stop writing: the folder's lock goes (once every writer of this process has closed)."""
        self._release()

    def _save_manifest(self) -> None:
        _atomic_write_bytes(self.root / MANIFEST, json.dumps(self.manifest, indent=1).encode())

    def _next_id(self) -> str:
        """The next episode id: after every id this dataset has ever issued (the manifest
        keeps the count, so a discarded episode's id is never reused and ids stay in
        order), and after any folder a crash left."""
        used = [e["id"] for e in self.manifest["episodes"]] + [p.name for p in self.root.glob("ep*") if p.is_dir()]
        numbers = [int(i[2:]) for i in used if i[2:].isdigit()]
        issued = self.manifest.get("next_episode")
        n = max([issued if isinstance(issued, int) and not isinstance(issued, bool) else 0, *(k + 1 for k in numbers)])
        self.manifest["next_episode"] = n + 1
        return f"ep{n:06d}"

    def new_episode(self, track: str, driver: str, **meta) -> dict:
        """Add an (empty) episode to the manifest and make its folder; returns its entry."""
        entry = {
            "id": self._next_id(),
            "track": track,
            "driver": driver,
            "frames": 0,
            "duration_s": 0.0,
            "created": _now(),
            "complete": False,
            "chunks": [],
            "level": self.env.get("level", {}).get("name", "school"),
            **meta,
        }
        (self.root / entry["id"]).mkdir()
        self.manifest["episodes"].append(entry)
        self._save_manifest()
        return entry

    def episode(self, track: str, driver: str, **meta) -> "RecordedEpisode":
        """Start an episode; `add` steps to it, then `close()` (or `discard()`) it."""
        entry = self.new_episode(track, driver, **meta)
        return RecordedEpisode(
            self, entry, EpisodeWriter(self.root, entry["id"], lambda *chunk: self.add_chunk(entry, *chunk), self.dt_s)
        )

    def add_chunk(self, entry: dict, name: str, frames: int, steps: int) -> None:
        """Record in the manifest a chunk file that is already on disk.

        `frames` counts every row (side-camera frames too); `steps` only the driven ones.
        """
        entry["chunks"].append(name)
        entry.setdefault("chunk_frames", []).append(frames)
        entry["frames"] += frames
        entry["steps"] = entry.get("steps", 0) + steps
        entry["duration_s"] = round(entry["steps"] * self.env["dt_s"], 3)
        self._save_manifest()

    def finish(self, entry: dict) -> None:
        entry["complete"] = True
        if entry["frames"] == 0:  # nothing recorded: leave no trace
            self.manifest["episodes"].remove(entry)
            d = self.root / entry["id"]
            if d.exists() and not any(d.iterdir()):
                d.rmdir()
        self._save_manifest()

    def discard(self, entry: dict) -> None:
        """Remove an episode and its chunks (the Backspace key while driving)."""
        self.manifest["episodes"].remove(entry)
        self._save_manifest()
        d = self.root / entry["id"]
        for f in d.glob("*"):
            f.unlink()
        d.rmdir()


@dataclass
class RecordedEpisode:
    """An episode being recorded in this process: steps go to the writer, chunks to the manifest."""

    owner: DatasetWriter
    entry: dict
    writer: "EpisodeWriter"

    @property
    def frames(self) -> int:
        return self.writer.frames

    def add(self, *args, **kwargs) -> None:
        self.writer.add(*args, **kwargs)

    def close(self) -> None:
        self.writer.flush()
        self.owner.finish(self.entry)

    def discard(self) -> None:
        self.writer.buffer = {}
        self.owner.discard(self.entry)


def write_chunk(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write one chunk atomically (temporary name, then rename)."""
    tmp = _tmp_name(path)
    with open(tmp, "wb") as f:
        np.savez(f, **arrays)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


@dataclass
class EpisodeWriter:
    """Buffers steps of one episode and writes a chunk every CHUNK_S seconds of driving
    (steps of `dt_s`).

    `on_chunk(name, frames, steps)` is called after each chunk is safely on disk; the dataset
    writer uses it to update the manifest (a recording worker forwards it to the parent).
    """

    root: Path
    episode_id: str
    on_chunk: object
    dt_s: float
    chunks: int = 0
    written: int = 0
    buffer: dict[str, list] = field(default_factory=dict)

    @property
    def frames(self) -> int:
        return self.written + len(self.buffer.get("action", []))

    def add(
        self, obs: dict, action, executed, info: dict, source: str, camera_shift_m: float = 0.0, round: int = 0
    ) -> None:
        """Append one step: the observation, the label action, the executed action, the info."""
        row = {
            "action": np.asarray(action, np.float32),
            "executed": np.asarray(executed, np.float32),
            "off_road": bool(info["off_road"]),
            "source": SOURCES.index(source),
            "camera_shift_m": float(camera_shift_m),
            "round": int(round),
            **{k: float(info[k]) for k in STEP_FIELDS},
        }
        for k in ("camera", "sensors"):
            if k in obs:
                row[k] = obs[k]
        for k, v in row.items():
            self.buffer.setdefault(k, []).append(v)
        if len(self.buffer["action"]) * self.dt_s >= CHUNK_S - 1e-9:
            self.flush()

    def flush(self) -> None:
        n = len(self.buffer.get("action", []))
        if n == 0:
            return
        dtypes = {
            "off_road": np.bool_,
            "source": np.uint8,
            "round": np.int16,
            "camera": np.uint8,
            "sensors": np.float32,
        }
        arrays = {k: np.asarray(v, dtype=dtypes.get(k, np.float32)) for k, v in self.buffer.items()}
        name = f"{self.episode_id}/chunk{self.chunks:04d}.npz"
        write_chunk(self.root / name, arrays)
        steps = int((arrays["camera_shift_m"] == 0).sum())  # side-camera frames take no time
        self.buffer = {}
        self.chunks += 1
        self.written += n
        self.on_chunk(name, n, steps)


def set_excluded(root: str | Path, episode_id: str, ranges: list[tuple[int, int]]) -> None:
    """Store an episode's excluded frame ranges ([first, end), merged) in the manifest;
    chunks are never rewritten. The manifest is re-read first and replaced atomically, as
    the folder's writer for that moment (refused while another process records into it)."""
    root = Path(root)
    read_manifest(root)
    acquire(root)
    try:
        _set_excluded(root, episode_id, ranges)
    finally:
        release(root)


def _set_excluded(root: Path, episode_id: str, ranges) -> None:
    manifest = read_manifest(root)
    entry = next((e for e in manifest["episodes"] if e["id"] == episode_id), None)
    if entry is None:
        raise DatasetError(f"{root / MANIFEST}: no episode {episode_id}")
    merged: list[list[int]] = []
    for a, b in sorted((int(a), int(b)) for a, b in ranges if b > a):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    if merged:
        entry["excluded"] = merged
    else:
        entry.pop("excluded", None)
    _atomic_write_bytes(root / MANIFEST, json.dumps(manifest, indent=1).encode())


# ------------------------------------------------------------------------ reading
def read_manifest(root: str | Path) -> dict:
    path = Path(root) / MANIFEST
    if not Path(root).exists():
        raise DatasetError(f"{root}: no such dataset folder")
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        raise DatasetError(f"{path}: missing; is {root} a DriveLab dataset?") from None
    except (OSError, json.JSONDecodeError) as e:
        raise DatasetError(f"{path}: unreadable manifest ({e})") from None
    if not isinstance(manifest, dict) or manifest.get("schema") != SCHEMA or "episodes" not in manifest:
        raise DatasetError(f"{path}: not a schema-{SCHEMA} DriveLab manifest")
    episodes = manifest["episodes"]
    if not isinstance(episodes, list) or not all(_valid_entry(e) for e in episodes):
        raise DatasetError(
            f"{path}: damaged manifest (each episode needs an id, a frame count and a list of chunks; cuts are "
            "[first, end) frame pairs)"
        )
    try:
        EnvConfig.from_dict(manifest["env"])
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise DatasetError(f"{path}: damaged manifest: its env is not a DriveLab config ({type(e).__name__})") from None
    return manifest


def _valid_entry(e) -> bool:
    return (
        isinstance(e, dict)
        and isinstance(e.get("id"), str)
        and isinstance(e.get("frames"), int) and not isinstance(e.get("frames"), bool) and e["frames"] >= 0
        and isinstance(e.get("chunks"), list)
        # every chunk inside the folder
        and all(isinstance(c, str) and not c.startswith("/") and ".." not in c.split("/") for c in e["chunks"])
        and _valid_ranges(e.get("excluded", []))
    )  # fmt: skip


def _valid_ranges(ranges) -> bool:
    """`excluded`: a list of [first, end) pairs of frame indices, 0 <= first < end."""
    return isinstance(ranges, list) and all(
        isinstance(r, list)
        and len(r) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in r)
        and 0 <= r[0] < r[1]
        for r in ranges
    )


def _chunk_rows(path: Path, chunk: dict) -> int:
    rows = {len(v) for v in chunk.values()}
    if len(rows) > 1:
        raise DatasetError(f"{path}: its arrays disagree on the number of rows ({sorted(rows)})")
    return rows.pop() if rows else 0


def _read_chunk(path: Path, fields) -> dict[str, np.ndarray]:
    try:
        with np.load(path) as z:
            return {k: z[k] for k in fields if k in z.files}
    except FileNotFoundError:
        raise DatasetError(f"{path}: chunk listed in the manifest is missing") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as e:
        raise DatasetError(f"{path}: truncated or corrupt chunk ({type(e).__name__}: {e})") from None


class Dataset:
    """A recorded dataset, read-only.

    Attributes:
        root: the folder.
        env_config: the EnvConfig it was recorded with.
        episodes: manifest entries, one per episode.
    """

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.manifest = read_manifest(self.root)
        self.env_config = EnvConfig.from_dict(self.manifest["env"])
        self.episodes = self.manifest["episodes"]
        self.unlisted = self._tidy()

    def _tidy(self) -> list[str]:
        """Remove `.tmp` files a killed writer left; return chunks the manifest does not list.

        A `.tmp` is only ever a file being written, never a finished one (writers rename
        it when done), so it is safe to delete once no writer is running; readers open a
        dataset after recording, and a `.tmp` younger than a minute is left alone.
        """
        import time

        for tmp in self.root.glob("**/*.tmp"):
            try:
                if time.time() - tmp.stat().st_mtime > 60:
                    tmp.unlink()
            except OSError:
                pass
        listed = {name for e in self.episodes for name in e["chunks"]}
        return sorted(
            str(p.relative_to(self.root))
            for p in self.root.glob("ep*/chunk*.npz")
            if str(p.relative_to(self.root)) not in listed
        )

    @property
    def frames(self) -> int:
        return sum(e["frames"] for e in self.episodes)

    def _check_chunk(self, path: Path, chunk: dict, fields, entry: dict, k: int) -> int:
        """Rows of a chunk, checked against the manifest; DatasetError naming it if wrong."""
        missing = [f for f in fields if f not in chunk and f in ("action", "camera", "sensors") and self._records(f)]
        if missing:
            raise DatasetError(f"{path}: lacks {', '.join(missing)}; is it a chunk of another dataset?")
        rows = _chunk_rows(path, chunk)
        expected = entry.get("chunk_frames")
        if expected is not None and k < len(expected) and rows != expected[k]:
            raise DatasetError(f"{path}: holds {rows} frames, the manifest lists {expected[k]}")
        return rows

    def _records(self, field: str) -> bool:
        """Whether every chunk of this dataset holds `field`."""
        if field == "action":
            return True
        return (
            field
            in {"both": ("camera", "sensors"), "camera": ("camera",), "sensors": ("sensors",)}[
                self.env_config.observation
            ]
        )

    def load(
        self, fields=("camera", "sensors", "action"), episodes=None, skip_bad: bool = False, warn=print
    ) -> dict[str, np.ndarray]:
        """Load the chosen fields of the chosen episodes into single arrays.

        Memory: each field is allocated once at its final size and filled chunk by chunk,
        so the peak is the data plus one chunk. Adds `episode` (int32 index into
        `self.episodes`). A bad chunk raises DatasetError naming it; with `skip_bad` it is
        reported through `warn` and left out.
        """
        chosen = range(len(self.episodes)) if episodes is None else episodes
        marks = [f for f in ("crash", "excluded") if f in fields]
        fields = tuple(f for f in fields if f not in marks) + (
            ("off_road", "camera_shift_m", "source") if "crash" in marks else ()
        )
        if self.unlisted:
            warn(
                f"{self.root}: {len(self.unlisted)} chunk file(s) the manifest does not list were left out "
                f"({', '.join(self.unlisted[:3])})"
            )
        plan = [(i, k, self.root / name) for i in chosen for k, name in enumerate(self.episodes[i]["chunks"])]
        total = sum(self.episodes[i]["frames"] for i in chosen)
        out: dict[str, np.ndarray] = {}
        episode = np.empty(total, dtype=np.int32)
        frame = np.empty(total, dtype=np.int64)  # index of each frame within its episode
        reached: dict[int, int] = {}
        n = 0
        skipped = 0
        for i, k, path in plan:
            try:
                chunk = _read_chunk(path, fields)
                m = self._check_chunk(path, chunk, fields, self.episodes[i], k)
                for f, v in chunk.items():
                    if f not in out:
                        out[f] = np.empty((total,) + v.shape[1:], dtype=v.dtype)
                    if v.shape[1:] != out[f].shape[1:]:
                        raise DatasetError(
                            f"{path}: {f} has shape {v.shape[1:]} where other chunks have {out[f].shape[1:]}"
                        )
                    if n + m > total:
                        raise DatasetError(f"{path}: more frames than the manifest lists for its episodes")
                    out[f][n : n + m] = v
            except DatasetError as e:
                if not skip_bad:
                    raise
                warn(f"skipping {e}")
                skipped += 1
                continue
            episode[n : n + m] = i
            sizes = self.episodes[i].get("chunk_frames")
            start = sum(sizes[:k]) if sizes is not None and len(sizes) >= k else reached.get(i, 0)
            frame[n : n + m] = start + np.arange(m)
            reached[i] = start + m
            n += m
        if skipped:
            warn(f"{self.root}: skipped {skipped} bad chunk(s) of {len(plan)}; {n:,} of {total:,} frames loaded")
        result = {k: v[:n] for k, v in out.items()}
        result["episode"] = episode[:n]
        result["frame"] = frame[:n]
        if "excluded" in marks:
            result["excluded"] = self.excluded_frames(result["episode"], result["frame"])
        if "crash" in marks:
            ended = np.array([e.get("end") in ("off_road", "collision") for e in self.episodes], dtype=bool)
            shift = result.get("camera_shift_m", np.zeros(n, np.float32))
            crash = crash_frames(
                result["episode"], result.get("off_road", np.zeros(n, bool)), shift, ended, self.env_config.dt_s
            )
            # only where the label is what the driver did: an expert's label near an exit is the way back
            result["crash"] = crash & np.isin(
                result.get("source", np.zeros(n, np.uint8)), [SOURCES.index("human"), SOURCES.index("takeover")]
            )
        return result

    def excluded_frames(self, episode: np.ndarray, frame: np.ndarray) -> np.ndarray:
        """Boolean mask: the frames inside an episode's `excluded` ranges."""
        out = np.zeros(len(episode), dtype=bool)
        for i, e in enumerate(self.episodes):
            for a, b in e.get("excluded", []):
                out |= (episode == i) & (frame >= a) & (frame < b)
        return out


def crash_frames(
    episode: np.ndarray, off_road: np.ndarray, camera_shift_m: np.ndarray, ended_off_road: np.ndarray, dt_s: float
) -> np.ndarray:
    """Boolean mask of crash segments, the frames a trainer leaves out by default.

    The rule: an exit from the road is a driven frame marked `off_road` whose previous
    driven frame was on the road (and, for an episode whose manifest says it ended off the
    road, the end of the episode). The CRASH_S seconds of driven frames before each exit,
    the exit's own frame, and any side-camera frames among them are a crash segment: the
    drift that led off the road is not driving to learn from.

    Args:
        episode: (N,) episode index of each frame; an episode's frames are contiguous and in order.
        off_road: (N,) the recorded off-road flag.
        camera_shift_m: (N,) non-zero for side-camera frames (they take no time).
        ended_off_road: per episode index, whether it ended by leaving the road.
    """
    window = max(1, round(CRASH_S / dt_s))
    crash = np.zeros(len(episode), dtype=bool)
    if len(episode) == 0:
        return crash
    bounds = np.flatnonzero(np.diff(episode)) + 1
    for a, b in zip(np.r_[0, bounds], np.r_[bounds, len(episode)]):
        driven = a + np.flatnonzero(camera_shift_m[a:b] == 0)
        if len(driven) == 0:
            continue
        off = off_road[driven]
        exits = list(np.flatnonzero(off & ~np.r_[False, off[:-1]]))
        if ended_off_road[episode[a]] and not off[-1]:
            exits.append(len(driven))  # the exit itself was never recorded: the episode ended there
        for k in exits:
            first = driven[max(0, k - window)]
            last = driven[k] if k < len(driven) else b - 1
            crash[first : last + 1] = True
    return crash
