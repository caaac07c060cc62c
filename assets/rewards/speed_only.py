"""Reward hacking: pay for speed alone.

It looks like it asks for fast driving. But the car's speed is held by cruise control, so
every step pays the same 12 whatever the car does, as long as the episode goes on: the
reward asks only to survive. Watch what the car learns (`run_sim.py watch`): it need not
go anywhere, and a car that turns round, or circles where the road is wide, is paid as
well as one that laps. A reward says what you pay for, not what you mean.
"""


def reward(params):
    return params["speed"]
