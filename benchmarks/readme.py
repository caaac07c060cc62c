"""Write the documentation's performance figures from the benchmarks' committed JSON results.

Run: python benchmarks/readme.py [--check]

Each block of README.md and docs/*.md between `<!-- bench:NAME -->` and
`<!-- /bench:NAME -->` is replaced by what `render_NAME` makes of
`benchmarks/results/NAME.json`, so no figure in those blocks is typed by hand. The
pictures in FIGURES are drawn from the same JSON. `--check` changes nothing (draws
nothing) and exits 1 if a block is stale.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
README = ROOT / "README.md"


def pages() -> list[Path]:
    """The files that may hold benchmark blocks: the README and the documentation's pages."""
    return [README, *sorted((ROOT / "docs").glob("*.md"))]


def _machine(m: dict, how: str) -> str:
    return f"*{how}; {m['cpus']} cores ({m['processor']}), Python {m['python']}, numpy {m['numpy']}, {m['date']}.*"


def _ms(v: float) -> str:
    return f"{v:.2f} ms" if v >= 0.1 else f"{v:.3f} ms"


def render_env(r: dict) -> str:
    f = r["figures"]
    speed = f["speed"]
    rows = ["| configuration | car-steps/s | vs CarRacing-v3 | target |", "|---|---:|---:|---:|"]
    gather = None
    for name, e in speed.items():
        if "frames_per_s" in e:
            gather = (name, e)
            continue
        ratio = f"{e['vs_carracing']:.1f}×" if "vs_carracing" in e else ""
        target = f"≥ {e['target_vs_carracing']:,}×" if "target_vs_carracing" in e else ""
        rows.append(f"| {name} | {e['car_steps_per_s']:,.0f} | {ratio} | {target} |")
    single = speed.get("single, 64x64 dashcam + sensors", {})
    lines = [
        "\n".join(rows),
        "",
        f'"single" is `gymnasium.make("DriveLab-v1")` as it comes: a new procedural track at every '
        f"reset, driven with steering drawn uniformly from ±0.2, so an episode lasted "
        f"{single.get('mean_episode_steps', 0):.0f} steps on average and resets onto new tracks are "
        'part of the figure; "one track" keeps track 3. "64 cars" is `gymnasium.make_vec` with '
        "autoresets onto new tracks. The ceiling is an env that computes nothing, stepped through the same "
        "`gymnasium.make` wrappers: no single env can go faster here.",
    ]
    if gather:
        frame_us = 1e6 / gather[1]["frames_per_s"]
        lines += [
            "",
            "The ceiling of a camera frame: a plain numpy gather of one 64×64×3 frame from a track-sized texture "
            f"takes {frame_us:.1f} µs ({gather[1]['frames_per_s']:,.0f} frames/s).",
        ]
    lines += [
        "",
        "| reset onto a new procedural track | generate | lay out, first observation | target | total |",
        "|---|---:|---:|---:|---:|",
    ]
    for obs, e in f["reset"].items():
        label = "64×64 dashcam + sensors" if obs == "both" else "sensors only"
        target = f"≤ {e['target_ms']} ms" if "target_ms" in e else ""
        lines.append(
            f"| {label} | {_ms(e['generate_ms'])} | {_ms(e['layout_and_first_observation_ms'])} | {target} | "
            f"{_ms(e['new_track_ms'])} |"
        )
    seen = f["reset"]["both"]["seen_track_ms"]
    lines += [
        "",
        'The target is for a reset onto a given track (`reset(options={"track": track})`): laying it out '
        "and the first observation. Generating a track from a new seed comes before that (a kernel "
        "drawing from the seed as numpy's default generator would, `sim/draws.py`); it is shown beside it.",
        "",
        f"A reset onto the track the car is already on takes {_ms(seen)}. Peak memory of 256 cars "
        f"with 64×64 cameras: {f['peak_mb_256_cars']:,.0f} MB (target ≤ {f['peak_target_mb']} MB).",
        "",
        _machine(
            r["machine"],
            f"`python benchmarks/bench_env.py`: medians of {f['rounds']} rounds, each running every configuration for "
            "one block in turn",
        ),
    ]
    return "\n".join(lines)


