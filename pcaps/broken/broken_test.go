package broken

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestCommittedCapturesAreCurrent fails when the committed captures differ
// from what the cases write: run `go run ./pcaps/broken/gen`.
func TestCommittedCapturesAreCurrent(t *testing.T) {
	for _, c := range Cases {
		got, err := c.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		for i, name := range c.Files {
			want, err := os.ReadFile(filepath.Join(".", name))
			if err != nil {
				t.Fatalf("%s: %v (run go run ./pcaps/broken/gen)", name, err)
			}
			if !bytes.Equal(got[i], want) {
				t.Errorf("%s differs from what case %s writes (run go run ./pcaps/broken/gen)", name, c.Name)
			}
		}
	}
}

// TestREADMEListsEveryFile: each committed capture has its row.
func TestREADMEListsEveryFile(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range Cases {
		for _, f := range c.Files {
			if !bytes.Contains(readme, []byte("`"+f+"`")) {
				t.Errorf("README.md has no row for %s", f)
			}
		}
	}
}
