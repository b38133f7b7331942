// Package mail sends canaille's emails (password reset links, registration,
// invitations, email address confirmation) through an SMTP server.
//
// New builds an SMTP sender from the [CANAILLE.SMTP] section of the
// configuration. Each call to Send opens its own connection, greets the
// server, secures the connection (STARTTLS when Config.TLS is set, implicit
// TLS when Config.SSL is set), authenticates when a login is configured,
// hands over one message and quits, so an SMTP value is safe for
// concurrent use and keeps no idle connection open. Check does the same
// without sending anything, for the "canaille check" command.
//
// A failure to talk with the server is an *Error whose text is a sentence
// meant for an administrator: it names the server (host:port) and the step
// that failed, quotes the server's answer, and never contains the SMTP
// password nor the message body. A message that cannot be sent as it is
// (a line break in its subject, say) is refused before connecting, with an
// error wrapping ErrInvalidMessage.
//
// Messages are composed with github.com/wneessen/go-mail: a text/plain
// part, an optional text/html alternative, and inline images (referenced
// from the HTML as cid:NAME) in a multipart/related container. Headers are
// encoded as RFC 2047 requires; a recipient or subject holding a line
// break is refused rather than sent.
//
// Sender is the interface the rest of canaille depends on; SenderFunc and
// Discard are handy in tests, and package mailtest provides an in-process
// SMTP server that records what it receives.
package mail

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/mail"
	"os"
	"strconv"
	"strings"
	"time"
)

// DefaultTimeout is the Timeout used when Config.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// Config is the [CANAILLE.SMTP] section of the configuration.
type Config struct {
	// Host is the SMTP server's host name or IP address, without the
	// port. The default is "localhost".
	Host string

	// Port is the SMTP server's TCP port. The default is 25, or 465 when
	// SSL is set.
	Port int

	// TLS requires STARTTLS: the connection is upgraded to TLS after the
	// greeting, and sending fails when the server does not offer it.
	// Servers on port 587 usually expect this.
	TLS bool

	// SSL makes the connection use TLS from its first byte (implicit TLS,
	// usually on port 465). TLS and SSL are exclusive.
	SSL bool

	// Login, when not empty, is the user name of SMTP authentication
	// (AUTH), done with Password. PLAIN or LOGIN is used, whichever the
	// server offers (or SCRAM-SHA-256, SCRAM-SHA-1 or CRAM-MD5). The
	// password is only sent in clear over a TLS connection or to a server
	// on the loopback interface.
	Login    string
	Password string

	// From is the sender of every message: "noreply@example.org" or
	// "Example <noreply@example.org>". Its domain is also the right-hand
	// side of the Message-ID headers.
	From string

	// Timeout bounds the connection attempt and each SMTP command. The
	// default is DefaultTimeout.
	Timeout time.Duration

	// TLSConfig, when not nil, is the TLS configuration for STARTTLS and
	// implicit TLS (tests pass one trusting their self-signed certificate).
	// It is cloned; an empty ServerName is set to Host.
	TLSConfig *tls.Config
}

// Message is an email to one recipient.
type Message struct {
	// To is the recipient: "addr" or "Name <addr>".
	To string

	// Subject is the subject line, in UTF-8; it must not hold a line
	// break.
	Subject string

	// Text is the text/plain body. It is required.
	Text string

	// HTML is an optional text/html alternative to Text.
	HTML string

	// Inline lists images that HTML refers to as "cid:" followed by their
	// Name (the logo, say). They need an HTML part.
	Inline []Inline
}

// Inline is an inline image of a Message.
type Inline struct {
	// Name identifies the image: HTML refers to it as "cid:" + Name, and
	// it is the image's file name. It is made of letters, digits and
	// ".-_+@".
	Name string

	// ContentType is the media type, such as "image/png".
	ContentType string

	// Data is the image itself.
	Data []byte
}

// A Sender sends messages. Implementations must be safe for concurrent use.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// SenderFunc adapts an ordinary function to the Sender interface.
type SenderFunc func(ctx context.Context, m Message) error

// Send calls f(ctx, m).
func (f SenderFunc) Send(ctx context.Context, m Message) error {
	return f(ctx, m)
}

// Discard is a Sender that sends nothing. Its Send validates the message
// (it returns the error that an SMTP sender would return before
// connecting) and honours ctx cancellation, so that code under test fails
// as it would with a real server.
type Discard struct{}

// Send validates m and drops it.
func (Discard) Send(ctx context.Context, m Message) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sending mail: %w", err)
	}
	_, err := m.validate()
	return err
}

// SMTP is a Sender that hands messages to an SMTP server. Create it with
// New; it is safe for concurrent use.
type SMTP struct {
	cfg       Config
	addr      string // host:port
	from      *mail.Address
	domain    string // the domain of from, for Message-IDs
	helo      string
	tlsConfig *tls.Config
}

