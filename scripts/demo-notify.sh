#!/bin/sh
# scripts/demo-notify.sh - the notification program of `make demo` (scripts/demo.sh).
#
# bgcopy runs it when the demo job reaches TRANSFERRED, as BITS runs a job's notification
# command line: argv is split from the job's parameters, stdin is /dev/null. Usage:
#   demo-notify.sh <log file> <job {GUID}>
# Appends one line naming the job to the log and exits 0 (which tells bgcopy the notification
# was handled; a non-zero status would make it run the program again later).
set -eu
printf 'notification: job %s is TRANSFERRED (program run by bgcopy at %s)\n' "$2" \
    "$(date '+%H:%M:%S')" >>"$1"
