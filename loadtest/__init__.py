"""The load harness (``make load``): see loadtest/run.py and docs/performance.md, "Load"."""
