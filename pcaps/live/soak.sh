#!/usr/bin/env bash
# Soak test for live monitoring: replay a capture of 3000 FTP sessions in a
# loop (new addresses every pass, so every pass is new sessions) at top speed
# onto a veth inside a private network namespace, ftpscope listening on the
# peer, and sample ftpscope's resident memory. Memory must stay flat: the
# analysis forgets sessions once they are reported.
#
# Usage (root): pcaps/live/soak.sh [SECONDS] [PPS] [BUFFER_KIB]
#   SECONDS     how long to replay (default 180)
#   PPS         tcpreplay rate; "top" (default) replays as fast as it can
#   BUFFER_KIB  ftpscope -B (default 4096)
# Columns: rss_kib is all resident memory, including the part of the kernel's
# capture ring that was touched; anon_kib is ftpscope's own heap and stacks.
# Packets the kernel drops can cut a control connection's FIN: such a session
# stays open until the reassembly idle timeout (2 h) or the --max-streams
# limit, so a lossy run grows until it reaches that limit.
# Needs: go, iproute2, tcpreplay. Touches nothing outside its namespace.
set -euo pipefail
cd "$(dirname "$0")/../.."

secs=${1:-180}
pps=${2:-top}
buf=${3:-4096}
work=$(mktemp -d /tmp/ftpscope-soak.XXXXXX)
ns=ftpscope-soak-$$
fs_pid= replay_pid=

cleanup() {
	local pid
	for pid in $replay_pid $fs_pid; do
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
	done
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

echo "building ftpscope and the replay capture in $work" >&2
go build -o "$work/ftpscope" ./cmd/ftpscope
go test -count=1 -run '^TestWriteReplayCapture$' ./cmd/ftpscope -args -live.replay-out="$work/replay.pcap" >/dev/null

ip netns add "$ns"
ip -n "$ns" link set lo up
ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip -n "$ns" link add ra type veth peer name rb
ip -n "$ns" link set ra up
ip -n "$ns" link set rb up

ip netns exec "$ns" "$work/ftpscope" -i rb -B "$buf" --format json tcp or icmp >"$work/out.jsonl" 2>"$work/err.txt" &
fs_pid=$!
for _ in $(seq 100); do grep -q 'listening on' "$work/err.txt" 2>/dev/null && break; sleep 0.1; done

rate=(--topspeed)
[[ $pps == top ]] || rate=(--pps="$pps")
ip netns exec "$ns" timeout "$secs" tcpreplay -q -i ra --preload-pcap --loop=0 --unique-ip "${rate[@]}" "$work/replay.pcap" >"$work/replay.txt" 2>&1 &
replay_pid=$!

printf '%8s %10s %10s %10s %12s %12s\n' seconds rss_kib anon_kib hwm_kib sessions channels
start=$(date +%s)
while kill -0 "$replay_pid" 2>/dev/null; do
	sleep 10
	now=$(( $(date +%s) - start ))
	rss=$(awk '/^VmRSS/ {print $2}' "/proc/$fs_pid/status")
	anon=$(awk '/^RssAnon/ {print $2}' "/proc/$fs_pid/status")
	hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$fs_pid/status")
	printf '%8d %10d %10d %10d %12d %12d\n' "$now" "$rss" "$anon" "$hwm" \
		"$(grep -c '"type":"session"' "$work/out.jsonl" || true)" "$(grep -c '"type":"channel"' "$work/out.jsonl" || true)"
done
wait "$replay_pid" 2>/dev/null || true
sleep 5 # let the last sessions close (2 s after their FIN) and stream out
kill -INT "$fs_pid"
status=0
wait "$fs_pid" || status=$?
fs_pid=
echo "ftpscope exit status $status" >&2
tail -1 "$work/out.jsonl" | python3 -c 'import json,sys; s=json.load(sys.stdin); print("summary:", {k: s[k] for k in ("session_count","channel_count","packets","verdicts","live","evictions","reassembly")})'
grep -E 'Actual|Rated|Statistics' "$work/replay.txt" >&2 || true
cat "$work/err.txt" >&2