def render_eval(r: dict) -> str:
    f = r["figures"]
    s = f["summary"]
    return "\n".join([
        f"`run_sim.py eval` of the bundled ConvNet on {f['tracks']} test tracks × {f['laps']} laps, the whole "
        f"command with its default 2 workers: **{f['seconds']:.1f} s** (target ≤ {f['target_s']:.0f} s); lap "
        f"completion {s['lap_completion_rate'] * 100:.0f}%, autonomy {s['autonomy_pct']:.2f}%.",
        "",
        *_inference_floor(f),
        _machine(r["machine"], f"`python benchmarks/bench_eval.py`: median of {f['runs']} runs"),
    ])  # fmt: skip


def _inference_floor(f: dict) -> list[str]:
    inf = f.get("inference")
    if not inf or "flat_floor_s" not in inf:  # (written before eval's report had its timing)
        return []
    return [
        f"The network sets a floor under that. Each of the {inf['workers']} workers drives its tracks as one "
        f"batch of {inf['batch']} cars, which shrinks as episodes end, with one forward pass per step over the "
        "cars still driving; eval's report says how much of each batch's time went to the network "
        "(preprocessing included, one thread per worker). In the slowest worker that was "
        f"**{inf['floor_s']:.1f} s**"
        + (", more than the target by itself." if inf["floor_s"] > f["target_s"] else ".")
        + f" The whole command takes **{inf['whole_over_floor']:.2f}×** that (target ≤ "
        f"{inf['target_over_floor']}): the rest is the world, start-up and bookkeeping. The floor is taken "
        "from the same run because this machine's speed drifts: the flat estimate of earlier versions, "
        f"{inf['frames']:,} frames at {inf['us_per_frame']:.0f} µs each (the full batch, timed in a process "
        f"of its own after the runs) divided by the workers, is {inf['flat_floor_s']:.1f} s "
        f"({inf['whole_over_flat_floor']:.2f}×).",
        "",
    ]


def render_dataset(r: dict) -> str:
    f = r["figures"]
    t = f["targets"]
    return "\n".join([
        f"Recording 50,000 expert frames ({f['workers']} workers, each driving its share as one batch): "
        f"**{f['record_50k_s']:.1f} s** ({f['record_frames_per_s']:,.0f} frames/s; target ≤ {t['record_50k_s']:.0f} "
        "s). "
        f"Loading {f['load_frames']:,} 64×64 frames: **{f['load_s']:.2f} s** (target ≤ {t['load_100k_s']:.0f} s) "
        f"with peak memory {f['load_peak_over_raw']:.2f}× the arrays' size (target ≤ {t['load_peak_over_raw']}×); "
        f"{f['bytes_per_frame']:,.0f} bytes per frame on disk.",
        "",
        _machine(r["machine"], f"`python benchmarks/bench_dataset.py`: medians of {f['runs']} runs after a warm-up"),
    ])  # fmt: skip


def render_soak(r: dict) -> str:
    f = r["figures"]
    rss = f["rss_mb"]
    return "\n".join([
        f"{f['car_steps']:,} car-steps of {f['envs']} cars with cameras, episodes ending and autoresetting "
        f"onto new tracks all along: {f['seconds']:.0f} s; resident memory {min(rss):.0f}–{max(rss):.0f} MB "
        f"({f['growth_pct']:+.1f}% from the first report to the last, "
        f"{(rss[-1] / rss[len(rss) // 2] - 1) * 100:+.1f}% over the "
        "second half: each car's raster buffer grows until it holds the largest track the car has met, then stays).",
        "",
        _machine(r["machine"], "`python benchmarks/bench_soak.py`"),
    ])  # fmt: skip


def render_train(r: dict) -> str:
    f = r["figures"]
    rows = ["| network | samples/s (forward, backward, Adam step) |", "|---|---:|"]
    for name, sps in f["samples_per_s"].items():
        mark = f" (default; target ≥ {f['target_samples_per_s']:,})" if name == f["default_camera_arch"] else ""
        rows.append(f"| {name}{mark} | {sps:,.0f} |")
    m = r["machine"]
    return "\n".join(
        rows
        + [
            "",
            _machine(
                m,
                f"`python benchmarks/bench_train.py`: batch {f['batch']}, {m.get('torch_threads', '?')} torch "
                "threads, median batch time",
            ),
        ]
    )


