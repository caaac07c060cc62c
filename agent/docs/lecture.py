"""The lecture's experiments, run for real: every figure and table in docs/lecture.md.

`python run_sim.py lecture` (about 10 minutes on a 2-core CPU) or `--quick` (about a
minute, used by the tests) records expert data, trains networks, evaluates them on
unseen test tracks, and writes CSV/JSON tables and PNG figures to the output folder.
"""

from __future__ import annotations

import csv
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from agent.data.record import RecordSettings, record_expert
from agent.drivers.spec import DriverSpec
from agent.grade.evaluate import eval_tracks, evaluate, evaluate_parallel, make_driver
from agent.learn.train import TrainArgs, train
from models import checkpoint
from models.inspect import feature_maps, filters, first_conv, tile
from models.nets import DrivingNet
from models.preprocess import input_spec_for, preprocess
from sim.config import EnvConfig
from sim.levels import with_level


@dataclass(frozen=True)
class Budget:
    episodes: int  # expert episodes recorded per dataset
    steps: int  # steps per episode
    epochs: int
    eval_tracks: int
    laps: int
    small_episodes: int  # the deliberately small datasets of the recovery experiment
    eval_steps: int | None = None  # cap on each evaluation episode's steps (quick: a taste, not a verdict)

    @classmethod
    def of(cls, quick: bool) -> "Budget":
        if quick:
            return cls(episodes=4, steps=250, epochs=2, eval_tracks=3, laps=1, small_episodes=3, eval_steps=300)
        return cls(episodes=24, steps=1000, epochs=8, eval_tracks=20, laps=2, small_episodes=6)


# the knob sweep: one change at a time from the tiny baseline
KNOBS = [
    ("baseline (tiny)", "conv(8,5,2) relu pool(2) conv(16,3) relu pool(2) fc(32) relu"),
    ("4 features", "conv(4,5,2) relu pool(2) conv(8,3) relu pool(2) fc(32) relu"),
    ("32 features", "conv(32,5,2) relu pool(2) conv(64,3) relu pool(2) fc(32) relu"),
    ("feature size 3", "conv(8,3,2) relu pool(2) conv(16,3) relu pool(2) fc(32) relu"),
    ("feature size 9", "conv(8,9,2) relu pool(2) conv(16,3) relu pool(2) fc(32) relu"),
    ("pool window 3, stride 2", "conv(8,5,2) relu pool(3,2) conv(16,3) relu pool(3,2) fc(32) relu"),
    ("no pooling", "conv(8,5,2) relu conv(16,3) relu fc(32) relu"),
    ("8 fc neurons", "conv(8,5,2) relu pool(2) conv(16,3) relu pool(2) fc(8) relu"),
    ("128 fc neurons", "conv(8,5,2) relu pool(2) conv(16,3) relu pool(2) fc(128) relu"),
    ("1 conv layer", "conv(8,5,2) relu pool(2) fc(32) relu"),
    ("3 conv layers", "conv(8,5,2) relu conv(16,3) relu pool(2) conv(32,3) relu pool(2) fc(32) relu"),
    ("pilotnet", "pilotnet"),
]
MLP_SWEEP = [
    ("0 hidden layers", "relu"),
    ("4 neurons", "fc(4) relu"),
    ("16 neurons", "fc(16) relu"),
    ("64 neurons", "fc(64) relu"),
]