var (
	_ Sender = (*SMTP)(nil)
	_ Sender = SenderFunc(nil)
	_ Sender = Discard{}
)

// New returns an SMTP sender for cfg, after filling in the defaults and
// checking the sender address, the host and the port. It does not connect:
// use Check for that.
func New(cfg Config) (*SMTP, error) {
	if cfg.Host == "" {
		cfg.Host = "localhost"
	}
	if cfg.Port == 0 {
		cfg.Port = 25
		if cfg.SSL {
			cfg.Port = 465
		}
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	invalid := func(format string, args ...any) error {
		return fmt.Errorf("invalid SMTP configuration: "+format, args...)
	}
	if err := checkHost(cfg.Host); err != nil {
		return nil, invalid("%v", err)
	}
	if cfg.Port < 1 || cfg.Port > 65535 {
		return nil, invalid("the port %d is not between 1 and 65535", cfg.Port)
	}
	if cfg.TLS && cfg.SSL {
		return nil, invalid("TLS (STARTTLS, usually on port 587) and SSL (implicit TLS, usually on port 465) are exclusive: set only one")
	}
	if cfg.Timeout < 0 {
		return nil, invalid("the timeout %s is negative", cfg.Timeout)
	}
	if strings.ContainsAny(cfg.Login, "\r\n\x00") {
		return nil, invalid("the login contains a line break or a NUL character")
	}
	if cfg.From == "" {
		return nil, invalid("the sender address (FROM) is empty")
	}
	if strings.ContainsAny(cfg.From, "\r\n") {
		return nil, invalid("the sender address (FROM) %q contains a line break", cfg.From)
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, invalid("the sender address (FROM) %q is not an email address: %v", cfg.From, err)
	}
	at := strings.LastIndexByte(from.Address, '@')
	if at < 0 {
		return nil, invalid("the sender address (FROM) %q has no domain", cfg.From)
	}

	s := &SMTP{
		cfg:    cfg,
		addr:   net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)),
		from:   from,
		domain: messageIDDomain(from.Address[at+1:]),
		helo:   heloName(),
	}
	if cfg.TLSConfig != nil {
		s.tlsConfig = cfg.TLSConfig.Clone()
	} else {
		s.tlsConfig = &tls.Config{}
	}
	if s.tlsConfig.ServerName == "" {
		s.tlsConfig.ServerName = cfg.Host
	}
	if s.tlsConfig.MinVersion == 0 {
		s.tlsConfig.MinVersion = tls.VersionTLS12
	}
	return s, nil
}

// Addr returns the server's address, as "host:port".
func (s *SMTP) Addr() string { return s.addr }

// Send hands m to the SMTP server: it connects, secures the connection,
// authenticates, and sends the message with From as the envelope sender
// and To as the only recipient. The message is checked before anything
// is sent; a problem with it is reported as an error wrapping
// ErrInvalidMessage. Every other failure is an *Error.
//
// Send returns when ctx is done, closing the connection; each network step
// also gives up after Config.Timeout.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	to, err := m.validate()
	if err != nil {
		return err
	}
	raw, err := s.compose(m, to)
	if err != nil {
		return err
	}
	return s.exchange(ctx, opSend, func(x *session) error {
		return x.send(s.from.Address, to.Address, raw)
	})
}

// Check connects to the SMTP server, greets it, secures the connection
// (STARTTLS or implicit TLS), authenticates when a login is configured,
// and quits, without sending anything. Its errors are *Error values, as
// Send's.
func (s *SMTP) Check(ctx context.Context) error {
	return s.exchange(ctx, opCheck, nil)
}

// checkHost reports whether host can be the Host setting.
func checkHost(host string) error {
	if strings.ContainsAny(host, " \t\r\n/\x00") {
		return fmt.Errorf("the host %q is not a host name", host)
	}
	if strings.Contains(host, ":") && net.ParseIP(host) == nil {
		if _, _, err := net.SplitHostPort(host); err == nil {
			return fmt.Errorf("the host %q contains a port: put the port in PORT", host)
		}
		return fmt.Errorf("the host %q is not a host name", host)
	}
	return nil
}

// messageIDDomain returns the domain to put on the right of Message-IDs:
// domain itself when it is plain ASCII.
func messageIDDomain(domain string) string {
	for i := 0; i < len(domain); i++ {
		c := domain[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>[]:;@\,"`, c) >= 0 {
			return "localhost.localdomain"
		}
	}
	if domain == "" {
		return "localhost.localdomain"
	}
	return domain
}

// heloName returns the name to greet servers with: the machine's host
// name.
func heloName() string {
	name, err := os.Hostname()
	if err != nil || name == "" || strings.ContainsAny(name, " \t\r\n") {
		return "localhost"
	}
	return name
}
