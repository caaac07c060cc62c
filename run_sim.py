"""DriveLab command line: a thin dispatcher over `agent.cli`, one module per command.

    python run_sim.py drive --record data/mine   drive yourself and record
    python run_sim.py record --driver expert     record expert demonstrations, headless
    python run_sim.py data info data/mine        what a dataset holds, with pictures
    python run_sim.py data review data/mine      scrub a dataset, cut bad stretches
    python run_sim.py export M.pt --onnx M.onnx  a network as ONNX
    python run_sim.py watch --driver expert      the expert drives in a window
    python run_sim.py snapshot --out world.png   a rendered frame and camera views, headless
    python run_sim.py levels                     the levels, from school to weather
    python run_sim.py rl --reward R.py         learn from a reward you write (PPO)
    python run_sim.py sweep space.json           knobs x data x levels on Ray Tune
    python run_sim.py race runs/class            grade a folder of models, leaderboard page

Each command's flags are declared in `agent/cli/COMMAND.py` beside the `run(args)` that
uses them.
"""

from __future__ import annotations

import atexit
import os
import sys

_exit_code = 1  # what the process exits with: main()'s return value once it has one


def _leave() -> None:
    """The last exit handler: leave without the interpreter's teardown of every module
    (0.3-0.5 s once torch is loaded, measured; a user waits for it after every command).
    Registered before anything is imported, it runs after every handler registered later
    (multiprocessing's, logging's, pygame's, Ray's shutdown), so only that teardown is
    skipped: files are written and closed by then, and the streams are flushed here."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):  # closed or gone (a broken pipe)
            pass
    os._exit(_exit_code)


if __name__ == "__main__":
    atexit.register(_leave)

import argparse  # noqa: E402  (after the exit handler, so that it runs last)

from agent.cli import (  # noqa: E402
    dagger,
    data,
    drive,
    evaluate,
    export,
    lecture,
    levels,
    race,
    record,
    rl,
    snapshot,
    sweep,
    train,
    watch,
)
from agent.cli.common import SAY_COMPILING, Parser, say_if_compiling  # noqa: E402

COMMANDS = {
    "drive": drive,
    "record": record,
    "data": data,
    "train": train,
    "dagger": dagger,
    "rl": rl,
    "lecture": lecture,
    "sweep": sweep,
    "watch": watch,
    "eval": evaluate,
    "race": race,
    "export": export,
    "snapshot": snapshot,
    "levels": levels,
}


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="run_sim.py",
        description="DriveLab: teach a car to drive with deep learning. Each command has its own --help.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module in COMMANDS.items():
        p = sub.add_parser(name, help=module.HELP, description=module.DESCRIPTION)
        module.add_arguments(p)
        p.set_defaults(func=module.run)
        p.is_command = True  # it names flags it does not know (see Parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        parser = build_parser()
    except ImportError as e:  # a command's module reaches the world, which needs numba
        if "numba" not in str(e):
            raise
        print(f"run_sim.py: {e}", file=sys.stderr)
        return 2
    args = parser.parse_args(argv)
    try:
        if args.command in SAY_COMPILING:
            say_if_compiling(getattr(args, "quiet", False))
        return args.func(args)
    except ImportError as e:
        if "numba" not in str(e):
            raise
        print(f"run_sim.py {args.command}: {e}", file=sys.stderr)  # sim.jit names numba and the pip command
        return 2
    except Exception as e:
        if type(e).__module__.startswith("numba"):  # the world's kernels did not compile here (numba, numpy or the CPU)
            from sim.jit import INSTALL

            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            print(
                f"run_sim.py {args.command}: numba could not compile DriveLab's world ({first}); reinstall it: "
                f"{INSTALL}",
                file=sys.stderr,
            )
            return 2
        if not isinstance(e, (ValueError, OSError, RuntimeError)):
            raise
        if isinstance(e, OSError) and e.filename is not None and e.strerror:  # "[Errno 17] File exists: 'x'"
            if isinstance(e, FileExistsError) and os.path.isfile(e.filename):  # a folder was to be made there
                e = f"{e.filename}: is a file; expected a folder (or a path where one can be made)"
            else:
                e = f"{e.filename}: {e.strerror[0].lower()}{e.strerror[1:]}"
        print(f"run_sim.py {args.command}: {e}", file=sys.stderr)  # bad input: one line, no traceback
        return 2
    except KeyboardInterrupt:  # recordings are saved chunk by chunk; nothing more to do
        print(f"run_sim.py {args.command}: interrupted; what was recorded is saved", file=sys.stderr)
        return 130


if __name__ == "__main__":
    try:
        _exit_code = main()
    except SystemExit as e:  # argparse's --help and usage errors
        _exit_code = e.code if isinstance(e.code, int) else int(e.code is not None)
        raise
    sys.exit(_exit_code)
