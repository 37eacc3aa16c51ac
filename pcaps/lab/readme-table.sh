#!/usr/bin/env bash
# Print the README's corpus table (one row per capture) from the committed truth files:
#   bash pcaps/lab/readme-table.sh > /tmp/rows.md
# The "must report" column summarises truth.json; truth.json is the full answer key.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
echo "| capture | scenario | vantage | software | ftpscope must report (per channel: method verdict [blocked], ×count) |"
echo "|---|---|---|---|---|"
for f in */truth.json; do
	jq -r '
	  . as $t | .vantages[] |
	  ( [ .sessions[] | (if .tls then ["TLS session: \(.hidden_channels // 0) hidden announcement(s), no channel"] else [] end) +
	      [ .channels[] | "\(.method) \(.verdict)\(if .blocked then " blocked" else "" end)\(if .nat then " nat" else "" end)" ] ] | add // [] ) as $chs |
	  ($chs | group_by(.) | map("\(.[0]) ×\(length)") | join(", ")) as $sum |
	  "| `\($t.scenario)/\(.capture)` | \($t.title) | \(.name) | \($t.software.client); \($t.software.server) | \(.sessions | length) sessions: \($sum) |"
	' "$f"
done
