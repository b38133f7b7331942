package ldapserver

import (
	"bytes"
	"slices"
	"testing"

	ber "github.com/go-asn1-ber/asn1-ber"
	"github.com/jimlambrt/gldap"

	"github.com/canaille-go/canaille/store/ldif"
)

// TestEncodeEntryMatchesGoASN1 checks our encoder against go-asn1-ber's for
// entries of every size class of BER lengths.
func TestEncodeEntryMatchesGoASN1(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 70000)
	for _, e := range []*ldif.Entry{
		{DN: "uid=a,dc=x"},
		{DN: "uid=alice,ou=users,dc=example,dc=org", Attributes: []ldif.Attribute{
			{Name: "uid", Values: [][]byte{[]byte("alice")}},
			{Name: "mail", Values: [][]byte{[]byte("a@x.org"), []byte("b@x.org")}},
			{Name: "jpegPhoto", Values: [][]byte{big}},
			{Name: "empty"},
		}},
		{DN: string(bytes.Repeat([]byte("d"), 200)), Attributes: []ldif.Attribute{{Name: "cn", Values: [][]byte{bytes.Repeat([]byte("c"), 300)}}}},
	} {
		for _, id := range []int64{1, 127, 128, 255, 256, 65535, 1 << 30} {
			for _, typesOnly := range []bool{false, true} {
				want := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
				want.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, id, ""))
				op := ber.Encode(ber.ClassApplication, ber.TypeConstructed, gldap.ApplicationSearchResultEntry, nil, "")
				op.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, e.DN, ""))
				attrs := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
				for _, a := range e.Attributes {
					seq := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
					seq.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, a.Name, ""))
					set := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSet, nil, "")
					if !typesOnly {
						for _, v := range a.Values {
							set.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, string(v), ""))
						}
					}
					seq.AppendChild(set)
					attrs.AppendChild(seq)
				}
				op.AppendChild(attrs)
				want.AppendChild(op)
				if got := encodeEntry(id, e, typesOnly); !bytes.Equal(got, want.Bytes()) {
					t.Fatalf("id %d, typesOnly %v, %s: encodings differ", id, typesOnly, e.DN[:min(len(e.DN), 20)])
				}
			}
		}
	}
}

// TestSearchDoneMatchesGoASN1 checks appendSearchDone against the
// encoding go-asn1-ber gives.
func TestSearchDoneMatchesGoASN1(t *testing.T) {
	long := string(bytes.Repeat([]byte("d"), 300))
	for _, res := range []searchResult{
		{},
		{code: resultNoSuchObject, matched: "ou=users,dc=example,dc=org"},
		{code: resultOther, diag: long},
		{code: resultSizeLimitExceeded, controls: []gldap.Control{&gldap.ControlPaging{Cookie: []byte("abc")}}},
		{controls: []gldap.Control{&gldap.ControlString{ControlType: controlSortResult, ControlValue: "\x30\x03\x0a\x01\x00"},
			&gldap.ControlPaging{}}},
	} {
		for _, id := range []int64{1, 127, 128, 65536, 1<<31 - 1} {
			msg := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
			msg.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, id, ""))
			op := ber.Encode(ber.ClassApplication, ber.TypeConstructed, gldap.ApplicationSearchResultDone, nil, "")
			op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, int64(res.code), ""))
			op.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, res.matched, ""))
			op.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, res.diag, ""))
			msg.AppendChild(op)
			if len(res.controls) > 0 {
				controls := ber.Encode(ber.ClassContext, ber.TypeConstructed, 0, nil, "")
				for _, c := range res.controls {
					controls.AppendChild(c.Encode())
				}
				msg.AppendChild(controls)
			}
			prefix := []byte("queued")
			got := appendSearchDone(prefix, id, res)
			if !bytes.Equal(got[:len(prefix)], []byte("queued")) || !bytes.Equal(got[len(prefix):], msg.Bytes()) {
				t.Fatalf("id %d, result %+v: encodings differ\n got %x\nwant %x", id, res, got[len(prefix):], msg.Bytes())
			}
		}
	}
}

