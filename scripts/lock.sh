# shellcheck shell=bash disable=SC2034 # names set here for the scripts that source this
# Sourced by every script that takes a lock (scripts/toolchains.sh sources it for the
# rest): one way to hold a lock file, so that no lock is taken twice by one run and no
# wait lasts forever.
#
#   hamustro_lock FILE SECONDS [--shared]
#       holds FILE (flock) until the calling process exits. Re-entrant: when this
#       process, or a script that started it and waits for it, already holds FILE,
#       returns at once. Otherwise waits at most SECONDS for another holder, saying who
#       it waits for, and fails (status 1) with the holder's pid and command line when
#       the bound passes. Sets hamustro_lock_fd to the descriptor it holds FILE by,
#       empty when it returned at once.
#
# Why re-entrant by hand: `exec {fd}>FILE` makes a new open file description, and flock
# on it waits for every other description, including one this same script holds (the
# deadlock of a fresh machine's Windows setup). The held files are in the exported
# HAMUSTRO_LOCKS_HELD, so a child script that the holder runs and waits for (the
# toolchain script run by a suite) sees them too; a subshell's lock ends with the
# subshell, and so does its entry.
#
# The holder writes its pid and command line into an exclusive lock file, for whoever
# waits next; /proc/locks is the fallback when that holder has gone and a child it
# started holds the lock on.

# The bounds, in seconds: a toolchain's setup (a debootstrap and its packages) and a
# build cache's suite (a cold Windows build and its tests).
hamustro_setup_lock_seconds=${HAMUSTRO_SETUP_LOCK_SECONDS:-1800}
hamustro_cache_lock_seconds=${HAMUSTRO_CACHE_LOCK_SECONDS:-1200}

# Prints who holds FILE: the pid and command line it recorded, if that process is alive,
# else the pids /proc/locks shows on FILE's inode.
hamustro_lock_holder() {
  local file=$1 pid rest inode pids=() line
  read -r pid rest <"$file" 2>/dev/null || true
  if [ -n "${pid:-}" ] && [ -d "/proc/$pid" ]; then
    echo "pid $pid ($rest)"
    return 0
  fi
  inode=$(stat -c %i "$file" 2>/dev/null) || return 0
  while read -r line; do
    # "1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF": the pid, then dev:inode.
    set -- $line
    [ "${6##*:}" = "$inode" ] && pids+=("$5")
  done </proc/locks
  if [ ${#pids[@]} -eq 0 ]; then
    echo "no process (the lock is free now)"
    return 0
  fi
  for pid in "${pids[@]}"; do
    echo "pid $pid ($(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null))"
  done
}

hamustro_lock() {
  local file=$1 seconds=$2 mode=-x key fd
  [ "${3:-}" = --shared ] && mode=-s
  mkdir -p "$(dirname "$file")" && touch "$file" || return 1
  key=$(realpath "$file") || return 1
  hamustro_lock_fd=""
  case ":${HAMUSTRO_LOCKS_HELD:-}:" in
    *":$key:"*) return 0 ;;
  esac
  # Read-write, so that opening never truncates what the holder wrote.
  exec {fd}<>"$key" || return 1
  if ! flock -n "$mode" "$fd"; then
    echo "waiting for $key, held by $(hamustro_lock_holder "$key"), at most $seconds s" >&2
    if ! flock -w "$seconds" "$mode" "$fd"; then
      echo "gave up after $seconds s waiting for $key, held by" \
        "$(hamustro_lock_holder "$key"); if that process is stale, end it" >&2
      exec {fd}>&-
      return 1
    fi
  fi
  if [ "$mode" = -x ]; then
    local pid=$BASHPID
    printf '%s %s\n' "$pid" "$(tr '\0' ' ' <"/proc/$pid/cmdline")" >"$key"
  fi
  export HAMUSTRO_LOCKS_HELD="${HAMUSTRO_LOCKS_HELD:+$HAMUSTRO_LOCKS_HELD:}$key"
  hamustro_lock_fd=$fd
}

# hamustro_unlock FILE FD: releases FILE, held by FD, before the process exits.
hamustro_unlock() {
  local key held=() entry
  key=$(realpath "$1") || return 1
  IFS=: read -r -a held <<<"${HAMUSTRO_LOCKS_HELD:-}"
  HAMUSTRO_LOCKS_HELD=""
  for entry in "${held[@]}"; do
    [ "$entry" = "$key" ] && continue
    HAMUSTRO_LOCKS_HELD="${HAMUSTRO_LOCKS_HELD:+$HAMUSTRO_LOCKS_HELD:}$entry"
  done
  export HAMUSTRO_LOCKS_HELD
  local fd=$2
  exec {fd}>&-
}
