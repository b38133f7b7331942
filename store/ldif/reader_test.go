package ldif

import (
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
)

// attr builds an Attribute from string values.
func attr(name string, values ...string) Attribute {
	a := Attribute{Name: name}
	for _, v := range values {
		a.Values = append(a.Values, []byte(v))
	}
	return a
}

// readAll reads entries until the first error, which it returns (nil at EOF).
func readAll(t *testing.T, r *Reader) ([]*Entry, error) {
	t.Helper()
	var out []*Entry
	for i := 0; ; i++ {
		if i > 1e6 {
			t.Fatal("Next did not stop")
		}
		e, err := r.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, e)
	}
}

func mustReadAll(t *testing.T, in string) []*Entry {
	t.Helper()
	entries, err := readAll(t, NewReader(strings.NewReader(in)))
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return entries
}

// sameEntries compares DN, attribute names, values and order; Line only when
// checkLine is set.
func sameEntries(got, want []*Entry, checkLine bool) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		g, w := *got[i], *want[i]
		if !checkLine {
			g.Line, w.Line = 0, 0
		}
		if !reflect.DeepEqual(g, w) {
			return false
		}
	}
	return true
}

func dump(entries []*Entry) string {
	var b strings.Builder
	for _, e := range entries {
		b.WriteString("\n  line " + strconv.Itoa(e.Line) + " dn=" + strings.ReplaceAll(e.DN, "\n", `\n`))
		for _, a := range e.Attributes {
			for _, v := range a.Values {
				b.WriteString("\n    " + a.Name + "=" + strings.ReplaceAll(string(v), "\n", `\n`))
			}
		}
	}
	return b.String()
}