// goASN1Result is the encoding of an LDAPResult-shaped response built with
// go-asn1-ber, as result did before it encoded in one pass.
func goASN1Result(id int64, app ber.Tag, code int, matched, diag string, extra ...*ber.Packet) []byte {
	msg := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
	msg.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, id, ""))
	res := ber.Encode(ber.ClassApplication, ber.TypeConstructed, app, nil, "")
	res.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, int64(code), ""))
	res.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, matched, ""))
	res.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, diag, ""))
	for _, e := range extra {
		res.AppendChild(e)
	}
	msg.AppendChild(res)
	return msg.Bytes()
}

// TestResultMatchesGoASN1 checks result and extendedResult against the
// encodings go-asn1-ber gives.
func TestResultMatchesGoASN1(t *testing.T) {
	long := string(bytes.Repeat([]byte("d"), 300))
	for _, id := range []int64{0, 1, 127, 128, 65536, 1<<31 - 1} {
		for _, app := range []ber.Tag{appBindResponse, appCompareResponse, appModifyDNResponse} {
			for _, c := range []struct {
				code          int
				matched, diag string
			}{{resultSuccess, "", ""}, {resultNoSuchObject, "ou=users,dc=example,dc=org", "no such entry"}, {resultOther, "", long}} {
				if got, want := result(id, app, c.code, c.matched, c.diag), goASN1Result(id, app, c.code, c.matched, c.diag); !bytes.Equal(got, want) {
					t.Fatalf("result(%d, %d, %+v):\n got %x\nwant %x", id, app, c, got, want)
				}
			}
		}
		for _, c := range []struct {
			name  string
			value []byte
		}{{"", nil}, {oidStartTLS, nil}, {"", []byte{}}, {"", []byte("dn:uid=a,dc=x")}, {"1.3.6.1.4.1.1466.20036", bytes.Repeat([]byte("v"), 200)}} {
			var extra []*ber.Packet
			if c.name != "" {
				extra = append(extra, ber.NewString(ber.ClassContext, ber.TypePrimitive, 10, c.name, ""))
			}
			if c.value != nil {
				v := ber.Encode(ber.ClassContext, ber.TypePrimitive, 11, nil, "")
				v.Data.Write(c.value)
				extra = append(extra, v)
			}
			got := extendedResult(id, resultProtocolError, "diag", c.name, c.value)
			if want := goASN1Result(id, appExtendedResponse, resultProtocolError, "", "diag", extra...); !bytes.Equal(got, want) {
				t.Fatalf("extendedResult(%d, %q, %q):\n got %x\nwant %x", id, c.name, c.value, got, want)
			}
		}
	}
}

// testControl encodes a request control.
func testControl(oid string, critical bool, value string) *ber.Packet {
	c := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
	c.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, oid, ""))
	if critical {
		c.AppendChild(ber.NewBoolean(ber.ClassUniversal, ber.TypePrimitive, ber.TagBoolean, true, ""))
	}
	if value != "" {
		c.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, value, ""))
	}
	return c
}

// testBind encodes a BindRequest message with optional controls.
func testBind(id int64, name string, auth *ber.Packet, controls ...*ber.Packet) []byte {
	msg := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
	msg.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, id, ""))
	op := ber.Encode(ber.ClassApplication, ber.TypeConstructed, 0, nil, "")
	op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, int64(3), ""))
	op.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, name, ""))
	op.AppendChild(auth)
	msg.AppendChild(op)
	if len(controls) > 0 {
		c := ber.Encode(ber.ClassContext, ber.TypeConstructed, 0, nil, "")
		for _, ctl := range controls {
			c.AppendChild(ctl)
		}
		msg.AppendChild(c)
	}
	return msg.Bytes()
}

