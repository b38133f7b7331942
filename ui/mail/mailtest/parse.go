package mailtest

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"regexp"
	"strings"
)

// Received is a message the server accepted, decoded.
type Received struct {
	// From is the envelope sender (MAIL FROM) and To the envelope
	// recipients (RCPT TO), without angle brackets.
	From string
	To   []string

	// Subject is the decoded Subject header.
	Subject string

	// Text and HTML are the decoded bodies of the first text/plain and
	// text/html parts that are not attachments, with "\n" line endings.
	Text, HTML string

	// Parts lists the other leaf parts, such as inline images.
	Parts []Part

	// Header holds the message's header fields, as they were sent.
	Header mail.Header

	// Raw is the message as it was received after DATA.
	Raw []byte

	// TLS reports whether the message came over TLS (STARTTLS or
	// implicit), and AuthUser who had logged in ("" when nobody).
	TLS      bool
	AuthUser string
}

// Part is a MIME part of a received message that is neither its text nor
// its HTML body.
type Part struct {
	// ContentType is the media type, without parameters ("image/png").
	ContentType string

	// ContentID is the Content-ID without its angle brackets: HTML refers
	// to the part as "cid:" + ContentID.
	ContentID string

	// Disposition is "inline", "attachment" or "", and Filename the file
	// name it gives.
	Disposition string
	Filename    string

	// Data is the decoded content.
	Data []byte
}

// Part returns the part whose Content-ID is cid, and whether there is one.
func (r Received) Part(cid string) (Part, bool) {
	for _, p := range r.Parts {
		if p.ContentID == cid {
			return p, true
		}
	}
	return Part{}, false
}

// urlPattern matches URLs in text.
var urlPattern = regexp.MustCompile(`https?://[^\s<>"']+`)

// Link returns the first URL in Text that starts with prefix, without
// trailing punctuation, or "" when there is none.
func (r Received) Link(prefix string) string {
	for _, u := range urlPattern.FindAllString(r.Text, -1) {
		u = strings.TrimRight(u, ".,;:!?)]}")
		if strings.HasPrefix(u, prefix) {
			return u
		}
	}
	return ""
}

// Parse decodes a message as it is sent after DATA. It returns what it
// could decode along with the first error.
func Parse(raw []byte) (Received, error) {
	r := Received{Raw: raw}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return r, fmt.Errorf("reading the header: %w", err)
	}
	r.Header = msg.Header
	var dec mime.WordDecoder
	r.Subject, err = dec.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		return r, fmt.Errorf("decoding the subject: %w", err)
	}
	err = r.walk(mimeHeader(msg.Header), msg.Body, 0)
	return r, err
}

// header is what walk needs of a header: net/mail's and multipart's have
// this method.
type header interface {
	Get(key string) string
}

// mimeHeader adapts a mail.Header.
func mimeHeader(h mail.Header) header { return h }

// walk decodes the entity with header h and body body, recursively.
func (r *Received) walk(h header, body io.Reader, depth int) error {
	if depth > 10 {
		return errors.New("MIME parts nested too deep")
	}
	ct := h.Get("Content-Type")
	if ct == "" {
		ct = "text/plain; charset=us-ascii"
	}
	mediatype, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return fmt.Errorf("parsing the content type %q: %w", ct, err)
	}
	if strings.HasPrefix(mediatype, "multipart/") {
		boundary := params["boundary"]
		if boundary == "" {
			return fmt.Errorf("%s without a boundary", mediatype)
		}
		mr := multipart.NewReader(body, boundary)
		for {
			p, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("reading a part of %s: %w", mediatype, err)
			}
			if err := r.walk(p.Header, p, depth+1); err != nil {
				return err
			}
		}
	}

	data, err := io.ReadAll(decoder(h.Get("Content-Transfer-Encoding"), body))
	if err != nil {
		return fmt.Errorf("decoding a %s part: %w", mediatype, err)
	}
	disposition, dparams, _ := mime.ParseMediaType(h.Get("Content-Disposition"))
	switch {
	case mediatype == "text/plain" && disposition != "attachment" && r.Text == "":
		r.Text = strings.ReplaceAll(string(data), "\r\n", "\n")
	case mediatype == "text/html" && disposition != "attachment" && r.HTML == "":
		r.HTML = strings.ReplaceAll(string(data), "\r\n", "\n")
	default:
		r.Parts = append(r.Parts, Part{
			ContentType: mediatype,
			ContentID:   strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(h.Get("Content-ID")), "<"), ">"),
			Disposition: disposition,
			Filename:    dparams["filename"],
			Data:        data,
		})
	}
	return nil
}

// decoder returns a reader decoding body as the Content-Transfer-Encoding
// cte says.
func decoder(cte string, body io.Reader) io.Reader {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "quoted-printable":
		return quotedprintable.NewReader(body)
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, body)
	}
	return body
}
