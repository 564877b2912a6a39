"""Province scale on Apache Spark: the exposure engine's source and whole-log jobs.

Optional: ``pip install tracelab[spark]`` (PySpark, Java 17). :class:`SparkSource` answers
the engine's two questions over the Parquet layout of :mod:`tracelab.io.layout`, so
``tracelab.trace``, ``sources`` and ``companions`` run on it unchanged; see
``docs/spark.md`` for running on a cluster.
"""

from __future__ import annotations

from tracelab.spark.sessions import session
from tracelab.spark.source import SparkSource

__all__ = ["SparkSource", "session"]
