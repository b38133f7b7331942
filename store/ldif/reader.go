package ldif

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"unicode/utf8"
)

// Default limits of a Reader.
const (
	DefaultMaxLineBytes  = 1 << 20   // one physical line, without its line ending
	DefaultMaxEntryBytes = 16 << 20  // one record, unfolded, before base64 decoding
	DefaultMaxValues     = 1_000_000 // values in one record
)

// Reader reads LDIF content records from an input, one entry at a time.
//
// It accepts what slapcat writes and what people produce by hand-editing it:
// an optional "version: 1" first line, comments ("#" in column 0, folded or
// not), lines folded with a single leading space, LF or CRLF line endings, a
// UTF-8 byte order mark at the start, records separated by one or more blank
// lines and a last record without a trailing blank line. Plain values may
// contain any byte but LF; they are taken as written after the spaces that
// follow the colon. Base64 values ("attr:: ...") must be strict standard
// base64; spaces inside them are ignored. A line of nothing but spaces
// between records counts as a blank line.
//
// Next rejects, with a *ParseError: a record that does not start with "dn:",
// a second "dn:" inside a record, a change record ("changetype:" or
// "control:" directly after "dn:"; later in a record they are ordinary
// attributes), a URL value ("attr:< file://..."; nothing is ever fetched), a
// line without a colon, invalid base64, a DN that is not UTF-8, an attribute
// description that is not an RFC 4512 name or OID with options (such as
// "cn;lang-fr"), a "version:" other than 1, a continuation line at the start
// of a record, and input beyond the limits below.
//
// A Reader is not safe for concurrent use. Set the limit fields before the
// first call to Next.
type Reader struct {
	// MaxLineBytes is the longest physical line accepted, without its line
	// ending. Zero means DefaultMaxLineBytes.
	MaxLineBytes int
	// MaxEntryBytes is the largest record accepted, counted as the unfolded
	// lines of the record before base64 decoding, comments excluded. Zero
	// means DefaultMaxEntryBytes.
	MaxEntryBytes int
	// MaxValues is the largest number of values accepted in one record. Zero
	// means DefaultMaxValues.
	MaxValues int

	br      *bufio.Reader
	line    int    // physical lines read so far
	long    []byte // assembles lines longer than br's buffer
	started bool   // a non-comment line has been seen; "version:" is only special before that
	err     error  // returned by every call to Next after the first error

	// The logical (unfolded) line being assembled.
	kind        lineKind
	pending     []byte
	pendingLine int

	// The record being assembled.
	entry      *Entry
	entryBytes int
	values     int
	afterDN    bool              // the next line directly follows "dn:"
	index      map[string]int    // lower-cased name -> position, for records with many attributes
	names      map[string]string // interned attribute names, shared between entries
	attrHint   int               // attributes in the previous record, to size the next
	mem        arena             // memory for the values of the current record
	scratch    []byte
}

type lineKind int

const (
	kindNone    lineKind = iota // between records: nothing pending
	kindComment                 // a comment, discarded with its continuation lines
	kindContent                 // "attr: value"
)

// indexThreshold is the number of distinct attributes in a record above which
// Reader looks names up in a map instead of scanning.
const indexThreshold = 64

// maxInterned bounds the attribute names a Reader shares between entries.
const maxInterned = 1024

var (
	bom       = []byte("\xef\xbb\xbf")
	strictB64 = base64.StdEncoding.Strict()
)

// NewReader returns a Reader reading from r with the default limits. It
// buffers its input, so it may read past the last entry it returns.
func NewReader(r io.Reader) *Reader {
	return &Reader{
		br:    bufio.NewReaderSize(r, 64<<10),
		names: make(map[string]string),
	}
}

// Next returns the next entry, io.EOF after the last one (and on every call
// after that), a *ParseError
// when the input is not acceptable LDIF or exceeds a limit, or an error from
// the underlying reader. After an error, Next keeps returning that error.
//
// The returned entry belongs to the caller; the Reader keeps no reference to
// it. Values of one entry may share backing arrays, each with its capacity
// limited to its length, so appending to one never changes another.
func (r *Reader) Next() (*Entry, error) {
	if r.err != nil {
		return nil, r.err
	}
	e, err := r.next()
	if err != nil {
		r.err = err
		r.entry, r.index, r.pending, r.long, r.scratch = nil, nil, nil, nil, nil
		return nil, err
	}
	return e, nil
}

func (r *Reader) next() (*Entry, error) {
	for {
		line, err := r.readLine()
		if err == io.EOF {
			if err := r.flush(); err != nil {
				return nil, err
			}
			if r.entry != nil {
				return r.finish(), nil
			}
			return nil, io.EOF
		}
		if err != nil {
			return nil, err
		}

		if len(line) > 0 && line[0] == ' ' {
			switch r.kind {
			case kindComment:
				continue
			case kindContent:
				if err := r.grow(len(line) - 1); err != nil {
					return nil, err
				}
				r.pending = append(r.pending, line[1:]...)
				continue
			}
			if isBlank(line) { // a "blank" separator line with stray spaces
				continue
			}
			return nil, r.errorf(r.line, "continuation line (starting with a space) at the start of a record; "+
				"a record must start with 'dn:' and only a folded line may start with a space")
		}

		if err := r.flush(); err != nil {
			return nil, err
		}
		switch {
		case len(line) == 0:
			if r.entry != nil {
				return r.finish(), nil
			}
		case line[0] == '#':
			r.kind, r.pendingLine = kindComment, r.line
		default:
			r.pending = r.pending[:0]
			if err := r.grow(len(line)); err != nil {
				return nil, err
			}
			r.kind, r.pendingLine = kindContent, r.line
			r.pending = append(r.pending, line...)
		}
	}
}

