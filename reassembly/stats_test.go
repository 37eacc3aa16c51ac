package reassembly

import (
	"reflect"
	"testing"
)

// TestStatsAddEveryCounter checks that Add sums every counter of Stats.
func TestStatsAddEveryCounter(t *testing.T) {
	var a, b Stats
	va, vb := reflect.ValueOf(&a).Elem(), reflect.ValueOf(&b).Elem()
	for i := range va.NumField() {
		va.Field(i).SetUint(1)
		vb.Field(i).SetUint(2)
	}
	a.Add(b)
	for i := range va.NumField() {
		if got := va.Field(i).Uint(); got != 3 {
			t.Errorf("%s is %d after adding 1 and 2: Add forgets it", va.Type().Field(i).Name, got)
		}
	}
}
