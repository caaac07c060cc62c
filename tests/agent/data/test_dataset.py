import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from agent.data.dataset import CHUNK_S, Dataset, DatasetError, DatasetWriter
from sim.config import CameraParams, EnvConfig
from sim.env import DrivingEnv

CHUNK_STEPS = round(CHUNK_S / EnvConfig.dt_s)  # steps in a chunk at the default rate


def record_random(root, steps, seed=0, config=EnvConfig(), source="human"):
    env = DrivingEnv(config=config, track=seed)
    rng = np.random.default_rng(seed)
    writer = DatasetWriter(root, env.config)
    ep = writer.episode(track=env.track.name if env.track else str(seed), driver=source)
    obs, info = env.reset(seed=seed)
    written = []
    for _ in range(steps):
        a = rng.uniform(-0.2, 0.2, 1).astype(np.float32)
        ep.add(obs, a, a, info, source)
        written.append((obs["camera"].copy(), obs["sensors"].copy(), a))
        obs, _, term, trunc, info = env.step(a)
        if term or trunc:
            obs, info = env.reset()
    ep.close()
    return written


def test_round_trip_bit_for_bit(tmp_path):
    written = record_random(tmp_path / "d", CHUNK_STEPS + 17)
    ds = Dataset(tmp_path / "d")
    assert ds.frames == CHUNK_STEPS + 17 and len(ds.episodes[0]["chunks"]) == 2
    data = ds.load(("camera", "sensors", "action", "executed", "source", "speed_mps"))
    assert np.array_equal(data["camera"], np.stack([w[0] for w in written]))
    assert np.array_equal(data["sensors"], np.stack([w[1] for w in written]))
    assert np.array_equal(data["action"], np.stack([w[2] for w in written]))
    assert data["camera"].dtype == np.uint8 and data["sensors"].dtype == np.float32
    assert (data["source"] == 0).all()
    assert ds.episodes[0]["complete"] and ds.episodes[0]["duration_s"] == pytest.approx(
        (CHUNK_STEPS + 17) / 30, abs=0.01
    )


def test_append_and_refuse_a_different_camera(tmp_path):
    root = tmp_path / "d"
    record_random(root, 40)
    record_random(root, 30, seed=1)
    before = (root / "dataset.json").read_text()
    assert Dataset(root).frames == 70 and len(Dataset(root).episodes) == 2
    other = EnvConfig(camera=CameraParams(width_px=96, height_px=96))
    with pytest.raises(DatasetError) as e:
        DatasetWriter(root, other)
    msg = str(e.value)
    assert "camera.width_px" in msg and "camera.height_px" in msg and "\n" not in msg
    assert (root / "dataset.json").read_text() == before  # nothing touched


