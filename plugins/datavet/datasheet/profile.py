"""The data profile the datasheet needs from the bytes themselves (row count, column types, duplicate
rows, time ranges, label counts), asked of the engine that reads the version."""

from __future__ import annotations

from pathlib import Path

from datavet.engines import DataProfile, Engine, ParquetTable, engine_for
from datavet.errors import DataError
from datavet.settings import Settings
from datavet.spec import LoadedSpec


def profile_version(table_path: Path, loaded: LoadedSpec, engine: Engine) -> DataProfile:
    """The profile of the version's table (a Parquet file or directory) on ``engine``."""
    path = Path(table_path)
    if not path.exists():
        raise DataError(f"Parquet version {path} does not exist", dataset=loaded.spec.name,
                        fix="run the ingest/version stage first")
    spec = loaded.spec
    try:
        if engine.name == "duckdb":  # a partitioned version: per-part profiles, cached by part md5
            from datavet.engines import parts

            found = parts.profile(engine, path, engine.settings.memo_dir,
                                  time_columns=spec.columns_with_role("time"),
                                  label_columns=spec.columns_with_role("label"), missing_tokens=spec.missing_tokens,
                                  identifying_columns=spec.columns_with_role("identifying"))
            if found is not None:
                return found
        found = engine.profile(ParquetTable(path), time_columns=spec.columns_with_role("time"),
                               label_columns=spec.columns_with_role("label"), missing_tokens=spec.missing_tokens,
                               identifying_columns=spec.columns_with_role("identifying"))
        if engine.name != "duckdb":  # the datasheet names the version's types, not the engine's (Spark: bigint)
            from dataclasses import replace

            found = replace(found, column_types=engine_for("duckdb", engine.settings).column_types(ParquetTable(path)))
        return found
    except DataError:
        raise
    except Exception as exc:  # each engine's driver has its own error types
        raise DataError(f"cannot profile {path}: {exc}", dataset=spec.name,
                        fix="check that the version is a readable Parquet file") from None


def profile_parquet(path: Path, loaded: LoadedSpec, *, memory_limit: str | None = None) -> DataProfile:
    """The profile on DuckDB (the default engine), optionally with a tighter memory limit."""
    settings = Settings.from_env(loaded.root)
    if memory_limit is not None:
        settings = settings.model_copy(update={"duckdb_profile_memory_limit": memory_limit})
    return profile_version(path, loaded, engine_for("duckdb", settings))


__all__ = ["DataProfile", "profile_parquet", "profile_version"]
