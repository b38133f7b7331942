package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/wneessen/go-mail/smtp"
)

// session is one SMTP exchange with the server.
type session struct {
	s         *SMTP
	ctx       context.Context
	op        string
	raw       net.Conn // the TCP connection, under TLS if any
	c         *smtp.Client
	encrypted bool
}

var (
	errNoStartTLS = errors.New("STARTTLS not offered")
	errNoAuth     = errors.New("AUTH not offered")
	errNoMech     = errors.New("no supported AUTH mechanism")
)

// exchange connects to the server, greets it, secures the connection and
// authenticates as configured, then runs work (when not nil) and quits.
//
// The go-mail Client bundles connection, greeting, TLS and
// authentication in one call; the steps are driven here one by one, with
// go-mail's protocol client, so that an error names the step that failed
// and every command has its own deadline.
func (s *SMTP) exchange(ctx context.Context, op string, work func(*session) error) error {
	x := &session{s: s, ctx: ctx, op: op}
	if ctx.Err() != nil {
		return x.fail(StepConnect, ctx.Err(), "connecting", "")
	}

	dialer := net.Dialer{Timeout: s.cfg.Timeout}
	raw, err := dialer.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return x.fail(StepConnect, err, "connecting", "")
	}
	x.raw = raw
	defer raw.Close()
	// Closing the connection makes any read or write under way fail at
	// once: that is how Send returns when ctx is done.
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	defer stop()

	conn := raw
	if s.cfg.SSL {
		x.deadline()
		tc := tls.Client(raw, s.tlsConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			return x.fail(StepTLS, err, "the TLS handshake (SSL) failed", "")
		}
		conn = tc
		x.encrypted = true
	}

	x.deadline()
	c, err := smtp.NewClient(conn, s.cfg.Host)
	if err != nil {
		return x.fail(StepGreeting, err, "waiting for the server's greeting", "the server refused the connection")
	}
	x.c = c
	x.deadline()
	if err := c.Hello(s.helo); err != nil {
		return x.fail(StepGreeting, err, "greeting the server (EHLO)", "the server refused the greeting (EHLO)")
	}

	if s.cfg.TLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return x.fail(StepTLS, errNoStartTLS, "", "")
		}
		x.deadline()
		if err := c.StartTLS(s.tlsConfig); err != nil {
			return x.fail(StepTLS, err, "STARTTLS failed", "the server refused STARTTLS")
		}
		x.encrypted = true
	}

	if s.cfg.Login != "" {
		if err := x.auth(); err != nil {
			return err
		}
	}

	if work != nil {
		if err := work(x); err != nil {
			return err
		}
	}

	// The message, if any, has been accepted: a failing QUIT changes
	// nothing to that.
	x.deadline()
	_ = c.Quit()
	return nil
}

// deadline gives the next command Config.Timeout to complete.
func (x *session) deadline() {
	_ = x.raw.SetDeadline(time.Now().Add(x.s.cfg.Timeout))
}

// authMechanisms lists the mechanisms Send may use, best first. PLAIN and
// LOGIN send the password as it is: go-mail's implementations refuse to
// unless the connection is encrypted or the server is on the loopback
// interface, so other mechanisms come first on an unencrypted connection.
var (
	authMechanismsTLS   = []string{"PLAIN", "LOGIN", "SCRAM-SHA-256", "SCRAM-SHA-1", "CRAM-MD5"}
	authMechanismsClear = []string{"SCRAM-SHA-256", "SCRAM-SHA-1", "CRAM-MD5", "PLAIN", "LOGIN"}
)

// auth authenticates with the configured login and password.
func (x *session) auth() error {
	cfg := x.s.cfg
	ok, offered := x.c.Extension("AUTH")
	if !ok {
		return x.fail(StepAuth, errNoAuth, "", "")
	}
	prefs := authMechanismsClear
	if x.encrypted {
		prefs = authMechanismsTLS
	}
	mechs := strings.Fields(strings.ToUpper(offered))
	var a smtp.Auth
	for _, p := range prefs {
		if !slices.Contains(mechs, p) {
			continue
		}
		switch p {
		case "PLAIN":
			a = smtp.PlainAuth("", cfg.Login, cfg.Password, cfg.Host, false)
		case "LOGIN":
			a = smtp.LoginAuth(cfg.Login, cfg.Password, cfg.Host, false)
		case "SCRAM-SHA-256":
			a = smtp.ScramSHA256Auth(cfg.Login, cfg.Password)
		case "SCRAM-SHA-1":
			a = smtp.ScramSHA1Auth(cfg.Login, cfg.Password)
		case "CRAM-MD5":
			a = smtp.CRAMMD5Auth(cfg.Login, cfg.Password)
		}
		break
	}
	if a == nil {
		return x.fail(StepAuth, fmt.Errorf("%w: %s", errNoMech, offered), "", "")
	}
	x.deadline()
	if err := x.c.Auth(a); err != nil {
		user := fmt.Sprintf("%q", cfg.Login)
		if replyCode(err)/100 == 4 {
			return x.fail(StepAuth, err, "logging in as user "+user,
				"the server could not check the login for user "+user+" (a temporary failure)")
		}
		return x.fail(StepAuth, err, "logging in as user "+user, "the server refused the login for user "+user)
	}
	return nil
}

