package mail

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strings"
)

// Step names a step of an SMTP exchange, the one an Error happened at.
type Step string

// The steps of an SMTP exchange, in order.
const (
	StepConnect   Step = "connect"   // TCP connection
	StepGreeting  Step = "greeting"  // the server's banner and EHLO
	StepTLS       Step = "tls"       // STARTTLS or the implicit TLS handshake
	StepAuth      Step = "auth"      // SMTP authentication
	StepSender    Step = "sender"    // MAIL FROM
	StepRecipient Step = "recipient" // RCPT TO
	StepData      Step = "data"      // DATA and the message
)

// Error is the error of Send and Check once the message is valid. Its text
// is a sentence for an administrator, such as
//
//	sending mail through smtp.example.org:587: the server refused the login for user "x": 535 5.7.8 Authentication failed
//
// It never contains the SMTP password nor the message body.
type Error struct {
	// Addr is the server's address, as "host:port".
	Addr string

	// Step is the step that failed.
	Step Step

	// Code is the SMTP reply code when the server refused the step (535,
	// 550...), and 0 when it did not answer.
	Code int

	// Err is the underlying error: a *textproto.Error holding the server's
	// reply, a network or TLS error, or ctx's error when it was done.
	Err error

	op   string // "sending mail through"
	text string // what went wrong
}

// Error returns the sentence.
func (e *Error) Error() string {
	return e.op + " " + e.Addr + ": " + e.text
}

// Unwrap returns e.Err.
func (e *Error) Unwrap() error { return e.Err }

// Temporary reports whether the server refused with a transient (4xx)
// reply, or did not answer in time: trying again later may work.
func (e *Error) Temporary() bool {
	if e.Code != 0 {
		return e.Code/100 == 4
	}
	var ne net.Error
	return errors.As(e.Err, &ne) && ne.Timeout()
}

// The operations, the first words of an Error's text.
const (
	opSend  = "sending mail through"
	opCheck = "checking the SMTP server"
)

// replyCode returns the SMTP reply code in err, or 0.
func replyCode(err error) int {
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code
	}
	return 0
}

// detail returns err's text, with an SMTP reply written as the server
// sent it ("535 5.7.8 Authentication failed"), on one line and without
// control characters.
func detail(err error) string {
	if te, ok := err.(*textproto.Error); ok {
		return fmt.Sprintf("%03d %s", te.Code, oneLine(te.Msg))
	}
	return oneLine(err.Error())
}

// oneLine replaces the line breaks and other control characters of s
// with spaces.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

// isTimeout reports whether err is a network timeout.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// redact returns s with every occurrence of secret replaced. Servers do
// not echo passwords, but an error must never carry one.
func redact(s, secret string) string {
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, "[password]")
}

// ctxText returns a sentence for err, the error of a done context.
func ctxText(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "the deadline passed (" + err.Error() + ")"
	}
	return "the operation was canceled (" + err.Error() + ")"
}
