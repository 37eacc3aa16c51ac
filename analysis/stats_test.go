package analysis

import (
	"reflect"
	"testing"

	"github.com/ftpscope/ftpscope/capture"
)

// TestStatsAddEveryCounter sets every counter of two Stats and checks that
// Add sums each: a counter added to Stats later and forgotten in Add would
// vanish from the totals of a run with workers.
func TestStatsAddEveryCounter(t *testing.T) {
	var a, b Stats
	fill(reflect.ValueOf(&a).Elem(), 1)
	fill(reflect.ValueOf(&b).Elem(), 2)
	a.FirstDuplicate = capture.Position{Num: 9}
	b.FirstDuplicate = capture.Position{Num: 4}
	a.Add(b)
	check(t, reflect.ValueOf(a), "Stats")
	if a.FirstDuplicate.Num != 4 {
		t.Errorf("FirstDuplicate is packet %d, want the earlier one, 4", a.FirstDuplicate.Num)
	}
}

func fill(v reflect.Value, n uint64) {
	switch v.Kind() {
	case reflect.Uint64:
		v.SetUint(n)
	case reflect.Array:
		for i := range v.Len() {
			fill(v.Index(i), n)
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(capture.Position{}) {
			return
		}
		for i := range v.NumField() {
			fill(v.Field(i), n)
		}
	}
}

func check(t *testing.T, v reflect.Value, path string) {
	t.Helper()
	switch v.Kind() {
	case reflect.Uint64:
		if v.Uint() != 3 {
			t.Errorf("%s is %d after adding 1 and 2: Add forgets it", path, v.Uint())
		}
	case reflect.Array:
		for i := range v.Len() {
			check(t, v.Index(i), path)
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(capture.Position{}) {
			return
		}
		for i := range v.NumField() {
			check(t, v.Field(i), path+"."+v.Type().Field(i).Name)
		}
	}
}
