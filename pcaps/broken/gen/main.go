// Command gen rewrites the broken captures under pcaps/broken from the cases
// in package broken: go run ./pcaps/broken/gen
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/ftpscope/ftpscope/pcaps/broken"
)

func main() {
	dir := "pcaps/broken"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	for _, c := range broken.Cases {
		if err := c.Write(dir); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
		for _, f := range c.Files {
			fmt.Println(filepath.Join(dir, f))
		}
	}
}