// readLine returns the next physical line without its line ending. The
// slice is valid until the next call.
func (r *Reader) readLine() ([]byte, error) {
	limit := r.MaxLineBytes
	if limit <= 0 {
		limit = DefaultMaxLineBytes
	}
	line, err := r.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		r.long = append(r.long[:0], line...)
		for err == bufio.ErrBufferFull && len(r.long) <= limit+1 {
			line, err = r.br.ReadSlice('\n')
			r.long = append(r.long, line...)
		}
		line = r.long
	}
	switch {
	case err == io.EOF && len(line) == 0:
		return nil, io.EOF
	case err != nil && err != io.EOF && err != bufio.ErrBufferFull:
		return nil, fmt.Errorf("ldif: read line %d: %w", r.line+1, err)
	}
	r.line++
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
	}
	if r.line == 1 {
		line = bytes.TrimPrefix(line, bom)
	}
	if len(line) > limit {
		return nil, r.errorf(r.line, "line is longer than %d bytes (the reader's MaxLineBytes)", limit)
	}
	return line, nil
}

// grow accounts for n more bytes in the record and fails when it would
// exceed MaxEntryBytes.
func (r *Reader) grow(n int) error {
	limit := r.MaxEntryBytes
	if limit <= 0 {
		limit = DefaultMaxEntryBytes
	}
	if r.entryBytes+len(r.pending)+n <= limit {
		return nil
	}
	start := r.line
	switch {
	case r.entry != nil:
		start = r.entry.Line
	case r.kind == kindContent:
		start = r.pendingLine
	}
	return r.errorf(r.line, "the record starting at line %d is larger than %d bytes (the reader's MaxEntryBytes)", start, limit)
}

// flush processes the pending logical line, if any.
func (r *Reader) flush() error {
	kind := r.kind
	r.kind = kindNone
	if kind != kindContent {
		return nil
	}
	if err := r.process(r.pending, r.pendingLine); err != nil {
		return err
	}
	if r.entry != nil {
		r.entryBytes += len(r.pending)
	}
	return nil
}

// finish returns the record assembled so far and resets the record state.
func (r *Reader) finish() *Entry {
	e := r.entry
	r.attrHint = min(len(e.Attributes), indexThreshold)
	r.mem.reset()
	r.entry, r.entryBytes, r.values, r.afterDN, r.index = nil, 0, 0, false, nil
	return e
}

// process interprets one unfolded "attr: value" line that started at line ln.
func (r *Reader) process(line []byte, ln int) error {
	name, rest, ok := bytes.Cut(line, []byte{':'})
	if !ok {
		return r.errorf(ln, "expected 'attribute: value', found no colon")
	}
	if !validDescription(name) {
		return r.errorf(ln, "invalid attribute description %s: expected a name such as cn or an OID such as 2.5.4.3, "+
			"optionally followed by options such as ;lang-fr", quoteName(name))
	}

	if r.entry == nil {
		first := !r.started
		r.started = true
		switch {
		case first && equalFold(name, "version"):
			return r.version(name, rest, ln)
		case !equalFold(name, "dn"):
			return r.errorf(ln, "expected a 'dn:' line to start the record, found attribute %s", shortName(name))
		}
		v, err := r.value(name, rest, ln)
		if err != nil {
			return err
		}
		if !utf8.Valid(v) {
			return r.errorf(ln, "the dn is not valid UTF-8")
		}
		r.entry = &Entry{DN: string(v), Line: ln}
		r.afterDN = true
		return nil
	}

	if r.afterDN {
		r.afterDN = false
		switch {
		case equalFold(name, "changetype"):
			return r.changetype(name, rest, ln)
		case equalFold(name, "control"):
			return r.errorf(ln, "found a 'control:' line in the record starting at line %d: controls belong to change records; "+
				"only content records (as slapcat writes them) are accepted", r.entry.Line)
		}
	}
	if equalFold(name, "dn") {
		return r.errorf(ln, "found a second 'dn:' line in the record starting at line %d; separate records with a blank line", r.entry.Line)
	}

	v, err := r.value(name, rest, ln)
	if err != nil {
		return err
	}
	return r.add(name, v, ln)
}

// version checks the "version:" line that may start the input.
func (r *Reader) version(name, rest []byte, ln int) error {
	v, err := r.value(name, rest, ln)
	if err != nil {
		return err
	}
	if string(bytes.TrimRight(v, " ")) != "1" {
		return r.errorf(ln, "unsupported LDIF version: only 'version: 1' is supported")
	}
	return nil
}

