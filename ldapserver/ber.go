package ldapserver

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"

	ber "github.com/go-asn1-ber/asn1-ber"
)

// Protocol operation tags (the first byte of the protocolOp element of an
// LDAPMessage, RFC 4511 section 4.2).
const (
	opBindRequest     byte = 0x60
	opUnbindRequest   byte = 0x42
	opSearchRequest   byte = 0x63
	opModifyRequest   byte = 0x66
	opAddRequest      byte = 0x68
	opDelRequest      byte = 0x4a
	opModifyDNRequest byte = 0x6c
	opCompareRequest  byte = 0x6e
	opAbandonRequest  byte = 0x50
	opExtendedRequest byte = 0x77
)

// Response application tags.
const (
	appBindResponse     = 1
	appModifyDNResponse = 13
	appCompareResponse  = 15
	appExtendedResponse = 24
)

// LDAP result codes used by the server (RFC 4511 appendix A).
const (
	resultSuccess                   = 0
	resultOperationsError           = 1
	resultProtocolError             = 2
	resultTimeLimitExceeded         = 3
	resultSizeLimitExceeded         = 4
	resultCompareFalse              = 5
	resultCompareTrue               = 6
	resultAuthMethodNotSupported    = 7
	resultStrongerAuthRequired      = 8
	resultUnavailableCriticalExt    = 12
	resultConfidentialityRequired   = 13
	resultNoSuchAttribute           = 16
	resultUndefinedAttributeType    = 17
	resultInappropriateMatching     = 18
	resultConstraintViolation       = 19
	resultAttributeOrValueExists    = 20
	resultInvalidAttributeSyntax    = 21
	resultNoSuchObject              = 32
	resultInvalidDNSyntax           = 34
	resultInvalidCredentials        = 49
	resultInsufficientAccessRights  = 50
	resultBusy                      = 51
	resultUnavailable               = 52
	resultUnwillingToPerform        = 53
	resultNamingViolation           = 64
	resultObjectClassViolation      = 65
	resultNotAllowedOnNonLeaf       = 66
	resultNotAllowedOnRDN           = 67
	resultEntryAlreadyExists        = 68
	resultObjectClassModsProhibited = 69
	resultAffectsMultipleDSAs       = 71
	resultOther                     = 80
)

// errFrameTooLarge reports a message over the configured size.
var errFrameTooLarge = errors.New("ldapserver: message too large")

// readFrame reads one whole LDAPMessage (a BER SEQUENCE) without decoding
// it, refusing more than max bytes.
func readFrame(r *bufio.Reader, max int) ([]byte, error) { return readFrameInto(r, max, nil) }

// maxReusedFrame bounds the frames whose memory a connection reuses.
const maxReusedFrame = 4 << 10

// readFrameInto is readFrame reading into buf when it is large enough.
func readFrameInto(r *bufio.Reader, max int, buf []byte) ([]byte, error) {
	tag, err := r.ReadByte()
	if err != nil {
		return nil, err
	}
	if tag != 0x30 {
		return nil, fmt.Errorf("ldapserver: not an LDAP message (tag 0x%02x)", tag)
	}
	first, err := r.ReadByte()
	if err != nil {
		return nil, unexpected(err)
	}
	var hdrBuf [6]byte
	hdr := append(hdrBuf[:0], tag, first)
	length := int(first)
	if first&0x80 != 0 {
		n := int(first & 0x7f)
		if n == 0 || n > 4 {
			return nil, fmt.Errorf("ldapserver: unsupported length form (0x%02x)", first)
		}
		length = 0
		for range n {
			b, err := r.ReadByte()
			if err != nil {
				return nil, unexpected(err)
			}
			hdr = append(hdr, b)
			length = length<<8 | int(b)
		}
	}
	if length > max {
		return nil, errFrameTooLarge
	}
	if n := len(hdr) + length; cap(buf) >= n {
		buf = buf[:n]
	} else {
		buf = make([]byte, n)
	}
	copy(buf, hdr)
	if _, err := io.ReadFull(r, buf[len(hdr):]); err != nil {
		return nil, unexpected(err)
	}
	return buf, nil
}

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// envelope reads the message ID and the protocolOp tag of a frame.
func envelope(frame []byte) (id int64, op byte, err error) {
	// Skip the outer SEQUENCE header.
	i := 2
	if frame[1]&0x80 != 0 {
		i += int(frame[1] & 0x7f)
	}
	if i+2 > len(frame) || frame[i] != 0x02 {
		return 0, 0, errors.New("ldapserver: message ID missing")
	}
	n := int(frame[i+1])
	if n < 1 || n > 4 || i+2+n >= len(frame) {
		return 0, 0, errors.New("ldapserver: bad message ID")
	}
	for _, b := range frame[i+2 : i+2+n] {
		id = id<<8 | int64(b)
	}
	if frame[i+2]&0x80 != 0 || id == 0 && n > 1 {
		return 0, 0, errors.New("ldapserver: bad message ID")
	}
	return id, frame[i+2+n], nil
}

// decodeMessage fully decodes a frame (for the operations the gateway
// answers itself) and returns the protocolOp element and the controls.
func decodeMessage(frame []byte) (op *ber.Packet, controls *ber.Packet, err error) {
	p, err := ber.DecodePacketErr(frame)
	if err != nil {
		return nil, nil, err
	}
	if len(p.Children) < 2 {
		return nil, nil, errors.New("ldapserver: malformed LDAP message")
	}
	if len(p.Children) > 2 {
		controls = p.Children[2]
	}
	return p.Children[1], controls, nil
}

