# Helpers for the bench scripts (sourced): CPU time of processes and threads from /proc.
ticks() { awk '{print $14+$15}' "$1"; }   # a /proc stat file: user + system clock ticks
thread_ticks() { # pid: "name ticks" per thread, threads of one name summed, sorted by name
  local t
  for t in /proc/"$1"/task/*; do
    printf '%s %s\n' "$({ tr ' ' '_' < "$t/comm"; } 2>/dev/null)" "$({ ticks "$t/stat"; } 2>/dev/null)"   # threads come and go
  done | awk 'NF == 2 {sub(/-[0-9]+$/, "-N", $1); sum[$1] += $2} END {for (n in sum) print n, sum[n]}' | LC_ALL=C sort
}
thread_diff() { # "before" "after" (thread_ticks outputs): "  name ticks" for threads that ran, busiest first
  LC_ALL=C join -a 2 -e 0 -o 2.1,1.2,2.2 <(echo "$1") <(echo "$2") \
    | awk '$3 - $2 > 0 {printf "  %-24s %6d\n", $1, $3 - $2}' | sort -k2 -n -r
}
