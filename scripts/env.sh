# Sourced by the other scripts: one project-local environment, embedded defaults, nothing global.
# Creates .venv and installs datavet (with Airflow) on first use or when pyproject.toml changes.
set -euo pipefail
DATAVET_PROJECT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export DATAVET_PROJECT
cd "$DATAVET_PROJECT"
PY="${DATAVET_PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "datavet: creating .venv" >&2
  "$PY" -m venv .venv
fi
stamp=".venv/.datavet-installed-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "datavet: installing datavet + Airflow + DVC + Great Expectations into .venv (about 2 minutes)" >&2
  mkdir -p .datavet
  if ! { .venv/bin/python -m pip install -q --upgrade pip \
         && .venv/bin/python -m pip install -q -e ".[airflow,test]"; } >.datavet/install.log 2>&1; then
    grep -v "^WARNING: Location" .datavet/install.log | tail -30 >&2
    echo "datavet: installation failed (full log: .datavet/install.log)" >&2
    exit 1
  fi
  rm -f .venv/.datavet-installed-*
  touch "$stamp"
fi
export PATH="$DATAVET_PROJECT/.venv/bin:$PATH"
export DATAVET_HOME="${DATAVET_HOME:-$DATAVET_PROJECT/.datavet}"
export AIRFLOW_HOME="${AIRFLOW_HOME:-$DATAVET_HOME/airflow}"
export AIRFLOW__CORE__DAGS_FOLDER="$DATAVET_PROJECT/dags"
export AIRFLOW__CORE__PLUGINS_FOLDER="$DATAVET_PROJECT/plugins"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION=False
export AIRFLOW__CORE__UNIT_TEST_MODE=False
export AIRFLOW__LOGGING__LOGGING_LEVEL="${AIRFLOW__LOGGING__LOGGING_LEVEL:-WARNING}"
export DVC_NO_ANALYTICS=1
export GX_ANALYTICS_ENABLED=False
mkdir -p "$AIRFLOW_HOME"
