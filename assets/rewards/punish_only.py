"""Reward hacking: punish, never pay.

Every step costs the car its distance from the centre line, and nothing is ever earned.
It looks like "stay in the middle". But leaving the road ends the episode, and with it the
punishment: the quickest way to stop being punished is to drive off the road at once, and
that is what the car learns (`run_sim.py eval --plot` shows it). The same sum with +1 added
each step (`1 - distance / half the width`) teaches the opposite. A reward says what you
pay for, not what you mean.
"""


def reward(params):
    return -params["distance_from_center"]
