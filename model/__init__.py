"""Leerecosysteem Genk: an agent-based model of a learning ecosystem for Genk.

The package knows nothing of Panel. Entry points:

- :func:`model.run.run_scenario` runs one scenario for one seed (apps, studies and
  calibration all call it);
- :func:`model.scenario.load_scenario` reads and validates a scenario YAML file;
- :func:`model.geography.load_genk` loads the bundled geography of Genk.
"""
