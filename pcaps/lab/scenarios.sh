# shellcheck shell=bash
# The lab's scenarios: one function each, sc_<name with _ for ->. Each builds the
# router's ruleset, starts a server, starts the captures, runs clients and declares,
# per client run, what the ruleset does to new data connections (the "fates":
# pass, drop, reset, icmp). truthgen checks those declarations against the logs.

ALL_SCENARIOS=(
	01-basic-v4 02-extended-v4-v6 03-proftpd
	04-active-drop 05-active-reset 06-active-icmp
	07-passive-drop 08-passive-reset 09-passive-icmp
	10-dnat-pasv-private 11-snat-no-helper 12-snat-ftp-helper
	13-control-port-2121 14-ftps-helper-firewall 15-long-session-abort-kill
	16-passive-range-firewall 17-bruteforce-proftpd 18-transfer-ledger 19-implicit-ftps 20-ccc-proftpd
	21-ledger-proftpd-rate 22-ledger-pureftpd 23-stou-tnftp 24-ccc-prot-lftp
)
CI_SCENARIOS=(01-basic-v4 04-active-drop)

# A router that forwards everything but tracks connections (conntrack on, no filter).
open_router() {
	ruleset <<'NFT'
table inet lab {
	chain forward {
		type filter hook forward priority filter; policy accept;
		ct state established,related accept
		ct state new accept
	}
}
NFT
}

# blocking_router DIRECTION ACTION: the client may open the control connection; new
# data connections in DIRECTION (active: opened from the server side; passive: opened
# from the client side to any port but 21) get ACTION (drop, or a reject).
blocking_router() {
	local match
	case $1 in
	active) match='iifname "rs" ct state new' ;;
	passive) match='iifname "rc" tcp dport != 21 ct state new' ;;
	esac
	ruleset <<NFT
table inet lab {
	chain forward {
		type filter hook forward priority filter; policy accept;
		ct state established,related accept
		$match counter $2
		ct state new accept
	}
}
NFT
}

# Standard lftp sessions. $1 = host (URL form), then the transfers.
lftp_active_and_passive() {
	lftp_run pass pass "$2" <<LFTP
open ftp://anonymous:lab@$1
set ftp:passive-mode off
cls -1 /pub
get /pub/small.txt
set ftp:passive-mode on
nlist /pub
put -O /upload $WORK/upload-me.txt
get /pub/numbers.txt
LFTP
}

sc_01_basic_v4() {
	scenario_begin 01-basic-v4 "active PORT and passive PASV over IPv4, several transfers per session" \
		"vsftpd behind an open (stateful, non-filtering) router. lftp uses PORT for LIST and RETR, then PASV for NLST, STOR and RETR in one session; curl makes one PASV RETR, one PASV STOR and one PORT LIST."
	open_router
	server_start vsftpd main
	capture_start
	lftp_active_and_passive "$S4" "lftp: PORT LIST, PORT RETR, PASV NLST, PASV STOR, PASV RETR"
	curl_run pass pass "curl PASV RETR" --disable-epsv "ftp://$S4/pub/numbers.txt"
	curl_run pass pass "curl PASV STOR" --disable-epsv -T "$WORK/upload-me.txt" "ftp://$S4/upload/curl-up.txt"
	curl_run pass pass "curl PORT LIST" -P - --disable-eprt "ftp://$S4/pub/"
	scenario_end
}

sc_04_active_drop() {
	scenario_begin 04-active-drop "the router drops the active data connection (IPv4 PORT and IPv6 EPRT)" \
		"vsftpd (connect_timeout=3) behind a router that drops every new connection from the server side. The server's SYNs from port 20 go unanswered; it replies 425. Passive connections would pass."
	blocking_router active drop
	server_start vsftpd main
	capture_start
	lftp_run drop pass "lftp PORT LIST over IPv4" <<LFTP
open ftp://anonymous:lab@$S4
set ftp:passive-mode off
cls -1 /pub
LFTP
	lftp_run drop pass "lftp EPRT LIST over IPv6" <<LFTP
open ftp://anonymous:lab@[$S6]
set ftp:passive-mode off
cls -1 /pub
LFTP
	scenario_end
}

