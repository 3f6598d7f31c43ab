"""The coach on the workers: training runs, the synthetic hold-out, real histories."""
