"""Speed alone: right for the wrong reason.

It looks like it asks for fast driving, and in AWS DeepRacer (where the car chooses its
speed) it teaches a car that speeds off the road. Here `rl` learns the steering only and
cruise control holds the speed, so every step pays the same 12 m/s: the reward pays for
surviving, nothing else. Because the car can neither stop nor slow down, the only way to
survive is to follow the road, so it learns to drive anyway, with a wider line than
progress.py's (compare `eval`'s offset). A reward can work for reasons it never states;
punish_only.py shows one that does not.
"""


def reward(params):
    return params["speed"]