sc_02_extended_v4_v6() {
	scenario_begin 02-extended-v4-v6 "EPSV and EPRT over IPv4 and IPv6" \
		"vsftpd behind an open router. curl uses EPSV and EPRT by default, over IPv4 here; lftp over IPv6 uses EPRT for LIST and RETR, then EPSV for NLST, STOR and RETR; curl over IPv6 stores with EPSV."
	open_router
	server_start vsftpd main
	capture_start
	curl_run pass pass "curl EPSV RETR over IPv4" "ftp://$S4/pub/small.txt"
	curl_run pass pass "curl EPRT LIST over IPv4" -P - "ftp://$S4/pub/"
	lftp_active_and_passive "[$S6]" "lftp over IPv6: EPRT LIST, EPRT RETR, EPSV NLST, EPSV STOR, EPSV RETR"
	curl_run pass pass "curl EPSV STOR over IPv6" -T "$WORK/upload-me.txt" "ftp://[$S6]/upload/curl6.txt"
	scenario_end
}

sc_03_proftpd() {
	scenario_begin 03-proftpd "a second server: proftpd, IPv4 and IPv6, MLSD, ranged download with ABOR" \
		"proftpd (virtual user labuser) behind an open router. Its active data connections do not come from port 20. lftp uses MLSD for listings with proftpd. curl -r 0-999 stops reading early and sends ABOR."
	open_router
	server_start proftpd main
	capture_start
	lftp_run pass pass "lftp over IPv4: PORT MLSD, PORT RETR, PASV NLST, PASV STOR" <<LFTP
open ftp://labuser:secret@$S4
set ftp:passive-mode off
cls -1 /pub
get /pub/small.txt
set ftp:passive-mode on
nlist /pub
put -O /upload $WORK/upload-me.txt
LFTP
	lftp_run pass pass "lftp over IPv6: EPRT MLSD, EPSV RETR" <<LFTP
open ftp://labuser:secret@[$S6]
set ftp:passive-mode off
cls -1 /pub
set ftp:passive-mode on
get /pub/numbers.txt
LFTP
	curl_run pass pass "curl EPSV ranged RETR, then ABOR" -u labuser:secret -r 0-999 "ftp://$S4/pub/numbers.txt"
	scenario_end
}

active_blocked() { # NAME ACTION FATE TITLE
	scenario_begin "$1" "$4" \
		"vsftpd (connect_timeout=3) behind a router that answers every new connection from the server side with: $2. The server replies 425 after its attempt fails; lftp tries a second PORT/EPRT in the same session. Passive connections would pass."
	blocking_router active "$2"
	server_start vsftpd main
	capture_start
	lftp_run "$3" pass "lftp PORT LIST over IPv4" <<LFTP
open ftp://anonymous:lab@$S4
set ftp:passive-mode off
cls -1 /pub
LFTP
	lftp_run "$3" pass "lftp EPRT LIST over IPv6" <<LFTP
open ftp://anonymous:lab@[$S6]
set ftp:passive-mode off
cls -1 /pub
LFTP
	scenario_end
}

sc_04_active_drop() { active_blocked 04-active-drop drop drop "the router drops the active data connection (IPv4 PORT, IPv6 EPRT)"; }
sc_05_active_reset() { active_blocked 05-active-reset "reject with tcp reset" reset "the router rejects the active data connection with a TCP reset"; }
sc_06_active_icmp() { active_blocked 06-active-icmp "reject with icmpx type admin-prohibited" icmp "the router rejects the active data connection with ICMP / ICMPv6 administratively prohibited"; }

passive_blocked() { # NAME ACTION FATE TITLE
	scenario_begin "$1" "$4" \
		"vsftpd behind a router that answers every new client connection to a port other than 21 with: $2. lftp and curl connect before sending the transfer command, so the server often never sees the transfer asked for; lftp reconnects once and tries again."
	blocking_router passive "$2"
	server_start vsftpd main
	capture_start
	lftp_run pass "$3" "lftp PASV LIST over IPv4" <<LFTP
open ftp://anonymous:lab@$S4
cls -1 /pub
LFTP
	curl_run pass "$3" "curl EPSV RETR over IPv6" "ftp://[$S6]/pub/small.txt"
	curl_run pass "$3" "curl PASV RETR over IPv4" --disable-epsv "ftp://$S4/pub/small.txt"
	lftp_run pass "$3" "lftp EPSV LIST over IPv6" <<LFTP
open ftp://anonymous:lab@[$S6]
cls -1 /pub
LFTP
	scenario_end
}

sc_07_passive_drop() { passive_blocked 07-passive-drop drop drop "the router drops the passive data connection (PASV, EPSV; IPv4, IPv6)"; }
sc_08_passive_reset() { passive_blocked 08-passive-reset "reject with tcp reset" reset "the router rejects the passive data connection with a TCP reset"; }
sc_09_passive_icmp() { passive_blocked 09-passive-icmp "reject with icmpx type admin-prohibited" icmp "the router rejects the passive data connection with ICMP / ICMPv6 administratively prohibited"; }

