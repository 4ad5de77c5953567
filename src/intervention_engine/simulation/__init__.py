"""Simulation: calibration on the real record, world model, branches and Monte Carlo."""
