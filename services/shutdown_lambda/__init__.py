"""The power Lambda: fails its pool's dead letters, stops the idle GPU instance and starts it when work
waits, from live facts."""
