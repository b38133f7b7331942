package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// client is a lean synchronous LDAPv3 connection: one request in flight at
// a time, which is how NSS, PAM and mail servers use theirs. It speaks
// simple bind, search (with the paged results control) and unbind.
type client struct {
	nc      net.Conn
	r       *bufio.Reader
	enc     encoder
	in      []byte // the last message read; slices of it are valid until the next read
	lastID  int64
	timeout time.Duration
	// sent is when the current request was written; lat collects the
	// round trip of each request answered (from its writing to its final
	// response), for the per-request latencies of multi-request workloads.
	sent time.Time
	lat  []time.Duration
}

// resultError is an LDAP result other than success.
type resultError struct {
	op      string
	code    int64
	message string
}

func (e *resultError) Error() string {
	name := ldap.LDAPResultCodeMap[uint16(e.code)]
	if name == "" {
		name = "result"
	}
	if e.message != "" {
		return fmt.Sprintf("%s: LDAP %s (%d): %s", e.op, name, e.code, e.message)
	}
	return fmt.Sprintf("%s: LDAP %s (%d)", e.op, name, e.code)
}

// connError is a network or protocol failure: the connection cannot be
// used any more.
type connError struct{ err error }

func (e *connError) Error() string { return e.err.Error() }
func (e *connError) Unwrap() error { return e.err }

// isConnError reports whether err left the connection unusable.
func isConnError(err error) bool {
	var ce *connError
	return errors.As(err, &ce)
}

// resultCode returns the LDAP result code in err, or -1 when err is not an
// LDAP result (a network or protocol error).
func resultCode(err error) int64 {
	var re *resultError
	if errors.As(err, &re) {
		return re.code
	}
	return -1
}

// dialClient connects to an ldap://host:port URL.
func dialClient(rawURL string, timeout time.Duration) (*client, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "ldap" || u.Host == "" {
		return nil, fmt.Errorf("--url %q: want ldap://HOST:PORT (the load workers speak plain LDAP)", rawURL)
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "389")
	}
	nc, err := newDialer().Dial("tcp", host)
	if err != nil {
		return nil, fmt.Errorf("cannot connect to %s (is the server running and listening there?): %w", rawURL, err)
	}
	return &client{nc: nc, r: bufio.NewReaderSize(nc, 64<<10), timeout: timeout}, nil
}

// close sends an unbind and closes the connection.
func (c *client) close() {
	c.start()
	m := c.enc.open(tagSequence)
	c.enc.int(tagInteger, c.lastID)
	c.enc.b = append(c.enc.b, 0x42, 0) // [APPLICATION 2] UnbindRequest, NULL
	c.enc.close(m)
	_ = c.nc.SetDeadline(time.Now().Add(time.Second))
	_, _ = c.nc.Write(c.enc.b)
	c.nc.Close()
}

// start begins a new request message.
func (c *client) start() {
	c.enc.b = c.enc.b[:0]
	c.lastID++
	if c.lastID > 1<<31-1 {
		c.lastID = 1
	}
}

// send writes the encoded request, with the connection's deadline set for
// the whole exchange.
func (c *client) send() error {
	c.sent = time.Now()
	if err := c.nc.SetDeadline(c.sent.Add(c.timeout)); err != nil {
		return &connError{err}
	}
	if _, err := c.nc.Write(c.enc.b); err != nil {
		return &connError{err}
	}
	return nil
}

// answered records the round trip of the current request.
func (c *client) answered() { c.lat = append(c.lat, time.Since(c.sent)) }

// maxMessage bounds one response message.
const maxMessage = 64 << 20

// read reads the next LDAPMessage answering the current request and
// returns its protocolOp tag and content, and its controls (or nil). Its
// errors are connErrors.
func (c *client) read() (op byte, body, controls []byte, err error) {
	op, body, controls, err = c.readMessage()
	if err != nil {
		err = &connError{err}
	}
	return op, body, controls, err
}

