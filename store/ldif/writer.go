package ldif

import (
	"bufio"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// lineWidth is the longest physical line Writer emits, in bytes.
const lineWidth = 76

// Writer writes LDIF content records.
//
// Values and DNs that are not SAFE-STRINGs as RFC 2849 defines them (empty
// values aside: a leading space, ':' or '<', a trailing space, or a NUL, CR,
// LF or byte above 0x7F anywhere) are written base64-encoded after "::";
// every other value is written as it is after ": ". Lines longer than 76
// bytes are folded. Whatever Reader returned, Writer writes so that Reader
// reads back an entry with the same DN, attribute names, values and order.
//
// Output is buffered: call Flush when done. A Writer is not safe for
// concurrent use.
type Writer struct {
	bw      *bufio.Writer
	entries bool // Write has been called
	buf     []byte
}

// NewWriter returns a Writer writing to w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{bw: bufio.NewWriterSize(w, 64<<10)}
}

// WriteVersion writes the "version: 1" header followed by a blank line. If
// used, it must come before the first Write; comments may precede it.
func (w *Writer) WriteVersion() error {
	if w.entries {
		return errors.New("ldif: write version: the version line must come before the first entry")
	}
	_, err := w.bw.WriteString("version: 1\n\n")
	return wrapWriteErr(err)
}

// WriteComment writes text as comment lines: each line of text (separated
// by LF or CRLF) becomes a line starting with "# ", folded like the other
// lines. Reader ignores comments.
func (w *Writer) WriteComment(text string) error {
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSuffix(line, "\r")
		w.buf = append(w.buf[:0], '#')
		if line != "" {
			w.buf = append(w.buf, ' ')
			w.buf = append(w.buf, line...)
		}
		w.fold(w.buf)
	}
	return w.err()
}

// Write writes e followed by a blank line. Attributes without values are
// skipped; Line is ignored.
//
// It fails without writing anything when the entry could not be read back
// as written: a DN that is not valid UTF-8, an attribute description that is
// not valid (see Reader), an attribute named "dn", or a first attribute
// named "changetype" or "control" (which would make it a change record).
func (w *Writer) Write(e *Entry) error {
	if err := checkEntry(e); err != nil {
		return err
	}
	w.entries = true
	w.line("dn", []byte(e.DN))
	for _, a := range e.Attributes {
		for _, v := range a.Values {
			w.line(a.Name, v)
		}
	}
	w.bw.WriteByte('\n')
	return w.err()
}

// Flush writes any buffered data to the underlying writer.
func (w *Writer) Flush() error {
	return wrapWriteErr(w.bw.Flush())
}

func checkEntry(e *Entry) error {
	if !utf8.ValidString(e.DN) {
		return fmt.Errorf("ldif: write entry %q: the dn is not valid UTF-8", e.DN)
	}
	first := true
	for _, a := range e.Attributes {
		if len(a.Values) == 0 {
			continue
		}
		switch {
		case !validDescription([]byte(a.Name)):
			return fmt.Errorf("ldif: write entry %q: invalid attribute description %s", e.DN, quoteName([]byte(a.Name)))
		case equalFold(a.Name, "dn"):
			return fmt.Errorf("ldif: write entry %q: an attribute cannot be named dn", e.DN)
		case first && (equalFold(a.Name, "changetype") || equalFold(a.Name, "control")):
			return fmt.Errorf("ldif: write entry %q: the first attribute cannot be %s: it would be read as a change record",
				e.DN, a.Name)
		}
		first = false
	}
	return nil
}

// line writes one "name: value" line, base64-encoding value when needed.
func (w *Writer) line(name string, value []byte) {
	b := append(w.buf[:0], name...)
	switch {
	case len(value) == 0:
		b = append(b, ':')
	case isSafe(value):
		b = append(b, ": "...)
		b = append(b, value...)
	default:
		b = append(b, ":: "...)
		b = base64.StdEncoding.AppendEncode(b, value)
	}
	w.buf = b
	w.fold(b)
}

// fold writes b as one logical line, folded into physical lines of at most
// lineWidth bytes. It does not cut inside a UTF-8 sequence when it can avoid
// it (only comments can contain non-ASCII bytes).
func (w *Writer) fold(b []byte) {
	width := lineWidth
	for len(b) > width {
		n := width
		for back := 0; back < utf8.UTFMax-1 && n > 1 && !utf8.RuneStart(b[n]); back++ {
			n--
		}
		w.bw.Write(b[:n])
		w.bw.WriteString("\n ")
		b = b[n:]
		width = lineWidth - 1
	}
	w.bw.Write(b)
	w.bw.WriteByte('\n')
}

// err returns the first error of the underlying writer, if any.
func (w *Writer) err() error {
	// bufio.Writer keeps its first error and returns it from every write.
	_, err := w.bw.Write(nil)
	return wrapWriteErr(err)
}

func wrapWriteErr(err error) error {
	if err != nil {
		return fmt.Errorf("ldif: write: %w", err)
	}
	return nil
}

// isSafe reports whether a non-empty value can be written as an RFC 2849
// SAFE-STRING, which Reader reads back unchanged.
func isSafe(v []byte) bool {
	switch v[0] {
	case ' ', ':', '<':
		return false
	}
	if v[len(v)-1] == ' ' {
		return false
	}
	for _, c := range v {
		if c == 0 || c == '\r' || c == '\n' || c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
