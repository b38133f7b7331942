package ldif

import (
	"bytes"
	"errors"
	"io"
	"os"
	"testing"
	"unicode/utf8"
)

// FuzzReader checks that for any input Next never panics and stops, that
// every error is a *ParseError on a line of the input and sticks, and that
// every entry it returns survives Write then Read unchanged.
//
// The seed corpus is testdata/fuzz/FuzzReader: hand-written seeds (seed-*)
// and what `go test -fuzz=FuzzReader` found interesting.
func FuzzReader(f *testing.F) {
	if data, err := os.ReadFile(slapcatSample); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data))
		// Small limits, so that the fuzzer reaches them.
		r.MaxLineBytes, r.MaxEntryBytes, r.MaxValues = 512, 4096, 128
		lines := bytes.Count(data, []byte{'\n'}) + 1

		var entries []*Entry
		for {
			if len(entries) > lines {
				t.Fatalf("more entries (%d) than lines (%d)", len(entries), lines)
			}
			e, err := r.Next()
			if err == io.EOF {
				if _, err := r.Next(); err != io.EOF {
					t.Fatalf("Next after io.EOF returned %v", err)
				}
				break
			}
			if err != nil {
				var pe *ParseError
				if !errors.As(err, &pe) {
					t.Fatalf("error %v is a %T, not a *ParseError", err, err)
				}
				if pe.Line < 1 || pe.Line > lines {
					t.Fatalf("error on line %d of %d: %v", pe.Line, lines, err)
				}
				if e2, err2 := r.Next(); e2 != nil || err2 != err {
					t.Fatalf("Next after %v returned %v, %v", err, e2, err2)
				}
				break
			}
			checkReadEntry(t, e, lines)
			entries = append(entries, e)
		}

		var buf bytes.Buffer
		w := NewWriter(&buf)
		for _, e := range entries {
			if err := w.Write(e); err != nil {
				t.Fatalf("write %q: %v", e.DN, err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		back, err := readAll(t, NewReader(&buf))
		if err != nil {
			t.Fatalf("reading back what Writer wrote: %v\n%s", err, buf.String())
		}
		if !sameEntries(back, entries, false) {
			t.Fatalf("round trip changed the entries:\nread:%s\nread back:%s", dump(entries), dump(back))
		}
	})
}

// checkReadEntry checks the invariants of an entry returned by Reader.
func checkReadEntry(t *testing.T, e *Entry, lines int) {
	t.Helper()
	if e.Line < 1 || e.Line > lines {
		t.Fatalf("entry on line %d of %d", e.Line, lines)
	}
	if !utf8.ValidString(e.DN) {
		t.Fatalf("DN %q is not UTF-8", e.DN)
	}
	for i, a := range e.Attributes {
		if !validDescription([]byte(a.Name)) || len(a.Values) == 0 {
			t.Fatalf("attribute %q with %d values", a.Name, len(a.Values))
		}
		for _, b := range e.Attributes[:i] {
			if equalFold(a.Name, b.Name) {
				t.Fatalf("attribute %q appears twice", a.Name)
			}
		}
		for _, v := range a.Values {
			if v == nil || cap(v) != len(v) {
				t.Fatalf("value of %q has len %d, cap %d", a.Name, len(v), cap(v))
			}
		}
	}
}
