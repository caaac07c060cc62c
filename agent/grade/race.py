"""Class races: grade every checkpoint in a folder on a fixed suite, write a leaderboard.

A suite is a small JSON file the teacher keeps (students never see its tracks):

    {"name": "spring race", "levels": ["school", "weather"], "tracks": [2000017, 2000342],
     "laps": 2, "seeds": 1, "split": "test"}

`tracks` is a count (the first N seeds of `split`, public), a list of seeds (seeds from
2,000,000 up lie in no split: nobody trained on them) or a list of JSON track files
(relative to the suite file). `seeds` drives each track that many times, each with other
conditions of the level (from `split`'s ranges at levels with disjoint splits).

Each model is graded in its own task: as a Ray task on a local or remote Ray cluster
(`engine="ray"`), or in a pool of local processes (`engine="local"`, no Ray needed). A
model drives in its own camera layout at each of the suite's levels. Checkpoints are
loaded weights-only (models.checkpoint), so a malicious file cannot run code; a file that
fails (corrupt, foreign, NaN weights, a crash of its process, grading longer than the
timeout) gets its error recorded and the race goes on. The ranking is by driving score over all the suite's episodes.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from agent.grade.results import write_json

MODEL_SUFFIXES = (".pt", ".onnx")
DEFAULT_SUITE = {"name": "test split", "levels": ["school"], "tracks": 20, "laps": 2, "seeds": 1, "split": "test"}
PLOT_TRACKS = 4  # the first tracks of the first level, drawn for every model (the same ones: comparable)


class SuiteError(ValueError):
    """A suite file that cannot be raced; one line naming the file."""


@dataclass
class Suite:
    name: str = "test split"
    levels: list = field(default_factory=lambda: ["school"])
    tracks: list = field(default_factory=list)  # seeds or track-file paths
    laps: int = 2
    seeds: int = 1
    split: str = "test"
    description: str = ""
    source: str = "built in"

    def describe(self) -> str:
        hidden = all(isinstance(t, int) for t in self.tracks) and not _public(self.tracks, self.split)
        n = len(self.tracks)
        where = (
            f"{n} hidden tracks (seeds outside every split)"
            if hidden
            else (
                f"{n} track files" if isinstance(self.tracks[0], str) else f"the {self.split} split's first {n} tracks"
            )
        )
        return (
            f"{len(self.levels)} level{'s' if len(self.levels) > 1 else ''} ({', '.join(self.levels)}) x {where} x "
            f"{self.seeds} condition{'s' if self.seeds > 1 else ''} x {self.laps} lap{'s' if self.laps > 1 else ''}"
        )

    @property
    def episodes(self) -> int:
        return len(self.levels) * len(self.tracks) * self.seeds


def _public(tracks: list, split: str) -> bool:
    from agent.grade.evaluate import eval_tracks

    return tracks == eval_tracks(len(tracks), split)


def load_suite(path=None) -> Suite:
    """The suite in `path` (None: 20 test tracks at school, 2 laps), checked."""
    from agent.grade.evaluate import eval_tracks
    from sim.levels import LEVELS

    if path is None:
        data, where, base = dict(DEFAULT_SUITE), "the default suite", Path(".")
    else:
        where, base = str(path), Path(path).parent
        try:
            data = json.loads(Path(path).read_text())
        except OSError as e:
            raise SuiteError(f"{path}: cannot read the suite ({e.strerror or e})") from None
        except ValueError as e:
            raise SuiteError(f"{path}: not valid JSON ({e})") from None
        if not isinstance(data, dict):
            raise SuiteError(f"{path}: expected an object such as {json.dumps(DEFAULT_SUITE)}")
    known = {"name", "levels", "tracks", "laps", "seeds", "split", "description"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise SuiteError(f"{where}: unknown field {unknown[0]!r}; fields are {', '.join(sorted(known))}")
    levels = data.get("levels", ["school"])
    if not isinstance(levels, list) or not levels or any(not isinstance(lv, str) or lv not in LEVELS for lv in levels):
        raise SuiteError(f"{where}: levels: expected a non-empty list of {', '.join(LEVELS)}, got {levels!r}")
    split = data.get("split", "test")
    if split not in ("train", "test"):
        raise SuiteError(f"{where}: split: expected 'train' or 'test', got {split!r}")
    laps, seeds = data.get("laps", 2), data.get("seeds", 1)
    for name, v, hi in (("laps", laps, 100), ("seeds", seeds, 100)):
        if not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= hi:
            raise SuiteError(f"{where}: {name}: expected an integer from 1 to {hi}, got {v!r}")
    tracks = data.get("tracks", 20)
    if isinstance(tracks, int) and not isinstance(tracks, bool):
        if not 1 <= tracks <= 100_000:
            raise SuiteError(f"{where}: tracks: expected a count from 1 to 100000, got {tracks}")
        tracks = eval_tracks(tracks, split)
    elif (
        isinstance(tracks, list)
        and tracks
        and all(isinstance(t, int) and not isinstance(t, bool) and t >= 0 for t in tracks)
    ):
        pass
    elif isinstance(tracks, list) and tracks and all(isinstance(t, str) for t in tracks):
        tracks = [str((base / t).resolve()) for t in tracks]
        missing = [t for t in tracks if not Path(t).exists()]
        if missing:
            raise SuiteError(f"{where}: tracks: no such track file {missing[0]}")
        from sim.track import TrackError, load

        for t in tracks:  # a broken file is the suite's fault, found before any model drives
            try:
                load(t)
            except TrackError as e:
                raise SuiteError(f"{where}: tracks: {e}") from None
    else:
        raise SuiteError(
            f"{where}: tracks: expected a count, a non-empty list of seeds (>= 0) or of JSON track files, got "
            f"{tracks!r}"
        )
    name = str(data.get("name") or (Path(path).stem if path else "test split"))
    return Suite(name, list(levels), list(tracks), laps, seeds, split, str(data.get("description", "")), where)


def find_models(folder) -> list[Path]:
    """Every checkpoint (.pt) and ONNX export (.onnx) under `folder`, in name order."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"{folder}: no such folder of models")
    found = sorted(p for p in folder.rglob("*") if p.suffix.lower() in MODEL_SUFFIXES and p.is_file())
    if not found:
        raise ValueError(f"{folder}: no checkpoints (.pt) or ONNX exports (.onnx) in it")
    return found