func TestReaderAccepts(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []*Entry
	}{
		{"Empty", "", nil},
		{"OnlyComments", "# nothing\n# here\n", nil},
		{"OnlyVersion", "version: 1\n", nil},
		{"Basic", "dn: uid=a,dc=x\nuid: a\ncn: A\n\n",
			[]*Entry{{DN: "uid=a,dc=x", Line: 1, Attributes: []Attribute{attr("uid", "a"), attr("cn", "A")}}}},
		{"NoTrailingBlankLine", "dn: uid=a\ncn: A",
			[]*Entry{{DN: "uid=a", Line: 1, Attributes: []Attribute{attr("cn", "A")}}}},
		{"NoTrailingNewlineAfterBlank", "dn: a\ncn: A\n\ndn: b\ncn: B",
			[]*Entry{
				{DN: "a", Line: 1, Attributes: []Attribute{attr("cn", "A")}},
				{DN: "b", Line: 4, Attributes: []Attribute{attr("cn", "B")}}}},
		{"SeveralBlankLines", "\n\ndn: a\ncn: A\n\n\n\ndn: b\ncn: B\n\n\n",
			[]*Entry{
				{DN: "a", Line: 3, Attributes: []Attribute{attr("cn", "A")}},
				{DN: "b", Line: 8, Attributes: []Attribute{attr("cn", "B")}}}},
		{"SpaceOnlySeparatorLine", "dn: a\ncn: A\n\n  \ndn: b\ncn: B\n",
			[]*Entry{
				{DN: "a", Line: 1, Attributes: []Attribute{attr("cn", "A")}},
				{DN: "b", Line: 5, Attributes: []Attribute{attr("cn", "B")}}}},
		{"CRLF", "dn: a\r\ncn: A\r\n long\r\n\r\ndn: b\r\ncn: B\r\n",
			[]*Entry{
				{DN: "a", Line: 1, Attributes: []Attribute{attr("cn", "Along")}},
				{DN: "b", Line: 5, Attributes: []Attribute{attr("cn", "B")}}}},
		{"BOM", "\xef\xbb\xbfdn: a\ncn: A\n",
			[]*Entry{{DN: "a", Line: 1, Attributes: []Attribute{attr("cn", "A")}}}},
		{"VersionThenBlank", "version: 1\n\ndn: a\ncn: A\n",
			[]*Entry{{DN: "a", Line: 3, Attributes: []Attribute{attr("cn", "A")}}}},
		{"VersionThenDN", "# hello\nversion:   1\ndn: a\ncn: A\n",
			[]*Entry{{DN: "a", Line: 3, Attributes: []Attribute{attr("cn", "A")}}}},
		{"VersionAttributeInsideRecord", "dn: a\nversion: 3\n",
			[]*Entry{{DN: "a", Line: 1, Attributes: []Attribute{attr("version", "3")}}}},
		{"Comments", "# top\n#\n# folded\n  comment: not an attribute\ndn: a\n# inside\ncn: A\n#x\n folded too\nsn: S\n# after\n\n# between\n\ndn: b\n",
			[]*Entry{
				{DN: "a", Line: 5, Attributes: []Attribute{attr("cn", "A"), attr("sn", "S")}},
				{DN: "b", Line: 15}}},
		{"Folding", "dn: cn=long\n ,dc=x\ndescription: one\n  two\n three\n",
			[]*Entry{{DN: "cn=long,dc=x", Line: 1, Attributes: []Attribute{attr("description", "one twothree")}}}},
		{"FoldedAttributeName", "dn: a\ndescri\n ption: x\n",
			[]*Entry{{DN: "a", Line: 1, Attributes: []Attribute{attr("description", "x")}}}},
		{"EmptyValues", "dn: a\ndescription:\nsn:   \ncn::\n",
			[]*Entry{{DN: "a", Line: 1, Attributes: []Attribute{attr("description", ""), attr("sn", ""), attr("cn", "")}}}},
		{"EmptyDN", "dn:\nobjectClass: top\n",
			[]*Entry{{DN: "", Line: 1, Attributes: []Attribute{attr("objectClass", "top")}}}},
		{"SpacesStrippedAfterColonOnly", "dn:    a b \ncn:  x  y  \n",
			[]*Entry{{DN: "a b ", Line: 1, Attributes: []Attribute{attr("cn", "x  y  ")}}}},
		{"Base64", "dn:: dWlkPcOpLGRjPXg=\ncn:: w4lsb2RpZQ==\nuserPassword::e1NTSEF9YWJj\n",
			[]*Entry{{DN: "uid=é,dc=x", Line: 1, Attributes: []Attribute{attr("cn", "Élodie"), attr("userPassword", "{SSHA}abc")}}}},
		{"Base64FoldedWithSpaces", "dn: a\ncn:: w4ls\n b2Rp ZQ =\n =\n",
			[]*Entry{{DN: "a", Line: 1, Attributes: []Attribute{attr("cn", "Élodie")}}}},
		{"Base64Binary", "dn: a\njpegPhoto:: /9gA/w0K\n",
			[]*Entry{{DN: "a", Line: 1, Attributes: []Attribute{attr("jpegPhoto", "\xff\xd8\x00\xff\r\n")}}}},
		{"PlainNonASCIIAccepted", "dn: cn=Élodie\ncn: Élodie\n",
			[]*Entry{{DN: "cn=Élodie", Line: 1, Attributes: []Attribute{attr("cn", "Élodie")}}}},
		{"LenientPlainValueStartingWithColonOrLt", "dn: a\ncn: :x\nsn: <y\n",
			[]*Entry{{DN: "a", Line: 1, Attributes: []Attribute{attr("cn", ":x"), attr("sn", "<y")}}}},
		{"MergeNonAdjacentCaseInsensitive", "dn: a\nobjectClass: top\ncn: A\nobjectclass: person\nOBJECTCLASS: top\nsn: S\ncn: B\n",
			[]*Entry{{DN: "a", Line: 1, Attributes: []Attribute{
				attr("objectClass", "top", "person", "top"), attr("cn", "A", "B"), attr("sn", "S")}}}},
		{"OptionsAreDistinct", "dn: a\ncn: A\ncn;lang-fr: Aa\nuserCertificate;binary:: AAE=\nCN;LANG-FR: Ab\n",
			[]*Entry{{DN: "a", Line: 1, Attributes: []Attribute{
				attr("cn", "A"), attr("cn;lang-fr", "Aa", "Ab"), attr("userCertificate;binary", "\x00\x01")}}}},
		{"DuplicateValuesKept", "dn: a\nmail: x\nmail: x\n",
			[]*Entry{{DN: "a", Line: 1, Attributes: []Attribute{attr("mail", "x", "x")}}}},
		{"NumericOID", "dn: a\n2.5.4.3: A\n1.3.6.1.4.1.1466.0;x-opt: B\n",
			[]*Entry{{DN: "a", Line: 1, Attributes: []Attribute{attr("2.5.4.3", "A"), attr("1.3.6.1.4.1.1466.0;x-opt", "B")}}}},
		{"ChangetypeAttributeLaterIsContent", "dn: changeNumber=1,cn=changelog\nobjectClass: changeLogEntry\nchangeType: add\n",
			[]*Entry{{DN: "changeNumber=1,cn=changelog", Line: 1, Attributes: []Attribute{
				attr("objectClass", "changeLogEntry"), attr("changeType", "add")}}}},
		{"BareCRKeptInValue", "dn: a\ncn: x\ry\n",
			[]*Entry{{DN: "a", Line: 1, Attributes: []Attribute{attr("cn", "x\ry")}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustReadAll(t, tt.in)
			if !sameEntries(got, tt.want, true) {
				t.Errorf("got:%s\nwant:%s", dump(got), dump(tt.want))
			}
		})
	}
}

