package mail

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"mime"
	"net/mail"
	"strings"

	gomail "github.com/wneessen/go-mail"
)

// ErrInvalidMessage is wrapped by the errors of Send (and of Discard) that
// reject a message before connecting: a missing or malformed recipient, a
// line break in a header, a missing text part, a malformed inline image.
var ErrInvalidMessage = errors.New("invalid message")

// invalidMessage returns an error wrapping ErrInvalidMessage.
func invalidMessage(format string, args ...any) error {
	return fmt.Errorf("sending mail: %w: %s", ErrInvalidMessage, fmt.Sprintf(format, args...))
}

// validate checks m and returns its parsed recipient.
func (m Message) validate() (*mail.Address, error) {
	if m.To == "" {
		return nil, invalidMessage("the recipient address is empty")
	}
	if strings.ContainsAny(m.To, "\r\n") {
		return nil, invalidMessage("the recipient address %q contains a line break", m.To)
	}
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return nil, invalidMessage("the recipient address %q is not an email address: %v", m.To, err)
	}
	if !strings.Contains(to.Address, "@") {
		return nil, invalidMessage("the recipient address %q has no domain", m.To)
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		return nil, invalidMessage("the subject %q contains a line break", m.Subject)
	}
	if strings.ContainsRune(m.Subject, 0) {
		return nil, invalidMessage("the subject %q contains a NUL character", m.Subject)
	}
	if m.Text == "" {
		return nil, invalidMessage("the text part is empty")
	}
	if len(m.Inline) > 0 && m.HTML == "" {
		return nil, invalidMessage("inline images need an HTML part to refer to them")
	}
	seen := make(map[string]bool, len(m.Inline))
	for _, in := range m.Inline {
		if !validInlineName(in.Name) {
			return nil, invalidMessage("the inline image name %q is not made of letters, digits and \".-_+@\"", in.Name)
		}
		if seen[in.Name] {
			return nil, invalidMessage("two inline images are named %q", in.Name)
		}
		seen[in.Name] = true
		mediatype, params, err := mime.ParseMediaType(in.ContentType)
		if err != nil || len(params) > 0 || !strings.Contains(mediatype, "/") {
			return nil, invalidMessage("the content type %q of the inline image %q is not a media type such as image/png", in.ContentType, in.Name)
		}
	}
	return to, nil
}

// validInlineName reports whether name can be an inline image's name: it
// goes in a Content-ID, a file name and the HTML, unquoted.
func validInlineName(name string) bool {
	if name == "" || len(name) > 200 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte(".-_+@", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// compose returns the message as it goes on the wire after DATA, with CRLF
// line endings. m has been validated.
func (s *SMTP) compose(m Message, to *mail.Address) ([]byte, error) {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(s.from)
	msg.ToMailAddress(to)
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetMessageIDWithValue(strings.ToLower(rand.Text()) + "@" + s.domain)
	// RFC 3834: canaille's mails are written by a program; vacation
	// responders should not answer them.
	msg.SetGenHeader("Auto-Submitted", "auto-generated")

	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	for _, in := range m.Inline {
		err := msg.EmbedReader(in.Name, bytes.NewReader(in.Data),
			gomail.WithFileContentType(gomail.ContentType(in.ContentType)),
			gomail.WithFileContentID("<"+in.Name+">"))
		if err != nil {
			return nil, fmt.Errorf("sending mail: composing the message: %w", err)
		}
	}

	var buf bytes.Buffer
	if _, err := msg.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("sending mail: composing the message: %w", err)
	}
	return buf.Bytes(), nil
}
