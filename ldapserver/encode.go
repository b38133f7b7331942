package ldapserver

import (
	"slices"

	ber "github.com/go-asn1-ber/asn1-ber"

	"github.com/canaille-go/canaille/store/ldif"
)

// encodeEntry encodes a SearchResultEntry message (RFC 4511 4.5.2) in one
// pass into a single buffer. The engine writes entries with it straight to
// the client connection: gldap's encoder builds a tree of packets and
// encodes each entry twice, which made it most of a search's cost.
func encodeEntry(id int64, e *ldif.Entry, typesOnly bool) []byte {
	return appendEntry(nil, id, e, typesOnly)
}

// appendEntry appends the encoding of encodeEntry to b.
func appendEntry(b []byte, id int64, e *ldif.Entry, typesOnly bool) []byte {
	// Sizes, bottom-up.
	attrsLen := 0
	for _, a := range e.Attributes {
		attrsLen += tlvLen(tlvLen(len(a.Name)) + tlvLen(valuesLen(a.Values, typesOnly)))
	}
	opLen := tlvLen(len(e.DN)) + tlvLen(attrsLen)
	idLen := intLen(id)
	msgLen := tlvLen(idLen) + tlvLen(opLen)
	b = slices.Grow(b, tlvLen(msgLen))
	b = appendHeader(b, 0x30, msgLen)
	b = appendHeader(b, 0x02, idLen)
	b = appendInt(b, id, idLen)
	b = appendHeader(b, 0x64, opLen)
	b = appendHeader(b, 0x04, len(e.DN))
	b = append(b, e.DN...)
	b = appendHeader(b, 0x30, attrsLen)
	for _, a := range e.Attributes {
		valsLen := valuesLen(a.Values, typesOnly)
		b = appendHeader(b, 0x30, tlvLen(len(a.Name))+tlvLen(valsLen))
		b = appendHeader(b, 0x04, len(a.Name))
		b = append(b, a.Name...)
		b = appendHeader(b, 0x31, valsLen)
		if !typesOnly {
			for _, v := range a.Values {
				b = appendHeader(b, 0x04, len(v))
				b = append(b, v...)
			}
		}
	}
	return b
}

// valuesLen is the size of the content of an attribute's SET of values.
func valuesLen(vs [][]byte, typesOnly bool) int {
	n := 0
	if !typesOnly {
		for _, v := range vs {
			n += tlvLen(len(v))
		}
	}
	return n
}

// appendSearchDone appends a SearchResultDone message (RFC 4511 4.5.2)
// with the result's controls.
func appendSearchDone(b []byte, id int64, res searchResult) []byte {
	var controls []byte
	if len(res.controls) > 0 {
		c := ber.Encode(ber.ClassContext, ber.TypeConstructed, 0, nil, "")
		for _, ctl := range res.controls {
			c.AppendChild(ctl.Encode())
		}
		controls = c.Bytes()
	}
	codeLen := intLen(int64(res.code))
	opLen := tlvLen(codeLen) + tlvLen(len(res.matched)) + tlvLen(len(res.diag))
	idLen := intLen(id)
	msgLen := tlvLen(idLen) + tlvLen(opLen) + len(controls)
	b = slices.Grow(b, tlvLen(msgLen))
	b = appendHeader(b, 0x30, msgLen)
	b = appendHeader(b, 0x02, idLen)
	b = appendInt(b, id, idLen)
	b = appendHeader(b, 0x65, opLen)
	b = appendHeader(b, 0x0a, codeLen)
	b = appendInt(b, int64(res.code), codeLen)
	b = appendHeader(b, 0x04, len(res.matched))
	b = append(b, res.matched...)
	b = appendHeader(b, 0x04, len(res.diag))
	b = append(b, res.diag...)
	return append(b, controls...)
}

// tlvLen is the size of an element whose content has n bytes.
func tlvLen(n int) int { return 1 + lenLen(n) + n }

// lenLen is the size of a definite length.
func lenLen(n int) int {
	switch {
	case n < 0x80:
		return 1
	case n < 0x100:
		return 2
	case n < 0x10000:
		return 3
	case n < 0x1000000:
		return 4
	}
	return 5
}

func appendHeader(b []byte, tag byte, n int) []byte {
	b = append(b, tag)
	switch l := lenLen(n); l {
	case 1:
		return append(b, byte(n))
	default:
		b = append(b, byte(0x80|(l-1)))
		for i := l - 2; i >= 0; i-- {
			b = append(b, byte(n>>(8*i)))
		}
		return b
	}
}

// intLen is the size of the minimal two's-complement encoding of a
// non-negative integer (a message ID, a result code).
func intLen(v int64) int {
	n := 1
	for v > 0x7f {
		v >>= 8
		n++
	}
	return n
}

func appendInt(b []byte, v int64, n int) []byte {
	for i := n - 1; i >= 0; i-- {
		b = append(b, byte(v>>(8*i)))
	}
	return b
}
