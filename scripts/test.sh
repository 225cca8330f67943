#!/usr/bin/env bash
# The whole test suite, set up from scratch if needed (venv, packages, headless Chromium).
set -euo pipefail  # this script stops at its first error (env.sh leaves options to its caller)
source "$(dirname "$0")/env.sh"
cd "$DATAVET_PROJECT"
source "$DATAVET_PROJECT/scripts/debian.sh"
datavet_need "the datasheet browser test" chromium chromium
# PostgreSQL 15 and Java 17 for the database and Spark engine tests (started by the tests themselves).
datavet_need "the SQL engine tests" /usr/lib/postgresql/15/bin/initdb postgresql
datavet_need "the Spark engine tests" java openjdk-17-jre-headless
# OpenSSH's ssh-keygen signs and verifies certifications (the signing and tamper tests use it for real).
datavet_need "signing certifications" ssh-keygen openssh-client
ruff check plugins tests dags benchmarks scripts
# two workers, a test file each at a time (module fixtures stay in one process): most tests wait on
# subprocesses (Airflow, git, DVC, ssh-keygen, PostgreSQL, Spark); `-n 0` after it runs them in one process
python -m pytest -q -p no:cacheprovider -n 2 --dist loadfile "$@"