def test_corrupt_chunk_named_and_skippable(tmp_path):
    root = tmp_path / "d"
    record_random(root, 40)
    record_random(root, 30, seed=1)
    chunk = root / Dataset(root).episodes[0]["chunks"][0]
    data = chunk.read_bytes()
    chunk.write_bytes(data[: len(data) // 2])  # truncated
    with pytest.raises(DatasetError) as e:
        Dataset(root).load()
    assert str(chunk) in str(e.value) and "\n" not in str(e.value)
    warnings = []
    rest = Dataset(root).load(skip_bad=True, warn=warnings.append)
    assert len(rest["action"]) == 30 and len(warnings) == 2 and str(chunk) in warnings[0]
    assert "skipped 1 bad chunk(s) of 2; 30 of 70 frames loaded" in warnings[1]  # counted


def test_not_a_dataset(tmp_path):
    with pytest.raises(DatasetError, match="no such dataset folder"):
        Dataset(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="dataset.json: missing"):
        Dataset(tmp_path / "empty")
    (tmp_path / "empty" / "dataset.json").write_text("{broken")
    with pytest.raises(DatasetError, match="unreadable manifest"):
        Dataset(tmp_path / "empty")


def test_sigkill_mid_episode_leaves_every_completed_chunk(tmp_path):
    root = tmp_path / "d"
    proc = subprocess.Popen(
        [
            sys.executable,
            "run_sim.py",
            "record",
            "--episodes",
            "1",
            "--steps",
            "100000",
            "--workers",
            "1",
            "--out",
            str(root),
            "--quiet",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    manifest = root / "dataset.json"
    deadline = time.time() + 60
    chunks = 0
    while time.time() < deadline and chunks < 3:
        time.sleep(0.05)
        try:
            chunks = len(json.loads(manifest.read_text())["episodes"][0]["chunks"])
        except (OSError, ValueError, IndexError, KeyError):
            pass
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert chunks >= 3
    ds = Dataset(root)
    listed = ds.episodes[0]["chunks"]
    data = ds.load(("camera", "action"))  # every listed chunk is whole and readable
    assert len(listed) >= 3 and len(data["action"]) == len(listed) * CHUNK_STEPS
    on_disk = sorted(p.name for p in (root / ds.episodes[0]["id"]).glob("chunk*.npz"))
    assert len(on_disk) - len(listed) <= 1  # at most the chunk being written is missing
    # appending after the crash works and keeps what was there
    record_random(root, 10)
    assert Dataset(root).frames == len(data["action"]) + 10


def test_load_memory_is_about_the_raw_size(tmp_path):
    import tracemalloc

    record_random(tmp_path / "d", 6 * CHUNK_STEPS)
    ds = Dataset(tmp_path / "d")
    tracemalloc.start()
    data = ds.load(("camera",))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    raw = data["camera"].nbytes
    # the data, plus about two chunks in flight: a constant that vanishes on big datasets
    assert peak <= raw + 2.2 * raw / 6
    assert peak <= 1.5 * raw


def test_a_chunk_that_disagrees_with_the_manifest_is_named(tmp_path):
    """A chunk from another dataset, or with fewer rows than listed, is never silently dropped."""
    root = tmp_path / "d"
    record_random(root, 40)
    record_random(root, 30, seed=1)
    first, second = (root / e["chunks"][0] for e in Dataset(root).episodes)
    first.write_bytes(second.read_bytes())  # 30 rows where the manifest lists 40
    with pytest.raises(DatasetError) as e:
        Dataset(root).load()
    assert str(first) in str(e.value) and "holds 30 frames, the manifest lists 40" in str(e.value)
    np.savez(first, other=np.zeros(40))  # an .npz of something else
    with pytest.raises(DatasetError, match="lacks camera, sensors, action; is it a chunk of another dataset"):
        Dataset(root).load()


def test_opening_a_dataset_removes_stale_tmp_files_and_warns_of_unlisted_chunks(tmp_path):
    import os
    import shutil

    root = tmp_path / "d"
    record_random(root, 40)
    chunk = root / Dataset(root).episodes[0]["chunks"][0]
    stale = chunk.with_name("chunk0001.npz.tmp")
    stale.write_bytes(b"half written")
    os.utime(stale, (1, 1))  # long ago: its writer is gone
    stray = root / "ep000009"
    stray.mkdir()
    shutil.copy(chunk, stray / "chunk0000.npz")
    ds = Dataset(root)
    assert not stale.exists()
    warnings = []
    ds.load(warn=warnings.append)
    assert any("ep000009/chunk0000.npz" in w and "does not list" in w for w in warnings)


def _record(out, *extra):
    import subprocess
    import sys

    return subprocess.Popen(
        [
            sys.executable,
            "run_sim.py",
            "record",
            "--driver",
            "expert",
            "--observation",
            "sensors",
            "--out",
            str(out),
            "--quiet",
            "--workers",
            "1",
            *extra,
        ],
        cwd=Path(__file__).resolve().parents[3],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_processes_recording_into_one_folder_lose_nothing(tmp_path):
    """The second writer waits for the first: every episode of both is listed and readable."""
    out = tmp_path / "shared"
    a = _record(out, "--episodes", "3", "--steps", "300", "--seed", "1")
    b = _record(out, "--episodes", "2", "--steps", "300", "--seed", "2")
    for p in (a, b):
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    ds = Dataset(out)
    assert len(ds.manifest["episodes"]) == 5 and ds.frames == 5 * 300
    assert len(ds.load(("sensors", "action"))["action"]) == 5 * 300
    assert not (out / ".writer.lock").exists() and not list(out.glob("**/*.tmp"))


def test_a_killed_writers_lock_does_not_block_the_next(tmp_path):
    import os
    import signal
    import time

    out = tmp_path / "d"
    p = _record(out, "--episodes", "50", "--steps", "1500")
    lock = out / ".writer.lock"
    for _ in range(600):
        if lock.exists() and json.loads(lock.read_text() or "{}").get("pid") == p.pid:
            break
        time.sleep(0.1)
    else:
        raise AssertionError("the recorder never took the lock")
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    assert lock.exists()  # left behind by the killed writer
    q = _record(out, "--episodes", "1", "--steps", "100")
    _, err = q.communicate(timeout=300)
    assert q.returncode == 0 and "waiting" not in err, err


def test_a_second_interactive_writer_is_refused_naming_the_first(tmp_path):
    from sim.config import EnvConfig

    first = DatasetWriter(tmp_path, EnvConfig())
    again = DatasetWriter(tmp_path, EnvConfig())  # the same process may hold it twice
    again.close()
    import subprocess
    import sys

    code = (
        "from agent.data.dataset import DatasetWriter; from sim.config import EnvConfig; "
        f"DatasetWriter({str(tmp_path)!r}, EnvConfig())"
    )
    r = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[3],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode != 0 and f"process {os.getpid()}" in r.stderr and "is writing to this dataset" in r.stderr
    first.close()
    assert not (tmp_path / ".writer.lock").exists()
    r = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[3],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr


def test_episode_ids_are_never_reused_after_a_discard(tmp_path):
    from sim.config import EnvConfig

    w = DatasetWriter(tmp_path, EnvConfig(observation="sensors"))
    step = (
        {"sensors": np.zeros(10, np.float32)},
        np.zeros(1, np.float32),
        np.zeros(1, np.float32),
        {"progress_m": 0, "lateral_offset_m": 0, "heading_error_rad": 0, "speed_mps": 0, "off_road": False},
        "human",
    )
    ids = []
    for discard in (False, False, True, False):
        ep = w.episode(track="t", driver="human")
        ep.add(*step)
        ids.append(ep.entry["id"])
        ep.discard() if discard else ep.close()
    assert ids == ["ep000000", "ep000001", "ep000002", "ep000003"]  # not ep000002 again
    w.close()
    again = DatasetWriter(tmp_path, EnvConfig(observation="sensors"))
    assert again.new_episode("t", "human")["id"] == "ep000004"
    listed = [e["id"] for e in Dataset(tmp_path).manifest["episodes"]]
    assert listed == sorted(listed)