func TestReaderManyAttributes(t *testing.T) {
	// Past indexThreshold distinct names the reader switches to a map; the
	// merge rule must not change.
	var in, back strings.Builder
	in.WriteString("dn: a\n")
	var want []Attribute
	for i := 0; i < 3*indexThreshold; i++ {
		name := "a" + strings.Repeat("x", i)
		in.WriteString(name + ": 1\n")
		back.WriteString(strings.ToUpper(name) + ": 2\n")
		want = append(want, attr(name, "1", "2"))
	}
	got := mustReadAll(t, in.String()+back.String())
	if len(got) != 1 || !reflect.DeepEqual(got[0].Attributes, want) {
		t.Errorf("got:%s", dump(got))
	}
}

func TestReaderErrors(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		line  int
		msg   string
		okBef int // entries returned before the error
	}{
		{"NoColon", "dn: a\ncn: x\nfoo\n", 3, "expected 'attribute: value', found no colon", 0},
		{"NoColonFolded", "dn: a\ncn: x\n\ndn: b\nfoo\n bar\n", 5, "found no colon", 1},
		{"BadBase64", "dn: a\ncn: x\nuserPassword:: e1NTSEF9!!!\n", 3, "invalid base64 value for attribute userPassword", 0},
		{"Base64MissingPadding", "dn: a\ncn:: Zm9vYg\n", 2, "invalid base64 value for attribute cn", 0},
		{"Base64NotStrict", "dn: a\ncn:: Zm9vYh==\n", 2, "invalid base64 value for attribute cn", 0},
		{"Base64URLAlphabet", "dn: a\ncn:: _-8=\n", 2, "invalid base64 value for attribute cn", 0},
		{"BadBase64DN", "dn:: %%%\ncn: x\n", 1, "invalid base64 value for the dn", 0},
		{"DNNotUTF8", "dn:: /w==\ncn: x\n", 1, "the dn is not valid UTF-8", 0},
		{"URLValue", "dn: a\njpegPhoto:< file:///etc/passwd\n", 2, "URL values (attr:<) are not supported", 0},
		{"URLDN", "dn:< file:///x\n", 1, "URL values (attr:<) are not supported", 0},
		{"RecordNotStartingWithDN", "cn: x\n", 1, `expected a 'dn:' line to start the record, found attribute cn`, 0},
		{"SecondRecordNotStartingWithDN", "dn: a\ncn: x\n\n# c\nobjectClass: top\n", 5, "found attribute objectClass", 1},
		{"VersionNotFirst", "dn: a\n\nversion: 1\n", 3, "found attribute version", 1},
		{"UnsupportedVersion", "version: 2\ndn: a\n", 1, "unsupported LDIF version", 0},
		{"Changetype", "dn: a\nchangetype: modify\nreplace: cn\ncn: x\n", 2, "changetype: modify", 0},
		{"ChangetypeSaysContentOnly", "dn: a\nchangeType: add\ncn: x\n", 2, "only content records", 0},
		{"ChangetypeUnknown", "dn: a\nchangetype: s3cr3t\n", 2, "unrecognised changetype", 0},
		{"Control", "dn: a\ncontrol: 1.2.840.113556.1.4.805 true\nchangetype: delete\n", 2, "'control:' line", 0},
		{"ContinuationAtStart", " dn: a\ncn: x\n", 1, "continuation line (starting with a space) at the start of a record", 0},
		{"ContinuationAfterBlank", "dn: a\ncn: x\n\n x\n", 4, "continuation line", 1},
		{"SecondDN", "dn: a\ncn: x\ndn: b\ncn: y\n", 3, "second 'dn:' line in the record starting at line 1", 0},
		{"InvalidNameUnderscore", "dn: a\nc_n: x\n", 2, `invalid attribute description "c_n"`, 0},
		{"InvalidNameLeadingDigit", "dn: a\n1cn: x\n", 2, `invalid attribute description "1cn"`, 0},
		{"InvalidNameSpace", "dn: a\ncn : x\n", 2, `invalid attribute description "cn "`, 0},
		{"InvalidNameTab", "dn: a\n\tcn: x\n", 2, `invalid attribute description "\tcn"`, 0},
		{"InvalidNameEmpty", "dn: a\n: x\n", 2, `invalid attribute description ""`, 0},
		{"InvalidEmptyOption", "dn: a\ncn;: x\n", 2, `invalid attribute description "cn;"`, 0},
		{"InvalidOptionChar", "dn: a\ncn;lang_fr: x\n", 2, `invalid attribute description "cn;lang_fr"`, 0},
		{"InvalidOIDLeadingZero", "dn: a\n2.05.4: x\n", 2, `invalid attribute description "2.05.4"`, 0},
		{"InvalidOIDTrailingDot", "dn: a\n2.5.: x\n", 2, `invalid attribute description "2.5."`, 0},
		{"InvalidOIDSingleNumber", "dn: a\n2: x\n", 2, `invalid attribute description "2"`, 0},
		{"InvalidNameLongIsCut", "dn: a\n" + strings.Repeat("p", 100) + " x: y\n", 2, "(cut at 40 bytes)", 0},
		{"TabIsNotAContinuation", "dn: a\ndescription: one\n\tthree\n", 3, "found no colon", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader(strings.NewReader(tt.in))
			got, err := readAll(t, r)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("got error %v (%T), want a *ParseError", err, err)
			}
			if pe.Line != tt.line || !strings.Contains(pe.Msg, tt.msg) {
				t.Errorf("got %q (line %d), want line %d and %q", err, pe.Line, tt.line, tt.msg)
			}
			if !strings.HasPrefix(err.Error(), "ldif: line ") {
				t.Errorf("error %q lacks the ldif: line prefix", err)
			}
			if len(got) != tt.okBef {
				t.Errorf("got %d entries before the error, want %d", len(got), tt.okBef)
			}
			if e, err2 := r.Next(); e != nil || err2 != err {
				t.Errorf("Next after the error returned %v, %v; want nil, the same error", e, err2)
			}
		})
	}
}

