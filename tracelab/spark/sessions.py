"""A SparkSession configured the way tracelab's Spark code expects."""

from __future__ import annotations

import os
import sys
from typing import Any

from tracelab._i18n import msg

__all__ = ["session", "SESSION_CONF"]

#: Settings every tracelab session needs: instants in UTC (the layout stores UTC), Arrow
#: for the small results that come back to pandas.
SESSION_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
}


def session(master: str = "local[*]", *, driver_memory: str = "1g", app_name: str = "tracelab",
            conf: dict[str, Any] | None = None) -> Any:
    """Get or create a SparkSession (local by default) with :data:`SESSION_CONF`.

    Parameters
    ----------
    master : str
        ``local[N]`` for one machine; on a cluster, leave the master to ``spark-submit``
        and pass ``master=""``.
    driver_memory : str
        At least ``512m``; PySpark fails to start below that.
    conf : dict, optional
        More settings, e.g. ``{"spark.sql.shuffle.partitions": 400}``.

    Raises
    ------
    ImportError
        If PySpark is not installed (``pip install tracelab[spark]``).
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError(msg("the Spark engine needs PySpark and Java 17: pip install "
                              "'tracelab[spark]'")) from exc
    builder = SparkSession.builder.appName(app_name)
    if master:
        builder = builder.master(master).config("spark.driver.memory", driver_memory)
    if master.startswith("local"):
        # Local workers must run this interpreter (with pandas and tracelab), not `python3`;
        # on a cluster PYSPARK_PYTHON names the executors' one (docs/spark.md).
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    for key, value in {**SESSION_CONF, "spark.ui.enabled": "false", **(conf or {})}.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()
