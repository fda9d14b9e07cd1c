"""The power Lambda: stops the idle GPU instance and starts it when work waits, from live facts."""
