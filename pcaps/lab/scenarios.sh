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
	16-passive-range-firewall
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