# ----------------------------------------------------------------------------- grading one model
def grade(path: str, suite: Suite, threads: int = 1, timeout_s: float | None = None) -> dict:
    """Drive one model through the suite: per-level summaries, an overall one and a plot.

    Never raises: a model that cannot be loaded or driven, or is still driving `timeout_s`
    seconds after its grading began, comes back with `error`.
    """
    start = time.perf_counter()
    row = {"model": str(path), "sha256": _sha256(path)}
    try:
        import torch

        from sim.jit import cap_threads

        torch.set_num_threads(threads)
        cap_threads(threads)  # the world's large batches too: a racer keeps to its cores
        row.update(_drive(path, suite, None if timeout_s is None else time.monotonic() + timeout_s))
    except TimeoutError:
        row["error"] = _too_long(timeout_s)
    except Exception as e:  # noqa: BLE001 - any failure of one model is that model's result
        lines = [line for line in str(e).strip().splitlines() if line.strip()] or [type(e).__name__]
        text = lines[0].removeprefix(f"{path}: ")  # the leaderboard names the model already
        row["error"] = (text if isinstance(e, ValueError) else f"{type(e).__name__}: {text}")[:300]
    row["grade_s"] = round(time.perf_counter() - start, 1)
    return row


def _grade_shipped(path: str, data: bytes, suite: Suite, timeout_s: float | None) -> dict:
    """`grade` of a model whose bytes were shipped to this worker (written to a scratch copy)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / Path(path).name
        copy.write_bytes(data)
        row = grade(str(copy), suite, timeout_s=timeout_s)
    row["model"] = path
    if "error" in row:
        row["error"] = row["error"].replace(str(copy), path)
    return row


def _sha256(path) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
    except OSError:
        return None


def _drive(path: str, suite: Suite, deadline: float | None = None) -> dict:
    from agent.drivers.policy import NetworkDriver, load_policy
    from agent.grade.evaluate import evaluate, summarize
    from sim.config import EnvConfig
    from sim.levels import with_level

    policy = load_policy(path)  # weights-only; raises CheckpointError with one line
    meta = policy.meta
    own = EnvConfig.from_dict(meta["env"])  # each level is driven in the model's own layout, so it always fits
    tracks = [t for t in suite.tracks for _ in range(suite.seeds)]
    variants = [k for _ in suite.tracks for k in range(suite.seeds)]
    levels, episodes, plot = {}, [], None
    for name in suite.levels:
        config = with_level(own, name)
        result = evaluate(
            NetworkDriver(policy), config, tracks, suite.laps, split=suite.split, variants=variants, deadline=deadline
        )
        levels[name] = result.summary
        episodes += [{**e, "level": name} for e in result.episodes]
        if plot is None:
            plot = _plot(result)
    s = summarize(episodes)
    arch = meta.get("camera_arch") or meta.get("sensor_arch")
    return {
        "driving_score": s["driving_score"],
        "driving_score_ci95": s["driving_score_ci95"],
        "lap_completion": s["lap_completion_rate"],
        "infractions_per_km": s["infractions_per_km"],
        "collisions_per_km": s["collisions_per_km"],
        "autonomy_pct": s["autonomy_pct"],
        "parameters": meta.get("parameters"),
        "reads": "+".join(meta["input"]["keys"])
        if isinstance(meta.get("input"), dict) and "keys" in meta["input"]
        else None,
        "arch": arch,
        "trained_at": (meta.get("env", {}).get("level") or {}).get("name", "school"),
        "levels": levels,
        "plot_png": plot,
    }


def _plot(result, n: int = PLOT_TRACKS) -> str:
    """The first `n` episodes' trajectories over their tracks, as a base64 PNG (small)."""
    from matplotlib.figure import Figure  # no pyplot: no global state, no GUI backend

    from agent.grade.evaluate import draw_trajectory

    n = min(n, len(result.episodes))
    fig = Figure(figsize=(2.4 * n, 2.6))
    axes = fig.subplots(1, n, squeeze=False)
    for ax, i in zip(axes.flat, range(n)):
        draw_trajectory(ax, result.tracks[i], result.trajectories[i], dot=0.6, cross=30, edge_lw=0.6, edge_color="0.5")
        ax.axis("off")
        ax.set_title(f"{result.episodes[i]['track']}: {result.episodes[i]['interventions']} interventions", fontsize=9)
    fig.tight_layout(pad=0.2)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=72)
    return base64.b64encode(buf.getvalue()).decode()