class Lecture:
    def __init__(self, out: str | Path, quick: bool = False, log=print, level: str = "school"):
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.b = Budget.of(quick)
        self.quick = quick
        self.log = log
        self._start = time.perf_counter()
        self.work = self.out / "work"  # datasets and checkpoints (not committed)
        self.config = with_level(EnvConfig(), level)
        self.tracks = eval_tracks(self.b.eval_tracks, "test")

    # ---------------------------------------------------------------- plumbing
    def say(self, what: str) -> None:
        """A progress line with the time since the start (the whole run takes minutes)."""
        self.log(f"[{time.perf_counter() - self._start:6.0f} s] {what}")

    def dataset(self, name: str, episodes: int, dart: float, side: bool) -> str:
        path = self.work / "data" / name
        if not (path / "dataset.json").exists():
            self.say(f"recording {episodes} expert episodes ({name})")
            record_expert(
                path,
                self.config,
                RecordSettings(
                    episodes=episodes,
                    steps=self.b.steps,
                    seed=7,
                    dart_sigma=dart,
                    side_cameras=side,
                    workers=1 if self.quick else 2,  # a second process costs ~5 s to start: more than a taste
                ),
            )
        return str(path)

    def fit(self, name: str, data: str, **kw) -> dict:
        out = self.work / "models" / f"{name}.pt"
        params = {"epochs": self.b.epochs, **kw}
        self.say(f"training {name} ({params['epochs']} epochs)")
        args = TrainArgs(datasets=[data], out=str(out), seed=0, patience=params["epochs"], **params)
        start = time.perf_counter()
        # no loss-curve PNG per fit: the lecture draws its own pictures
        summary = train(args, progress=False, log=lambda *a: None, loss_plot=False)
        summary["train_s"] = time.perf_counter() - start
        summary["path"] = str(out)
        return summary

    def drive(self, model_path: str) -> dict:
        spec = DriverSpec.model(model_path)
        if self.b.eval_steps is not None:  # quick: every track at once for a few seconds of driving
            return evaluate(
                make_driver(spec, self.config), self.config, self.tracks, self.b.laps, max_steps=self.b.eval_steps
            ).summary
        return evaluate_parallel(spec, self.config, self.tracks, self.b.laps, workers=2).summary

    def row(self, name: str, summary: dict, extra: dict | None = None) -> dict:
        drive = self.drive(summary["path"])
        self.say(
            f"{name}: driving score {drive['driving_score']:.1f}, lap completion "
            f"{drive['lap_completion_rate'] * 100:.0f}% on {len(self.tracks)} test tracks"
        )
        return {
            "name": name,
            **(extra or {}),
            "parameters": summary["parameters"],
            "train_s": round(summary["train_s"], 1),
            "val_steer_error": round(summary["best"]["steer_mae"], 4),
            "driving_score": drive["driving_score"],
            "lap_completion": drive["lap_completion_rate"],
            "autonomy_pct": drive["autonomy_pct"],
            "interventions_per_km": drive["interventions_per_km"],
        }

    def table(self, name: str, rows: list[dict]) -> None:
        with open(self.out / f"{name}.csv", "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
        (self.out / f"{name}.json").write_text(json.dumps(rows, indent=1))
        self.log(f"wrote {self.out / name}.csv")

    # ------------------------------------------------------------- experiments
    def run(self) -> dict:
        b = self.b
        data = self.dataset("dart", b.episodes, 0.15, False)
        results = {}
        results["optimizers"] = self.optimizers(data)
        results["heads"] = self.heads(data)
        results["mlp"] = self.mlp(data)
        results["knobs"] = self.knobs(data)
        results["recovery"] = self.recovery()
        self.filters_and_maps(data)
        self.convolution_pictures(data)
        self.hud_pictures()
        (self.out / "budget.json").write_text(
            json.dumps({"quick": self.quick, "level": self.config.level.name, **b.__dict__, "eval_tracks": self.tracks})
        )
        return results

    def optimizers(self, data: str) -> list[dict]:
        """1. Gradient descent: plain SGD against Adam, same data, same network."""
        from matplotlib.figure import Figure  # no pyplot: no global state, no GUI backend

        runs = {
            "SGD (plain gradient descent, lr 0.05)": self.fit("sgd", data, arch="tiny", optimizer="sgd", lr=0.05),
            "SGD with momentum 0.9 (lr 0.01)": self.fit(
                "sgd_momentum", data, arch="tiny", optimizer="sgd", lr=0.01, momentum=0.9
            ),
            "Adam (lr 0.001)": self.fit("adam", data, arch="tiny", optimizer="adam", lr=1e-3),
        }
        fig = Figure(figsize=(10, 3.6))
        ax = fig.subplots(1, 2)
        for label, s in runs.items():
            ep = [h["epoch"] for h in s["history"]]
            ax[0].plot(ep, [h["train_loss"] for h in s["history"]], "o-", label=label)
            ax[1].plot(ep, [h["val_steer_mae"] for h in s["history"]], "o-", label=label)
        ax[0].set(xlabel="epoch", ylabel="training loss (squared error)", yscale="log", title="descending the mountain")
        ax[1].set(xlabel="epoch", ylabel="validation |steering error|", title="on held-out episodes")
        ax[1].axhline(runs["Adam (lr 0.001)"]["baseline_steer_mae"], color="0.5", ls="--", label="predicting the mean")
        ax[1].legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(self.out / "optimizers.png", dpi=90)
        rows = [self.row(k, v) for k, v in runs.items()]
        self.table("optimizers", rows)
        return rows

    def heads(self, data: str) -> list[dict]:
        """2. Squared error (regression) against log-loss over steering bins (classification)."""
        rows = [
            self.row(
                "regression: tanh output, squared error", self.fit("regression", data, arch="tiny", head="regression")
            ),
            self.row(
                "classification: 21 bins, log-loss",
                self.fit("classification", data, arch="tiny", head="classification", bins=21, batch_size=64, lr=3e-3),
            ),
        ]
        self.table("heads", rows)
        return rows

    def mlp(self, data: str) -> list[dict]:
        """3. Neurons combine regions: how many hidden neurons does the sensor MLP need?"""
        rows = [
            self.row(
                name, self.fit(f"mlp_{k}", data, model="sensors", arch=spec, epochs=self.b.epochs * 3), {"hidden": name}
            )
            for k, (name, spec) in enumerate(MLP_SWEEP)
        ]
        self.table("mlp_sweep", rows)
        return rows

    def knobs(self, data: str) -> list[dict]:
        """6. The knobs: one change at a time from the tiny ConvNet."""
        rows = [
            self.row(name, self.fit(f"knob_{k}", data, arch=spec), {"spec": spec})
            for k, (name, spec) in enumerate(KNOBS)
        ]
        self.table("knobs", rows)
        return rows

    def recovery(self) -> list[dict]:
        """7. Recovery data: plain expert driving vs DART noise vs side cameras, few frames."""
        n = self.b.small_episodes
        sets = [
            ("plain expert (no noise)", self.dataset("small_plain", n, 0.0, False)),
            ("DART noise 0.15", self.dataset("small_dart", n, 0.15, False)),
            ("plain + side cameras", self.dataset("small_side", n, 0.0, True)),
        ]
        rows = []
        for k, (name, path) in enumerate(sets):
            from agent.data.dataset import Dataset

            frames = Dataset(path).frames
            rows.append(self.row(name, self.fit(f"recovery_{k}", path, arch="tiny"), {"frames": frames}))
        self.table("recovery", rows)
        return rows

    # ------------------------------------------------------------------ pictures
    def hud_pictures(self) -> None:
        """2 and 4. The watch HUD: the classification head's votes; the first layer's feature maps."""
        import imageio.v3 as iio

        iio.imwrite(self.out / "hud_votes.png", _hud_frame(self.work / "models" / "classification.pt", features=False))
        iio.imwrite(self.out / "hud_features.png", _hud_frame(self.work / "models" / "adam.pt", features=True))
        if CONES_MODEL.exists():
            saliency_on_obstacles(CONES_MODEL, self.out / "saliency_cone.png")

    def _frame(self, data: str) -> np.ndarray:
        from agent.data.dataset import Dataset

        ds = Dataset(data)
        return ds.load(("camera",), episodes=[0])["camera"][60]

    def filters_and_maps(self, data: str) -> None:
        """4-5. Learned first-layer filters before/after training, and their feature maps on a frame."""
        import imageio.v3 as iio

        spec = input_spec_for(self.config, ("camera",))
        torch.manual_seed(0)  # the trainer's seed: these are the starting weights of the "adam" run
        before = DrivingNet(spec.network_inputs(), "tiny", None)
        after, _ = checkpoint.load(self.work / "models" / "adam.pt")
        for name, model in (("before", before), ("after", after)):
            f = filters(model)  # (F, k, k, 3)
            grid = tile(f.mean(axis=3).astype(np.float32), cols=8)
            iio.imwrite(self.out / f"filters_{name}.png", np.kron(grid, np.ones((12, 12, 1), np.uint8)))
            rgb = np.concatenate([np.kron(fi, np.ones((12, 12, 1), np.uint8)) for fi in f], axis=1)
            iio.imwrite(self.out / f"filters_{name}_rgb.png", rgb)
        # what backpropagation changed: after - before, one scale for all filters (grey = no change)
        w0 = first_conv(before).weight.detach().numpy()
        w1 = first_conv(after).weight.detach().float().numpy()
        change = (w1 - w0).transpose(0, 2, 3, 1)  # (F, k, k, C)
        scale = max(float(np.abs(change).max()), 1e-12)
        img = ((change / scale + 1) * 127.5).clip(0, 255).astype(np.uint8)
        iio.imwrite(
            self.out / "filters_change_rgb.png",
            np.concatenate([np.kron(fi, np.ones((12, 12, 1), np.uint8)) for fi in img], axis=1),
        )
        rel = float(np.linalg.norm(w1 - w0) / np.linalg.norm(w0))
        (self.out / "filters_change.json").write_text(json.dumps({"relative_change": rel}))
        frame = self._frame(data)
        x = preprocess({"camera": frame}, spec)["camera"]
        maps = feature_maps(after.to(memory_format=torch.contiguous_format), x)
        iio.imwrite(self.out / "feature_maps.png", np.kron(tile(maps, cols=4, pad=2), np.ones((4, 4, 1), np.uint8)))
        iio.imwrite(self.out / "frame.png", np.kron(frame, np.ones((4, 4, 1), np.uint8)))

    def convolution_pictures(self, data: str) -> None:
        """4. Filtering with the lecture's X feature, ReLU, and 2x2 max pooling on a real frame."""
        import imageio.v3 as iio

        frame = self._frame(data)
        gray = frame.astype(np.float32).mean(axis=2) / 127.5 - 1.0  # pixels in [-1, 1], as in the lecture
        x_feature = np.array([[1, -1, 1], [-1, 1, -1], [1, -1, 1]], np.float32)
        conv = torch.nn.functional.conv2d(torch.tensor(gray)[None, None], torch.tensor(x_feature / 9)[None, None])[0, 0]
        relu = torch.relu(conv)
        pooled = torch.nn.functional.max_pool2d(relu[None, None], 2, 2)[0, 0]

        def show(a: np.ndarray, k: int) -> np.ndarray:
            lo, hi = float(a.min()), float(a.max())
            g = ((a - lo) / max(hi - lo, 1e-9) * 255).astype(np.uint8)
            return np.kron(np.repeat(g[..., None], 3, axis=2), np.ones((k, k, 1), np.uint8))

        iio.imwrite(self.out / "x_filter_response.png", show(conv.numpy(), 4))
        iio.imwrite(self.out / "x_filter_relu.png", show(relu.numpy(), 4))
        iio.imwrite(self.out / "pool_before.png", show(relu.numpy(), 4))
        iio.imwrite(self.out / "pool_after.png", show(pooled.numpy(), 8))
        with open(self.out / "x_filter.json", "w") as f:
            json.dump(
                {
                    "max_response": float(conv.max()),
                    "mean_response": float(conv.mean()),
                    "frame_shape": list(gray.shape),
                    "after_pool_shape": list(pooled.shape),
                },
                f,
            )


def _hud_frame(model_path: Path, features: bool, steps: int = 90) -> np.ndarray:
    """One watch-window picture with a model driving (feature maps shown if asked)."""
    from agent.drivers.policy import NeuralPolicy
    from agent.windows.watch import watch
    from sim.env import DrivingEnv

    env = DrivingEnv(render_mode="rgb_array", offroad="recover", track="assets/tracks/kidney.json")
    policy = NeuralPolicy(model_path, env.config)
    watch(env, policy, max_frames=steps)
    if features:
        env._renderer.extra.__self__.show_features = True  # the NetworkPanel behind the HUD
    panel = env._renderer.extra.__self__
    from agent.drivers.expert import ExpertDriver

    obs = env.last_obs
    panel.update(obs, float(policy.act(obs)[0]), float(ExpertDriver(env).act(obs)[0]))
    frame = env.render()
    env.close()
    return frame


TABLE_COLUMNS = {
    "optimizers": ["name", "train_s", "val_steer_error", "driving_score", "lap_completion", "autonomy_pct"],
    "heads": ["name", "parameters", "val_steer_error", "driving_score", "lap_completion", "autonomy_pct"],
    "mlp_sweep": ["name", "parameters", "val_steer_error", "driving_score", "lap_completion", "interventions_per_km"],
    "knobs": ["name", "parameters", "train_s", "val_steer_error", "driving_score", "lap_completion", "autonomy_pct"],
    "recovery": ["name", "frames", "val_steer_error", "driving_score", "lap_completion", "interventions_per_km"],
}


CONES_MODEL = Path(__file__).resolve().parents[2] / "assets" / "models" / "camera_cones.pt"


def saliency_on_obstacles(model_path: Path, out: Path, track: int = 1_000_003, distances=(14.0, 9.0, 6.0)) -> Path:
    """A figure of what a camera network looks at as it nears a cone and a parked car: the
    frame, and over it the saliency (|d steering / d pixel|), at noon on a test track."""
    from matplotlib.figure import Figure  # no pyplot: no global state, no GUI backend

    from agent.drivers.policy import NeuralPolicy
    from models.inspect import saliency
    from sim.env import resolve_track
    from sim.levels import Conditions
    from sim.world import World

    policy = NeuralPolicy(model_path)
    config = with_level(EnvConfig(observation="camera"), "cones")
    t = resolve_track(track, config.track)
    picks = [next(o for o in t.obstacles if o.kind == kind) for kind in ("cone", "car")]
    fig = Figure(figsize=(2.0 * 2 * len(distances), 4.6))
    axes = fig.subplots(2, 2 * len(distances))
    for row, o in enumerate(picks):
        world = World(config, 1)
        world.set_track(0, t)
        world.set_conditions(0, Conditions())
        world.reset_cars(0)
        for k, d in enumerate(distances):
            (x, y), h = t.point_at(o.s_m - d), float(t.heading_at(o.s_m - d))
            world.place(0, x, y, h, 12.0)
            frame = world.observe()["camera"][0]
            inputs = preprocess({"camera": frame[None]}, policy.spec)
            sal = saliency(policy.model, inputs)
            heat = np.zeros(frame.shape[:2])
            heat[policy.spec.crop_top :] = sal
            steer = float(policy.steer_batch({"camera": frame[None]})[0])
            a, b = axes[row, 2 * k], axes[row, 2 * k + 1]
            a.imshow(frame, interpolation="nearest")
            a.set_title(f"{o.kind} {d:.0f} m ahead", fontsize=8)
            b.imshow(frame.mean(axis=2), cmap="gray", interpolation="nearest")
            b.imshow(heat, cmap="hot", alpha=0.6, interpolation="nearest")
            b.set_title(f"saliency; steers {steer:+.2f}", fontsize=8)
            a.axis("off")
            b.axis("off")
    fig.suptitle(
        f"{model_path.name}: what the steering depends on near a cone and a parked car (+ steers left)", fontsize=9
    )
    fig.tight_layout()
    fig.savefig(out, dpi=90)
    return out


def render_doc(template: Path, results: Path, out: Path, minutes: float) -> None:
    """Fill the lecture template's {{table:NAME}} and {{field}} slots from a run's results."""
    import re

    text = template.read_text()
    budget = json.loads((results / "budget.json").read_text())
    xf = json.loads((results / "x_filter.json").read_text())
    change = json.loads((results / "filters_change.json").read_text())["relative_change"]
    fields = {
        "minutes": f"{minutes:.0f}",
        "filter_change": f"{100 * change:.0f}%",
        "episodes": budget["episodes"],
        "steps": budget["steps"],
        "epochs": budget["epochs"],
        "tracks": len(budget["eval_tracks"]),
        "laps": budget["laps"],
        "level": budget.get("level", "school"),
        "small_episodes": budget["small_episodes"],
        "xfilter": f"On the {xf['frame_shape'][0]}×{xf['frame_shape'][1]} frame the strongest response is "
        f"{xf['max_response']:.2f} (1.0 would be a perfect X); the mean is {xf['mean_response']:.2f}; pooling "
        f"leaves {xf['after_pool_shape'][0]}×{xf['after_pool_shape'][1]}.",
    }
    for name, cols in TABLE_COLUMNS.items():
        rows = json.loads((results / f"{name}.json").read_text())
        fields[f"table:{name}"] = markdown_table(rows, cols).rstrip()
    rel = results.relative_to(out.parent)
    text = text.replace("](lecture/", f"]({rel.as_posix()}/")
    text = re.sub(r"\{\{([^}]+)\}\}", lambda m: str(fields.get(m.group(1), m.group(0))), text)
    out.write_text(text)


def markdown_table(rows: list[dict], columns: list[str]) -> str:
    head = "| " + " | ".join(c.replace("_", " ") for c in columns) + " |\n|" + "---|" * len(columns) + "\n"
    return head + "".join("| " + " | ".join(str(r[c]) for c in columns) + " |\n" for r in rows)
