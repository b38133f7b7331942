package ldapserver

import "github.com/canaille-go/canaille/store/ldif"

// encodeEntry encodes a SearchResultEntry message (RFC 4511 4.5.2) in one
// pass into a single buffer. The engine writes entries with it straight to
// the client connection: gldap's encoder builds a tree of packets and
// encodes each entry twice, which made it most of a search's cost.
func encodeEntry(id int64, e *ldif.Entry, typesOnly bool) []byte {
	// Sizes, bottom-up.
	attrsLen := 0
	for _, a := range e.Attributes {
		valsLen := 0
		if !typesOnly {
			for _, v := range a.Values {
				valsLen += tlvLen(len(v))
			}
		}
		attrsLen += tlvLen(tlvLen(len(a.Name)) + tlvLen(valsLen))
	}
	opLen := tlvLen(len(e.DN)) + tlvLen(attrsLen)
	idLen := intLen(id)
	msgLen := tlvLen(idLen) + tlvLen(opLen)
	b := make([]byte, 0, tlvLen(msgLen))
	b = appendHeader(b, 0x30, msgLen)
	b = appendHeader(b, 0x02, idLen)
	b = appendInt(b, id, idLen)
	b = appendHeader(b, 0x64, opLen)
	b = appendHeader(b, 0x04, len(e.DN))
	b = append(b, e.DN...)
	b = appendHeader(b, 0x30, attrsLen)
	for _, a := range e.Attributes {
		valsLen := 0
		if !typesOnly {
			for _, v := range a.Values {
				valsLen += tlvLen(len(v))
			}
		}
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
// non-negative message ID.
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
