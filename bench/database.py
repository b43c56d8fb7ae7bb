"""The benchmark database: never the developer's data.

- ``DATABASE_URL`` names PostgreSQL: a database of its own on that server,
  named ``<name>_bench`` (or the name itself when it already ends in
  ``_bench``), dropped and created again before the run and dropped after it.
- otherwise: a throwaway SQLite file in the run's temporary directory.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import dj_database_url

SUFFIX = "_bench"
_POSTGRES = ("django.db.backends.postgresql", "django.contrib.gis.db.backends.postgis")
_SQLITE = ("django.db.backends.sqlite3", "django.contrib.gis.db.backends.spatialite")


@dataclass(frozen=True)
class BenchDatabase:
    url: str  # what Django gets as DATABASE_URL
    vendor: str  # "postgresql" or "sqlite"
    name: str

    def create(self) -> None:
        if self.vendor == "postgresql":
            with self._admin() as admin:
                self._drop(admin)
                admin.execute(self._sql("CREATE DATABASE {}"))
        else:
            Path(self.name).unlink(missing_ok=True)

    def drop(self) -> None:
        if self.vendor == "postgresql":
            with self._admin() as admin:
                self._drop(admin)
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(self.name + suffix).unlink(missing_ok=True)

    def _sql(self, statement: str):
        from psycopg import sql

        if not self.name.endswith(SUFFIX):  # never anyone else's database
            raise ValueError(f"refusing to touch {self.name!r}: not a benchmark database")
        return sql.SQL(statement).format(sql.Identifier(self.name))

    def _drop(self, admin) -> None:
        force = " WITH (FORCE)" if admin.info.server_version >= 130000 else ""
        admin.execute(self._sql("DROP DATABASE IF EXISTS {}" + force))

    def _admin(self):
        """A connection to the server's maintenance database."""
        import psycopg

        config = dj_database_url.parse(self.url)
        params = {
            "user": config.get("USER"),
            "password": config.get("PASSWORD"),
            "host": config.get("HOST"),
            "port": config.get("PORT"),
            **config.get("OPTIONS", {}),
        }
        params = {key: value for key, value in params.items() if value not in (None, "")}
        try:
            return psycopg.connect(dbname="postgres", autocommit=True, **params)
        except psycopg.OperationalError:
            return psycopg.connect(dbname="template1", autocommit=True, **params)


def bench_database(database_url: str | None, directory: Path) -> BenchDatabase:
    """The database to benchmark against, given the environment's
    ``DATABASE_URL`` (or None) and a temporary directory."""
    engine = dj_database_url.parse(database_url)["ENGINE"] if database_url else _SQLITE[0]
    if engine in _SQLITE:
        path = Path(directory) / f"portal{SUFFIX}.sqlite3"
        return BenchDatabase(url=f"sqlite:///{path}", vendor="sqlite", name=str(path))
    if engine not in _POSTGRES:
        raise SystemExit(f"bench: DATABASE_URL must name PostgreSQL or SQLite, not {engine}")
    parts = urlsplit(database_url)
    name = dj_database_url.parse(database_url)["NAME"] or "portal"
    if not name.endswith(SUFFIX):
        name += SUFFIX
    url = urlunsplit(parts._replace(path="/" + quote(name)))
    return BenchDatabase(url=url, vendor="postgresql", name=name)