sc_10_dnat_pasv_private() {
	scenario_begin 10-dnat-pasv-private "server behind DNAT announces its private address in 227" \
		"The router DNATs $PUB4 ports 21 and 30000-30009 to vsftpd at $S4 (pasv_min_port=30000, pasv_max_port=30009, no pasv_address), and drops anything else toward the server's private network. The 227 carries $S4. curl (default) and lftp (default ftp:fix-pasv-address, or ftp:ignore-pasv-address) connect to the control address instead and work; curl --no-ftp-skip-pasv-ip and lftp with ftp:fix-pasv-address off follow the 227 address and are dropped."
	ruleset <<NFT
table ip labnat {
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		iifname "rc" ip daddr $PUB4 tcp dport { 21, 30000-30009 } dnat to $S4
	}
}
table inet lab {
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
		iifname "rc" ct status dnat accept
		iifname "rs" accept
		counter comment "everything else toward the private network"
	}
}
NFT
	server_start vsftpd main pasv_min_port=30000 pasv_max_port=30009
	capture_start
	curl_run pass pass "curl (default: skips the 227 address)" --disable-epsv "ftp://$PUB4/pub/small.txt"
	curl_run pass drop "curl --no-ftp-skip-pasv-ip (follows the 227 address)" --disable-epsv --no-ftp-skip-pasv-ip "ftp://$PUB4/pub/small.txt"
	lftp_run pass pass "lftp default (ftp:fix-pasv-address on)" <<LFTP
open ftp://anonymous:lab@$PUB4
cls -1 /pub
LFTP
	lftp_run pass pass "lftp ftp:ignore-pasv-address on" <<LFTP
set ftp:ignore-pasv-address on
open ftp://anonymous:lab@$PUB4
cls -1 /pub
LFTP
	lftp_run pass drop "lftp ftp:fix-pasv-address off (follows the 227 address)" <<LFTP
set ftp:fix-pasv-address off
open ftp://anonymous:lab@$PUB4
cls -1 /pub
LFTP
	scenario_end
}

snat_router() { # [helper]: client network masqueraded behind the router's server-side address
	local helper="" pre=""
	if [[ ${1:-} == helper ]]; then
		helper='ct helper ftp-21 { type "ftp" protocol tcp; l3proto ip; }'
		pre='chain prerouting { type filter hook prerouting priority filter; policy accept; iifname "rc" ip protocol tcp tcp dport 21 ct helper set "ftp-21"; }'
	fi
	ruleset <<NFT
table ip lab {
	$helper
	$pre
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
		iifname "rc" accept
		iifname "rs" counter comment "new connections from outside: dropped"
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "rs" ip saddr 10.0.1.0/24 masquerade
	}
}
NFT
}

sc_11_snat_no_helper() {
	scenario_begin 11-snat-no-helper "client behind SNAT without the FTP helper: PORT refused, or accepted and sent to the wrong address" \
		"The router masquerades $C4 as $RS4 and drops new connections from the server side; no FTP helper. vsftpd (port_promiscuous=NO, the default) refuses a PORT/EPRT naming $C4 with 500 Illegal PORT command. Then proftpd with AllowForeignAddress on accepts it and connects to $C4, which the router drops: 425."
	snat_router
	server_start vsftpd strict
	capture_start
	lftp_run drop pass "lftp PORT LIST, vsftpd port_promiscuous=NO" <<LFTP
open ftp://anonymous:lab@$S4
set ftp:passive-mode off
cls -1 /pub
LFTP
	curl_run drop pass "curl EPRT LIST, vsftpd port_promiscuous=NO" -P - "ftp://$S4/pub/"
	server_stop
	# vsftpd 3.0.3 with port_promiscuous=YES answers such a PORT's LIST with
	# "500 OOPS: vsf_sysutil_bind" in this lab, so the accepting server is proftpd.
	server_start proftpd foreign "AllowForeignAddress on"
	lftp_run drop pass "lftp PORT LIST, proftpd AllowForeignAddress on" <<LFTP
set net:timeout 15
open ftp://labuser:secret@$S4
set ftp:passive-mode off
cls -1 /pub
LFTP
	scenario_end
}

