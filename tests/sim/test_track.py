import hashlib
import json
import math

import numpy as np
import pytest

from sim.config import TEST_SEEDS, TRAIN_SEEDS, TrackParams
from sim.generate import generate
from sim.track import TrackError, from_seed, load, save
from tests.helpers import LIBM_DIGESTS


def test_generator_valid_over_500_seeds():
    p = TrackParams()
    hairpins = s_bends = ccw = 0
    for seed in range(500):
        t = from_seed(seed)
        assert p.min_length_m * 0.99 <= t.length_m <= p.max_length_m * 1.01
        assert 1 / np.abs(t.curvature).max() >= p.min_radius_m * 0.95
        assert t.closest_approach_m() >= t.width_m + p.min_gap_m
        h = np.unwrap(t.heading)
        assert abs(abs(h[-1] - h[0] + (h[1] - h[0])) - 2 * math.pi) < 0.2  # one full turn
        w = int(80 / t.ds)
        hairpins += bool((np.abs(h[w:] - h[:-w]) > math.radians(140)).any())
        s_bends += bool((t.curvature > 1 / 50).any() and (t.curvature < -1 / 50).any())
        ccw += h[-1] > h[0]
    assert hairpins > 100 and s_bends > 300  # a real mix of features
    assert 150 < ccw < 350  # both turning directions


def test_same_seed_same_track_and_generator_uses_only_its_rng():
    a, b = from_seed(42), from_seed(42)
    assert np.array_equal(a.centerline, b.centerline)
    assert not np.array_equal(from_seed(43).centerline[:50], a.centerline[:50])
    g1 = generate(np.random.default_rng(5))
    np.random.seed(0)  # global state must not matter
    g2 = generate(np.random.default_rng(5))
    assert np.array_equal(g1.centerline, g2.centerline)


# sha256 (first 16 hex digits) of seeds 0-99 and 1,000,000-1,000,049 of every level, taken
# from the generator when it was numpy and Python calls: the compiled one keeps every track
KEPT_TRACKS = {
    "school": "237515a0685c06cb",
    "country": "3bf8d5aa589cf8f8",
    "weather": "3bf8d5aa589cf8f8",
    "cones": "865584bb2467321e",
}


@LIBM_DIGESTS
def test_every_seed_keeps_its_track_to_the_last_bit():
    from sim.config import EnvConfig
    from sim.levels import LEVELS, with_level

    got = {}
    for name in LEVELS:
        params = with_level(EnvConfig(), name).track
        h = hashlib.sha256()
        for seed in [*range(100), *range(1_000_000, 1_000_050)]:
            t = from_seed(seed, params)
            for part in (t.centerline, t.curvature, np.float64(t.width_m)):
                h.update(part.tobytes())
            h.update(t.markings.encode())
            for o in t.obstacles:
                h.update(repr(o).encode())
        got[name] = h.hexdigest()[:16]
    assert got == KEPT_TRACKS


def test_splits_are_disjoint_and_named():
    assert set(TRAIN_SEEDS).isdisjoint(range(TEST_SEEDS.start, TEST_SEEDS.start + 10))
    assert TRAIN_SEEDS.stop <= TEST_SEEDS.start
    assert "train" in from_seed(3).name and "test" in from_seed(TEST_SEEDS.start + 3).name


def test_projection_known_answer():
    from tests.helpers import stadium

    t = stadium()
    v, s, lat = t.locate(10.0, -60.0 + 2.5, hint=160)  # on the lower straight, 2.5 m left of centre
    assert lat == pytest.approx(2.5, abs=1e-6)
    assert s == pytest.approx(160.0, abs=0.6)  # the loop starts at x = -150


def test_bundled_tracks_load():
    from pathlib import Path

    files = sorted(Path("assets/tracks").glob("*.json"))
    assert len(files) >= 3
    for f in files:
        t = load(f)
        assert t.length_m > 200 and t.width_m > 0


def test_save_load_round_trip(tmp_path):
    t = from_seed(9)
    save(t, tmp_path / "t.json")
    back = load(tmp_path / "t.json")
    assert back.length_m == pytest.approx(t.length_m, rel=0.01)
    assert np.abs(back.centerline[0] - t.centerline[0]).max() < 0.5


