package report

import (
	"bytes"
	"reflect"
	"testing"
)

// fillAll sets every field reachable from v to a value that differs from its
// zero value (strings hold escapes and hostile runes, pointers point,
// slices hold two elements), so that a record that leaves out a field or
// writes it in the wrong place differs from encoding/json's.
func fillAll(v reflect.Value, n *int) {
	*n++
	switch v.Kind() {
	case reflect.String:
		v.SetString("s" + string(rune('a'+*n%26)) + "\"\\\t\x7f\u202e\xff")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt(int64(*n))
	case reflect.Uint, reflect.Uint64, reflect.Uint32, reflect.Uint16, reflect.Uint8:
		v.SetUint(uint64(*n % 200))
	case reflect.Float64:
		v.SetFloat(float64(*n) + 0.125)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fillAll(p.Elem(), n)
		v.Set(p)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			fillAll(s.Index(i), n)
		}
		v.Set(s)
	case reflect.Struct:
		for i := range v.NumField() {
			fillAll(v.Field(i), n)
		}
	default:
		panic("fillAll: unhandled kind " + v.Kind().String())
	}
}

// TestJSONFastEveryField: with every field of the session and streamed
// channel records set, and with none set, the hand-written records are
// encoding/json's. A field added to the structs and not to jsonfast.go
// fails here.
func TestJSONFastEveryField(t *testing.T) {
	var full jsonSession
	var stream jsonStreamChannel
	n := 0
	fillAll(reflect.ValueOf(&full).Elem(), &n)
	fillAll(reflect.ValueOf(&stream).Elem(), &n)
	for _, tc := range []struct {
		name string
		rec  any
		fast []byte
	}{
		{"full session", full, appendSessionJSON(nil, &full)},
		{"empty session", jsonSession{}, appendSessionJSON(nil, &jsonSession{})},
		{"full channel", stream, appendStreamChannelJSON(nil, &stream)},
		{"empty channel", jsonStreamChannel{}, appendStreamChannelJSON(nil, &jsonStreamChannel{})},
	} {
		var b bytes.Buffer
		if err := newJSONEncoder(&b).Encode(tc.rec); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(tc.fast, b.Bytes()) {
			t.Errorf("%s:\n--- by hand\n%s--- encoding/json\n%s", tc.name, tc.fast, b.Bytes())
		}
	}
}
