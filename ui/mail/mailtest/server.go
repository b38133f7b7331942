// Package mailtest provides an in-process SMTP server for tests: it listens
// on a loopback port, accepts every message (unless told to refuse), and
// records what it receives, decoded, for the test to inspect.
//
//	srv := mailtest.NewServer(t)
//	sender, _ := mail.New(mail.Config{Host: srv.Host(), Port: srv.Port(), From: "noreply@example.org"})
//	// ... code that sends a password reset mail ...
//	msg := srv.Wait(t, 1, 5*time.Second)[0]
//	link := msg.Link("https://auth.example.org/reset/")
//
// The server is built on github.com/emersion/go-smtp; options make it
// require authentication, offer STARTTLS, speak implicit TLS or refuse
// recipients.
package mailtest

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Server is an SMTP server listening on 127.0.0.1. Create it with
// NewServer; it stops when the test ends.
type Server struct {
	host string
	port int

	user, pass   string   // required credentials, when user != ""
	mechanisms   []string // AUTH mechanisms offered
	startTLS     bool
	implicitTLS  bool
	failCode     int
	failMsg      string
	cert         tls.Certificate
	clientConfig *tls.Config

	srv  *smtp.Server
	done chan struct{} // closed when Serve has returned

	mu       sync.Mutex
	messages []Received
	arrived  chan struct{} // closed and replaced at each message
	stopped  bool
	t        testing.TB
}

// An Option configures a Server.
type Option func(*Server)

// WithAuth makes the server offer AUTH PLAIN and LOGIN and require a login
// with user and pass before MAIL FROM. Authentication is allowed without
// TLS, as servers on the loopback interface often do.
func WithAuth(user, pass string) Option {
	return func(s *Server) {
		s.user, s.pass = user, pass
		if s.mechanisms == nil {
			s.mechanisms = []string{sasl.Plain, sasl.Login}
		}
	}
}

// WithAuthMechanisms restricts the AUTH mechanisms offered with WithAuth
// to mechs, among "PLAIN" and "LOGIN".
func WithAuthMechanisms(mechs ...string) Option {
	return func(s *Server) {
		s.mechanisms = mechs
	}
}

// WithStartTLS makes the server offer STARTTLS with a self-signed
// certificate for 127.0.0.1, ::1 and localhost. Server.TLSConfig returns a
// client configuration trusting it.
func WithStartTLS() Option {
	return func(s *Server) { s.startTLS = true }
}

// WithImplicitTLS makes the server speak TLS from the first byte, as
// servers on port 465 do, with the certificate of WithStartTLS.
func WithImplicitTLS() Option {
	return func(s *Server) { s.implicitTLS = true }
}

// WithFailure makes the server refuse every recipient (RCPT TO) with the
// reply code and message msg, such as 550 and "No such user".
func WithFailure(code int, msg string) Option {
	return func(s *Server) { s.failCode, s.failMsg = code, msg }
}

// NewServer starts a server listening on 127.0.0.1 on a free port. It is
// closed by t.Cleanup.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := &Server{
		host:    "127.0.0.1",
		arrived: make(chan struct{}),
		done:    make(chan struct{}),
		t:       t,
	}
	for _, o := range opts {
		o(s)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mailtest: listening: %v", err)
	}
	s.port = l.Addr().(*net.TCPAddr).Port

	srv := smtp.NewServer(smtp.BackendFunc(s.newSession))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	srv.MaxMessageBytes = 10 << 20
	srv.MaxRecipients = 50
	srv.ErrorLog = testLogger{s}
	if s.startTLS || s.implicitTLS {
		s.cert, s.clientConfig, err = selfSigned()
		if err != nil {
			l.Close()
			t.Fatalf("mailtest: making a certificate: %v", err)
		}
		serverConfig := &tls.Config{Certificates: []tls.Certificate{s.cert}, MinVersion: tls.VersionTLS12}
		if s.implicitTLS {
			l = tls.NewListener(l, serverConfig)
		}
		if s.startTLS {
			srv.TLSConfig = serverConfig
		}
	}
	s.srv = srv

	go func() {
		defer close(s.done)
		_ = srv.Serve(l)
	}()
	t.Cleanup(s.close)
	return s
}

// close stops the server and waits for Serve to return.
func (s *Server) close() {
	s.mu.Lock()
	s.stopped = true
	s.mu.Unlock()
	_ = s.srv.Close()
	<-s.done
}

// Host returns the address the server listens on, "127.0.0.1".
func (s *Server) Host() string { return s.host }

// Port returns the port the server listens on.
func (s *Server) Port() int { return s.port }

// Addr returns "127.0.0.1:port".
func (s *Server) Addr() string { return net.JoinHostPort(s.host, strconv.Itoa(s.port)) }