// send sends one message from the envelope sender from to the recipient
// to; raw is the message.
func (x *session) send(from, to string, raw []byte) error {
	x.deadline()
	if err := x.c.Mail("<" + from + ">"); err != nil {
		return x.fail(StepSender, err, "giving the sender "+from+" (MAIL FROM)", "the server refused the sender "+from)
	}
	x.deadline()
	if err := x.c.Rcpt("<" + to + ">"); err != nil {
		return x.fail(StepRecipient, err, "giving the recipient "+to+" (RCPT TO)", "the server refused the recipient "+to)
	}
	x.deadline()
	w, err := x.c.Data()
	if err != nil {
		return x.fail(StepData, err, "starting the message (DATA)", "the server refused to receive the message (DATA)")
	}
	x.deadline()
	if _, err := w.Write(raw); err != nil {
		return x.fail(StepData, err, "transferring the message", "")
	}
	if err := w.Close(); err != nil {
		return x.fail(StepData, err, "transferring the message", "the server refused the message")
	}
	return nil
}

// fail returns the *Error for err at step. doing says what was being done
// ("greeting the server (EHLO)"), refused what a reply code from the
// server means ("the server refused the greeting (EHLO)").
func (x *session) fail(step Step, err error, doing, refused string) error {
	cfg := x.s.cfg
	e := &Error{Addr: x.s.addr, Step: step, Err: err, op: x.op, Code: replyCode(err)}
	hint := ""
	switch {
	case errors.Is(err, errNoStartTLS):
		e.text = "TLS (STARTTLS) is set but the server does not offer STARTTLS"
		if cfg.Port == 465 {
			hint = "port 465 usually expects implicit TLS: set SSL instead of TLS"
		}
	case errors.Is(err, errNoAuth):
		e.text = "a login is set but the server does not offer authentication (AUTH)"
		if !x.encrypted {
			hint = "many servers offer it only over TLS: set TLS or SSL"
		}
	case errors.Is(err, errNoMech):
		e.text = "the server offers no authentication mechanism that canaille supports (it offers " +
			oneLine(strings.TrimPrefix(err.Error(), errNoMech.Error()+": ")) + ")"
	case errors.Is(err, smtp.ErrUnencrypted):
		e.text = fmt.Sprintf("refusing to send the password of user %q in clear over an unencrypted connection", cfg.Login)
		hint = "set TLS or SSL"
	case x.ctx.Err() != nil:
		e.Code = 0
		e.Err = x.ctx.Err()
		e.text = doing + ": " + ctxText(e.Err)
	case e.Code != 0 && refused != "":
		e.text = refused + ": " + detail(err)
		if step == StepSender && e.Code == 530 && cfg.Login == "" {
			hint = "the server requires a login: set LOGIN and PASSWORD"
		}
	case isTimeout(err):
		e.text = fmt.Sprintf("%s: the server did not answer within %s", doing, cfg.Timeout)
		if step == StepConnect {
			e.text = fmt.Sprintf("%s: no connection within %s", doing, cfg.Timeout)
		}
		if step == StepGreeting && !cfg.SSL {
			hint = "if the port expects implicit TLS, as port 465 usually does, set SSL"
		}
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		e.text = doing + ": the server closed the connection"
	default:
		var oe *net.OpError
		if errors.As(err, &oe) && oe.Op == "dial" && oe.Err != nil {
			e.text = doing + ": " + detail(oe.Err)
		} else {
			e.text = doing + ": " + detail(err)
		}
		var rhe tls.RecordHeaderError
		if step == StepTLS && errors.As(err, &rhe) {
			hint = "the server does not speak TLS on this port"
			if cfg.SSL {
				hint += "; if it expects STARTTLS, as port 587 usually does, set TLS instead of SSL"
			}
		}
	}
	if hint != "" {
		e.text += " (" + hint + ")"
	}
	if cfg.Password != "" && strings.Contains(e.text, cfg.Password) {
		e.text = redact(e.text, cfg.Password)
	}
	if cfg.Password != "" && e.Err != nil && strings.Contains(e.Err.Error(), cfg.Password) {
		e.Err = errors.New(redact(e.Err.Error(), cfg.Password))
	}
	return e
}
