package ldif

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// writeAll writes the entries and returns the output.
func writeAll(t *testing.T, entries ...*Entry) string {
	t.Helper()
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
	return buf.String()
}

func TestWriterOutput(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	steps := []error{
		w.WriteComment("exported by canaille\r\n\nsecond line"),
		w.WriteVersion(),
		w.Write(&Entry{DN: "uid=a,dc=x", Attributes: []Attribute{
			attr("objectClass", "top", "person"),
			attr("cn", "Élodie"),
			attr("description", ""),
			attr("sn"), // no values: skipped
			attr("userPassword", "{SSHA}abc"),
		}}),
		w.Write(&Entry{DN: "cn=é", Attributes: []Attribute{attr("cn", "é")}}),
		w.Flush(),
	}
	for i, err := range steps {
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	want := `# exported by canaille
#
# second line
version: 1

dn: uid=a,dc=x
objectClass: top
objectClass: person
cn:: w4lsb2RpZQ==
description:
userPassword: {SSHA}abc

dn:: Y249w6k=
cn:: w6k=

`
	if buf.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", buf.String(), want)
	}
}

func TestWriterBase64Selection(t *testing.T) {
	tests := []struct {
		value  string
		base64 bool
	}{
		{"", false},
		{"plain value", false},
		{"#not a comment", false},
		{"middle: colon and < lt", false},
		{"tilde~and DEL\x7f and tab\t", false},
		{" leading space", true},
		{":leading colon", true},
		{"<leading lt", true},
		{"trailing space ", true},
		{"nul\x00inside", true},
		{"cr\rinside", true},
		{"lf\ninside", true},
		{"\x80", true},
		{"Müller", true},
		{"\xff\xd8", true},
	}
	for _, tt := range tests {
		dn := tt.value // DNs follow the same rule, but must be UTF-8
		if !utf8.ValidString(dn) {
			dn = "cn=x"
		}
		out := writeAll(t, &Entry{DN: dn, Attributes: []Attribute{attr("cn", tt.value)}})
		lines := strings.Split(out, "\n")
		for i, l := range lines[:2] {
			if i == 0 && dn != tt.value {
				continue
			}
			if got := strings.Contains(l, ":: "); got != tt.base64 {
				t.Errorf("value %q written as %q, want base64 %v", tt.value, l, tt.base64)
			}
		}
		back := mustReadAll(t, out)
		if len(back) != 1 || back[0].DN != dn || back[0].First("cn") != tt.value {
			t.Errorf("value %q did not survive: %s", tt.value, dump(back))
		}
	}
}

func TestWriterFolding(t *testing.T) {
	long := strings.Repeat("0123456789", 30)
	e := &Entry{DN: "cn=" + long, Attributes: []Attribute{
		attr("description", long),
		attr("jpegPhoto", strings.Repeat("\xff\x00", 200)),
		attr(strings.Repeat("a", 80), "x"),              // a name longer than a line
		attr("cn", strings.Repeat("x", 76-len("cn: "))), // exactly one line
	}}
	var comment = strings.Repeat("é", 100)
	var buf bytes.Buffer
	w := NewWriter(&buf)
	if err := w.WriteComment(comment); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(e); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	out := buf.String()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	for i, l := range lines {
		if len(l) > 76 {
			t.Errorf("line %d is %d bytes long: %q", i+1, len(l), l)
		}
		if strings.HasPrefix(l, " ") && !utf8.ValidString(l) {
			t.Errorf("line %d cuts a UTF-8 sequence: %q", i+1, l)
		}
	}
	if lines[0] != "# "+strings.Repeat("é", 37) || lines[1] != " "+strings.Repeat("é", 37) {
		t.Errorf("comment folded as %q, %q", lines[0], lines[1])
	}
	if want := "dn: cn=" + long[:76-len("dn: cn=")]; !strings.Contains(out, want+"\n ") {
		t.Errorf("the first line is not 76 bytes followed by a continuation:\n%s", out)
	}
	if !strings.Contains(out, "\ncn: "+strings.Repeat("x", 72)+"\n\n") {
		t.Errorf("a 76-byte line was folded:\n%s", out)
	}
	back := mustReadAll(t, out)
	if !sameEntries(back, []*Entry{e}, false) {
		t.Errorf("round trip:%s", dump(back))
	}
}

func TestWriterRejects(t *testing.T) {
	tests := []struct {
		name string
		e    *Entry
		msg  string
	}{
		{"DNNotUTF8", &Entry{DN: "cn=\xff"}, "the dn is not valid UTF-8"},
		{"InvalidName", &Entry{DN: "a", Attributes: []Attribute{attr("c n", "x")}}, `invalid attribute description "c n"`},
		{"NameWithColon", &Entry{DN: "a", Attributes: []Attribute{attr("cn:", "x")}}, "invalid attribute description"},
		{"DNAttribute", &Entry{DN: "a", Attributes: []Attribute{attr("cn", "x"), attr("DN", "b")}}, "cannot be named dn"},
		{"ChangetypeFirst", &Entry{DN: "a", Attributes: []Attribute{attr("sn"), attr("changeType", "add")}}, "first attribute cannot be changeType"},
		{"ControlFirst", &Entry{DN: "a", Attributes: []Attribute{attr("control", "1.2.3")}}, "change record"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := NewWriter(&buf)
			err := w.Write(tt.e)
			if err == nil || !strings.Contains(err.Error(), tt.msg) || !strings.HasPrefix(err.Error(), "ldif: ") {
				t.Fatalf("got %v, want an error containing %q", err, tt.msg)
			}
			w.Flush()
			if buf.Len() != 0 {
				t.Errorf("wrote %q", buf.String())
			}
		})
	}
	t.Run("ChangetypeLaterIsFine", func(t *testing.T) {
		e := &Entry{DN: "a", Attributes: []Attribute{attr("objectClass", "x"), attr("changeType", "add")}}
		if back := mustReadAll(t, writeAll(t, e)); !sameEntries(back, []*Entry{e}, false) {
			t.Errorf("round trip:%s", dump(back))
		}
	})
	t.Run("VersionAfterEntry", func(t *testing.T) {
		w := NewWriter(&bytes.Buffer{})
		w.Write(&Entry{DN: "a"})
		if err := w.WriteVersion(); err == nil {
			t.Error("WriteVersion after Write succeeded")
		}
	})
}

func TestWriterError(t *testing.T) {
	boom := errors.New("boom")
	w := NewWriter(failWriter{boom})
	big := &Entry{DN: "a", Attributes: []Attribute{attr("description", strings.Repeat("x", 100<<10))}}
	if err := w.Write(big); !errors.Is(err, boom) {
		t.Errorf("Write = %v, want an error wrapping boom", err)
	}
	if err := w.Flush(); !errors.Is(err, boom) {
		t.Errorf("Flush = %v, want an error wrapping boom", err)
	}
}

type failWriter struct{ err error }

func (f failWriter) Write([]byte) (int, error) { return 0, f.err }