// TLSConfig returns a new client TLS configuration whose only trusted
// root is the server's certificate, or nil when the server speaks no TLS.
// Its ServerName is empty: clients set it to the host they dial.
func (s *Server) TLSConfig() *tls.Config {
	if s.clientConfig == nil {
		return nil
	}
	return s.clientConfig.Clone()
}

// Messages returns the messages received so far, oldest first.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.messages)
}

// Wait waits until at least n messages have arrived and returns them all.
// It calls t.Fatal when timeout passes first.
func (s *Server) Wait(t testing.TB, n int, timeout time.Duration) []Received {
	t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		s.mu.Lock()
		got, arrived := len(s.messages), s.arrived
		if got >= n {
			msgs := slices.Clone(s.messages)
			s.mu.Unlock()
			return msgs
		}
		s.mu.Unlock()
		select {
		case <-arrived:
		case <-timer.C:
			t.Fatalf("mailtest: %d message(s) arrived within %s, want %d", got, timeout, n)
			return nil
		}
	}
}

// record stores a message that arrived.
func (s *Server) record(r Received) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.messages = append(s.messages, r)
	close(s.arrived)
	s.arrived = make(chan struct{})
}

// newSession starts an SMTP session for a new connection.
func (s *Server) newSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{srv: s, conn: c}, nil
}

// session is the state of one connection.
type session struct {
	srv    *Server
	conn   *smtp.Conn
	authed string // the user who logged in
	from   string
	to     []string
}

var (
	errAuthRequired = &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	errBadSequence  = &smtp.SMTPError{Code: 503, EnhancedCode: smtp.EnhancedCode{5, 5, 1}, Message: "Bad sequence of commands"}
)

// AuthMechanisms lists the AUTH mechanisms offered: none without
// WithAuth.
func (se *session) AuthMechanisms() []string {
	if se.srv.user == "" {
		return nil
	}
	return se.srv.mechanisms
}

// Auth starts the exchange for mechanism mech.
func (se *session) Auth(mech string) (sasl.Server, error) {
	if se.srv.user == "" || !slices.Contains(se.srv.mechanisms, mech) {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	check := func(user, pass string) error {
		if user != se.srv.user || pass != se.srv.pass {
			return smtp.ErrAuthFailed
		}
		se.authed = user
		return nil
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(identity, user, pass string) error {
			if identity != "" && identity != user {
				return smtp.ErrAuthFailed
			}
			return check(user, pass)
		}), nil
	case sasl.Login:
		return &loginServer{check: check}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

// Mail records the envelope sender.
func (se *session) Mail(from string, _ *smtp.MailOptions) error {
	if se.srv.user != "" && se.authed == "" {
		return errAuthRequired
	}
	se.from = from
	return nil
}

// Rcpt records a recipient, or refuses it as WithFailure says.
func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if se.srv.failCode != 0 {
		return &smtp.SMTPError{Code: se.srv.failCode, EnhancedCode: smtp.EnhancedCodeNotSet, Message: se.srv.failMsg}
	}
	se.to = append(se.to, to)
	return nil
}

// Data reads, decodes and records the message.
func (se *session) Data(r io.Reader) error {
	if se.from == "" && len(se.to) == 0 {
		return errBadSequence
	}
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	rec, err := Parse(raw)
	if err != nil {
		// Still record it: the test will see what was wrong.
		se.srv.logf("mailtest: the message does not parse: %v", err)
	}
	rec.From = se.from
	rec.To = slices.Clone(se.to)
	rec.AuthUser = se.authed
	_, rec.TLS = se.conn.TLSConnectionState()
	se.srv.record(rec)
	return nil
}

// Reset forgets the transaction under way.
func (se *session) Reset() {
	se.from = ""
	se.to = nil
}

// Logout ends the session.
func (se *session) Logout() error { return nil }

// loginServer is the server side of the LOGIN mechanism, which go-sasl
// lacks: it asks for the user name, then the password.
type loginServer struct {
	check func(user, pass string) error
	step  int
	user  string
}

// Next implements sasl.Server.
func (l *loginServer) Next(response []byte) (challenge []byte, done bool, err error) {
	switch l.step {
	case 0:
		l.step = 1
		if len(response) == 0 {
			return []byte("Username:"), false, nil
		}
		fallthrough // the user name came with AUTH LOGIN
	case 1:
		l.user = string(response)
		l.step = 2
		return []byte("Password:"), false, nil
	case 2:
		l.step = 3
		return nil, true, l.check(l.user, string(response))
	}
	return nil, false, errors.New("unexpected LOGIN response")
}

// logf logs through the test while it runs.
func (s *Server) logf(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.stopped {
		s.t.Logf(format, args...)
	}
}

// testLogger is go-smtp's error log, to the test's log.
type testLogger struct{ s *Server }

func (l testLogger) Printf(format string, v ...any) { l.s.logf("mailtest: "+format, v...) }

func (l testLogger) Println(v ...any) {
	l.s.logf("mailtest: %s", strings.TrimSuffix(fmt.Sprintln(v...), "\n"))
}