// result encodes an LDAPMessage holding an LDAPResult-shaped response of
// application tag app (RFC 4511 4.1.9), in one pass.
func result(id int64, app ber.Tag, code int, matched, diag string) []byte {
	return appendResult(nil, id, app, code, matched, diag, nil)
}

// appendResult appends the encoding of result to b, with extra (encoded
// elements) after the LDAPResult's fields.
func appendResult(b []byte, id int64, app ber.Tag, code int, matched, diag string, extra []byte) []byte {
	codeLen := intLen(int64(code))
	opLen := tlvLen(codeLen) + tlvLen(len(matched)) + tlvLen(len(diag)) + len(extra)
	idLen := intLen(id)
	msgLen := tlvLen(idLen) + tlvLen(opLen)
	b = slices.Grow(b, tlvLen(msgLen))
	b = appendHeader(b, 0x30, msgLen)
	b = appendHeader(b, 0x02, idLen)
	b = appendInt(b, id, idLen)
	b = appendHeader(b, 0x60|byte(app), opLen) // [APPLICATION app] constructed
	b = appendHeader(b, 0x0a, codeLen)
	b = appendInt(b, int64(code), codeLen)
	b = appendHeader(b, 0x04, len(matched))
	b = append(b, matched...)
	b = appendHeader(b, 0x04, len(diag))
	b = append(b, diag...)
	return append(b, extra...)
}

// extendedResult encodes an ExtendedResponse with optional responseName
// [10] and responseValue [11].
func extendedResult(id int64, code int, diag, name string, value []byte) []byte {
	var buf [64]byte
	extra := buf[:0]
	if name != "" {
		extra = appendHeader(extra, 0x8a, len(name))
		extra = append(extra, name...)
	}
	if value != nil {
		extra = appendHeader(extra, 0x8b, len(value))
		extra = append(extra, value...)
	}
	return appendResult(nil, id, appExtendedResponse, code, "", diag, extra)
}

// element is one BER element of a frame, read in place.
type element struct {
	tag     byte // the identifier octet
	content []byte
}

var errMalformed = errors.New("ldapserver: malformed BER element")

// readElement reads the element at the start of b and returns it with
// what follows it. It accepts what LDAP allows (RFC 4511 5.1): tag
// numbers below 31 and definite lengths of at most 4 bytes.
func readElement(b []byte) (element, []byte, error) {
	if len(b) < 2 || b[0]&0x1f == 0x1f {
		return element{}, nil, errMalformed
	}
	tag, first := b[0], b[1]
	b = b[2:]
	n := int(first)
	if first&0x80 != 0 {
		k := int(first & 0x7f)
		if k == 0 || k > 4 || k > len(b) {
			return element{}, nil, errMalformed
		}
		n = 0
		for _, c := range b[:k] {
			n = n<<8 | int(c)
		}
		b = b[k:]
	}
	if n > len(b) {
		return element{}, nil, errMalformed
	}
	return element{tag: tag, content: b[:n]}, b[n:], nil
}

// elements reads a constructed element's content as a list of elements
// into buf.
func elements(content []byte, buf []element) ([]element, error) {
	for len(content) > 0 {
		e, rest, err := readElement(content)
		if err != nil {
			return nil, err
		}
		buf = append(buf, e)
		content = rest
	}
	return buf, nil
}

// parseMessage splits a frame (an LDAPMessage, RFC 4511 4.1.1) into its
// protocolOp and the content of its controls (nil when it has none).
func parseMessage(frame []byte) (op element, controls []byte, err error) {
	msg, rest, err := readElement(frame)
	if err != nil || msg.tag != 0x30 || len(rest) != 0 {
		return element{}, nil, errMalformed
	}
	var buf [3]element
	parts, err := elements(msg.content, buf[:0])
	if err != nil || len(parts) < 2 || parts[0].tag != 0x02 {
		return element{}, nil, errMalformed
	}
	if len(parts) > 2 {
		if parts[2].tag != 0xa0 {
			return element{}, nil, errMalformed
		}
		controls = parts[2].content
		if controls == nil {
			controls = []byte{}
		}
	}
	return parts[1], controls, nil
}

// intOf reads a small non-negative BER integer.
func intOf(b []byte) int64 {
	var v int64
	for _, c := range b {
		v = v<<8 | int64(c)
	}
	return v
}

// octets returns the bytes of a primitive element (Data holds them for
// every type).
func octets(p *ber.Packet) []byte {
	if p == nil || p.Data == nil {
		return nil
	}
	return p.Data.Bytes()
}

// unsupportedCritical returns the OID of the first critical control of a
// message (the content of its controls, from parseMessage) that the
// server does not implement, or "" (RFC 4511 4.1.11: such a request fails
// with unavailableCriticalExtension).
func unsupportedCritical(controls []byte, supported ...string) string {
	for len(controls) > 0 {
		c, rest, err := readElement(controls)
		if err != nil {
			return ""
		}
		controls = rest
		var buf [3]element
		parts, err := elements(c.content, buf[:0])
		if err != nil || len(parts) == 0 {
			continue
		}
		oid := string(parts[0].content)
		critical := len(parts) > 1 && parts[1].tag == 0x01 && len(parts[1].content) > 0 && parts[1].content[0] != 0
		if critical && oid != controlManageDsaIT && !slices.Contains(supported, oid) {
			return oid
		}
	}
	return ""
}
