"""The coach on the workers: training runs, the synthetic hold-out (:mod:`.synthetic`,
made by the demo generator), real histories (:mod:`.histories`)."""
