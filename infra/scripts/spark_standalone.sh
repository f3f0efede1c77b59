#!/usr/bin/env bash
# Start/stop a Spark standalone master and one worker on 127.0.0.1 (pip's pyspark ships them).
#   infra/scripts/spark_standalone.sh start [master_port] [worker_cores]   -> prints SPARK_MASTER=spark://127.0.0.1:PORT
#   infra/scripts/spark_standalone.sh stop
# State goes under data/ unless SPARK_PID_DIR, SPARK_LOG_DIR, SPARK_WORKER_DIR say otherwise
# (tests point them at a temporary directory); SPARK_WORKER_MEMORY defaults to 2g.
set -euo pipefail
cmd=${1:-start}; port=${2:-7077}; cores=${3:-2}
here=$(cd "$(dirname "$0")/../.." && pwd)
py=${PYSPARK_PYTHON:-$here/.venv/bin/python}
spark_home=$("$py" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')
export SPARK_HOME=$spark_home SPARK_LOCAL_IP=127.0.0.1 SPARK_PID_DIR=${SPARK_PID_DIR:-$here/data/spark-pids}
export SPARK_LOG_DIR=${SPARK_LOG_DIR:-$here/data/spark-logs} PYSPARK_PYTHON=$py
# The worker's scratch space (executor stdout/stderr, jars); Spark's default is inside the
# installed pyspark package.
export SPARK_WORKER_DIR=${SPARK_WORKER_DIR:-$here/data/spark-work}
mkdir -p "$SPARK_PID_DIR" "$SPARK_LOG_DIR" "$SPARK_WORKER_DIR"
case "$cmd" in
  start)
    "$SPARK_HOME/sbin/spark-daemon.sh" start org.apache.spark.deploy.master.Master 1 --host 127.0.0.1 --port "$port" --webui-port 0 >/dev/null
    "$SPARK_HOME/sbin/spark-daemon.sh" start org.apache.spark.deploy.worker.Worker 1 --host 127.0.0.1 --cores "$cores" --memory "${SPARK_WORKER_MEMORY:-2g}" --work-dir "$SPARK_WORKER_DIR" --webui-port 0 "spark://127.0.0.1:$port" >/dev/null
    echo "SPARK_MASTER=spark://127.0.0.1:$port" ;;
  stop)
    "$SPARK_HOME/sbin/spark-daemon.sh" stop org.apache.spark.deploy.worker.Worker 1 >/dev/null || true
    "$SPARK_HOME/sbin/spark-daemon.sh" stop org.apache.spark.deploy.master.Master 1 >/dev/null || true ;;
  *) echo "usage: $0 start [port] [cores] | stop" >&2; exit 2 ;;
esac
