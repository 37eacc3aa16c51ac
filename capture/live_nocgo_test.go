//go:build !cgo

package capture

import (
	"errors"
	"strings"
	"testing"
)

func TestLiveUnavailableWithoutCgo(t *testing.T) {
	src, err := OpenLive(LiveConfig{Interface: "lo"})
	if src != nil || !errors.Is(err, ErrLiveUnavailable) {
		t.Fatalf("OpenLive = %v, %v; want nil, ErrLiveUnavailable", src, err)
	}
	for _, want := range []string{"not in this build", "without cgo/libpcap", "reading files works"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	ifs, err := ListInterfaces()
	if ifs != nil || !errors.Is(err, ErrLiveUnavailable) {
		t.Fatalf("ListInterfaces = %v, %v; want nil, ErrLiveUnavailable", ifs, err)
	}
}
