"""Cost simulator: replays a job trace through the design's alarm and our power policy, and through one GPU
against a fleet."""
