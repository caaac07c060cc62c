"""How a network learns: behavioural cloning (`train`), DAgger rounds, and knob sweeps on Ray Tune."""
