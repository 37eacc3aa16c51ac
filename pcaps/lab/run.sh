#!/usr/bin/env bash
# ftpscope capture lab: real FTP servers and clients in three network namespaces
# (client -- router -- server), nftables on the router, tcpdump on both sides.
# Writes one directory per scenario: client.pcap, server.pcap, truth.json, spec.json,
# ruleset.nft and logs/ (the evidence the truth was derived from). See pcaps/README.md.
#
# usage: bash pcaps/lab/run.sh [--ci-subset] [--out DIR] [--only SCENARIO]... [--list]
#   (no flag)        every scenario, written into pcaps/ (the committed corpus)
#   --ci-subset      only the CI scenarios: one passing, one blocked
#   --out DIR        write the scenario directories into DIR instead of pcaps/
#   --only NAME      run only this scenario (repeatable), e.g. --only 04-active-drop
#   --list           print the scenario names and exit
# Needs root on Debian (apt-get, network namespaces). Touches nothing outside its
# namespaces but the packages it installs and the .deb cache in /var/cache/ftpscope-lab.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
# shellcheck source=lib.sh
source "$HERE/lib.sh"
# shellcheck source=scenarios.sh
source "$HERE/scenarios.sh"

OUT=$REPO/pcaps
CI_SUBSET=0
ONLY=()
while (($#)); do
	case $1 in
	--ci-subset) CI_SUBSET=1 ;;
	--out) OUT=${2:?--out needs a directory}; shift ;;
	--only) ONLY+=("${2:?--only needs a scenario name}"); shift ;;
	--list) printf '%s\n' "${ALL_SCENARIOS[@]}"; exit 0 ;;
	-h | --help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument $1 (try --help)" ;;
	esac
	shift
done

SCENARIOS=("${ALL_SCENARIOS[@]}")
((CI_SUBSET)) && SCENARIOS=("${CI_SCENARIOS[@]}")
if ((${#ONLY[@]})); then
	for s in "${ONLY[@]}"; do
		printf '%s\n' "${ALL_SCENARIOS[@]}" | grep -qx "$s" || die "no scenario $s (try --list)"
	done
	SCENARIOS=("${ONLY[@]}")
fi

[[ $EUID -eq 0 ]] || die "the lab needs root (network namespaces, apt-get)"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

WORK=$(mktemp -d /tmp/ftpscope-lab.XXXXXX)
chmod 755 "$WORK" # the servers' unprivileged users must reach the FTP root inside it

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	stop_all
	topology_down
	rm -rf "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

START=$SECONDS
install_deps
fetch_servers /var/cache/ftpscope-lab
(cd "$REPO" && go build -o "$WORK/truthgen" ./pcaps/lab/truthgen) || die "cannot build the truth generator"
TRUTHGEN=$WORK/truthgen
make_ftp_root "$WORK/root"
make_cert "$WORK"
topology_up "ftpscope-lab-$$"

for s in "${SCENARIOS[@]}"; do
	"sc_${s//-/_}"
done
log "done: ${#SCENARIOS[@]} scenario(s) in $((SECONDS - START)) s, written to $OUT"
