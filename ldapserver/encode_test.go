package ldapserver

import (
	"bytes"
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
