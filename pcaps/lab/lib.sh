# shellcheck shell=bash
# Shared helpers of the ftpscope capture lab: the three namespaces, process
# bookkeeping, captures and the servers. Sourced by run.sh; defines functions
# only, except for the addressing plan below.

# Addressing plan. Every address lives inside the lab's namespaces only.
C4=10.0.1.2        C6=2001:db8:1::2     # client
RC4=10.0.1.1       RC6=2001:db8:1::1    # router, client-facing (rc)
RS4=10.0.2.1       RS6=2001:db8:2::1    # router, server-facing (rs); also the SNAT address
S4=10.0.2.2        S6=2001:db8:2::2     # server
PUB4=203.0.113.10                       # the server's "public" address, DNATed by the router

LAB_PIDS=()        # every background process we started, stopped by PID on exit

log() { printf '[lab %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "FATAL: $*"; exit 1; }

# nsx NS CMD...: run CMD inside namespace NS.
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# start_bg NAME LOGFILE NS CMD...: start CMD in NS in the background, remember its PID.
# The PID is the command itself (ip netns exec execs it), so a TERM reaches it.
start_bg() {
	local name=$1 logf=$2 ns=$3; shift 3
	ip netns exec "$ns" "$@" >"$logf" 2>&1 &
	local pid=$!
	LAB_PIDS+=("$pid")
	eval "PID_${name//-/_}=$pid"
}

# stop_pid PID: TERM, wait up to 5 s, then KILL. Only ever a PID we started.
stop_pid() {
	local pid=$1 i
	kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# stop_named NAME: stop a process started with start_bg NAME.
stop_named() {
	local var="PID_${1//-/_}"
	[[ -n ${!var:-} ]] || return 0
	stop_pid "${!var}"
	eval "$var="
}

stop_all() {
	local pid
	for pid in "${LAB_PIDS[@]}"; do
		stop_pid "$pid"
	done
	LAB_PIDS=()
}

# wait_for SECONDS CMD...: poll CMD every 0.1 s until it succeeds or time is up.
wait_for() {
	local secs=$1 i; shift
	for ((i = 0; i < secs * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# topology_up PREFIX: client -- router -- server, joined by two veth pairs.
topology_up() {
	NS_C="$1-client" NS_R="$1-router" NS_S="$1-server"
	local ns
	for ns in "$NS_C" "$NS_R" "$NS_S"; do
		ip netns add "$ns"
		nsx "$ns" ip link set lo up
		# No IPv6 autoconfiguration chatter, no duplicate-address wait.
		nsx "$ns" sysctl -qw net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 \
			net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
			net.ipv6.conf.default.router_solicitations=0
	done
	ip -n "$NS_R" link add rc type veth peer name eth0 netns "$NS_C"
	ip -n "$NS_R" link add rs type veth peer name eth0 netns "$NS_S"

	nsx "$NS_C" ip addr add "$C4/24" dev eth0
	nsx "$NS_C" ip addr add "$C6/64" dev eth0 nodad
	nsx "$NS_R" ip addr add "$RC4/24" dev rc
	nsx "$NS_R" ip addr add "$RC6/64" dev rc nodad
	nsx "$NS_R" ip addr add "$RS4/24" dev rs
	nsx "$NS_R" ip addr add "$RS6/64" dev rs nodad
	nsx "$NS_S" ip addr add "$S4/24" dev eth0
	nsx "$NS_S" ip addr add "$S6/64" dev eth0 nodad
	nsx "$NS_C" ip link set eth0 up
	nsx "$NS_S" ip link set eth0 up
	nsx "$NS_R" ip link set rc up
	nsx "$NS_R" ip link set rs up
	nsx "$NS_C" ip route add default via "$RC4"
	nsx "$NS_C" ip -6 route add default via "$RC6"
	nsx "$NS_S" ip route add default via "$RS4"
	nsx "$NS_S" ip -6 route add default via "$RS6"
	nsx "$NS_R" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	# A server's unanswered active SYNs give up after ~7 s instead of ~2 min, so servers
	# without a connect timeout of their own (proftpd) still answer 425 within the run.
	nsx "$NS_S" sysctl -qw net.ipv4.tcp_syn_retries=2
	# The router must not answer for addresses it does not own (the DNAT address has no owner).
	#	wait_for 5 nsx "$NS_C" ping -c1 -W1 "$S4" || die "no IPv4 path client->server"
	#	wait_for 5 nsx "$NS_C" ping -6 -c1 -W1 "$S6" || die "no IPv6 path client->server"
}

topology_down() {
	local ns
	for ns in "${NS_C:-}" "${NS_R:-}" "${NS_S:-}"; do
		[[ -n $ns ]] && ip netns del "$ns" 2>/dev/null || true
	done
}

# ---------------------------------------------------------------- software

# fetch_servers DIR: unpack vsftpd, proftpd and pure-ftpd into DIR without installing
# them (Debian's FTP server packages conflict with each other, and an installed one
# would start listening on the host). Sets VSFTPD, PROFTPD, PUREFTPD and their versions.
fetch_servers() {
	local dir=$1 pkg deb
	mkdir -p "$dir/root"
	for pkg in vsftpd proftpd-core proftpd-mod-crypto pure-ftpd pure-ftpd-common; do
		if ! compgen -G "$dir/${pkg}_*.deb" >/dev/null; then
			(cd "$dir" && apt-get download "$pkg" >/dev/null 2>&1) || die "apt-get download $pkg failed"
		fi
		deb=$(compgen -G "$dir/${pkg}_*.deb" | head -1)
		dpkg -x "$deb" "$dir/root"
		declare -g "VERSION_${pkg//-/_}=$(dpkg-deb -f "$deb" Version)"
	done
	VSFTPD=$dir/root/usr/sbin/vsftpd
	PROFTPD=$dir/root/usr/sbin/proftpd
	PROFTPD_MODULES=$dir/root/usr/lib/proftpd # mod_tls.so, from proftpd-mod-crypto
	VSFTPD_VERSION=$VERSION_vsftpd
	PROFTPD_VERSION=$VERSION_proftpd_core
	PUREFTPD=$dir/root/usr/sbin/pure-ftpd
	PUREPW=$dir/root/usr/bin/pure-pw # from pure-ftpd-common
	PUREFTPD_VERSION=$VERSION_pure_ftpd
}

# make_ftp_root DIR: the files the clients list, fetch and store. Small, fixed content
# (deterministic bytes, so captures differ only in ports and times).
make_ftp_root() {
	local root=$1
	mkdir -p "$root/pub" "$root/upload" "$WORK/dl"
	head -c 4096 /dev/zero | tr '\0' 'a' >"$root/pub/small.txt"
	seq 1 2000 >"$root/pub/numbers.txt"                  # ~8.9 KB
	head -c 65536 /dev/zero | tr '\0' 'b' >"$root/pub/big.bin"  # for the rate-limited ABOR and kill scenarios
	head -c 3000 /dev/zero | tr '\0' 'u' >"$root/../upload-me.txt"
	chmod 755 "$root" "$root/pub"
	chmod 644 "$root"/pub/*
	chown daemon:daemon "$root/upload"
	chmod 1777 "$root/upload"
}

# vsftpd_conf FILE ROOT LOG [key=value...]: an anonymous vsftpd that logs the whole
# control protocol (log_ftp_protocol) so the truth can quote what the server saw and said.
vsftpd_conf() {
	local f=$1 root=$2 logf=$3; shift 3
	mkdir -p "$WORK/empty"
	chmod 755 "$WORK/empty"
	cat >"$f" <<CONF
listen=NO
listen_ipv6=YES
background=NO
anonymous_enable=YES
local_enable=NO
no_anon_password=YES
anon_root=$root
ftp_username=daemon
nopriv_user=nobody
secure_chroot_dir=$WORK/empty
write_enable=YES
anon_upload_enable=YES
anon_umask=022
dirmessage_enable=NO
seccomp_sandbox=NO
syslog_enable=NO
xferlog_enable=YES
xferlog_std_format=NO
log_ftp_protocol=YES
vsftpd_log_file=$logf
connect_from_port_20=YES
connect_timeout=3
accept_timeout=3
data_connection_timeout=30
idle_session_timeout=120
pasv_enable=YES
port_enable=YES
CONF
	local kv
	for kv in "$@"; do
		printf '%s\n' "$kv" >>"$f"
	done
}

# proftpd_conf FILE HOME LOG [directive...]: a proftpd with one virtual user (labuser,
# password "secret", from its own passwd file: no system account is touched) that logs
# every command with its reply (ExtendedLog) for the truth.
proftpd_conf() {
	local f=$1 home=$2 logf=$3; shift 3
	mkdir -p "$WORK/proftpd-run"
	chmod 755 "$WORK/proftpd-run"
	printf 'labuser:%s:65534:65534::%s:/bin/false\n' "$(openssl passwd -6 secret)" "$home" >"$WORK/proftpd.passwd"
	printf 'nogroup:x:65534:\n' >"$WORK/proftpd.group"
	chmod 600 "$WORK/proftpd.passwd"
	cat >"$f" <<CONF
ServerType standalone
ServerName "ftpscope lab proftpd"
Port 21
UseIPv6 on
DefaultServer on
User nobody
Group nogroup
PidFile $WORK/proftpd-run/proftpd.pid
ScoreboardFile $WORK/proftpd-run/proftpd.scoreboard
DelayTable none
WtmpLog off
UseReverseDNS off
AuthOrder mod_auth_file.c
AuthUserFile $WORK/proftpd.passwd
AuthGroupFile $WORK/proftpd.group
RequireValidShell off
DefaultRoot ~
TimeoutIdle 120
LogFormat protocol "%{iso8601} %a %P \"%r\" %s \"%S\""
ExtendedLog $logf ALL protocol
SystemLog $WORK/proftpd-system.log
<Directory />
  AllowOverwrite on
</Directory>
CONF
	local d
	for d in "$@"; do
		printf '%s\n' "$d" >>"$f"
	done
}

# ---------------------------------------------------------------- scenarios

# scenario_begin NAME TITLE DESCRIPTION: a fresh directory, an empty router, conntrack
# events logged. The ruleset and the servers come next; captures start with capture_start.
scenario_begin() {
	SCENARIO=$1 SC_TITLE=$2 SC_DESC=$3
	SDIR=$OUT/$SCENARIO
	rm -rf "$SDIR"
	mkdir -p "$SDIR/logs"
	RUNS=()
	RUN_N=0
	SERVER_KIND="" SERVER_LOG="" CONTROL_PORT=21
	SOFTWARE_SERVER=() SOFTWARE_CLIENT=()
	log "scenario $SCENARIO: $SC_TITLE"
	rm -f "$WORK/root/upload/"* # uploads of earlier scenarios (sticky dir: other servers' users could not replace them)
	nsx "$NS_R" nft flush ruleset
	nsx "$NS_R" conntrack -F >/dev/null 2>&1 || true
	nsx "$NS_R" conntrack -F expect >/dev/null 2>&1 || true
}

# ruleset: the router's nftables ruleset, read from stdin, kept as ruleset.nft.
ruleset() {
	cat >"$SDIR/ruleset.nft"
	nsx "$NS_R" nft -f "$SDIR/ruleset.nft" || die "$SCENARIO: ruleset does not load"
}

# capture_start: conntrack events on the router, tcpdump inside the client and the server.
# Full packets (-s 0): control payloads stay whole and the files stay small because
# every transfer is a few KB.
capture_start() {
	start_bg conntrack "$SDIR/logs/conntrack.log" "$NS_R" stdbuf -oL conntrack -E -o timestamp
	start_bg expect "$SDIR/logs/conntrack-expect.log" "$NS_R" stdbuf -oL conntrack -E expect -o timestamp
	start_bg tcpdump-client "$WORK/tcpdump-client.err" "$NS_C" tcpdump -i eth0 -n -U -s 0 -Z root -w "$SDIR/client.pcap"
	start_bg tcpdump-server "$WORK/tcpdump-server.err" "$NS_S" tcpdump -i eth0 -n -U -s 0 -Z root -w "$SDIR/server.pcap"
	wait_for 10 grep -q "listening on" "$WORK/tcpdump-client.err" || die "tcpdump (client) did not start"
	wait_for 10 grep -q "listening on" "$WORK/tcpdump-server.err" || die "tcpdump (server) did not start"
	sleep 0.5 # conntrack -E has no ready message; give it a moment to subscribe
}

capture_stop() {
	sleep 1 # let the last FIN/ACKs reach both capture points
	stop_named tcpdump-client
	stop_named tcpdump-server
	stop_named conntrack
	stop_named expect
}

# server_start KIND ID [options...]: start vsftpd or proftpd in the server namespace.
# Options are vsftpd key=value lines or proftpd directives, added to the base config.
server_start() {
	local kind=$1 id=$2; shift 2
	SERVER_KIND=$kind
	SERVER_LOG=logs/$kind-$id.log
	: >"$SDIR/$SERVER_LOG"
	case $kind in
	vsftpd)
		vsftpd_conf "$SDIR/logs/$kind-$id.conf" "$WORK/root" "$SDIR/$SERVER_LOG" "$@"
		start_bg server "$SDIR/logs/$kind-$id.stderr" "$NS_S" "$VSFTPD" "$SDIR/logs/$kind-$id.conf"
		SOFTWARE_SERVER+=("vsftpd $VSFTPD_VERSION")
		;;
	proftpd)
		proftpd_conf "$SDIR/logs/$kind-$id.conf" "$WORK/root" "$SDIR/$SERVER_LOG" "$@"
		start_bg server "$SDIR/logs/$kind-$id.stderr" "$NS_S" "$PROFTPD" -n -q -c "$SDIR/logs/$kind-$id.conf"
		SOFTWARE_SERVER+=("proftpd $PROFTPD_VERSION")
		;;
	pure-ftpd)
		pureftpd_start "$kind-$id" "$@"
		SOFTWARE_SERVER+=("pure-ftpd $PUREFTPD_VERSION")
		;;
	*) die "unknown server $kind" ;;
	esac
	wait_for 10 server_listening || die "$kind did not start listening on port $CONTROL_PORT: $(cat "$SDIR/logs/$kind-$id.stderr")"
}

# pureftpd_start NAME [option...]: pure-ftpd with one virtual user (labuser/secret,
# home $WORK/root, in a PureDB file), verbose protocol log (-d -d) and no name lookups
# (-H). pure-ftpd logs only through syslog(3) to /dev/log, and neither the machine nor
# CI need run a syslog daemon: the server runs in a private mount namespace whose /dev
# is a directory of the lab's (the device nodes it needs bound in, and /dev/log the
# socket of a sink, truthgen -syslog, that writes the log). The host's /dev is
# untouched. Both processes are stopped by their PIDs (the sink after the server).
pureftpd_start() {
	local name=$1; shift
	local dev=$WORK/pure-dev pw=$WORK/pureftpd.passwd db=$WORK/pureftpd.pdb d
	rm -rf "$dev" "$pw" "$db"
	mkdir -p "$dev"
	for d in null zero urandom random; do : >"$dev/$d"; done
	printf 'secret\nsecret\n' | "$PUREPW" useradd labuser -u 65534 -g 65534 -d "$WORK/root" -f "$pw" -F "$db" -m \
		>/dev/null || die "pure-pw could not make the user database"
	"$TRUTHGEN" -syslog "$dev/log" "$SDIR/$SERVER_LOG" 2>"$SDIR/logs/$name-syslog.stderr" &
	PID_syslog=$!
	LAB_PIDS+=("$PID_syslog")
	wait_for 5 test -S "$dev/log" || die "the syslog sink did not start"
	local cmd=("$PUREFTPD" -S ",$CONTROL_PORT" -l "puredb:$db" -E -H -d -d "$@")
	printf '%q ' "${cmd[@]}" >"$SDIR/logs/$name.cmdline"
	echo >>"$SDIR/logs/$name.cmdline"
	# unshare and sh exec: the PID start_bg records is pure-ftpd's own.
	start_bg server "$SDIR/logs/$name.stderr" "$NS_S" unshare -m sh -c \
		'dev=$1; shift; for d in null zero urandom random; do mount --bind /dev/$d "$dev/$d" || exit 1; done
		 mount --rbind "$dev" /dev && exec "$@"' sh "$dev" "${cmd[@]}"
}

server_listening() {
	nsx "$NS_S" ss -Hltn "sport = :$CONTROL_PORT" | grep -q LISTEN
}

# server_idle: wait (at most 15 s) until the server has no session process left, so that
# sessions never overlap in its log (truthgen refuses overlapping vsftpd sessions).
server_idle() {
	local i
	[[ -n ${PID_server:-} ]] || return 0
	for ((i = 0; i < 150; i++)); do
		pgrep -P "$PID_server" >/dev/null 2>&1 || return 0
		sleep 0.1
	done
}

# server_stop: wait (bounded) until the server's session processes have ended, so the
# last replies (a late 425) are in the captures, then stop the listener by its PID.
server_stop() {
	server_idle
	local child
	for child in $(pgrep -P "$PID_server" 2>/dev/null); do
		stop_pid "$child"
	done
	stop_named server
	if [[ -n ${PID_syslog:-} ]]; then
		sleep 0.2 # the server's last datagrams
		stop_pid "$PID_syslog"
		PID_syslog=
	fi
}

# record_run ID TOOL LOG ACTIVE_FATE PASSIVE_FATE NOTE: one client invocation for spec.json.
record_run() {
	RUNS+=("$(jq -cn --arg id "$1" --arg tool "$2" --arg log "$3" --arg af "$4" --arg pf "$5" \
		--arg note "$6" --arg server "$SERVER_KIND" --arg slog "$SERVER_LOG" --argjson port "$CONTROL_PORT" \
		'{id:$id, tool:$tool, client_log:$log, server:$server, server_log:$slog, control_port:$port,
		  active_fate:$af, passive_fate:$pf, note:$note}')")
}

LFTP_PRELUDE='set net:timeout 6
set net:max-retries 1
set net:reconnect-interval-base 1
set net:reconnect-interval-max 1
set xfer:clobber on
set cmd:fail-exit no'

# lftp_run ACTIVE_FATE PASSIVE_FATE NOTE: run lftp -d in the client namespace with the
# script on stdin (after a common prelude). Fates say what the ruleset does to new
# active and passive data connections: pass, drop, reset or icmp.
lftp_run() {
	server_idle
	RUN_N=$((RUN_N + 1))
	local id=r$RUN_N
	{ printf '%s\n' "$LFTP_PRELUDE"; cat; } >"$SDIR/logs/$id-lftp.script"
	mkdir -p "$WORK/dl"
	(cd "$WORK/dl" && timeout 60 ip netns exec "$NS_C" lftp -d -f "$SDIR/logs/$id-lftp.script") \
		>"$SDIR/logs/$id-lftp.log" 2>&1 || true
	record_run "$id" lftp "logs/$id-lftp.log" "$1" "$2" "$3"
	SOFTWARE_CLIENT+=("lftp $LFTP_VERSION")
}

# curl_run ACTIVE_FATE PASSIVE_FATE NOTE CURL_ARGS...: one curl -v invocation, one URL.
curl_run() {
	server_idle
	RUN_N=$((RUN_N + 1))
	local id=r$RUN_N af=$1 pf=$2 note=$3; shift 3
	printf '%q ' curl -v -sS --connect-timeout 6 -m 30 "$@" >"$SDIR/logs/$id-curl.cmdline"
	echo >>"$SDIR/logs/$id-curl.cmdline"
	(cd "$WORK/dl" && timeout 60 ip netns exec "$NS_C" curl -v -sS --connect-timeout 6 -m 30 -o /dev/null "$@") \
		>"$SDIR/logs/$id-curl.log" 2>&1 || true
	record_run "$id" curl "logs/$id-curl.log" "$af" "$pf" "$note"
	SOFTWARE_CLIENT+=("curl $CURL_VERSION")
}

# tnftp_run NOTE HOST: one `tnftp -n -d -v` session with the script on stdin (its
# commands: user, sunique, put, ...). tnftp is the client here that sends STOU (its
# sunique toggle). Its log shows no data-connection events, so truthgen accepts it only
# through an open router: both fates are pass.
tnftp_run() {
	server_idle
	RUN_N=$((RUN_N + 1))
	local id=r$RUN_N
	cat >"$SDIR/logs/$id-tnftp.script"
	mkdir -p "$WORK/dl"
	(cd "$WORK/dl" && timeout 60 ip netns exec "$NS_C" tnftp -n -d -v -q 6 "$2" <"$SDIR/logs/$id-tnftp.script") \
		>"$SDIR/logs/$id-tnftp.log" 2>&1 || true
	record_run "$id" tnftp "logs/$id-tnftp.log" pass pass "$1"
	SOFTWARE_CLIENT+=("tnftp $TNFTP_VERSION")
}

# scenario_end: stop everything, write spec.json and derive truth.json from the logs.
scenario_end() {
	[[ -n ${PID_server:-} ]] && server_stop
	capture_stop
	nsx "$NS_R" nft list ruleset >"$SDIR/logs/nft-after.txt" 2>&1 || true # rule counters: which rule fired
	local clients servers
	clients=$(printf '%s\n' "${SOFTWARE_CLIENT[@]}" | sort -u | paste -sd, -)
	servers=$(printf '%s\n' "${SOFTWARE_SERVER[@]}" | sort -u | paste -sd, -)
	printf '%s\n' "${RUNS[@]}" | jq -s --arg s "$SCENARIO" --arg t "$SC_TITLE" --arg d "$SC_DESC" \
		--arg c "$clients" --arg sv "$servers" --arg r "nftables $NFT_VERSION, Linux $(uname -r)" \
		'{scenario:$s, title:$t, description:$d, software:{client:$c, server:$sv, router:$r},
		  ruleset:"ruleset.nft", conntrack:"logs/conntrack.log", runs:.}' >"$SDIR/spec.json"
	"$TRUTHGEN" "$SDIR" || die "$SCENARIO: truth could not be derived from the logs (see above)"
	rm -f "$SDIR"/logs/*.stderr.empty
	log "scenario $SCENARIO done: $(du -ch "$SDIR"/*.pcap | tail -1 | cut -f1) of captures"
}

# install_deps: the client tools, capture and firewall tools, and the libraries the
# unpacked servers link against. apt-get update runs once, and only if something is missing.
install_deps() {
	local pkgs=(lftp curl tnftp tcpdump nftables conntrack openssl iproute2 iputils-ping jq procps
		coreutils libwrap0 libcap2 libpam0g libssl3 libhiredis0.14 libmemcached11
		libmemcachedutil2 libpcre2-posix3 libpcre2-8-0 libacl1 libncursesw6 libidn2-0 zlib1g
		libsodium23 libcrypt1 util-linux)
	local missing=() p
	for p in "${pkgs[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
	done
	if ((${#missing[@]})) || ! compgen -G "/var/cache/ftpscope-lab/proftpd-core_*.deb" >/dev/null ||
		! compgen -G "/var/cache/ftpscope-lab/vsftpd_*.deb" >/dev/null ||
		! compgen -G "/var/cache/ftpscope-lab/pure-ftpd_*.deb" >/dev/null; then
		log "apt-get update (missing: ${missing[*]:-none}; server packages to fetch)"
		apt-get update -qq >/dev/null || die "apt-get update failed"
	fi
	if ((${#missing[@]})); then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
			die "apt-get install ${missing[*]} failed"
	fi
	command -v go >/dev/null || die "go is needed to build the truth generator"
	LFTP_VERSION=$(dpkg-query -W -f='${Version}' lftp)
	CURL_VERSION=$(dpkg-query -W -f='${Version}' curl)
	TNFTP_VERSION=$(dpkg-query -W -f='${Version}' tnftp)
	NFT_VERSION=$(dpkg-query -W -f='${Version}' nftables)
}

# make_cert DIR: a throwaway self-signed certificate for the FTPS scenario.
make_cert() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=ftp.lab.invalid \
		-keyout "$1/key.pem" -out "$1/cert.pem" >/dev/null 2>&1 || die "openssl could not make a certificate"
	chmod 600 "$1/key.pem"
}
