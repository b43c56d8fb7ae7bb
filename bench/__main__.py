"""``python -m bench [NAME-OR-GROUP ...]``: run the benchmarks against a
throwaway database, print the table and write docs/performance.md."""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import platform
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PAGE = BASE_DIR / "docs" / "performance.md"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="NAME-OR-GROUP", help="run only these (default: all)")
    parser.add_argument("--samples", type=int, default=200, help="timed samples per benchmark (default 200)")
    parser.add_argument("--warmup", type=int, default=20, help="warm-up runs per benchmark (default 20)")
    parser.add_argument("--output", type=Path, default=PAGE, help="the Markdown page (default docs/performance.md)")
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and stop")
    parser.add_argument("--check", action="store_true", help="exit 1 when a benchmark misses one of its targets")
    args = parser.parse_args(argv)
    if args.samples < 1 or args.warmup < 0:
        parser.error("--samples must be at least 1 and --warmup at least 0")
    return args


def configure_environment(database_url: str, var_dir: Path) -> None:
    """Before django.setup(): the benchmark database, files in a temporary
    directory (cache, sessions, broker, media), no Redis of anyone's, DEBUG
    off, tasks eager, quiet logs."""
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "PORTAL_ENV": "local",
            "PORTAL_VAR_DIR": str(var_dir),
            "DATABASE_URL": database_url,
            "DEBUG": "false",
            "CELERY_TASK_ALWAYS_EAGER": "true",
            "LOG_LEVEL": "WARNING",
            "ALLOWED_HOSTS": "testserver",
            "EMAIL_URL": "locmem:",
        }
    )
    for name in ("REDIS_URL", "CELERY_BROKER_URL", "MEDIA_ROOT"):
        os.environ.pop(name, None)


def discover() -> None:
    """Import every module of the package: the groups register their benchmarks."""
    import bench

    for module in pkgutil.iter_modules(bench.__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"bench.{module.name}")


def machine(load_before: tuple[float, float, float] | None) -> dict[str, str]:
    import django
    from django.conf import settings
    from django.db import connection

    info = {"cores": str(os.cpu_count())}
    cpu = _proc_field("/proc/cpuinfo", "model name")
    if cpu:
        info["cores"] += f" ({cpu})"
    memory_kb = _proc_field("/proc/meminfo", "MemTotal")
    if memory_kb:
        info["memory"] = f"{int(memory_kb.split()[0]) / 1024 / 1024:.1f} GiB"
    info["system"] = platform.platform()
    if load_before is not None:
        info["load average (1 min)"] = f"{load_before[0]:.2f} before the run, {os.getloadavg()[0]:.2f} after"
    info["Python"] = f"{platform.python_version()} ({platform.python_implementation()})"
    info["Django"] = django.get_version()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            info["database"] = f"PostgreSQL {cursor.fetchone()[0]}"
        else:
            cursor.execute("SELECT sqlite_version()")
            info["database"] = f"{connection.display_name} {cursor.fetchone()[0]} (temporary file)"
    info["cache and sessions"] = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1] + ", " + settings.SESSION_ENGINE.rsplit(".", 1)[-1]
    commit = _git("rev-parse", "--short", "HEAD")
    if commit:
        info["commit"] = commit
    return info


def _proc_field(path: str, field: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as file:
            for line in file:
                key, _, value = line.partition(":")
                if key.strip() == field:
                    return value.strip()
    except OSError:
        return None
    return None


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=BASE_DIR, capture_output=True, text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if str(BASE_DIR) not in sys.path:
        sys.path.insert(0, str(BASE_DIR))

    from bench import registry
    from bench.database import bench_database
    from bench.runner import UnknownBenchmark, format_table, format_verdicts, render_markdown, verdicts, write_page

    var_dir = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    try:
        database = bench_database(os.environ.get("DATABASE_URL"), var_dir)
        configure_environment(database.url, var_dir)

        import django

        django.setup()
        discover()
        try:
            registry.select(args.names)
        except UnknownBenchmark as error:
            print(f"bench: {error}", file=sys.stderr)
            return 2
        if args.list:
            for item in registry.select():
                print(f"{item.group}.{item.name}: {item.description}")
            return 0

        from django.core.management import call_command
        from django.db import connections

        print(f"bench: {database.vendor} database {database.name}", file=sys.stderr)
        database.create()
        try:
            call_command("migrate", interactive=False, verbosity=0)
            load_before = os.getloadavg() if hasattr(os, "getloadavg") else None
            results = registry.run(
                args.names,
                samples=args.samples,
                warmup=args.warmup,
                progress=lambda line: print(f"bench: {line}", file=sys.stderr, flush=True),
            )
            about = machine(load_before)
        finally:
            connections.close_all()
            database.drop()

        print(format_table(results))
        if not args.no_write:
            given = sys.argv[1:] if argv is None else argv
            command = "python -m bench " + " ".join(given) if given else "make bench"
            page = render_markdown(
                results,
                machine=about,
                when=datetime.now(UTC),
                samples=args.samples,
                warmup=args.warmup,
                command=command,
            )
            write_page(args.output, page, measured={f"{r.benchmark.group}.{r.benchmark.name}" for r in results})
            print(f"bench: wrote {args.output}", file=sys.stderr)
        found = verdicts(results)
        if found:
            print(format_verdicts(found))
        missed = [v for v in found if not v.met]
        if args.check and missed:
            print(f"bench: {len(missed)} of {len(found)} targets missed", file=sys.stderr)
            return 1
        return 0
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
