package bolt

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/canaille-go/canaille/store"
)

// TestRecordData: a token's or a code's Data is stored as JSON when it is
// a JSON object, as base64 otherwise, comes
// back byte for byte either way, and records written with base64 Data
// (every record before this format) still decode.
func TestRecordData(t *testing.T) {
	for _, tc := range []struct {
		name   string
		data   []byte
		inline bool
	}{
		{"json", []byte(`{"id":"r1","session":{"subject":"a b","x":["\u003c",1]}}`), true},
		{"spaced json", []byte("{\"id\": \"r1\",\n \"a\" :[ 1 ] }"), true},
		{"html", []byte(`{"id":"<r1>&"}`), true},
		{"line separator", []byte("{\"id\":\"\u2028\"}"), true},
		{"invalid", []byte(`{"id":`), false},
		{"array", []byte(`[1,2]`), false},
		{"trailing space", []byte(`{"id":"r1"} `), false},
		{"binary", []byte{0xff, 0, '{'}, false},
		{"empty", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := encode(tokenRecord{Token: store.Token{ID: "t1", Data: tc.data}, AccessDigest: "d"})
			if err != nil {
				t.Fatal(err)
			}
			if got := bytes.Contains(raw, []byte(`"data":{`)); got != tc.inline {
				t.Errorf("inline = %v, want %v: %s", got, tc.inline, raw)
			}
			var rec tokenRecord
			if err := decode(raw, &rec); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(rec.Data, tc.data) || rec.ID != "t1" || rec.AccessDigest != "d" {
				t.Errorf("decoded %+v, want data %q", rec, tc.data)
			}

			raw, err = encode(codeRecord{AuthorizationCode: store.AuthorizationCode{ID: "c1", Data: tc.data}, CodeDigest: "d"})
			if err != nil {
				t.Fatal(err)
			}
			var code codeRecord
			if err := decode(raw, &code); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(code.Data, tc.data) || code.ID != "c1" || code.CodeDigest != "d" {
				t.Errorf("decoded code %+v, want data %q", code, tc.data)
			}
		})
	}

	t.Run("base64 records", func(t *testing.T) {
		data := []byte(`{"id":"r1"}`)
		old, err := json.Marshal(map[string]any{"token_id": "t1", "data": base64.StdEncoding.EncodeToString(data), "access_digest": "d"})
		if err != nil {
			t.Fatal(err)
		}
		var rec tokenRecord
		if err := decode(append([]byte{recordVersion}, old...), &rec); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(rec.Data, data) || rec.ID != "t1" {
			t.Errorf("decoded %+v", rec)
		}
		var bad tokenRecord
		if err := decode(append([]byte{recordVersion}, strings.ReplaceAll(string(old), `"data":"`, `"data":"!`)...), &bad); err == nil {
			t.Error("a corrupt base64 Data decoded")
		}
	})
}

// FuzzRecordData: whatever a token's Data holds, it comes back byte for
// byte.
func FuzzRecordData(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"a": 1}`, `{"a":"<"}`, "{\"a\":\"\u2029\"}", `{"a":"\"}`, `{`, "", "\x00"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		raw, err := encode(tokenRecord{Token: store.Token{ID: "t1", Data: data}})
		if err != nil {
			t.Fatal(err)
		}
		var rec tokenRecord
		if err := decode(raw, &rec); err != nil {
			t.Fatalf("%q: %v (%s)", data, err, raw)
		}
		if !bytes.Equal(rec.Data, data) && !(len(data) == 0 && len(rec.Data) == 0) {
			t.Fatalf("%q came back as %q (%s)", data, rec.Data, raw)
		}
	})
}

// Records with Data decode through their own UnmarshalJSON (decode skips
// encoding/json's first pass over the bytes): bytes that are not one
// valid JSON object are still refused whole.
func TestDecodeCorruptDataRecords(t *testing.T) {
	raw, err := encode(tokenRecord{Token: store.Token{ID: "t1", Data: []byte(`{"id":"r1"}`)}, AccessDigest: "d"})
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]byte{
		raw[:len(raw)-1],                        // truncated
		append(slices.Clone(raw), `{}`...),      // two values
		append(slices.Clone(raw), `,"x":1}`...), // trailing garbage
		append(raw[:1:1], `{"id":"t1","data":{"id":}}`...),
		append(raw[:1:1], `[]`...),
		raw[:1],
	} {
		var rec tokenRecord
		if err := decode(bad, &rec); err == nil || !strings.Contains(err.Error(), "corrupt record") {
			t.Errorf("decode(%q) = %v, want a corrupt record", bad, err)
		}
		var code codeRecord
		if err := decode(bad, &code); err == nil {
			t.Errorf("decode code (%q) = nil, want an error", bad)
		}
	}
	var rec tokenRecord
	if err := decode(append(slices.Clone(raw), " \n"...), &rec); err != nil || rec.ID != "t1" {
		t.Errorf("trailing white space: %v, %+v", err, rec)
	}
}
