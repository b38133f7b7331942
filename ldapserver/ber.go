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

// result builds an LDAPMessage holding an LDAPResult-shaped response of
// application tag app, with extra children appended after the result.
func result(id int64, app ber.Tag, code int, matched, diag string, extra ...*ber.Packet) []byte {
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

// extendedResult builds an ExtendedResponse with optional responseName
// [10] and responseValue [11].
func extendedResult(id int64, code int, diag, name string, value []byte) []byte {
	var extra []*ber.Packet
	if name != "" {
		extra = append(extra, ber.NewString(ber.ClassContext, ber.TypePrimitive, 10, name, ""))
	}
	if value != nil {
		v := ber.Encode(ber.ClassContext, ber.TypePrimitive, 11, nil, "")
		v.Data.Write(value)
		extra = append(extra, v)
	}
	return result(id, appExtendedResponse, code, "", diag, extra...)
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
// message that the server does not implement, or "" (RFC 4511 4.1.11:
// such a request fails with unavailableCriticalExtension).
func unsupportedCritical(controls *ber.Packet, supported ...string) string {
	if controls == nil {
		return ""
	}
	for _, c := range controls.Children {
		if len(c.Children) == 0 {
			continue
		}
		oid := string(octets(c.Children[0]))
		critical := len(c.Children) > 1 && c.Children[1].Tag == ber.TagBoolean && len(octets(c.Children[1])) > 0 && octets(c.Children[1])[0] != 0
		if critical && oid != controlManageDsaIT && !slices.Contains(supported, oid) {
			return oid
		}
	}
	return ""
}