# ----------------------------------------------------------------------------- the race
def race(
    models: list[Path],
    suite: Suite,
    engine: str = "auto",
    workers: int = 2,
    address: str | None = None,
    bar=None,
    timeout_s: float | None = None,
) -> list[dict]:
    """Grade every model (in parallel); rows ranked best first, failures last.

    A model still grading after `timeout_s` seconds is stopped and gets that as its error.
    """
    if engine == "auto":
        try:
            import ray  # noqa: F401

            engine = "ray"
        except ImportError:
            engine = "local"
    paths = [str(Path(p).resolve()) for p in models]
    rows = (
        _race_ray(paths, suite, workers, address, bar, timeout_s)
        if engine == "ray"
        else _race_local(paths, suite, workers, bar, timeout_s)
    )
    return rank(rows)


def _failed(path: str, why: str) -> dict:
    return {"model": path, "sha256": _sha256(path), "error": why}


def _too_long(timeout_s: float) -> str:
    return f"stopped after {timeout_s:g} s of grading (--timeout)"


STARTUP_ALLOWANCE_S = 120.0  # a worker's start and imports, before its clock starts; killed only past both


def _overdue(start: float, timeout_s: float | None) -> bool:
    """A backstop for a model stuck where its own clock cannot stop it (one endless forward pass)."""
    return timeout_s is not None and time.monotonic() - start > timeout_s + STARTUP_ALLOWANCE_S


def _race_ray(
    paths: list[str], suite: Suite, workers: int, address: str | None, bar, timeout_s: float | None
) -> list[dict]:
    import ray

    from agent.workers import connect

    connect(address, None if address else workers)
    try:
        return _gather(ray, paths, suite, bar, timeout_s)
    finally:
        ray.shutdown()  # a command's Ray ends with it (its idle workers would hold memory and cores)


def _gather(ray, paths: list[str], suite: Suite, bar, timeout_s: float | None) -> list[dict]:
    """Ray tasks, as many at once as the cluster has cores (so a task's clock starts when it runs)."""
    task = ray.remote(num_cpus=1, max_retries=0)(_grade_shipped)
    suite_ref = ray.put(suite)
    slots = max(1, int(ray.cluster_resources().get("CPU", 1)))
    todo, running, rows = list(paths), {}, []
    while todo or running:
        while todo and len(running) < slots:
            p = todo.pop(0)
            # the file's bytes travel with the task: a worker on another node needs no shared disk
            running[task.remote(p, Path(p).read_bytes(), suite_ref, timeout_s)] = (p, time.monotonic())
        done, _ = ray.wait(list(running), num_returns=1, timeout=1.0)
        for ref in done:
            path, _ = running.pop(ref)
            try:
                rows.append(ray.get(ref))
            except Exception as e:  # noqa: BLE001 - the worker died (a crash in native code): that model's result
                rows.append(_failed(path, f"its grading process died ({type(e).__name__})"))
            if bar is not None:
                bar.update(1)
        for ref, (path, start) in list(running.items()):
            if _overdue(start, timeout_s):
                ray.cancel(ref, force=True)
                running.pop(ref)
                rows.append(_failed(path, _too_long(timeout_s)))
                if bar is not None:
                    bar.update(1)
    return rows


