"""The load-test harness of issue 10: ``python -m bench.load`` (``make bench``).

It starts the stack as ``forma up`` starts it on a fresh database of the run's own,
seeds demo athletes and logs them in before any timing, then runs the parts asked for:

* ``floor``: asyncpg alone on the same tables (floor A: a workout and its 15 sets;
  floor B: plus the two bookkeeping statements a write needs);
* ``writes``: closed-loop ``PUT /v1/workouts/{uuid}`` at each concurrency;
* ``phones``: open-loop phones on keep-alive connections, each on its own schedule;
* ``reads``: the read floor, list and summary closed loop, and the list at a fixed rate.

Modules: :mod:`~bench.load.stack` (the stack), :mod:`~bench.load.athletes` (tokens),
:mod:`~bench.load.workload` (bodies, clients, recording), :mod:`~bench.load.floor`,
:mod:`~bench.load.closed`, :mod:`~bench.load.phones`, :mod:`~bench.load.freshness`,
:mod:`~bench.load.verify` (the database check), :mod:`~bench.load.meter` (CPU and load),
:mod:`~bench.load.report` (figures and RESULTS.md), :mod:`~bench.load.parts`,
:mod:`~bench.load.cli`.
"""
