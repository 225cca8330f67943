"""A real Spark standalone cluster for tests: a master and two workers on 127.0.0.1, each its own JVM.

They are started as an operator's ``sbin/start-master.sh`` and ``start-worker.sh`` start them, from
pyspark's own ``bin/spark-class`` (``org.apache.spark.deploy.master.Master`` and ``...worker.Worker``),
with small heaps. Executors run in JVMs the workers launch, and their Python workers run this
interpreter (``PYSPARK_PYTHON``), so they import datavet as installed here. A driver is pointed at
the cluster only through datavet's settings: ``DATAVET_SPARK_MASTER`` and ``DATAVET_SPARK_CONF``
(:meth:`Cluster.env`), the way a deployment is.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.pg import free_port

HOST = "127.0.0.1"
DAEMON_MEMORY = "256m"  # heap of the master and of each worker daemon
EXECUTOR_MEMORY = "512m"  # heap of each executor (one per worker, one core each)


def spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent


@dataclass
class Cluster:
    """A running master and its workers; ``url`` is the master URL a driver connects to."""

    root: Path
    port: int
    ui_port: int
    workers: int
    procs: list[subprocess.Popen] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"spark://{HOST}:{self.port}"

    def conf(self) -> dict[str, str]:
        """The Spark settings a driver on this machine needs for this cluster (DATAVET_SPARK_CONF)."""
        return {"spark.executor.memory": EXECUTOR_MEMORY, "spark.executor.cores": "1",
                "spark.cores.max": str(self.workers), "spark.driver.host": HOST, "spark.driver.bindAddress": HOST,
                "spark.sql.shuffle.partitions": str(2 * self.workers), "spark.ui.enabled": "false"}

    def env(self) -> dict[str, str]:
        """Environment variables that point a datavet process (CLI, Airflow task, script) at the cluster."""
        return {"DATAVET_SPARK_MASTER": self.url, "DATAVET_SPARK_CONF": json.dumps(self.conf()),
                "PYSPARK_PYTHON": sys.executable, "SPARK_LOCAL_IP": HOST}

    def state(self) -> dict:
        """The master's own view (its web UI's JSON): workers, cores, applications."""
        with urllib.request.urlopen(f"http://{HOST}:{self.ui_port}/json/", timeout=5) as reply:  # noqa: S310
            return json.load(reply)

    def log(self, tail: int = 3000) -> str:
        logs = sorted(self.root.glob("*.log"))
        return "\n".join(f"== {p.name}\n{p.read_text(errors='replace')[-tail:]}" for p in logs)

    def stop(self) -> None:
        """Stop the workers, then the master (SIGTERM to each JVM's process group, SIGKILL after 20 s)."""
        for proc in reversed(self.procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in reversed(self.procs):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        shutil.rmtree(self.root, ignore_errors=True)

    def _launch(self, name: str, *args: str) -> None:
        env = {**os.environ, "SPARK_HOME": str(spark_home()), "SPARK_LOCAL_IP": HOST, "SPARK_NO_DAEMONIZE": "1",
               "SPARK_DAEMON_MEMORY": DAEMON_MEMORY, "SPARK_LOG_DIR": str(self.root),
               "SPARK_WORKER_DIR": str(self.root / "work"), "SPARK_LOCAL_DIRS": str(self.root / "local"),
               "PYSPARK_PYTHON": sys.executable,
               # no REST submission server (a fixed port, 6066, that other test runs would share)
               "SPARK_MASTER_OPTS": "-Dspark.master.rest.enabled=false"}
        with open(self.root / f"{name}.log", "wb") as out:
            self.procs.append(subprocess.Popen([str(spark_home() / "bin" / "spark-class"), *args], env=env,
                                               stdout=out, stderr=subprocess.STDOUT, start_new_session=True))

    def _wait(self, ready, what: str, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(p.poll() is not None for p in self.procs):
                raise RuntimeError(f"a Spark daemon exited while waiting for {what}:\n{self.log()}")
            try:
                if ready():
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"Spark standalone: no {what} after {timeout:.0f} s:\n{self.log()}")


def start_cluster(workers: int = 2) -> Cluster:
    """Start a master and ``workers`` workers (one core, ``EXECUTOR_MEMORY`` for executors each) and
    wait until the master lists every worker ALIVE."""
    root = Path(tempfile.mkdtemp(prefix="datavet-spark-"))
    cluster = Cluster(root=root, port=free_port(), ui_port=free_port(), workers=workers)
    try:
        cluster._launch("master", "org.apache.spark.deploy.master.Master", "--host", HOST,
                        "--port", str(cluster.port), "--webui-port", str(cluster.ui_port))
        cluster._wait(lambda: cluster.state()["status"] == "ALIVE", "master")
        for i in range(workers):
            cluster._launch(f"worker-{i}", "org.apache.spark.deploy.worker.Worker", cluster.url, "--host", HOST,
                            "--cores", "1", "--memory", EXECUTOR_MEMORY, "--webui-port", str(free_port()),
                            "--work-dir", str(root / f"work-{i}"))
        cluster._wait(lambda: cluster.state()["aliveworkers"] == workers, f"{workers} workers registered")
    except BaseException:
        cluster.stop()
        raise
    return cluster
