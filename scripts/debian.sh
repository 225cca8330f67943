# The Debian packages datavet's scripts need, installed when missing: a fresh machine has none of
# them. Sourced by demo.sh and test.sh; as root it installs (apt-get update at most once per run),
# otherwise it says what to install and goes on.
datavet_need() {  # datavet_need WHY CHECK PACKAGE...  (CHECK: a command, or an absolute path that must exist)
  local why="$1" check="$2"
  shift 2
  if [ "${check#/}" != "$check" ]; then
    [ -e "$check" ] && return 0
  elif command -v "$check" >/dev/null 2>&1; then
    return 0
  fi
  if [ "$(id -u)" != 0 ]; then
    echo "datavet: $why needs Debian's $*: sudo apt-get install $*" >&2
    return 0
  fi
  echo "datavet: installing Debian's $* ($why)" >&2
  if [ -z "${_DATAVET_APT_UPDATED:-}" ]; then
    apt-get update -qq >/dev/null 2>&1 && _DATAVET_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null \
    || echo "datavet: could not install $*; $why will fail" >&2
}