def _child(path: str, suite: Suite, timeout_s: float | None, conn) -> None:
    conn.send(grade(path, suite, timeout_s=timeout_s))
    conn.close()


def _race_local(paths: list[str], suite: Suite, workers: int, bar, timeout_s: float | None) -> list[dict]:
    """One process per model, `workers` at once; a crash or a timeout ends only that model."""
    from multiprocessing.connection import wait

    from agent.workers import process_context

    # one process per model (not a pool): a crash or a timeout kills that model's process alone;
    # the server has imported torch and the grader, so a child starts in milliseconds
    ctx = process_context(("torch", "agent.grade.race", "agent.grade.evaluate"))
    todo, running, rows = list(paths), {}, []
    while todo or running:
        while todo and len(running) < workers:
            p = todo.pop(0)
            recv, send = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_child, args=(p, suite, timeout_s, send), daemon=True)
            proc.start()
            send.close()
            running[recv] = (p, proc, time.monotonic())
        ready = wait(list(running), timeout=0.5)
        for conn in ready:
            path, proc, _ = running.pop(conn)
            try:
                rows.append(conn.recv())
            except EOFError:  # it exited without a result: killed or crashed
                proc.join()
                rows.append(_failed(path, f"its grading process died (exit code {proc.exitcode})"))
            proc.join()
            if bar is not None:
                bar.update(1)
        for conn, (path, proc, start) in list(running.items()):
            if _overdue(start, timeout_s):
                proc.kill()
                proc.join()
                running.pop(conn)
                rows.append(_failed(path, _too_long(timeout_s)))
                if bar is not None:
                    bar.update(1)
    return rows


def rank(rows: list[dict]) -> list[dict]:
    ok = sorted(
        (r for r in rows if "error" not in r), key=lambda r: (-r["driving_score"], r["infractions_per_km"], r["model"])
    )
    failed = sorted((r for r in rows if "error" in r), key=lambda r: r["model"])
    for k, r in enumerate(ok):
        r["rank"] = k + 1
    for r in failed:
        r["rank"] = None
    return ok + failed