// TestReaderErrorsHideValues makes sure no error message carries a value
// from the input, since values may be password hashes.
func TestReaderErrorsHideValues(t *testing.T) {
	const secret = "e1NTSEF9c2VjcmV0"
	inputs := []string{
		"dn: a\nuserPassword:: " + secret + "!\n",
		"dn: a\nuserPassword " + secret + "\n",
		"dn: a\nuserPassword:< " + secret + "\n",
		"version: " + secret + "\n",
		"dn: a\nchangetype: " + secret + "\n",
		"userPassword: " + secret + "\n",
		"dn: a\nuserPassword: " + secret + "\ndn: " + secret + "\n",
	}
	for _, in := range inputs {
		_, err := readAll(t, NewReader(strings.NewReader(in)))
		if err == nil {
			t.Errorf("%q: no error", in)
			continue
		}
		if strings.Contains(err.Error(), secret[:8]) {
			t.Errorf("%q: error %q contains the value", in, err)
		}
	}
}

func TestReaderLimits(t *testing.T) {
	t.Run("MaxLineBytes", func(t *testing.T) {
		r := NewReader(strings.NewReader("dn: a\ncn: 12345\ncn: 123456\n"))
		r.MaxLineBytes = 9
		_, err := readAll(t, r)
		assertParseError(t, err, 3, "line is longer than 9 bytes")
	})
	t.Run("MaxLineBytesExcludesLineEnding", func(t *testing.T) {
		r := NewReader(strings.NewReader("dn: a\r\ncn: 12345\r\n"))
		r.MaxLineBytes = 9
		if _, err := readAll(t, r); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("LineLongerThanBuffer", func(t *testing.T) {
		long := strings.Repeat("x", 300<<10)
		got := mustReadAll(t, "dn: a\ndescription: "+long+"\ncn: b\n")
		if len(got) != 1 || got[0].First("description") != long || got[0].First("cn") != "b" {
			t.Fatalf("long line misread")
		}
	})
	t.Run("DefaultMaxLineBytes", func(t *testing.T) {
		long := strings.Repeat("x", DefaultMaxLineBytes)
		_, err := readAll(t, NewReader(strings.NewReader("dn: a\ncn: "+long+"\n")))
		assertParseError(t, err, 2, "line is longer than 1048576 bytes")
	})
	t.Run("MaxEntryBytes", func(t *testing.T) {
		r := NewReader(strings.NewReader("dn: a\ncn: 1\n\ndn: b\ncn: 12\n 34\n 56\n"))
		r.MaxEntryBytes = 14
		got, err := readAll(t, r)
		assertParseError(t, err, 7, "the record starting at line 4 is larger than 14 bytes")
		if len(got) != 1 {
			t.Errorf("got %d entries before the error, want 1", len(got))
		}
	})
	t.Run("MaxEntryBytesLongFoldedValue", func(t *testing.T) {
		in := "dn: a\ndescription: x\n" + strings.Repeat(" "+strings.Repeat("y", 70)+"\n", 1000)
		r := NewReader(strings.NewReader(in))
		r.MaxEntryBytes = 10000
		_, err := readAll(t, r)
		var pe *ParseError
		if !errors.As(err, &pe) || !strings.Contains(pe.Msg, "larger than 10000 bytes") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("MaxValues", func(t *testing.T) {
		r := NewReader(strings.NewReader("dn: a\nmember: 1\nmember: 2\nmember: 3\n"))
		r.MaxValues = 2
		_, err := readAll(t, r)
		assertParseError(t, err, 4, "has more than 2 values")
	})
	t.Run("MaxValuesPerRecord", func(t *testing.T) {
		r := NewReader(strings.NewReader("dn: a\nm: 1\nm: 2\n\ndn: b\nm: 1\nm: 2\n"))
		r.MaxValues = 2
		if got, err := readAll(t, r); err != nil || len(got) != 2 {
			t.Fatalf("got %d entries, %v", len(got), err)
		}
	})
}

func TestReaderReadError(t *testing.T) {
	boom := errors.New("boom")
	r := NewReader(io.MultiReader(strings.NewReader("dn: a\ncn: x\n\ndn: b\n"), iotest.ErrReader(boom)))
	got, err := readAll(t, r)
	if !errors.Is(err, boom) || len(got) != 1 {
		t.Fatalf("got %d entries, %v; want 1 and an error wrapping boom", len(got), err)
	}
	if _, err2 := r.Next(); err2 != err {
		t.Errorf("Next after the error returned %v", err2)
	}
}

func assertParseError(t *testing.T, err error, line int, msg string) {
	t.Helper()
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("got error %v (%T), want a *ParseError", err, err)
	}
	if pe.Line != line || !strings.Contains(pe.Msg, msg) {
		t.Errorf("got %q (line %d), want line %d and %q", err, pe.Line, line, msg)
	}
}

func TestEntryAccessors(t *testing.T) {
	e := &Entry{DN: "a", Attributes: []Attribute{
		attr("objectClass", "top", "person"), attr("cn;lang-fr", "Aa"), attr("cn", "A"), attr("empty"),
	}}
	if got := e.Strings("OBJECTCLASS"); !reflect.DeepEqual(got, []string{"top", "person"}) {
		t.Errorf("Strings = %q", got)
	}
	if got := e.First("cn"); got != "A" {
		t.Errorf("First(cn) = %q, want A (options are part of the description)", got)
	}
	if got := e.First("CN;Lang-FR"); got != "Aa" {
		t.Errorf("First(CN;Lang-FR) = %q", got)
	}
	if e.First("sn") != "" || e.Get("sn") != nil || e.Strings("sn") != nil || e.Has("sn") {
		t.Error("absent attribute reported as present")
	}
	if !e.Has("Cn") || e.Has("empty") {
		t.Error("Has is wrong")
	}
}