def _write(tmp_path, data, name="bad.json"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


SQUARE = [[0, 0], [96, 0], [100, 0], [100, 4], [100, 100], [0, 100]]  # one sharp corner
CIRCLE = [[60 * math.cos(a), 60 * math.sin(a)] for a in np.linspace(0, 2 * math.pi, 24, endpoint=False)]


@pytest.mark.parametrize(
    "data, expected",
    [
        ({"name": "x", "width_m": 10, "centerline": CIRCLE[:12]}, "not a closed loop"),
        ({"name": "x", "width_m": 10, "centerline": CIRCLE[:3]}, "at least 4 points"),
        ({"name": "x", "width_m": 0, "centerline": CIRCLE}, "width_m must be > 0"),
        ({"name": "x", "width_m": -3, "centerline": CIRCLE}, "width_m must be > 0"),
        ({"name": "x", "width_m": "wide", "centerline": CIRCLE}, "width_m must be a number"),
        ({"name": "x", "width_m": 10, "centerline": [[0, 0], ["a", 1], [2, 2], [3, 0]]}, "number pairs"),
        ({"name": "x", "width_m": 10}, "expected"),
        ("{not json", "not valid JSON"),
        ({"name": "x", "width_m": 10, "centerline": CIRCLE + CIRCLE[:1]}, "repeats the first"),
        # a figure of eight: the loop crosses itself
        (
            {
                "name": "x",
                "width_m": 10,
                "centerline": [
                    [80 * math.sin(a), 50 * math.sin(2 * a)] for a in np.linspace(0, 2 * math.pi, 40, endpoint=False)
                ],
            },
            "comes within",
        ),
        ({"name": "x", "width_m": 10, "centerline": SQUARE}, "tighter than"),
    ],
)
def test_malformed_files_get_one_line_error_naming_file(tmp_path, data, expected):
    path = _write(tmp_path, data)
    with pytest.raises(TrackError) as e:
        load(path)
    msg = str(e.value)
    assert str(path) in msg and expected in msg and "\n" not in msg


def test_missing_file(tmp_path):
    with pytest.raises(TrackError, match="no such track file"):
        load(tmp_path / "nope.json")


def test_track_files_carry_their_markings(tmp_path):
    import json

    from sim import track as tracks

    t = tracks.from_seed(2)
    t = tracks.Track.from_polyline("m", 7.0, t.centerline, markings="dashed/none")
    tracks.save(t, tmp_path / "m.json")
    back = tracks.load(tmp_path / "m.json")
    assert back.markings == "dashed/none" and back.width_m == 7.0
    data = json.loads((tmp_path / "m.json").read_text())
    data["markings"] = "dotted/solid"
    (tmp_path / "bad.json").write_text(json.dumps(data))
    with pytest.raises(tracks.TrackError, match=r"bad.json: markings must be 'edge/centre'"):
        tracks.load(tmp_path / "bad.json")
    del data["markings"]
    (tmp_path / "old.json").write_text(json.dumps(data))
    assert tracks.load(tmp_path / "old.json").markings == "solid/dashed"


def _all_pairs(p, spacing_m, length_m, width_m):
    best = np.inf
    for i in range(len(p)):
        for j in range(i + 1, len(p)):
            sep = j * spacing_m - i * spacing_m
            sep = min(sep, length_m - sep)
            if 0.6 * sep > width_m * 1.5:
                best = min(best, (p[i, 0] - p[j, 0]) ** 2 + (p[i, 1] - p[j, 1]) ** 2)
    return math.sqrt(best)


def test_the_closest_approach_sweep_finds_the_all_pairs_minimum_exactly():
    from sim.track import _closest_approach

    rng = np.random.default_rng(3)
    for k in range(60):
        m = int(rng.integers(3, 120))
        p = rng.normal(0.0, rng.uniform(1.0, 80.0), (m, 2))
        if k % 3 == 0:
            p[:, 0] = np.round(p[:, 0])  # ties in x
        spacing, width = float(rng.uniform(0.5, 6.0)), float(rng.uniform(0.0, 12.0))
        args = (p, spacing, m * spacing, width)
        assert _closest_approach(*args) == _all_pairs(*args)