# ----------------------------------------------------------------------------- the leaderboard
def write_leaderboard(rows: list[dict], suite: Suite, out, models_dir) -> tuple[Path, Path]:
    """leaderboard.json (everything but the pictures) and a static leaderboard.html."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    models_dir = Path(models_dir).resolve()
    for r in rows:
        r["name"] = _name(r["model"], models_dir)
    doc = {
        "suite": {**asdict(suite), "episodes_per_model": suite.episodes, "summary": suite.describe()},
        "models": [{k: v for k, v in r.items() if k != "plot_png"} for r in rows],
    }
    j = out / "leaderboard.json"
    write_json(j, doc)
    h = out / "leaderboard.html"
    h.write_text(render_html(rows, suite))
    return j, h


def _name(model: str, root: Path) -> str:
    p = Path(model)
    try:
        return str(p.relative_to(root))
    except ValueError:
        return p.name


def render_html(rows: list[dict], suite: Suite) -> str:
    from agent.grade.evaluate import COLLISION_PENALTY, OFFROAD_PENALTY
    from sim.levels import ABOUT

    e = html.escape
    body = []
    for r in rows:
        name = e(r.get("name", r["model"]))
        if "error" in r:
            body.append(
                f'<tr class="failed"><td data-v="999999">-</td><td>{name}</td><td colspan="7" '
                f'class="err">{e(r["error"])}</td></tr>'
            )
            continue
        ci = r["driving_score_ci95"]
        plot = (
            f'<img alt="trajectories of {name}" src="data:image/png;base64,{r["plot_png"]}">'
            if r.get("plot_png")
            else ""
        )
        levels = " ".join(f"{e(k)} {v['driving_score']:.1f}" for k, v in r["levels"].items())
        body.append(
            f'<tr><td data-v="{r["rank"]}">{r["rank"]}</td><td>{name}<div '
            f'class="small">{e(str(r.get("arch") or ""))}<br>reads {e(str(r.get("reads")))}, trained at '
            f"{e(str(r.get('trained_at')))}</div></td>"
            f'<td data-v="{r["driving_score"]}"><b>{r["driving_score"]:.1f}</b><div class="small"><span '
            'class="ci">95% CI '
            f"{ci[0]:.1f}-{ci[1]:.1f}</span><br>{e(levels) if len(r['levels']) > 1 else ''}</div></td>"
            f'<td data-v="{r["lap_completion"]}">{100 * r["lap_completion"]:.0f}%</td>'
            f'<td data-v="{r["infractions_per_km"]}">{r["infractions_per_km"]:.2f}</td>'
            f'<td data-v="{r["collisions_per_km"]}">{r["collisions_per_km"]:.2f}</td>'
            f'<td data-v="{r["parameters"] or 0}">{(r["parameters"] or 0):,}</td>'
            f'<td data-v="{r["grade_s"]}">{r["grade_s"]:.0f} s</td><td>{plot}</td></tr>'
        )
    levels = "".join(f"<li><b>{e(lv)}</b>: {e(ABOUT.get(lv, ''))}</li>" for lv in suite.levels)
    ok = [r for r in rows if "error" not in r]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>DriveLab leaderboard: {e(suite.name)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }}
table {{ border-collapse: collapse; }}
th, td {{ border-bottom: 1px solid #ddd; padding: 4px 8px; vertical-align: top; text-align: left; }}
th {{ background: #f3f3f3; cursor: pointer; user-select: none; position: sticky; top: 0; }}
th:hover {{ background: #e4e4e4; }}
td[data-v] {{ text-align: right; }}
.small {{ font-size: 75%; color: #666; }}
td:nth-child(2) {{ max-width: 20em; overflow-wrap: anywhere; }}
td .ci {{ white-space: nowrap; }}
tr.failed td {{ color: #a00; }}
img {{ height: 90px; transition: height 0.2s; }}
img:hover {{ height: 260px; }}
</style></head><body>
<h1>DriveLab leaderboard: {e(suite.name)}</h1>
<p>{len(ok)} models graded, {len(rows) - len(ok)} could not drive. {e(suite.description)}</p>
<h2>The suite</h2>
<ul><li>{e(suite.describe())}: {suite.episodes} episodes per model (suite: {e(suite.source)})</li>{levels}
<li>Each model drives in its own camera layout. Leaving the road puts the car back and counts an infraction;
so does touching an obstacle.</li>
<li>Driving score (CARLA style): 100 x share of the laps driven x {OFFROAD_PENALTY} per exit from the road
x {COLLISION_PENALTY} per collision, averaged over episodes, with a bootstrap 95% confidence interval.
Ranked by driving score, then fewer infractions.</li></ul>
<h2>Ranking</h2><p class="small">Click a column to sort (or open this page as leaderboard.html#sort=parameters).
Trajectories (point at them to enlarge): the first {PLOT_TRACKS} tracks of the first level, coloured by distance
from the centre line; red x: an intervention.</p>
<table id="board"><thead><tr><th data-key="rank">rank</th><th data-key="model">model</th>
<th data-key="score">driving score</th><th data-key="laps">laps done</th><th data-key="infractions">infractions/km</th>
<th data-key="collisions">collisions/km</th><th data-key="parameters">parameters</th>
<th data-key="time">grading time</th><th data-key="trajectories">trajectories</th></tr></thead>
<tbody>
{chr(10).join(body)}
</tbody></table>
<script>
document.querySelectorAll("#board th").forEach((th, col) => th.addEventListener("click", () => {{
  const body = document.querySelector("#board tbody"), rows = [...body.rows];
  const key = r => {{ const c = r.cells[col];
    return c && c.dataset.v !== undefined ? parseFloat(c.dataset.v) : (c ? c.textContent : ""); }};
  const asc = th.dataset.asc = th.dataset.asc === "1" ? "0" : "1";
  rows.sort((a, b) => {{ const fa = a.classList.contains("failed"), fb = b.classList.contains("failed");
    if (fa !== fb) return fa ? 1 : -1;  // models that could not drive stay at the bottom
    const x = key(a), y = key(b);
    const d = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
    return asc === "1" ? d : -d; }});
  rows.forEach(r => body.appendChild(r));
}}));
// leaderboard.html#sort=parameters opens sorted by that column (twice: #sort=parameters-desc)
const want = location.hash.match(/sort=(\\w+)(-desc)?/);
const th = want && document.querySelector(`#board th[data-key="${{want[1]}}"]`);
if (th) {{ th.click(); if (want[2]) th.click(); }}
</script>
</body></html>
"""
