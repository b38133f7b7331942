package main

import (
	"errors"
	"fmt"
)

// A minimal BER encoder and decoder for the few LDAPv3 messages the load
// workers exchange (RFC 4511, section 5.1: definite lengths, primitive
// strings). Generic BER libraries build a tree of nodes per message; on a
// two-core machine that client-side work would eat the CPU the server
// under test needs, so the workers encode into one reused buffer and read
// responses without copying them.

// BER tags used by LDAP.
const (
	tagBoolean     = 0x01
	tagInteger     = 0x02
	tagOctetString = 0x04
	tagEnumerated  = 0x0a
	tagSequence    = 0x30
	tagSet         = 0x31
)

// encoder appends BER to a buffer. Constructed values are opened with a
// reserved five-byte length, written when they are closed (then shortened
// to the minimal length form).
type encoder struct{ b []byte }

// reserved is the room left for a length by open.
const reserved = 5

// open starts a constructed value with tag and returns its mark for close.
func (e *encoder) open(tag byte) int {
	e.b = append(e.b, tag, 0, 0, 0, 0, 0)
	return len(e.b)
}

// close writes the length of the value opened at mark, moving its content
// back over the unused part of the reserved length.
func (e *encoder) close(mark int) {
	n := len(e.b) - mark
	var hdr [reserved]byte
	h := appendLength(hdr[:0], n)
	at := mark - reserved
	copy(e.b[at:], h)
	copy(e.b[at+len(h):], e.b[mark:])
	e.b = e.b[:at+len(h)+n]
}

// appendLength appends a definite length in its shortest form.
func appendLength(b []byte, n int) []byte {
	switch {
	case n < 0x80:
		return append(b, byte(n))
	case n < 1<<8:
		return append(b, 0x81, byte(n))
	case n < 1<<16:
		return append(b, 0x82, byte(n>>8), byte(n))
	case n < 1<<24:
		return append(b, 0x83, byte(n>>16), byte(n>>8), byte(n))
	}
	return append(b, 0x84, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

// str appends a primitive string value with tag.
func (e *encoder) str(tag byte, s string) {
	e.b = append(e.b, tag)
	e.b = appendLength(e.b, len(s))
	e.b = append(e.b, s...)
}

// bytes appends a primitive value with tag.
func (e *encoder) bytes(tag byte, s []byte) {
	e.b = append(e.b, tag)
	e.b = appendLength(e.b, len(s))
	e.b = append(e.b, s...)
}

// int appends an INTEGER (or ENUMERATED, by tag) in minimal two's
// complement form.
func (e *encoder) int(tag byte, v int64) {
	n := 1
	for n < 8 && (v < -(1<<(8*n-1)) || v >= 1<<(8*n-1)) {
		n++
	}
	e.b = append(e.b, tag, byte(n))
	for i := n - 1; i >= 0; i-- {
		e.b = append(e.b, byte(v>>(8*i)))
	}
}

// bool appends a BOOLEAN (TRUE is 0xff, as RFC 4511 wants).
func (e *encoder) bool(v bool) {
	b := byte(0)
	if v {
		b = 0xff
	}
	e.b = append(e.b, tagBoolean, 1, b)
}

var errBER = errors.New("malformed BER in the server's response")

// parseLength decodes a definite length at the start of b and returns it
// and the number of bytes it took.
func parseLength(b []byte) (n, size int, err error) {
	if len(b) == 0 {
		return 0, 0, errBER
	}
	if b[0] < 0x80 {
		return int(b[0]), 1, nil
	}
	k := int(b[0] & 0x7f)
	if k == 0 || k > 4 || len(b) < 1+k {
		return 0, 0, fmt.Errorf("%w (length form %#x)", errBER, b[0])
	}
	for _, c := range b[1 : 1+k] {
		n = n<<8 | int(c)
	}
	return n, 1 + k, nil
}

// tlv splits the first value off b: its tag, its content and what follows.
func tlv(b []byte) (tag byte, content, rest []byte, err error) {
	if len(b) < 2 {
		return 0, nil, nil, errBER
	}
	if b[0]&0x1f == 0x1f {
		return 0, nil, nil, fmt.Errorf("%w (multi-byte tag)", errBER)
	}
	n, size, err := parseLength(b[1:])
	if err != nil {
		return 0, nil, nil, err
	}
	end := 1 + size + n
	if end > len(b) || n < 0 {
		return 0, nil, nil, fmt.Errorf("%w (value longer than its message)", errBER)
	}
	return b[0], b[1+size : end], b[end:], nil
}

// expect splits off the first value of b and checks its tag.
func expect(b []byte, want byte) (content, rest []byte, err error) {
	tag, content, rest, err := tlv(b)
	if err == nil && tag != want {
		err = fmt.Errorf("%w (tag %#x where %#x was expected)", errBER, tag, want)
	}
	return content, rest, err
}

// parseInt decodes the content of an INTEGER or ENUMERATED.
func parseInt(c []byte) (int64, error) {
	if len(c) == 0 || len(c) > 8 {
		return 0, errBER
	}
	v := int64(int8(c[0]))
	for _, x := range c[1:] {
		v = v<<8 | int64(x)
	}
	return v, nil
}
