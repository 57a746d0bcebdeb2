#!/bin/sh
# scripts/demo-notify.sh - the notification program of `make demo` (scripts/demo.sh).
#
# The demo's bgcopyd runs it when the demo job reaches TRANSFERRED, as BITS runs a job's
# notification command line: without a shell, argv split from the job's parameters, stdin
# /dev/null, the service's environment (so bgcopy below reaches the same service). Usage:
#   demo-notify.sh <log file> <bgcopy program> <job {GUID}>
# Like the program BITS expects, it completes the job itself (bgcopy /complete), and appends
# what happened to the log. It exits 0, which settles the notification (a non-zero status
# would make the service run it again after the job's retry delay).
set -u
log=$1
bgcopy=$2
job=$3
printf 'notification: job %s is TRANSFERRED (program started by bgcopyd at %s)\n' "$job" \
    "$(date '+%H:%M:%S')" >>"$log"
result=$("$bgcopy" /rawreturn /complete "$job" 2>&1 | tr '\n' ' ')
printf 'notification: bgcopy /complete %s -> %s\n' "$job" "$result" >>"$log"
exit 0
