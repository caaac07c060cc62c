"""The human controls' modes and keyboard styles by name, importable without pygame (the
command line lists them; `agent.drivers.human` implements them)."""

MODES = ("keyboard", "mouse", "gamepad")  # what steers
STYLES = ("ramp", "wheel", "arcade")  # how the keyboard steers
DEFAULT_STYLE = "ramp"  # chosen by benchmarks/bench_controls.py (tests check it still agrees)