// TestParseMessage checks the in-place reading of the messages the
// gateway answers against go-asn1-ber's decoding of the same bytes.
func TestParseMessage(t *testing.T) {
	simple := func(pw string) *ber.Packet { return ber.NewString(ber.ClassContext, ber.TypePrimitive, 0, pw, "") }
	longName := "uid=" + string(bytes.Repeat([]byte("n"), 70000)) + ",dc=x"
	for _, c := range []struct {
		frame    []byte
		critical string
	}{
		{frame: testBind(1, "uid=a,ou=users,dc=example,dc=org", simple("secret"))},
		{frame: testBind(300, longName, simple(string(bytes.Repeat([]byte("p"), 200))))},
		{frame: testBind(2, "", simple(""), testControl("1.2.3", false, "v"), testControl(controlManageDsaIT, true, ""))},
		{frame: testBind(3, "x", simple("y"), testControl("1.2.3", false, ""), testControl("1.2.4", true, "v")), critical: "1.2.4"},
	} {
		op, controls, err := parseMessage(c.frame)
		if err != nil {
			t.Fatalf("parseMessage: %v", err)
		}
		want, wantControls, err := decodeMessage(c.frame)
		if err != nil {
			t.Fatal(err)
		}
		if op.tag != 0x60 {
			t.Errorf("op tag 0x%02x", op.tag)
		}
		parts, err := elements(op.content, nil)
		if err != nil || len(parts) != len(want.Children) {
			t.Fatalf("elements: %v, %d parts, want %d", err, len(parts), len(want.Children))
		}
		for i, p := range parts {
			if !bytes.Equal(p.content, octets(want.Children[i])) {
				t.Errorf("part %d: %q, want %q", i, p.content[:min(len(p.content), 20)], octets(want.Children[i]))
			}
		}
		if (controls != nil) != (wantControls != nil) {
			t.Errorf("controls %x, want %v", controls, wantControls)
		}
		if got := unsupportedCritical(controls); got != c.critical {
			t.Errorf("unsupportedCritical = %q, want %q", got, c.critical)
		}
		if got := unsupportedCritical(controls, "1.2.4"); got != "" {
			t.Errorf("unsupportedCritical with 1.2.4 supported = %q", got)
		}
	}
	good := testBind(1, "uid=a,dc=x", simple("pw"))
	for _, bad := range [][]byte{
		nil, {0x30}, {0x30, 0x00}, {0x31, 0x03, 0x02, 0x01, 0x01}, {0x30, 0x85, 0, 0, 0, 0, 1},
		{0x30, 0x03, 0x02, 0x01, 0x01},                         // no protocolOp
		{0x30, 0x05, 0x04, 0x01, 0x01, 0x42, 0x00},             // message ID not an INTEGER
		{0x30, 0x07, 0x02, 0x01, 0x01, 0x42, 0x00, 0x04, 0x00}, // controls not [0]
		{0x30, 0x06, 0x02, 0x01, 0x01, 0x5f, 0x01, 0x00},       // high tag number
		good[:len(good)-1], append(slices.Clone(good), 0),
	} {
		if _, _, err := parseMessage(bad); err == nil {
			t.Errorf("parseMessage(%x) succeeded", bad)
		}
	}
}

// FuzzParseMessage checks that any bytes parse or fail cleanly, and that
// what parses as a message lies within the frame.
func FuzzParseMessage(f *testing.F) {
	f.Add(testBind(1, "uid=a,dc=x", ber.NewString(ber.ClassContext, ber.TypePrimitive, 0, "pw", ""), testControl("1.2.3", true, "v")))
	f.Add([]byte{0x30, 0x05, 0x02, 0x01, 0x01, 0x42, 0x00})
	f.Fuzz(func(t *testing.T, frame []byte) {
		op, controls, err := parseMessage(frame)
		if err != nil {
			return
		}
		parts, err := elements(op.content, nil)
		if err == nil {
			for _, p := range parts {
				elements(p.content, nil)
			}
		}
		unsupportedCritical(controls)
		if len(op.content) > len(frame) || len(controls) > len(frame) {
			t.Fatalf("parts larger than the frame")
		}
	})
}
