"""Recorded driving: the dataset on disk, headless recording, what `data info` says, and Minari import and export."""
