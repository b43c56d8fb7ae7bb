"""Benchmarks: ``make bench`` (``python -m bench [NAME-OR-GROUP ...]``).

Every module of this package is imported by the runner; a module that
registers benchmarks is a group (``bench/sign_in.py`` → group ``sign_in``).
To add one::

    from bench import benchmark
    from bench.measure import expect, measure

    @benchmark("history_page", targets=[Target("GET /history/", "p95", at_most_ms=250)])
    def history_page(*, samples, warmup):
        \"\"\"What it measures, in one sentence (shown in docs/performance.md).\"\"\"
        client = ...  # set up data and a signed-in django.test.Client

        def iteration(timer):
            with timer("GET /history/"):
                response = client.get("/history/")
            expect(response, 200)

        return measure(iteration, samples=samples, warmup=warmup)

A target names the measurements by the start of their label; ``python -m bench --check``
exits 1 when one is missed (targets live here, not in docs/performance.md).

Helpers: ``bench.runner`` (registry, figures, outputs; Django-free),
``bench.measure`` (timing and query counts), ``bench.provider`` (the local
identity provider), ``bench.database`` (the throwaway benchmark database).
"""

from bench.runner import Measurement, Target, benchmark, registry

__all__ = ["Measurement", "Target", "benchmark", "registry"]