// changetype reports a change record.
func (r *Reader) changetype(name, rest []byte, ln int) error {
	which := "an unrecognised changetype"
	if v, err := r.value(name, rest, ln); err == nil {
		v = bytes.TrimRight(v, " ")
		for _, t := range []string{"add", "delete", "modify", "modrdn", "moddn"} {
			if equalFold(v, t) {
				which = "changetype: " + t
			}
		}
	}
	return r.errorf(ln, "found a change record (%s) starting at line %d: only content records "+
		"(as slapcat writes them) are accepted, not changetype records (as ldapmodify takes them)", which, r.entry.Line)
}

// value decodes the part of a line after the attribute name's colon into a
// newly allocated slice.
func (r *Reader) value(name, rest []byte, ln int) ([]byte, error) {
	switch {
	case len(rest) > 0 && rest[0] == ':':
		enc := trimLeftSpaces(rest[1:])
		if bytes.ContainsAny(enc, " \t") {
			r.scratch = r.scratch[:0]
			for _, c := range enc {
				if c != ' ' && c != '\t' {
					r.scratch = append(r.scratch, c)
				}
			}
			enc = r.scratch
		}
		v := r.mem.value(strictB64.DecodedLen(len(enc)))
		n, err := strictB64.Decode(v, enc)
		if err != nil {
			return nil, r.errorf(ln, "invalid base64 value for %s", describe(name))
		}
		return v[:n:n], nil
	case len(rest) > 0 && rest[0] == '<':
		return nil, r.errorf(ln, "URL values (attr:<) are not supported (%s): put the value inline, "+
			"or base64-encoded after '::'", describe(name))
	default:
		v := trimLeftSpaces(rest)
		return append(r.mem.value(len(v))[:0], v...), nil
	}
}

// add appends v to the values of attribute name in the current record.
func (r *Reader) add(name, v []byte, ln int) error {
	limit := r.MaxValues
	if limit <= 0 {
		limit = DefaultMaxValues
	}
	if r.values++; r.values > limit {
		return r.errorf(ln, "the record starting at line %d has more than %d values (the reader's MaxValues)", r.entry.Line, limit)
	}
	e := r.entry
	n := len(e.Attributes)
	if n > 0 && equalFold(name, e.Attributes[n-1].Name) {
		e.Attributes[n-1].Values = append(e.Attributes[n-1].Values, v)
		return nil
	}
	if i := r.find(name); i >= 0 {
		e.Attributes[i].Values = append(e.Attributes[i].Values, v)
		return nil
	}
	if e.Attributes == nil {
		e.Attributes = make([]Attribute, 0, max(r.attrHint, 1))
	}
	e.Attributes = append(e.Attributes, Attribute{Name: r.intern(name), Values: r.mem.list(v)})
	if r.index != nil {
		r.index[string(lower(r.scratch[:0], name))] = n
	} else if n+1 > indexThreshold {
		r.index = make(map[string]int, 2*indexThreshold)
		for i, a := range e.Attributes {
			r.index[string(lower(r.scratch[:0], a.Name))] = i
		}
	}
	return nil
}

// find returns the position of attribute name in the current record, or -1.
func (r *Reader) find(name []byte) int {
	if r.index != nil {
		r.scratch = lower(r.scratch[:0], name)
		if i, ok := r.index[string(r.scratch)]; ok {
			return i
		}
		return -1
	}
	for i, a := range r.entry.Attributes {
		if equalFold(name, a.Name) {
			return i
		}
	}
	return -1
}

// intern returns name as a string, shared with earlier entries when the same
// spelling was seen before.
func (r *Reader) intern(name []byte) string {
	if s, ok := r.names[string(name)]; ok {
		return s
	}
	s := string(name)
	if len(r.names) < maxInterned {
		r.names[s] = s
	}
	return s
}

func (r *Reader) errorf(line int, format string, args ...any) error {
	return &ParseError{Line: line, Msg: fmt.Sprintf(format, args...)}
}

// describe names an attribute for an error message.
func describe(name []byte) string {
	if equalFold(name, "dn") {
		return "the dn"
	}
	return "attribute " + shortName(name)
}

// shortName returns a valid attribute description for a message, cut short
// if it is very long.
func shortName(name []byte) string {
	const maxShown = 64
	if len(name) > maxShown {
		return string(name[:maxShown]) + "..."
	}
	return string(name)
}

// equalFold reports whether the ASCII strings a and b are equal ignoring case.
func equalFold[S1, S2 []byte | string](a S1, b S2) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if toLower(a[i]) != toLower(b[i]) {
			return false
		}
	}
	return true
}

func toLower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func lower[S []byte | string](dst []byte, s S) []byte {
	for i := 0; i < len(s); i++ {
		dst = append(dst, toLower(s[i]))
	}
	return dst
}

func trimLeftSpaces(b []byte) []byte {
	for len(b) > 0 && b[0] == ' ' {
		b = b[1:]
	}
	return b
}

func isBlank(b []byte) bool {
	return len(bytes.Trim(b, " \t")) == 0
}