def render_compile(r: dict) -> str:
    f = r["figures"]
    return "\n".join([
        f"The first run after an install compiles the world's kernels (numba caches them beside the sources): "
        f"`{f['command']}` from a fresh clone took **{f['first_s']:.1f} s** the first time and {f['second_s']:.1f} s "
        "the "
        f"second, so compiling costs **{f['compile_s']:.1f} s** once (target ≤ {f['target_s']:.0f} s).",
        "",
        _machine(r["machine"], f"`python benchmarks/bench_compile.py`: medians over {f['runs']} fresh clones"),
    ])  # fmt: skip


def render_levels(r: dict) -> str:
    f = r["figures"]
    rows = ["| level | steps/s | of school's | target | steps an episode |", "|---|---:|---:|---:|---:|"]
    for name, e in f["levels"].items():
        target = f"≥ {e['target_vs_school']:.0%}" if "target_vs_school" in e else ""
        episode = f"{e['mean_episode_steps']:.0f}" if "mean_episode_steps" in e else ""
        rows.append(f"| `{name}` | {e['steps_per_s']:,.0f} | {e['vs_school']:.0%} | {target} | {episode} |")
    return "\n".join(
        rows
        + [
            "",
            _machine(
                r["machine"],
                '`python benchmarks/bench_levels.py`: `gym.make("DriveLab-v1", level=NAME)` as it comes (dashcam and '
                f"sensors, new track and conditions every reset, steering uniform in ±0.2); medians of {f['rounds']} "
                "rounds, each running every level for one block in turn",
            ),
        ]
    )