sc_12_snat_ftp_helper() {
	scenario_begin 12-snat-ftp-helper "client behind SNAT with the Linux FTP helper: PORT rewritten" \
		"The same masquerading router as 11-snat-no-helper, with ct helper \"ftp\" on the control connection. nf_nat_ftp rewrites PORT/EPRT $C4 to $RS4 (the server's log shows the rewritten command) and the expectation lets the server's connection in as related. Passive connections pass as well."
	snat_router helper
	server_start vsftpd main
	capture_start
	lftp_run pass pass "lftp PORT LIST and RETR, PASV NLST through the helper" <<LFTP
open ftp://anonymous:lab@$S4
set ftp:passive-mode off
cls -1 /pub
get /pub/small.txt
set ftp:passive-mode on
nlist /pub
LFTP
	curl_run pass pass "curl EPRT LIST through the helper" -P - "ftp://$S4/pub/"
	scenario_end
}

sc_13_control_port_2121() {
	CONTROL_PORT=2121
	scenario_begin 13-control-port-2121 "control connection on port 2121" \
		"vsftpd listens on 2121 (listen_port=2121, ftp_data_port=2120) behind an open router. ftpscope must find FTP on 2121 from the conversation, without --control-ports."
	CONTROL_PORT=2121
	open_router
	server_start vsftpd main listen_port=2121 ftp_data_port=2120
	capture_start
	lftp_run pass pass "lftp PORT LIST, PASV RETR on port 2121" <<LFTP
open ftp://anonymous:lab@$S4:2121
set ftp:passive-mode off
cls -1 /pub
set ftp:passive-mode on
get /pub/small.txt
LFTP
	curl_run pass pass "curl EPSV RETR over IPv6 on port 2121" "ftp://[$S6]:2121/pub/numbers.txt"
	scenario_end
	CONTROL_PORT=21
}

sc_14_ftps_helper_firewall() {
	scenario_begin 14-ftps-helper-firewall "AUTH TLS behind a firewall that relies on the FTP helper" \
		"The router admits only control connections to port 21 and what the FTP helper marks related. Plain FTP works (PORT and PASV). After AUTH TLS the helper cannot read PORT/PASV, so every data connection is dropped; ftpscope cannot see the announcements either (the channel list is empty, the session is tls)."
	ruleset <<'NFT'
table inet lab {
	ct helper ftp-21 { type "ftp" protocol tcp; l3proto inet; }
	chain prerouting {
		type filter hook prerouting priority filter; policy accept;
		iifname "rc" tcp dport 21 ct helper set "ftp-21"
	}
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
		iifname "rc" tcp dport 21 ct state new accept
		counter comment "unrelated new connections"
	}
}
NFT
	server_start vsftpd tls ssl_enable=YES "rsa_cert_file=$WORK/cert.pem" "rsa_private_key_file=$WORK/key.pem" \
		allow_anon_ssl=YES force_anon_logins_ssl=NO force_anon_data_ssl=NO require_ssl_reuse=NO
	capture_start
	lftp_run pass pass "plain FTP: PASV LIST and PORT RETR pass as related" <<LFTP
set ftp:ssl-allow no
open ftp://anonymous:lab@$S4
cls -1 /pub
set ftp:passive-mode off
get /pub/small.txt
LFTP
	lftp_run pass drop "AUTH TLS, PASV LIST: dropped, invisible to the helper" <<LFTP
set ftp:ssl-force yes
set ssl:verify-certificate no
open ftp://anonymous:lab@$S4
cls -1 /pub
LFTP
	curl_run pass drop "curl AUTH TLS, EPSV RETR: dropped" --ssl-reqd -k "ftp://$S4/pub/small.txt"
	scenario_end
}

