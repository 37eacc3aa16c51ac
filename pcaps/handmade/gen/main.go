// Command gen rewrites the hand-made captures under pcaps/handmade from the
// scenarios in package handmade: go run ./pcaps/handmade/gen
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/ftpscope/ftpscope/pcaps/handmade"
)

func main() {
	dir := "pcaps/handmade"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	for _, s := range handmade.Scenarios {
		if err := s.Write(dir); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
		for _, f := range s.Files {
			fmt.Println(filepath.Join(dir, f))
		}
	}
}