def render_controls(r: dict) -> str:
    f = r["figures"]
    rows = [
        "| keyboard style | one 0.4 s tap at cruise: swerve | the person's exits per minute | the person's mean "
        "\\|offset\\| | labels at exactly 0 | distinct labels | network: val. error / mean's | network: lap "
        "completion | network: driving score |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, e in f["styles"].items():
        mark = " (default)" if name == f["best"] else ""
        name = name if name.startswith("before") else f"`{name}`"
        laps = ", ".join(f"{run['lap_completion']:.0%}" for run in e["runs"])
        exits = ", ".join(f"{run['exits_per_min']:.1f}" for run in e["runs"])
        swerve = "off the road" if e["tap_swerve_m"] == float("inf") else f"{e['tap_swerve_m']:.2f} m"
        rows.append(
            f"| {name}{mark} | {swerve} | **{e['exits_per_min_mean']:.2f}** ({exits}) | {e['mean_abs_offset_m']:.2f} "
            f"m | {e['zero_share']:.0%} | {e['distinct_labels']:.0f} | "
            f"{e['val_steer_mae']:.3f} / {e['baseline_steer_mae']:.3f} | **{e['lap_completion']:.0%}** ({laps}) | "
            f"{e['driving_score']:.1f} |"
        )
    how = (
        "`python benchmarks/bench_controls.py`: the swerve from `agent.drivers.human.tap_swerve_m` (one press of Left "
        "through the controls, on the stadium track's 600 m straight, against no press); "
        f"then per style and seed (means of exits and medians of the rest over {f['seeds']} seeds; each seed's figure "
        "in brackets), "
        f"`record --driver human-model --style STYLE --episodes 6 --steps 900` ({f['frames']:,} frames, 3 minutes at "
        "`school`; "
        "the person steers into curves 0.1 s early as the chase view lets one, `--preview 0` for the map view of "
        "before), "
        f"`train DIR` with the default recipe, `eval --tracks 20`; targets: swerve ≤ {f['target_swerve_m']:.1f} m, ≤ "
        f"{f['target_exits_per_min']} exits a minute, ≥ {f['target_lap_completion']:.0%} lap completion"
    )
    return "\n".join(rows + ["", _machine(r["machine"], how)])


def render_watch(r: dict) -> str:
    f = r["figures"]
    rows = ["| torch threads, machine | watch with saliency, FPS |", "|---|---:|"]
    for name, fps in f["fps"].items():
        mark = " (what `watch` uses)" if name.startswith("1 thread") else ""
        rows.append(f"| {name}{mark} | {fps:.0f} |")
    how = (
        "`python benchmarks/bench_watch.py`: the bundled camera model driving with the saliency view on, every frame "
        f"of the full window drawn; busy: another process keeps a core at work; medians of {f['rounds']} rounds of "
        f"{f['frames']} frames; target ≥ {f['target_fps']} FPS"
    )
    return "\n".join(rows + ["", _machine(r["machine"], how)])


def render_export(r: dict) -> str:
    f = r["figures"]
    same = "identical" if f["identical_laps_and_interventions"] else "**different**"
    rows = [
        "| policy file | runs on | lap completion | interventions | µs per frame (batch 1, 1 thread) |",
        "|---|---|---:|---:|---:|",
        f"| `camera.pt` | torch | {f['lap_completion']['pt']:.0%} | {f['interventions']['pt']} | "
        f"{f['us_per_frame']['torch']:,.0f} |",
        f"| `camera.onnx` | onnxruntime | {f['lap_completion']['onnx']:.0%} | {f['interventions']['onnx']} | "
        f"{f['us_per_frame']['onnxruntime']:,.0f} |",
    ]
    how = (
        f"`python benchmarks/bench_export.py`: `eval` of both on the first {f['tracks']} test tracks, 2 laps each "
        f"(every episode's laps and interventions: {same}); the export checked on {f['check_frames']} real frames "
        f"(max |difference| {f['max_abs_diff']:.0e}); per-frame times are medians of {f['rounds']} alternating rounds"
    )
    return "\n".join(rows + ["", _machine(r["machine"], how)])


def render_sweep(r: dict) -> str:
    f = r["figures"]
    rows = [
        "| row (school, 20 test tracks) | parameters | training frames | val. error: sweep / by hand | driving score: "
        "sweep / by hand |",
        "|---|---:|---:|---:|---:|",
    ]
    for c in f["rows"]:
        rows.append(
            f"| {c['row']} | {c['parameters']:,} | {c['train_frames']:,} | {c['sweep_val']:.4f} / {c['hand_val']:.4f} "
            f"| {c['sweep_score']:.1f} / {c['hand_score']:.1f} |"
        )
    lecture = ", ".join(f"{c['row']} {c['sweep_val']:.4f} / {c['lecture_val']:.4f}" for c in f["lecture_rows"])
    same = "all agree" if f["all_same_2_digits"] else "**not all agree**"
    lsame = "all agree" if f["lecture_all_same_2_digits"] else "**not all agree**"
    head = (
        f"**{f['trials']} trials in {f['sweep_s']:.0f} s with `sweep`, against {f['by_hand_s']:.0f} s for the same "
        "commands by hand: "
        f"{f['ratio']:.2f}x** (target ≤ {f['target_ratio']}x). Validation errors to 2 significant digits: {same}. "
        f"Against the lecture's rows (`docs/lecture/knobs.json`, 24 episodes at `{f['lecture_level']}`, "
        f"`--cpus-per-trial {f['lecture_cpus_per_trial']}` "
        f"as the lecture trained with {f['lecture_cpus_per_trial']} threads; sweep / lecture): {lecture}; {lsame}."
    )
    how = (
        "`python benchmarks/bench_sweep.py`: `run_sim.py sweep assets/sweeps/lecture_convnets.json` (4 of the "
        "lecture's ConvNets x 6, 12 and 24 "
        "expert episodes, Ray on this machine, 1 core per trial) against `record` x 3, then `train` and `eval "
        "--tracks 20` for each row, one "
        "command after another with all cores; both include their recordings; one run each. Agreeing to 2 significant "
        "digits: less than half a "
        "unit of the second digit apart"
    )
    return "\n".join([head, ""] + rows + ["", _machine(r["machine"], how)])


def render_race(r: dict) -> str:
    f = r["figures"]
    sec = f["seconds"]
    head = (
        f"**{f['models']} models x 20 test tracks x 2 laps, page included (target ≤ {f['target_s']} s):** "
        f"the default suite at `school`: {sec['school, ray']:.0f} s with Ray tasks, {sec['school, local']:.0f} s with "
        "local processes; "
        f"at `weather`: {sec['weather, ray']:.0f} s and {sec['weather, local']:.0f} s. "
        + (
            "At `school` every model drove every lap (20 ties), so the page and this table come from `weather`, the "
            "top and the bottom of its leaderboard:"
            if f["school_all_laps"]
            else "The top and the bottom of the `weather` leaderboard:"
        )
    )
    rows = ["| rank | model | driving score (95% CI) | laps done | parameters |", "|---:|---|---:|---:|---:|"]
    graded = [m for m in f["ranking"] if m["rank"] is not None]
    shown = graded[:4] + graded[-3:] if len(graded) > 7 else graded
    for k, m in enumerate(shown):
        if k == 4 and len(graded) > 7:
            rows.append("| … | | | | |")
        ci = m["driving_score_ci95"]
        rows.append(
            f"| {m['rank']} | `{m['name']}` | {m['driving_score']:.1f} ({ci[0]:.0f}–{ci[1]:.0f}) | "
            f"{m['lap_completion']:.0%} | {m['parameters']:,} |"
        )
    how = (
        "`python benchmarks/bench_race.py`: `run_sim.py race DIR [--suite SUITE]` timed as a whole command, on the 6 "
        "bundled models and 14 that the sweep "
        f"benchmark above trained; median of {f['rounds']} round(s) per suite and engine"
    )
    return "\n".join([head, ""] + rows + ["", _machine(r["machine"], how)])


SUITE_ORDER = (
    "expert",
    "expert_blind",
    "camera",
    "sensors",
    "camera_weather",
    "sensors_weather",
    "camera_cones",
    "sensors_cones",
)


def render_suite(reports: dict[str, dict]) -> str:
    """One row per driver, one column per level: driving score (95% CI) and lap completion."""
    names = [n for n in SUITE_ORDER if n in reports] + sorted(set(reports) - set(SUITE_ORDER))
    levels = [row["level"] for row in reports[names[0]]["rows"]]
    rows = [
        "| driver | trained at | episodes per level | " + " | ".join(f"`{lv}`" for lv in levels) + " |",
        "|---|---|---:|" + "---:|" * len(levels),
    ]
    for n in names:
        r = reports[n]
        who = {
            "expert": "the expert (pure pursuit, privileged geometry)",
            "expert-blind": "the expert blind to obstacles (follows the centre line)",
        }.get(r["driver"], f"`{Path(r['driver']).name}`")
        cells = []
        for row in r["rows"]:
            lo, hi = row["driving_score_ci95"]
            hits = f", {row['collisions_per_km']:.2f} collisions/km" if row.get("collisions_per_km") else ""
            cells.append(
                f"**{row['driving_score']:.1f}** ({lo:.0f}–{hi:.0f}), {row['lap_completion_rate'] * 100:.0f}% "
                f"laps{hits}"
            )
        rows.append(
            f"| {who} | {r['model_level'] or '—'} | {r['tracks']} tracks × {r['seeds']} | " + " | ".join(cells) + " |"
        )
    return "\n".join(
        rows
        + [
            "",
            "*`run_sim.py eval --suite --tracks N --seeds K`: each level's first N test-split tracks, each with K "
            "draws of the level's conditions, 2 laps each; driving score (95% bootstrap interval) and the share of "
            "episodes with every lap done and no intervention. Reports: `assets/models/suite_*.json`, written by "
            "`assets/models/reproduce.sh`.*",
        ]
    )


def _not_run(f: dict, stage: str) -> bool:
    return stage not in f


def render_rl(r: dict) -> str:
    f = r["figures"]
    rows = ["| run (from scratch unless said) | measured | target |", "|---|---|---|"]
    if "school" in f:
        s = f["school"]
        times = " / ".join(
            "never" if x["train_s_to_100"] is None else f"{x['train_s_to_100']:.0f} s" for x in s["seeds"]
        )
        steps = " / ".join("-" if x["steps_to_100"] is None else f"{x['steps_to_100']:,}" for x in s["seeds"])
        rows.append(
            f"| sensors, `school`, default reward, seeds 0/1/2 | every lap of {s['eval_tracks']} test tracks after "
            f"{times} of training ({steps} steps): **{s['met']} of {len(s['seeds'])}** | 100% within "
            f"{s['target_s']} s, 3 of 3 |"
        )
    if "cones" in f:
        c = f["cones"]
        last, best, t = c["last"], c["best"], c["targets"]
        settings = f" (`{c['settings']}`)" if c.get("settings") else ""
        rows.append(
            f"| sensors ({c['rays']} rays over {c['ray_fov_deg']:g}°), `cones`, {t['minutes']} min{settings} | "
            f"driving score **{float(last['driving_score']):.1f}**, collisions/km "
            f"**{float(last['collisions_per_km']):.3f}** after {int(last['steps']):,} steps "
            f"({float(last['train_s']) / 60:.1f} min of training; best {float(best['driving_score']):.1f} at "
            f"{int(best['steps']):,}) | score ≥ {t['driving_score']}, collisions/km ≤ {t['collisions_per_km']} |"
        )
    if "weather" in f:
        w = f["weather"]
        last, hit = w["last"], w["first_85"]
        best = max(w["curve"], key=lambda row: float(row["driving_score"]))
        later = [float(row["driving_score"]) for row in w["curve"] if int(row["steps"]) > int(best["steps"])]
        reached = (
            f"**{float(hit['driving_score']):.1f}** (≥ 85) first after {float(hit['train_s']) / 60:.0f} min "
            f"({int(hit['steps']):,} steps), best {float(best['driving_score']):.1f} after "
            f"{float(best['train_s']) / 60:.0f} min"
            if hit
            else "never 85"
        )
        rows.append(
            f"| camera, `weather` (test conditions never seen), {float(last['train_s']) / 60:.0f} min | {reached}; "
            + (f"later evaluations {min(later):.1f}-{max(later):.1f}, " if later else "")
            + f"the last {float(last['driving_score']):.1f} after {int(last['steps']):,} steps | score ≥ 85 within "
            "60 min |"
        )
    else:
        rows.append("| camera, `weather` (test conditions never seen), 60 min | not run | score ≥ 85 within 60 min |")
    if "init" in f:
        i = f["init"]
        start, last = i["curve"][0], i["curve"][-1]
        suite = i["start_suite"]
        rows.append(
            f"| camera, `cones`, from `camera_cones.pt` (`--init`) | driving score {float(start['driving_score']):.1f} "
            f"→ **{float(last['driving_score']):.1f}**, collisions/km {float(start['collisions_per_km']):.3f} → "
            f"**{float(last['collisions_per_km']):.3f}** after {int(last['steps']):,} steps (same 50 tracks) | better "
            f"than the start (its suite: {suite['driving_score']}, {suite['collisions_per_km']}) |"
        )
    if "camera" in f:
        c = f["camera"]
        default = next(iter(k for k in c["steps_per_s"] if k.startswith("DriveLab")))
        rows.append(
            f"| camera training throughput, whole `rl` command | **{c['steps_per_s'][default]:,.0f} env steps/s** "
            f"(SB3's defaults: {c['steps_per_s']['SB3 defaults']:,.0f}) | ≥ {c['target']:,} |"
        )
    if "reward" in f:
        w = f["reward"]
        rows.append(
            "| reward-call overhead | "
            + (
                f"default reward against `return 1.0`: **{100 * w['share']:.0f}%** of the command"
                if w["share"] >= 0
                else f"default reward against `return 1.0`: none measurable (the default's runs were "
                f"{-100 * w['share']:.0f}% faster: a constant reward teaches nothing, so its episodes differ)"
            )
            + f"; building every car's params and calling the reward: {w['params_us_per_car_step']:.1f} µs a "
            f"car-step, **{100 * w['params_share']:.1f}%** of the command | "
            f"≤ {100 * w['target']:.0f}% |"
        )
    out = rows
    if any(k in f for k in ("weather", "cones", "init")):  # drawn by draw_rl_curves from the same JSON
        out += [
            "",
            "![the driving score of the weather, cones and --init runs against training time, each with its "
            "target](images/rl_curves.png)",
        ]
    if "camera" in f:
        c = f["camera"]
        out += [
            "",
            f"How the camera settings were chosen: each row is the whole `rl --observation camera` command "
            f"({c['steps']:,} steps, the default; SB3's defaults: 16,384 steps; the first two rows are the median of "
            "2 runs, interleaved, the others one run), with its driving score on 10 test tracks at the end:",
            "",
            "| settings | env steps/s | driving score |",
            "|---|---:|---:|",
        ]
        for k, v in c["steps_per_s"].items():
            score = c["driving_score"].get(k)
            out.append(f"| {k} | {v:,.0f} | {'-' if score is None else f'{score:.1f}'} |")
        if "init" in f:
            i = f["init"]
            steps = int(i["curve"][-1]["steps"])
            out.append(
                f"| pilotnet (the `init` run above: `camera_cones.pt`, {steps:,} steps at `cones`, 50-track "
                f"evaluations) | {steps / i['seconds']:,.0f} | - |"
            )
    how = (
        "`python benchmarks/bench_rl.py`: whole `run_sim.py rl` commands in fresh processes; driving scores from each "
        "run's curve.csv (test tracks, 2 laps); training time leaves out the evaluations"
    )
    return "\n".join(out + ["", _machine(r["machine"], how)])


def render_rl_lecture(r: dict) -> str:
    f = r["figures"]
    if "bc" not in f or "school" not in f:
        return "*(bench_rl.py has not run its bc and school stages)*"
    rows = [
        "| how it learns | data | recording and training | driving score | laps completed |",
        "|---|---:|---:|---:|---:|",
    ]
    for b in f["bc"]["rows"]:
        rows.append(
            f"| imitation (`record` + `train`) | {b['frames']:,} expert frames ({b['episodes']} "
            f"episode{'s' if b['episodes'] > 1 else ''}) | "
            f"{b['seconds']:.0f} s | {b['driving_score']:.1f} | {100 * b['lap_completion_rate']:.0f}% |"
        )
    for c in f["school"]["seeds"][0]["curve"][1:6]:
        rows.append(
            f"| reward (`rl`, seed 0) | {int(c['steps']):,} environment steps | {float(c['train_s']):.0f} s | "
            f"{float(c['driving_score']):.1f} | {100 * float(c['lap_completion_rate']):.0f}% |"
        )
    tail = []
    if "init" in f:
        start, last = f["init"]["curve"][0], f["init"]["curve"][-1]
        tail += [
            "",
            f"Imitation, then reward: the bundled `camera_cones.pt` (behavioural cloning) scores "
            f"{float(start['driving_score']):.1f} at `cones` with {float(start['collisions_per_km']):.3f} collisions "
            f"per km; {int(last['steps']):,} steps of `rl --init` later it scores {float(last['driving_score']):.1f} "
            f"with {float(last['collisions_per_km']):.3f} (the same 50 test tracks).",
        ]
    if "hacking" in f and "punish_only" in f["hacking"]:
        sp, pu = f["hacking"]["speed_only"]["last"], f["hacking"]["punish_only"]["last"]
        pe = f["hacking"]["punish_only"]["eval4"]
        tail += [
            "",
            f"After {int(sp['steps']):,} steps: `speed_only.py` scores {float(sp['driving_score']):.1f} "
            f"({100 * float(sp['lap_completion_rate']):.0f}% of laps, mean |offset| "
            f"{float(sp['mean_abs_offset_m']):.2f} m); `punish_only.py` scores {float(pu['driving_score']):.1f} "
            f"({100 * float(pu['lap_completion_rate']):.0f}% of laps; on the 4 tracks pictured, "
            f"{pe['interventions']} exits from the road in one lap on each).",
        ]
    how = "`python benchmarks/bench_rl.py --only bc school hacking`; 50 test tracks, 2 laps each"
    return "\n".join(rows + tail + ["", _machine(r["machine"], how)])


RENDER = {
    "compile": render_compile,
    "env": render_env,
    "eval": render_eval,
    "dataset": render_dataset,
    "soak": render_soak,
    "train": render_train,
    "levels": render_levels,
    "controls": render_controls,
    "watch": render_watch,
    "export": render_export,
    "sweep": render_sweep,
    "race": render_race,
    "rl": render_rl,
    "rl_lecture": render_rl_lecture,
}
SOURCE = {"rl_lecture": "rl"}  # blocks drawn from another benchmark's results (else their own name's)
MODELS = ROOT / "assets" / "models"


def blocks(text: str) -> dict[str, tuple[int, int]]:
    """Where each `<!-- bench:NAME -->` block's body lies in `text`."""
    out = {}
    for m in re.finditer(r"<!-- bench:(\w+) -->\n(.*?)<!-- /bench:\1 -->", text, flags=re.S):
        out[m.group(1)] = (m.start(2), m.end(2))
    return out


def rendered(text: str) -> str:
    """`text` with every bench block whose results exist written anew."""
    for name, (start, end) in sorted(blocks(text).items(), key=lambda kv: -kv[1][0]):
        path = RESULTS / f"{SOURCE.get(name, name)}.json"
        if name in RENDER and path.exists():
            text = text[:start] + RENDER[name](json.loads(path.read_text())) + "\n" + text[end:]
        elif name == "suite":
            reports = {p.stem[len("suite_") :]: json.loads(p.read_text()) for p in sorted(MODELS.glob("suite_*.json"))}
            if reports:
                text = text[:start] + render_suite(reports) + "\n" + text[end:]
    return text


def draw_rl_curves(r: dict, path: Path) -> None:
    """The driving score against training minutes of bench_rl's runs at `weather` and
    `cones`, each with its target: the curves behind the RL table's rows."""
    from matplotlib.figure import Figure  # no pyplot: no global state, no GUI backend

    f = r["figures"]
    runs = [  # the targets as the benchmark wrote them (None: the run's own start)
        ("weather", "camera from scratch at `weather`", lambda w: w["target"]["driving_score"]),
        ("cones", "sensors (dense fan) from scratch at `cones`", lambda c: c["targets"]["driving_score"]),
        ("init", "camera at `cones` from camera_cones.pt (--init)", lambda i: None),
    ]
    runs = [(k, title, target(f[k])) for k, title, target in runs if k in f]
    fig = Figure(figsize=(4.2 * len(runs), 3.4))
    for ax, (k, title, target) in zip(fig.subplots(1, len(runs), squeeze=False)[0], runs):
        curve = f[k]["curve"]
        minutes = [float(row["train_s"]) / 60 for row in curve]
        ax.plot(minutes, [float(row["driving_score"]) for row in curve], "o-", color="C0")
        level = float(curve[0]["driving_score"]) if target is None else target
        ax.axhline(level, color="C3", ls="--", label="the start" if target is None else f"target {target}")
        ax.set_title(title.replace("`", ""), fontsize=9)
        ax.set_xlabel("training time [min] (evaluations left out)")
        ax.set_ylim(0, 102)
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right", fontsize=8)
    fig.axes[0].set_ylabel("driving score, 50 test tracks")
    fig.tight_layout()
    fig.savefig(path, dpi=90)


FIGURES = {"rl": ("rl_curves.png", draw_rl_curves)}  # results name: (picture in docs/images, drawer)


def main() -> int:
    if "--check" not in sys.argv[1:]:
        for name, (picture, draw) in FIGURES.items():
            if (RESULTS / f"{name}.json").exists():
                draw(json.loads((RESULTS / f"{name}.json").read_text()), ROOT / "docs" / "images" / picture)
    stale, written = [], []
    for page in pages():
        text = page.read_text()
        new = rendered(text)
        if new != text:
            stale.append(page.relative_to(ROOT))
            if "--check" not in sys.argv[1:]:
                page.write_text(new)
        written += blocks(new)
    if "--check" in sys.argv[1:]:
        if stale:
            names = ", ".join(map(str, stale))
            print(f"{names}: benchmark blocks differ from benchmarks/results/*.json; run python benchmarks/readme.py")
            return 1
        return 0
    where = ", ".join(map(str, stale)) or "no page: all were current"
    print(f"wrote the benchmark blocks ({', '.join(written)}) of {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