sc_15_long_session_abort_kill() {
	scenario_begin 15-long-session-abort-kill "many transfers with a 25 s idle period; ABOR mid-transfer; a client killed mid-transfer" \
		"vsftpd limited to 16 KB/s (anon_max_rate) behind an open router. lftp: 8 transfers, 25 s idle (wall time kept short on purpose), 3 more transfers, then a 64 KB download it aborts after 2 s (ABOR). curl -r 0-999 ends a download early with ABOR. A last lftp is killed (SIGKILL) 2 s into a 64 KB download."
	open_router
	server_start vsftpd main anon_max_rate=16384
	capture_start
	lftp_run pass pass "lftp: 8 transfers, 25 s idle, 3 transfers, ABOR" <<LFTP
open ftp://anonymous:lab@$S4
cls -1 /pub
get /pub/small.txt
nlist /pub
get /pub/numbers.txt
put -O /upload $WORK/upload-me.txt
set ftp:passive-mode off
cls -1 /pub
get /pub/small.txt
nlist /upload
sleep 25
get /pub/small.txt
set ftp:passive-mode on
cls -1 /upload
get /pub/numbers.txt
get /pub/big.bin &
sleep 2
kill all
sleep 1
LFTP
	curl_run pass pass "curl ranged RETR ended with ABOR" --disable-epsv -r 0-999 "ftp://$S4/pub/big.bin"
	# A client killed mid-transfer: lftp in the background, SIGKILL by its PID.
	server_idle
	RUN_N=$((RUN_N + 1))
	local id=r$RUN_N
	{ printf '%s\n' "$LFTP_PRELUDE"; printf 'open ftp://anonymous:lab@%s\nget /pub/big.bin\n' "$S4"; } >"$SDIR/logs/$id-lftp.script"
	(cd "$WORK/dl" && exec ip netns exec "$NS_C" lftp -d -f "$SDIR/logs/$id-lftp.script") >"$SDIR/logs/$id-lftp.log" 2>&1 &
	local pid=$!
	LAB_PIDS+=("$pid")
	sleep 2
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	record_run "$id" lftp "logs/$id-lftp.log" pass pass "lftp killed (SIGKILL) 2 s into a 64 KB RETR"
	scenario_end
}

sc_16_passive_range_firewall() {
	scenario_begin 16-passive-range-firewall "passive port range behind a firewall that admits only that range" \
		"The router admits new client connections to port 21 and 30000-30009 only (no helper). vsftpd with pasv_min_port=30000, pasv_max_port=30009 works in passive mode; its active connections are dropped. Then proftpd with PassivePorts 40000 40009 (outside the admitted range) is dropped in passive mode."
	ruleset <<'NFT'
table inet lab {
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
		iifname "rc" tcp dport { 21, 30000-30009 } ct state new accept
		counter comment "everything else"
	}
}
NFT
	server_start vsftpd range pasv_min_port=30000 pasv_max_port=30009
	capture_start
	lftp_run drop pass "lftp PASV LIST and RETR inside the range" <<LFTP
open ftp://anonymous:lab@$S4
cls -1 /pub
get /pub/small.txt
LFTP
	curl_run drop pass "curl EPSV RETR over IPv6 inside the range" "ftp://[$S6]/pub/numbers.txt"
	curl_run drop pass "curl PORT LIST: active is not admitted" -P - --disable-eprt "ftp://$S4/pub/"
	server_stop
	server_start proftpd outside "PassivePorts 40000 40009"
	lftp_run drop drop "proftpd announcing ports outside the range" <<LFTP
open ftp://labuser:secret@$S4
cls -1 /pub
LFTP
	scenario_end
}

# A brute force against a real account (issue 14): 25 curl logins with wrong passwords,
# each on a control connection of its own, then one with the right password that
# downloads a file. proftpd's ExtendedLog has every 530 and the 230.
sc_17_bruteforce_proftpd() {
	scenario_begin 17-bruteforce-proftpd "a brute force: 25 failed logins, then a success (proftpd, real account)" \
		"proftpd (virtual user labuser, password secret) behind an open router. curl logs in 25 times as labuser with a wrong password (USER, 331, PASS, 530), then once with the right one and downloads /pub/small.txt over EPSV. ftpscope must raise a bruteforce notice at the 20th failure and bruteforce-success at the login."
	open_router
	server_start proftpd main
	capture_start
	local i
	for ((i = 1; i <= 25; i++)); do
		curl_run pass pass "curl login as labuser with wrong password $i" -u "labuser:wrong$i" "ftp://$S4/pub/"
	done
	curl_run pass pass "curl login as labuser with the right password, EPSV RETR" -u labuser:secret "ftp://$S4/pub/small.txt"
	scenario_end
}

