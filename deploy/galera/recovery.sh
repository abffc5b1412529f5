# shellcheck shell=bash
# Sourced by deploy/galera/faults.sh (`deploy/cluster faults`); deploy/tests/deploylib.py has the same
# for `deploy/swarm/swarm --galera test` (pytest). The figures of a writer node killed under bench/loadgen's
# fault load, read from the load's records ($T/records.jsonl: one line per request with its
# phase, kind, status, start t0 and end t1) and the time of the kill ($T_KILL, epoch seconds).

# g1_recovery: seconds from the kill until writes are acknowledged again for good: the later of
# the end of the first acknowledged write that started after the last failed request, and the end
# of the longest wait between two acknowledged writes (a write may be acknowledged just after the
# kill, before the others notice the node is gone and stop committing until it is evicted)
g1_recovery() {
    jq -s --argjson kill "$T_KILL" '
        [.[] | select(.phase == "g1")] as $g1
        | ([$g1[] | select((.status == 200 or .status == 201) | not) | .t1] | max // $kill) as $last_fail
        | ([$g1[] | select(.kind == "write" and .status == 201 and .t0 >= $last_fail and .t0 >= $kill) | .t1] | min) as $first_ok
        | ([$kill] + ([$g1[] | select(.kind == "write" and .status == 201 and .t1 >= $kill) | .t1] | sort)) as $acks
        | ([range(1; $acks | length) as $i | {gap: ($acks[$i] - $acks[$i - 1]), end: $acks[$i]}] | max_by(.gap) // {gap: 0, end: $kill}) as $longest
        | if $first_ok == null then null else ([$first_ok, $longest.end] | max) - $kill | . * 100 | round / 100 end' "$T/records.jsonl"
}
# g1_write_gap: the longest wait between two acknowledged writes from the kill on, in seconds
g1_write_gap() {
    jq -s --argjson kill "$T_KILL" '([$kill] + ([.[] | select(.phase == "g1" and .kind == "write" and .status == 201 and .t1 >= $kill) | .t1] | sort))
        | [range(1; length) as $i | .[$i] - .[$i - 1]] | max // null | if . == null then null else . * 100 | round / 100 end' "$T/records.jsonl"
}

# transfer_of LOG: how a node that joined caught up, from its log since its start: "SST" (a full
# copy: it prepares to receive write sets from seqno 0 of an empty history), "IST" (only the write
# sets it missed, from its own last seqno), or "none"
transfer_of() {
    if grep -q 'IST uuid:00000000-0000-0000-0000-000000000000' "$1"; then echo SST
    elif grep -q 'IST received' "$1"; then echo IST
    else echo none
    fi
}