// readMessage does the work of read.
func (c *client) readMessage() (op byte, body, controls []byte, err error) {
	for {
		tag, err := c.r.ReadByte()
		if err != nil {
			return 0, nil, nil, err
		}
		if tag != tagSequence {
			return 0, nil, nil, fmt.Errorf("%w (message tag %#x)", errBER, tag)
		}
		var lb [5]byte
		if lb[0], err = c.r.ReadByte(); err != nil {
			return 0, nil, nil, err
		}
		if lb[0] > 0x80 && lb[0] <= 0x84 {
			if _, err := io.ReadFull(c.r, lb[1:1+lb[0]&0x7f]); err != nil {
				return 0, nil, nil, err
			}
		}
		n, _, err := parseLength(lb[:])
		if err != nil {
			return 0, nil, nil, err
		}
		if n > maxMessage {
			return 0, nil, nil, fmt.Errorf("response of %d bytes is too large", n)
		}
		if cap(c.in) < n {
			c.in = make([]byte, n, n+n/4)
		}
		c.in = c.in[:n]
		if _, err := io.ReadFull(c.r, c.in); err != nil {
			return 0, nil, nil, err
		}
		idBytes, rest, err := expect(c.in, tagInteger)
		if err != nil {
			return 0, nil, nil, err
		}
		id, err := parseInt(idBytes)
		if err != nil {
			return 0, nil, nil, err
		}
		op, body, rest, err = tlv(rest)
		if err != nil {
			return 0, nil, nil, err
		}
		if len(rest) > 0 && rest[0] == 0xa0 {
			controls, _, _ = expect(rest, 0xa0)
		}
		switch {
		case id == c.lastID:
			return op, body, controls, nil
		case id == 0 && op == 0x78: // unsolicited notification, such as a notice of disconnection
			return 0, nil, nil, fmt.Errorf("server closed the connection: %w", parseResult("notice", body))
		}
		// A late answer to an earlier, abandoned request: skip it.
	}
}

// parseResult decodes an LDAPResult; nil on success.
func parseResult(op string, body []byte) error {
	code, rest, err := expect(body, tagEnumerated)
	if err != nil {
		return err
	}
	rc, err := parseInt(code)
	if err != nil {
		return err
	}
	if rc == 0 {
		return nil
	}
	_, rest, _ = expect(rest, tagOctetString) // matchedDN
	msg, _, _ := expect(rest, tagOctetString)
	return &resultError{op: op, code: rc, message: string(msg)}
}

// bind performs a simple bind.
func (c *client) bind(dn, password string) error {
	c.start()
	m := c.enc.open(tagSequence)
	c.enc.int(tagInteger, c.lastID)
	b := c.enc.open(0x60) // [APPLICATION 0] BindRequest
	c.enc.int(tagInteger, 3)
	c.enc.str(tagOctetString, dn)
	c.enc.str(0x80, password) // [0] simple
	c.enc.close(b)
	c.enc.close(m)
	if err := c.send(); err != nil {
		return err
	}
	op, body, _, err := c.read()
	if err != nil {
		return err
	}
	if op != 0x61 {
		return &connError{fmt.Errorf("%w (bind answered with tag %#x)", errBER, op)}
	}
	c.answered()
	return parseResult("bind as "+dn, body)
}

// searchRequest is a search to send.
type searchRequest struct {
	base       string
	filter     func(e *encoder) // encodes the filter
	attrs      []string
	sizeLimit  int64
	pageSize   int64 // > 0 adds the paged results control
	cookie     []byte
	desc       string // for error messages
	onEntry    func(body []byte) error
	nextCookie []byte // set from the server's paged results control
}

// pagedResultsOID is the control of RFC 2696.
const pagedResultsOID = "1.2.840.113556.1.4.319"

// search sends a whole-subtree search and reads its entries (each given to
// onEntry) up to the final result. It returns the number of entries.
func (c *client) search(s *searchRequest) (int, error) {
	c.start()
	m := c.enc.open(tagSequence)
	c.enc.int(tagInteger, c.lastID)
	r := c.enc.open(0x63) // [APPLICATION 3] SearchRequest
	c.enc.str(tagOctetString, s.base)
	c.enc.int(tagEnumerated, 2) // wholeSubtree
	c.enc.int(tagEnumerated, 0) // neverDerefAliases
	c.enc.int(tagInteger, s.sizeLimit)
	c.enc.int(tagInteger, 0) // no time limit
	c.enc.bool(false)        // typesOnly
	s.filter(&c.enc)
	a := c.enc.open(tagSequence)
	for _, name := range s.attrs {
		c.enc.str(tagOctetString, name)
	}
	c.enc.close(a)
	c.enc.close(r)
	if s.pageSize > 0 {
		ctl := c.enc.open(0xa0) // [0] Controls
		one := c.enc.open(tagSequence)
		c.enc.str(tagOctetString, pagedResultsOID)
		v := c.enc.open(tagOctetString)
		p := c.enc.open(tagSequence)
		c.enc.int(tagInteger, s.pageSize)
		c.enc.bytes(tagOctetString, s.cookie)
		c.enc.close(p)
		c.enc.close(v)
		c.enc.close(one)
		c.enc.close(ctl)
	}
	c.enc.close(m)
	if err := c.send(); err != nil {
		return 0, err
	}
	s.nextCookie = nil
	n := 0
	for {
		op, body, controls, err := c.read()
		if err != nil {
			return n, err
		}
		switch op {
		case 0x64: // SearchResultEntry
			n++
			if s.onEntry != nil {
				if err := s.onEntry(body); err != nil {
					return n, err
				}
			}
		case 0x73: // SearchResultReference: not followed
		case 0x65: // SearchResultDone
			c.answered()
			if s.pageSize > 0 {
				s.nextCookie = pagedCookie(controls)
			}
			return n, parseResult("search "+s.desc, body)
		default:
			return n, &connError{fmt.Errorf("%w (search answered with tag %#x)", errBER, op)}
		}
	}
}

