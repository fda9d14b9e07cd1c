"""Cost simulator: replays a job trace through the design's alarm and through our power policy."""
