#!/usr/bin/env bash
# The main job: certify UCI Adult through a real Airflow run on the embedded defaults
# (SQLite metadata DB under .datavet/airflow, git + DVC registry under .datavet/registry,
# local DVC remote under .datavet/remote). Running it again is a no-op that says so.
set -euo pipefail  # this script stops at its first error (env.sh leaves options to its caller)
source "$(dirname "$0")/env.sh"
cd "$DATAVET_PROJECT"
source "$DATAVET_PROJECT/scripts/debian.sh"
datavet_need "the registry (git + DVC)" git git
datavet_need "signing certifications" ssh-keygen openssh-client  # certify signs with ssh-keygen
SPEC=datasheets/adult/dataset.yaml
airflow db migrate >/dev/null
certified_count() {  # tags adult/certified/N in the registry (0 before the first run)
  if [ -d "$DATAVET_HOME/registry/.git" ]; then git -C "$DATAVET_HOME/registry" tag -l 'adult/certified/*' | wc -l
  else echo 0; fi
}
tags_before=$(certified_count)
echo "datavet: running the certify DAG datavet_certify_adult (airflow dags test)"
if ! airflow dags test datavet_certify_adult >"$DATAVET_HOME/last-run.log" 2>&1; then
  echo "datavet: the certify run FAILED; log: $DATAVET_HOME/last-run.log" >&2
  grep -E "AirflowFailException|ChecksFailed|Error:|datavet" "$DATAVET_HOME/last-run.log" | tail -20 >&2
  exit 1
fi
tags_after=$(certified_count)
if [ "$tags_after" -gt "$tags_before" ]; then
  echo "datavet: certified a new version of adult"
else
  echo "datavet: no-op: this version of adult is already certified, nothing changed"
fi
datavet show "$SPEC"
datavet verify "$SPEC"