# ledger_files ROOT: the files of the transfer-ledger scenario (issue 13), under
# ROOT/ledger; pcaps/transfers_test.go rebuilds the same bytes from the same recipe.
ledger_files() {
	local d=$1/ledger
	mkdir -p "$d"
	: >"$d/empty.bin"
	printf 'x' >"$d/one.bin"
	local n
	for n in 1447 1448 1449; do head -c $n /dev/zero | tr '\0' 'm' >"$d/mss-$n.bin"; done
	seq 1 200000 >"$d/seq.tmp"
	head -c 1048576 "$d/seq.tmp" >"$d/1 MiB.bin"
	rm "$d/seq.tmp"
	printf 'caf\xc3\xa9 \xe5\x90\x8d\n' >"$d/ünïcode 名.txt"
	seq 1 500 >"$d/lines.txt" # LF line ends: TYPE A sends CR LF
	chmod 755 "$d"
	chmod 644 "$d"/*
}

# The transfer ledger (issue 13): files of known content and size (0 B, 1 B, MSS +- 1,
# 1 MiB, a name with a space, one in UTF-8), TYPE A with line ends converted on the
# wire, REST resume (curl -C), APPE (curl -a), listings.
sc_18_transfer_ledger() {
	scenario_begin 18-transfer-ledger "transfers of known files: 0 B, 1 B, MSS +- 1, 1 MiB, spaces and UTF-8 in names, TYPE A, REST, APPE" \
		"vsftpd behind an open router serves /ledger. lftp lists it and fetches every file in binary and lines.txt in ASCII (TYPE A, CR LF on the wire); curl resumes 1 MiB.bin at offset 1000 (REST 1000), appends to an upload (APPE) and lists /ledger."
	open_router
	ledger_files "$WORK/root"
	# vsftpd sends ASCII downloads unconverted and refuses APPE to anonymous users by default.
	server_start vsftpd main ascii_download_enable=YES anon_other_write_enable=YES
	capture_start
	lftp_run pass pass "lftp: LIST, binary RETRs of every file, ASCII RETR" <<LFTP
open ftp://anonymous:lab@$S4
cd /ledger
cls -l
get empty.bin
get one.bin
get mss-1447.bin
get mss-1448.bin
get mss-1449.bin
get "1 MiB.bin"
get "ünïcode 名.txt"
get -a lines.txt
LFTP
	curl_run pass pass "curl REST 1000 RETR" --disable-epsv -C 1000 "ftp://$S4/ledger/1%20MiB.bin"
	curl_run pass pass "curl STOR" --disable-epsv -T "$WORK/upload-me.txt" "ftp://$S4/upload/appended.txt"
	curl_run pass pass "curl APPE" --disable-epsv -a -T "$WORK/upload-me.txt" "ftp://$S4/upload/appended.txt"
	curl_run pass pass "curl LIST" --disable-epsv "ftp://$S4/ledger/"
	scenario_end
}

# Implicit FTPS (issue 14): vsftpd speaks TLS from the first byte on port 990; curl's
# ftps:// URL. ftpscope must report a TLS session (implicit), not a broken FTP session.
sc_19_implicit_ftps() {
	CONTROL_PORT=990
	scenario_begin 19-implicit-ftps "implicit FTPS on port 990" \
		"vsftpd with implicit_ssl=YES listens on 990 behind an open router; curl downloads ftps://server:990/pub/small.txt. Everything on the control connection is TLS from the first byte: ftpscope must report one TLS session (tls_mode implicit) with no channels and no protocol notes."
	CONTROL_PORT=990
	open_router
	server_start vsftpd implicit listen_port=990 ssl_enable=YES implicit_ssl=YES "rsa_cert_file=$WORK/cert.pem" \
		"rsa_private_key_file=$WORK/key.pem" allow_anon_ssl=YES force_anon_logins_ssl=YES force_anon_data_ssl=YES require_ssl_reuse=NO
	capture_start
	curl_run pass pass "curl implicit FTPS: EPSV RETR inside TLS" -k "ftps://$S4:990/pub/small.txt"
	scenario_end
	CONTROL_PORT=21
}

# CCC (issue 14, RFC 4217 section 6): proftpd with mod_tls; curl logs in over AUTH TLS,
# then sends CCC and goes on in clear text: EPSV and RETR are on the wire again.
sc_20_ccc_proftpd() {
	scenario_begin 20-ccc-proftpd "AUTH TLS, then CCC: the control channel returns to clear text (proftpd mod_tls)" \
		"proftpd with mod_tls behind an open router. curl logs in as labuser over AUTH TLS (USER and PASS encrypted), sends CCC, and after the close_notify alerts both ways sends PWD, EPSV and RETR in clear text. ftpscope must report the session as TLS (tls_mode ccc) and track the EPSV channel announced after CCC."
	open_router
	server_start proftpd main "ModulePath $PROFTPD_MODULES" "LoadModule mod_tls.c" "TLSEngine on" \
		"TLSRSACertificateFile $WORK/cert.pem" "TLSRSACertificateKeyFile $WORK/key.pem" "TLSRequired off" \
		"TLSOptions NoSessionReuseRequired" "TLSLog $SDIR/logs/proftpd-tls.log"
	capture_start
	curl_run pass pass "curl AUTH TLS, CCC, then EPSV RETR in clear" -u labuser:secret --ssl-reqd -k --ftp-ssl-ccc \
		--ftp-ssl-ccc-mode active "ftp://$S4/pub/small.txt"
	scenario_end
}

# CCC with lftp (issue 14 tests: ftp:ssl-use-ccc), and data-channel protection told
# apart on real software: proftpd with mod_tls; lftp logs in over AUTH TLS, sends CCC
# and fetches small.txt twice in clear control, once with PROT C (clear data: the
# file's bytes are on the wire) and once with PROT P (TLS data connection).
sc_24_ccc_prot_lftp() {
	scenario_begin 24-ccc-prot-lftp "lftp AUTH TLS then CCC (ftp:ssl-use-ccc): PROT C and PROT P data channels (proftpd mod_tls)" \
		"proftpd with mod_tls behind an open router. lftp logs in as labuser over AUTH TLS, sends CCC (ftp:ssl-use-ccc), and fetches /pub/small.txt twice in clear-text control: first with PROT C (ftp:ssl-protect-data off: the data connection is clear), then with PROT P (ftp:ssl-protect-data on: the data connection is TLS). ftpscope must report the session as TLS (tls_mode ccc), track both channels, hash the clear one as the real file, and call the other's data tls."
	open_router
	server_start proftpd main "ModulePath $PROFTPD_MODULES" "LoadModule mod_tls.c" "TLSEngine on" \
		"TLSRSACertificateFile $WORK/cert.pem" "TLSRSACertificateKeyFile $WORK/key.pem" "TLSRequired off" \
		"TLSOptions NoSessionReuseRequired" "TLSLog $SDIR/logs/proftpd-tls.log"
	capture_start
	lftp_run pass pass "lftp AUTH TLS, CCC, PROT C then PROT P RETR" <<LFTP
set ftp:ssl-force yes
set ftp:ssl-use-ccc yes
set ssl:verify-certificate no
set ftp:ssl-protect-data off
open ftp://labuser:secret@$S4
get /pub/small.txt -o small-clear.txt
set ftp:ssl-protect-data on
get /pub/small.txt -o small-tls.txt
LFTP
	scenario_end
}

# The transfer ledger on a second server (issue 13): proftpd sends at most 1 MB/s
# (TransferRate), so a 3 MiB download takes seconds and curl's ranged download ends
# with ABOR while the server is really mid-file. MLSD listing, a several-MiB download,
# active downloads (proftpd's active connections do not come from port 20), TYPE A
# converted by proftpd, REST resume, STOR, and an APPE proftpd refuses (451: it allows
# appends only with AllowStoreRestart).
sc_21_ledger_proftpd_rate() {
	scenario_begin 21-ledger-proftpd-rate "the ledger on proftpd at 1 MB/s: 3 MiB download, ABOR mid-file, MLSD, TYPE A, REST, refused APPE" \
		"proftpd (virtual user labuser) limited to 1024 KB/s per download (TransferRate RETR) behind an open router serves /ledger with a 3 MiB file. lftp lists /ledger (MLSD), fetches 3 MiB.bin passive, one.bin and empty.bin active, and lines.txt in ASCII (proftpd converts LF to CR LF). curl -r 0-99999 reads 100 000 bytes of 3 MiB.bin and sends ABOR while proftpd is mid-file; curl -C 2500000 resumes it at offset 2 500 000 (REST); curl stores an upload, then its APPE is refused with 451 (proftpd allows appends only with AllowStoreRestart)."
	open_router
	ledger_files "$WORK/root"
	seq 1 1000000 >"$WORK/seq.tmp" # a file, not a pipe: head would end seq with SIGPIPE
	head -c 3145728 "$WORK/seq.tmp" >"$WORK/root/ledger/3 MiB.bin"
	rm "$WORK/seq.tmp"
	chmod 644 "$WORK/root/ledger/3 MiB.bin"
	server_start proftpd main "TransferRate RETR 1024"
	capture_start
	lftp_run pass pass "lftp: MLSD, EPSV RETR 3 MiB, EPRT RETRs (1 B, 0 B), EPSV ASCII RETR" <<LFTP
open ftp://labuser:secret@$S4
cd /ledger
cls -l
get "3 MiB.bin"
set ftp:passive-mode off
get one.bin
get empty.bin
set ftp:passive-mode on
get -a lines.txt
LFTP
	curl_run pass pass "curl ranged RETR of 3 MiB ended with ABOR mid-file" -u labuser:secret -r 0-99999 "ftp://$S4/ledger/3%20MiB.bin"
	curl_run pass pass "curl REST 2500000 RETR" -u labuser:secret -C 2500000 "ftp://$S4/ledger/3%20MiB.bin"
	curl_run pass pass "curl STOR" -u labuser:secret -T "$WORK/upload-me.txt" "ftp://$S4/upload/appended.txt"
	curl_run pass pass "curl APPE, refused with 451" -u labuser:secret -a -T "$WORK/upload-me.txt" "ftp://$S4/upload/appended.txt"
	scenario_end
}

# The ledger on a third server (issue 13): pure-ftpd with a virtual user. Its protocol
# log comes through the lab's syslog sink (pureftpd_start). IPv4 and IPv6, both modes.
sc_22_ledger_pureftpd() {
	scenario_begin 22-ledger-pureftpd "the ledger on pure-ftpd: MLSD, 0 B to 1 MiB in both modes over IPv4 and IPv6, STOR, APPE, REST, ABOR" \
		"pure-ftpd (virtual user labuser in a PureDB file) behind an open router serves /ledger. lftp over IPv4 lists it (MLSD), fetches empty.bin, one.bin and 1 MiB.bin passive and mss-1447.bin and mss-1449.bin active, and stores an upload; lftp over IPv6 does the same with EPSV and EPRT for mss-1448.bin and the name in UTF-8. curl resumes 1 MiB.bin at offset 1000 (REST), appends to the upload (APPE) and ends a ranged download of 1 MiB.bin with ABOR."
	open_router
	ledger_files "$WORK/root"
	server_start pure-ftpd main
	capture_start
	lftp_run pass pass "lftp over IPv4: MLSD, PASV RETRs (0 B, 1 B, 1 MiB), PORT RETRs (MSS-1, MSS+1), PASV STOR" <<LFTP
open ftp://labuser:secret@$S4
cd /ledger
cls -l
get empty.bin
get one.bin
get "1 MiB.bin"
set ftp:passive-mode off
get mss-1447.bin
get mss-1449.bin
set ftp:passive-mode on
put -O /upload $WORK/upload-me.txt -o pure-up.txt
LFTP
	lftp_run pass pass "lftp over IPv6: EPSV RETR (MSS), EPRT RETR (UTF-8 name)" <<LFTP
open ftp://labuser:secret@[$S6]
cd /ledger
get mss-1448.bin
set ftp:passive-mode off
get "ünïcode 名.txt"
LFTP
	curl_run pass pass "curl REST 1000 RETR" -u labuser:secret -C 1000 "ftp://$S4/ledger/1%20MiB.bin"
	curl_run pass pass "curl APPE" -u labuser:secret -a -T "$WORK/upload-me.txt" "ftp://$S4/upload/pure-up.txt"
	curl_run pass pass "curl ranged RETR ended with ABOR" -u labuser:secret -r 0-999 "ftp://$S4/ledger/1%20MiB.bin"
	scenario_end
}

# STOU on real software (issue 13): tnftp's sunique makes put send STOU; the server
# names the stored file in its 150 reply (RFC 1123 4.1.2.9: "FILE: name"), vsftpd in
# one line, pure-ftpd in a multi-line 150. Both modes, both servers.
sc_23_stou_tnftp() {
	scenario_begin 23-stou-tnftp "STOU: tnftp stores under unique names on vsftpd and pure-ftpd" \
		"An open router. tnftp with sunique on stores upload-me.txt three times into /upload, passive (EPSV) and active (EPRT), first on vsftpd (anonymous: it stores as the name given, then name.1, name.2; its 150 reply says FILE: name), then on pure-ftpd (labuser: it makes its own names, given in a multi-line 150 reply). ftpscope must give each STOU the path the server named."
	open_router
	server_start vsftpd main
	capture_start
	tnftp_run "tnftp sunique on vsftpd: EPSV STOU twice, EPRT STOU" "$S4" <<TNFTP
user anonymous lab
cd /upload
sunique
put $WORK/upload-me.txt stou.txt
put $WORK/upload-me.txt stou.txt
passive off
put $WORK/upload-me.txt stou.txt
bye
TNFTP
	server_stop
	PID_server=
	server_start pure-ftpd main
	tnftp_run "tnftp sunique on pure-ftpd: EPSV STOU, EPRT STOU" "$S4" <<TNFTP
user labuser secret
cd /upload
sunique
put $WORK/upload-me.txt stou.txt
passive off
put $WORK/upload-me.txt stou.txt
bye
TNFTP
	scenario_end
}