// pagedCookie returns a copy of the cookie of the paged results control
// among controls, or nil when there is none (the last page, or a server
// without paging).
func pagedCookie(controls []byte) []byte {
	for len(controls) > 0 {
		ctl, rest, err := expect(controls, tagSequence)
		if err != nil {
			return nil
		}
		controls = rest
		oid, ctl, err := expect(ctl, tagOctetString)
		if err != nil || string(oid) != pagedResultsOID {
			continue
		}
		if len(ctl) > 0 && ctl[0] == tagBoolean {
			_, ctl, _ = expect(ctl, tagBoolean)
		}
		value, _, err := expect(ctl, tagOctetString)
		if err != nil {
			return nil
		}
		seq, _, err := expect(value, tagSequence)
		if err != nil {
			return nil
		}
		_, seq, err = expect(seq, tagInteger)
		if err != nil {
			return nil
		}
		cookie, _, err := expect(seq, tagOctetString)
		if err != nil || len(cookie) == 0 {
			return nil
		}
		return append([]byte(nil), cookie...)
	}
	return nil
}

// entryValue returns the DN of a SearchResultEntry and the first value of
// attribute name (compared without case), or "" when absent.
func entryValue(body []byte, name string) (dn, value string, err error) {
	rawDN, rest, err := expect(body, tagOctetString)
	if err != nil {
		return "", "", err
	}
	attrs, _, err := expect(rest, tagSequence)
	if err != nil {
		return "", "", err
	}
	for len(attrs) > 0 {
		var one []byte
		if one, attrs, err = expect(attrs, tagSequence); err != nil {
			return "", "", err
		}
		typ, vals, err := expect(one, tagOctetString)
		if err != nil {
			return "", "", err
		}
		if !equalFoldASCII(typ, name) {
			continue
		}
		set, _, err := expect(vals, tagSet)
		if err != nil || len(set) == 0 {
			return string(rawDN), "", err
		}
		v, _, err := expect(set, tagOctetString)
		return string(rawDN), string(v), err
	}
	return string(rawDN), "", nil
}

// equalFoldASCII compares an attribute type with name, ignoring ASCII case.
func equalFoldASCII(b []byte, name string) bool {
	if len(b) != len(name) {
		return false
	}
	lower := func(c byte) byte {
		if 'A' <= c && c <= 'Z' {
			return c + 'a' - 'A'
		}
		return c
	}
	for i := range b {
		if lower(b[i]) != lower(name[i]) {
			return false
		}
	}
	return true
}

// Filters of the workloads (RFC 4511 Filter CHOICE tags).

// filterAnd encodes (&…) around the filters parts write.
func filterAnd(e *encoder, parts ...func(*encoder)) {
	m := e.open(0xa0)
	for _, p := range parts {
		p(e)
	}
	e.close(m)
}

// filterEq encodes (attr=value).
func filterEq(e *encoder, attr, value string) {
	m := e.open(0xa3)
	e.str(tagOctetString, attr)
	e.str(tagOctetString, value)
	e.close(m)
}

// filterAny encodes (attr=*value*).
func filterAny(e *encoder, attr, value string) {
	m := e.open(0xa4)
	e.str(tagOctetString, attr)
	s := e.open(tagSequence)
	e.str(0x81, value) // [1] any
	e.close(s)
	e.close(m)
}
