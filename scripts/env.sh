# One project-local environment with embedded defaults, nothing global. Sourced by test.sh and demo.sh,
# or by you (`source scripts/env.sh`) to get `datavet` and `airflow` on PATH: it only sets variables,
# and leaves your shell's options (set -e, ...) and working directory as they were.
# Creates .venv and installs datavet (with Airflow) on first use or when pyproject.toml changes.
_datavet_env() {
  local project py stamp
  project="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)" || return 1
  py="${DATAVET_PYTHON:-python3}"
  if [ ! -x "$project/.venv/bin/python" ]; then
    echo "datavet: creating .venv" >&2
    "$py" -m venv "$project/.venv" || return 1
  fi
  stamp="$project/.venv/.datavet-installed-$(sha256sum "$project/pyproject.toml" | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    echo "datavet: installing datavet + Airflow + DVC + Great Expectations + pyspark into .venv (about 2 minutes)" >&2
    mkdir -p "$project/.datavet" || return 1
    if ! { "$project/.venv/bin/python" -m pip install -q --upgrade pip \
           && (cd "$project" && .venv/bin/python -m pip install -q -e ".[airflow,spark,postgres,test]"); } \
         >"$project/.datavet/install.log" 2>&1; then
      grep -v "^WARNING: Location" "$project/.datavet/install.log" | tail -30 >&2
      echo "datavet: installation failed (full log: $project/.datavet/install.log)" >&2
      return 1
    fi
    rm -f "$project"/.venv/.datavet-installed-*
    touch "$stamp" || return 1
  fi
  export DATAVET_PROJECT="$project"
  export PATH="$project/.venv/bin:$PATH"
  export DATAVET_HOME="${DATAVET_HOME:-$project/.datavet}"
  export AIRFLOW_HOME="${AIRFLOW_HOME:-$DATAVET_HOME/airflow}"
  export AIRFLOW__CORE__DAGS_FOLDER="$project/dags"
  export AIRFLOW__CORE__PLUGINS_FOLDER="$project/plugins"
  export AIRFLOW__CORE__LOAD_EXAMPLES=False
  export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION=False
  export AIRFLOW__CORE__UNIT_TEST_MODE=False
  export AIRFLOW__LOGGING__LOGGING_LEVEL="${AIRFLOW__LOGGING__LOGGING_LEVEL:-WARNING}"
  export DVC_NO_ANALYTICS=1
  export GX_ANALYTICS_ENABLED=False
  # noise the user cannot act on, raised before datavet is imported (datavet.quiet.PYTHONWARNINGS_DATAVET)
  export PYTHONWARNINGS="ignore:Could not import graphviz:UserWarning,ignore:GitWildMatchPattern:DeprecationWarning,ignore:You are using a generic SQLDatasource:UserWarning"
  mkdir -p "$AIRFLOW_HOME" || return 1
}
# Every step above checks its own result: errexit is not in force inside a function called by `if`.
if _datavet_env; then
  unset -f _datavet_env
else
  unset -f _datavet_env
  return 1 2>/dev/null || exit 1
fi
