module github.com/ftpscope/ftpscope

go 1.25.0

require (
	github.com/gopacket/gopacket v1.7.7
	github.com/olekukonko/tablewriter v1.1.5
	github.com/spf13/pflag v1.1.0
)
