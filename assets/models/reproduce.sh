#!/usr/bin/env bash
# Reproduce the bundled models from scratch: record expert demonstrations on training
# tracks, train the camera ConvNet and the sensors MLP, evaluate both on 100 test tracks.
# About 5 minutes on a 2-core laptop CPU. Run from the repository root.
set -euo pipefail
data=${DATA:-data/bundled}
rm -rf "$data"
python run_sim.py record --driver expert --episodes 40 --steps 1500 --split train --seed 1 --out "$data" --quiet
python run_sim.py train "$data" --model camera --arch pilotnet --epochs 12 --seed 0 --out assets/models/camera.pt --quiet
python run_sim.py train "$data" --model sensors --arch mlp --epochs 30 --seed 0 --out assets/models/sensors.pt --quiet
python run_sim.py eval --model assets/models/camera.pt --tracks 100 --quiet --report assets/models/camera_eval.json --plot assets/models/camera_eval.png
python run_sim.py eval --model assets/models/sensors.pt --tracks 100 --quiet --report assets/models/sensors_eval.json
