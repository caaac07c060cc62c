"""The keyboard's steering styles by name, importable without pygame (the command line lists
them; `agent.human` implements them)."""

STYLES = ("ramp", "wheel", "arcade")
DEFAULT_STYLE = "ramp"  # chosen by benchmarks/bench_controls.py (tests check it still agrees)
