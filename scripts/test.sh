#!/usr/bin/env bash
# The whole test suite, set up from scratch if needed (venv, packages, headless Chromium).
set -euo pipefail  # this script stops at its first error (env.sh leaves options to its caller)
source "$(dirname "$0")/env.sh"
cd "$DATAVET_PROJECT"
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "datavet: installing Debian's chromium for the datasheet browser test" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "datavet: could not install chromium; the browser test will be skipped" >&2
fi
# PostgreSQL 15 and Java 17 for the database and Spark engine tests (started by the tests themselves).
if { [ ! -x /usr/lib/postgresql/15/bin/initdb ] || ! command -v java >/dev/null 2>&1; } && [ "$(id -u)" = 0 ]; then
  echo "datavet: installing Debian's postgresql and openjdk-17-jre-headless for the SQL and Spark engine tests" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql openjdk-17-jre-headless \
     >/dev/null) || echo "datavet: could not install postgresql / openjdk-17-jre-headless; their tests will fail" >&2
fi
# OpenSSH's ssh-keygen signs and verifies certifications (the signing and tamper tests use it for real).
if ! command -v ssh-keygen >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "datavet: installing Debian's openssh-client for the signing tests" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-client >/dev/null) \
    || echo "datavet: could not install openssh-client; certification needs ssh-keygen (or DATAVET_SIGNING=0)" >&2
fi
ruff check plugins tests dags benchmarks scripts
# two workers, a test file each at a time (module fixtures stay in one process): most tests wait on
# subprocesses (Airflow, git, DVC, ssh-keygen, PostgreSQL, Spark); `-n 0` after it runs them in one process
python -m pytest -q -p no:cacheprovider -n 2 --dist loadfile "$@"
