package handmade

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestCommittedCapturesAreCurrent fails when the committed captures differ
// from what the scenarios write: run `go run ./pcaps/handmade/gen`.
func TestCommittedCapturesAreCurrent(t *testing.T) {
	for _, s := range Scenarios {
		got, err := s.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		for i, name := range s.Files {
			want, err := os.ReadFile(filepath.Join(".", name))
			if err != nil {
				t.Fatalf("%s: %v (run go run ./pcaps/handmade/gen)", name, err)
			}
			if !bytes.Equal(got[i], want) {
				t.Errorf("%s differs from what scenario %s writes (run go run ./pcaps/handmade/gen)", name, s.Name)
			}
		}
	}
}
