package mail_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/canaille-go/canaille/ui/mail"
	"github.com/canaille-go/canaille/ui/mail/mailtest"
)

// newSender returns a sender to srv, with cfg's other settings.
func newSender(t *testing.T, srv *mailtest.Server, cfg mail.Config) *mail.SMTP {
	t.Helper()
	cfg.Host, cfg.Port = srv.Host(), srv.Port()
	if cfg.From == "" {
		cfg.From = "Canaille <noreply@example.org>"
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	s, err := mail.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// mailError returns err as a *mail.Error, or fails.
func mailError(t *testing.T, err error, step mail.Step) *mail.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one at step %s", step)
	}
	var e *mail.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %q (%T) is not a *mail.Error", err, err)
	}
	if e.Step != step {
		t.Errorf("error %q: step %s, want %s", err, e.Step, step)
	}
	return e
}

// contains checks that s holds every one of subs.
func contains(t *testing.T, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%q does not contain %q", s, sub)
		}
	}
}

var resetMessage = mail.Message{
	To:      "Bob <bob@example.org>",
	Subject: "Password reset",
	Text:    "Hello Bob,\n\nTo reset your password, visit https://auth.example.org/reset/bob/abc123.\n",
}

func TestSendPlain(t *testing.T) {
	srv := mailtest.NewServer(t)
	s := newSender(t, srv, mail.Config{})
	before := time.Now().Add(-time.Second)
	if err := s.Send(context.Background(), resetMessage); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := srv.Wait(t, 1, 5*time.Second)
	if len(got) != 1 {
		t.Fatalf("got %d messages, want 1", len(got))
	}
	r := got[0]
	if r.From != "noreply@example.org" || len(r.To) != 1 || r.To[0] != "bob@example.org" {
		t.Errorf("envelope from %q to %q", r.From, r.To)
	}
	if r.Subject != "Password reset" {
		t.Errorf("subject %q", r.Subject)
	}
	if r.Text != resetMessage.Text {
		t.Errorf("text %q, want %q", r.Text, resetMessage.Text)
	}
	if r.HTML != "" || len(r.Parts) != 0 {
		t.Errorf("unexpected HTML %q or parts %v", r.HTML, r.Parts)
	}
	if r.TLS || r.AuthUser != "" {
		t.Errorf("TLS %v, user %q on a plain server", r.TLS, r.AuthUser)
	}
	if link := r.Link("https://auth.example.org/reset/"); link != "https://auth.example.org/reset/bob/abc123" {
		t.Errorf("Link: %q", link)
	}
	if link := r.Link("https://elsewhere/"); link != "" {
		t.Errorf("Link to elsewhere: %q", link)
	}

	h := r.Header
	date, err := h.Date()
	if err != nil || date.Before(before) || date.After(time.Now().Add(time.Second)) {
		t.Errorf("Date %q: %v, %v", h.Get("Date"), date, err)
	}
	id := h.Get("Message-Id")
	if !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@example.org>") || len(id) < 20 {
		t.Errorf("Message-ID %q", id)
	}
	if v := h.Get("Mime-Version"); v != "1.0" {
		t.Errorf("MIME-Version %q", v)
	}
	if v := h.Get("Auto-Submitted"); v != "auto-generated" {
		t.Errorf("Auto-Submitted %q", v)
	}
	from, err := h.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Name != "Canaille" || from[0].Address != "noreply@example.org" {
		t.Errorf("From %q: %v", h.Get("From"), err)
	}
	to, err := h.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Name != "Bob" || to[0].Address != "bob@example.org" {
		t.Errorf("To %q: %v", h.Get("To"), err)
	}
	mediatype, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || mediatype != "text/plain" || !strings.EqualFold(params["charset"], "utf-8") {
		t.Errorf("Content-Type %q", h.Get("Content-Type"))
	}

	// Two messages get two Message-IDs.
	if err := s.Send(context.Background(), resetMessage); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got = srv.Wait(t, 2, 5*time.Second)
	if got[0].Header.Get("Message-Id") == got[1].Header.Get("Message-Id") {
		t.Errorf("two messages share the Message-ID %q", got[0].Header.Get("Message-Id"))
	}
}

func TestSendStartTLS(t *testing.T) {
	srv := mailtest.NewServer(t, mailtest.WithStartTLS())
	s := newSender(t, srv, mail.Config{TLS: true, TLSConfig: srv.TLSConfig()})
	if err := s.Check(context.Background()); err != nil {
		t.Fatalf("Check: %v", err)
	}
	if err := s.Send(context.Background(), resetMessage); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if r := srv.Wait(t, 1, 5*time.Second)[0]; !r.TLS {
		t.Error("the message did not come over TLS")
	}
}

func TestStartTLSNotOffered(t *testing.T) {
	srv := mailtest.NewServer(t)
	s := newSender(t, srv, mail.Config{TLS: true})
	err := s.Send(context.Background(), resetMessage)
	e := mailError(t, err, mail.StepTLS)
	contains(t, e.Error(), "sending mail through "+srv.Addr()+":", "does not offer STARTTLS")
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("%d messages sent in clear", n)
	}
	e = mailError(t, s.Check(context.Background()), mail.StepTLS)
	contains(t, e.Error(), "checking the SMTP server "+srv.Addr()+":", "does not offer STARTTLS")
}

func TestStartTLSUntrusted(t *testing.T) {
	srv := mailtest.NewServer(t, mailtest.WithStartTLS())
	s := newSender(t, srv, mail.Config{TLS: true}) // the system roots do not know the test certificate
	e := mailError(t, s.Send(context.Background(), resetMessage), mail.StepTLS)
	contains(t, e.Error(), srv.Addr(), "STARTTLS failed", "certificate")
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("%d messages sent", n)
	}
}

func TestSendImplicitTLS(t *testing.T) {
	srv := mailtest.NewServer(t, mailtest.WithImplicitTLS())
	s := newSender(t, srv, mail.Config{SSL: true, TLSConfig: srv.TLSConfig()})
	if err := s.Send(context.Background(), resetMessage); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if r := srv.Wait(t, 1, 5*time.Second)[0]; !r.TLS {
		t.Error("the message did not come over TLS")
	}
}

func TestSSLToPlainServer(t *testing.T) {
	srv := mailtest.NewServer(t)
	s := newSender(t, srv, mail.Config{SSL: true, Timeout: time.Second})
	e := mailError(t, s.Send(context.Background(), resetMessage), mail.StepTLS)
	contains(t, e.Error(), "TLS handshake", "does not speak TLS", "set TLS instead of SSL")
}

func TestPlainToImplicitTLSServer(t *testing.T) {
	srv := mailtest.NewServer(t, mailtest.WithImplicitTLS())
	s := newSender(t, srv, mail.Config{Timeout: 300 * time.Millisecond})
	start := time.Now()
	e := mailError(t, s.Send(context.Background(), resetMessage), mail.StepGreeting)
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Send took %s", d)
	}
	contains(t, e.Error(), "did not answer within 300ms", "set SSL")
	if !e.Temporary() {
		t.Error("a timeout is not temporary")
	}
}

func TestAuth(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opts  []mailtest.Option
		cfg   mail.Config
		isTLS bool
	}{
		{name: "PLAIN", opts: []mailtest.Option{mailtest.WithAuthMechanisms("PLAIN")}},
		{name: "LOGIN", opts: []mailtest.Option{mailtest.WithAuthMechanisms("LOGIN")}},
		{name: "STARTTLS", opts: []mailtest.Option{mailtest.WithStartTLS()}, cfg: mail.Config{TLS: true}, isTLS: true},
		{name: "SSL/LOGIN", opts: []mailtest.Option{mailtest.WithImplicitTLS(), mailtest.WithAuthMechanisms("LOGIN")}, cfg: mail.Config{SSL: true}, isTLS: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := mailtest.NewServer(t, append(tc.opts, mailtest.WithAuth("alice", "s3cret pass"))...)
			cfg := tc.cfg
			cfg.Login, cfg.Password = "alice", "s3cret pass"
			cfg.TLSConfig = srv.TLSConfig()
			s := newSender(t, srv, cfg)
			if err := s.Check(context.Background()); err != nil {
				t.Fatalf("Check: %v", err)
			}
			if err := s.Send(context.Background(), resetMessage); err != nil {
				t.Fatalf("Send: %v", err)
			}
			r := srv.Wait(t, 1, 5*time.Second)[0]
			if r.AuthUser != "alice" || r.TLS != tc.isTLS {
				t.Errorf("user %q, TLS %v", r.AuthUser, r.TLS)
			}
		})
	}
}

func TestAuthRefused(t *testing.T) {
	const password = "Wr0ng-Passw0rd"
	for _, mech := range []string{"PLAIN", "LOGIN"} {
		t.Run(mech, func(t *testing.T) {
			srv := mailtest.NewServer(t, mailtest.WithStartTLS(), mailtest.WithAuth("alice", "s3cret"), mailtest.WithAuthMechanisms(mech))
			s := newSender(t, srv, mail.Config{TLS: true, TLSConfig: srv.TLSConfig(), Login: "alice", Password: password})
			for name, err := range map[string]error{
				"Send":  s.Send(context.Background(), resetMessage),
				"Check": s.Check(context.Background()),
			} {
				e := mailError(t, err, mail.StepAuth)
				contains(t, e.Error(), srv.Addr(), `the server refused the login for user "alice"`, "535")
				if strings.Contains(fmt.Sprintf("%v %+v %#v", err, err, e.Err), password) {
					t.Errorf("%s: the error %q reveals the password", name, err)
				}
				if e.Code != 535 || e.Temporary() {
					t.Errorf("%s: code %d, temporary %v", name, e.Code, e.Temporary())
				}
			}
			if n := len(srv.Messages()); n != 0 {
				t.Errorf("%d messages sent", n)
			}
		})
	}
}

func TestAuthInClearRefused(t *testing.T) {
	// The server offers only PLAIN and LOGIN, without TLS, and is not
	// known to be local: the password is not sent.
	srv := mailtest.NewServer(t, mailtest.WithAuth("alice", "s3cret"))
	s, err := mail.New(mail.Config{
		Host: "::ffff:127.0.0.1", Port: srv.Port(), From: "noreply@example.org",
		Login: "alice", Password: "s3cret", Timeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	e := mailError(t, s.Check(context.Background()), mail.StepAuth)
	contains(t, e.Error(), `refusing to send the password of user "alice" in clear`, "set TLS or SSL")
	if strings.Contains(e.Error(), "s3cret") {
		t.Errorf("%q reveals the password", e)
	}
}

func TestAuthRequired(t *testing.T) {
	srv := mailtest.NewServer(t, mailtest.WithAuth("alice", "s3cret"))
	s := newSender(t, srv, mail.Config{})
	e := mailError(t, s.Send(context.Background(), resetMessage), mail.StepSender)
	contains(t, e.Error(), "refused the sender noreply@example.org", "530", "set LOGIN and PASSWORD")
}

func TestAuthNotOffered(t *testing.T) {
	srv := mailtest.NewServer(t)
	s := newSender(t, srv, mail.Config{Login: "alice", Password: "s3cret"})
	e := mailError(t, s.Send(context.Background(), resetMessage), mail.StepAuth)
	contains(t, e.Error(), "does not offer authentication", "set TLS or SSL")
	if strings.Contains(e.Error(), "s3cret") {
		t.Errorf("%q reveals the password", e)
	}
}

func TestRecipientRefused(t *testing.T) {
	srv := mailtest.NewServer(t, mailtest.WithFailure(550, "No such user here"))
	s := newSender(t, srv, mail.Config{})
	e := mailError(t, s.Send(context.Background(), resetMessage), mail.StepRecipient)
	contains(t, e.Error(), "sending mail through "+srv.Addr()+": the server refused the recipient bob@example.org: 550", "No such user here")
	if e.Code != 550 || e.Temporary() {
		t.Errorf("code %d, temporary %v", e.Code, e.Temporary())
	}
	if strings.Contains(e.Error(), "reset your password") {
		t.Errorf("%q contains the body", e)
	}

	srv = mailtest.NewServer(t, mailtest.WithFailure(451, "Try again later"))
	s = newSender(t, srv, mail.Config{})
	e = mailError(t, s.Send(context.Background(), resetMessage), mail.StepRecipient)
	if e.Code != 451 || !e.Temporary() {
		t.Errorf("code %d, temporary %v", e.Code, e.Temporary())
	}
}

// silentServer accepts connections and never answers. It returns its
// address.
func silentServer(t *testing.T) (host string, port int) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
		wg    sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		wg.Wait()
		for _, c := range conns {
			c.Close()
		}
	})
	a := l.Addr().(*net.TCPAddr)
	return a.IP.String(), a.Port
}

func TestSilentServer(t *testing.T) {
	host, port := silentServer(t)
	s, err := mail.New(mail.Config{Host: host, Port: port, From: "noreply@example.org", Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = s.Send(context.Background(), resetMessage)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Send took %s with a timeout of 300ms", d)
	}
	e := mailError(t, err, mail.StepGreeting)
	contains(t, e.Error(), fmt.Sprintf("sending mail through %s:%d: waiting for the server's greeting: the server did not answer within 300ms", host, port))
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("%q does not wrap a timeout", err)
	}
}

func TestContextCanceled(t *testing.T) {
	host, port := silentServer(t)
	s, err := mail.New(mail.Config{Host: host, Port: port, From: "noreply@example.org", Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("during", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		start := time.Now()
		err := s.Send(ctx, resetMessage)
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("Send took %s after its context was canceled", d)
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%v does not wrap context.Canceled", err)
		}
		e := mailError(t, err, mail.StepGreeting)
		contains(t, e.Error(), "canceled")
	})

	t.Run("deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		err := s.Check(ctx)
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("Check took %s after its deadline", d)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%v does not wrap context.DeadlineExceeded", err)
		}
	})

	t.Run("before", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := s.Send(ctx, resetMessage)
		mailError(t, err, mail.StepConnect)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%v does not wrap context.Canceled", err)
		}
	})
}

func TestConnectRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s, err := mail.New(mail.Config{Host: "127.0.0.1", Port: port, From: "noreply@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	e := mailError(t, s.Send(context.Background(), resetMessage), mail.StepConnect)
	contains(t, e.Error(), fmt.Sprintf("sending mail through 127.0.0.1:%d: connecting: ", port), "refused")
}

func TestInvalidMessage(t *testing.T) {
	srv := mailtest.NewServer(t)
	s := newSender(t, srv, mail.Config{})
	png := mail.Inline{Name: "logo.png", ContentType: "image/png", Data: []byte("x")}
	for _, tc := range []struct {
		name string
		edit func(*mail.Message)
		want string
	}{
		{"to CRLF", func(m *mail.Message) { m.To = "bob@example.org\r\nBcc: eve@example.org" }, "line break"},
		{"to LF", func(m *mail.Message) { m.To = "Bob\n <bob@example.org>" }, "line break"},
		{"subject CRLF", func(m *mail.Message) { m.Subject = "Hi\r\nBcc: eve@example.org" }, "subject"},
		{"subject LF", func(m *mail.Message) { m.Subject = "Hi\nX-Evil: 1" }, "subject"},
		{"subject CR", func(m *mail.Message) { m.Subject = "Hi\rX-Evil: 1" }, "subject"},
		{"no to", func(m *mail.Message) { m.To = "" }, "recipient"},
		{"two to", func(m *mail.Message) { m.To = "bob@example.org, eve@example.org" }, "recipient"},
		{"bad to", func(m *mail.Message) { m.To = "bob" }, "recipient"},
		{"no text", func(m *mail.Message) { m.Text = "" }, "text"},
		{"inline without HTML", func(m *mail.Message) { m.Inline = []mail.Inline{png} }, "HTML"},
		{"inline name", func(m *mail.Message) {
			m.HTML = "<p>x</p>"
			m.Inline = []mail.Inline{{Name: "lo>go\r\n", ContentType: "image/png"}}
		}, "name"},
		{"inline type", func(m *mail.Message) {
			m.HTML = "<p>x</p>"
			m.Inline = []mail.Inline{{Name: "logo.png", ContentType: "image/png\r\nX-Evil: 1"}}
		}, "content type"},
		{"inline twice", func(m *mail.Message) {
			m.HTML = "<p>x</p>"
			m.Inline = []mail.Inline{png, png}
		}, "two inline images"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := resetMessage
			tc.edit(&m)
			for _, sender := range []mail.Sender{s, mail.Discard{}} {
				err := sender.Send(context.Background(), m)
				if !errors.Is(err, mail.ErrInvalidMessage) {
					t.Fatalf("%T: got %v, want ErrInvalidMessage", sender, err)
				}
				contains(t, err.Error(), tc.want)
				if strings.Contains(err.Error(), "reset your password") {
					t.Errorf("%q contains the body", err)
				}
			}
		})
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("%d messages sent", n)
	}
}

func TestUTF8Headers(t *testing.T) {
	srv := mailtest.NewServer(t)
	s := newSender(t, srv, mail.Config{From: "Équipe Canaille <noreply@example.org>"})
	subject := "Réinitialisation de votre mot de passe — ✓ 日本語のテキスト, a subject long enough to be folded over more than one line"
	m := mail.Message{To: "Bérénice Dupré <berenice@example.org>", Subject: subject, Text: "Bonjour Bérénice,\n"}
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	r := srv.Wait(t, 1, 5*time.Second)[0]
	if r.Subject != subject {
		t.Errorf("subject %q, want %q", r.Subject, subject)
	}
	if r.Text != m.Text {
		t.Errorf("text %q", r.Text)
	}
	head, _, _ := bytes.Cut(r.Raw, []byte("\r\n\r\n"))
	for i, b := range head {
		if b >= 0x80 {
			t.Fatalf("the header has a non-ASCII byte at %d: %q", i, head)
		}
	}
	for _, line := range strings.Split(string(head), "\r\n") {
		if len(line) > 998 {
			t.Errorf("header line of %d characters", len(line))
		}
	}
	from, err := r.Header.AddressList("From")
	if err != nil || from[0].Name != "Équipe Canaille" {
		t.Errorf("From %q: %v", r.Header.Get("From"), err)
	}
	to, err := r.Header.AddressList("To")
	if err != nil || to[0].Name != "Bérénice Dupré" || to[0].Address != "berenice@example.org" {
		t.Errorf("To %q: %v", r.Header.Get("To"), err)
	}
}

func TestAlternatives(t *testing.T) {
	srv := mailtest.NewServer(t)
	s := newSender(t, srv, mail.Config{})
	long := strings.Repeat("é long line ", 20)
	m := mail.Message{
		To:      "bob@example.org",
		Subject: "Invitation",
		Text:    "Hello,\n.\n.. a line starting with dots\n" + long + "\nhttps://auth.example.org/register/xyz\n",
		HTML:    "<p>Hello,</p>\n<p><a href=\"https://auth.example.org/register/xyz\">Register</a> " + long + "</p>\n.\n",
	}
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	r := srv.Wait(t, 1, 5*time.Second)[0]
	mediatype, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mediatype != "multipart/alternative" {
		t.Errorf("Content-Type %q", r.Header.Get("Content-Type"))
	}
	if r.Text != m.Text {
		t.Errorf("text %q\nwant %q", r.Text, m.Text)
	}
	if r.HTML != m.HTML {
		t.Errorf("HTML %q\nwant %q", r.HTML, m.HTML)
	}
	if link := r.Link("https://auth.example.org/register/"); link != "https://auth.example.org/register/xyz" {
		t.Errorf("Link %q", link)
	}
	for _, line := range bytes.Split(r.Raw, []byte("\r\n")) {
		if len(line) > 998 {
			t.Errorf("line of %d bytes", len(line))
		}
	}
}

func TestInlineImage(t *testing.T) {
	srv := mailtest.NewServer(t)
	s := newSender(t, srv, mail.Config{})
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR fake image data \x00\xff")
	m := mail.Message{
		To:      "bob@example.org",
		Subject: "Welcome",
		Text:    "Welcome!\n",
		HTML:    `<p><img src="cid:logo.png" alt="Logo"> Welcome!</p>`,
		Inline:  []mail.Inline{{Name: "logo.png", ContentType: "image/png", Data: png}},
	}
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	r := srv.Wait(t, 1, 5*time.Second)[0]
	mediatype, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mediatype != "multipart/related" {
		t.Errorf("Content-Type %q", r.Header.Get("Content-Type"))
	}
	if r.Text != m.Text || r.HTML != m.HTML {
		t.Errorf("text %q, HTML %q", r.Text, r.HTML)
	}
	p, ok := r.Part("logo.png")
	if !ok {
		t.Fatalf("no part with Content-ID logo.png in %+v", r.Parts)
	}
	if p.ContentType != "image/png" || p.Disposition != "inline" || !bytes.Equal(p.Data, png) {
		t.Errorf("part %s %s %q", p.ContentType, p.Disposition, p.Data)
	}
	if len(r.Parts) != 1 {
		t.Errorf("%d parts, want 1", len(r.Parts))
	}
}

func TestNew(t *testing.T) {
	s, err := mail.New(mail.Config{From: "noreply@example.org"})
	if err != nil || s.Addr() != "localhost:25" {
		t.Errorf("defaults: %v, %v", s, err)
	}
	s, err = mail.New(mail.Config{From: "noreply@example.org", SSL: true})
	if err != nil || s.Addr() != "localhost:465" {
		t.Errorf("SSL defaults: %v, %v", s, err)
	}
	s, err = mail.New(mail.Config{Host: "::1", Port: 587, From: "noreply@example.org"})
	if err != nil || s.Addr() != "[::1]:587" {
		t.Errorf("IPv6: %v, %v", s, err)
	}
	for _, tc := range []struct {
		cfg  mail.Config
		want string
	}{
		{mail.Config{}, "FROM"},
		{mail.Config{From: "not an address"}, "FROM"},
		{mail.Config{From: "a@example.org\r\nBcc: x@example.org"}, "line break"},
		{mail.Config{From: "a@example.org", Host: "smtp.example.org:587"}, "PORT"},
		{mail.Config{From: "a@example.org", Host: "smtp example.org"}, "host"},
		{mail.Config{From: "a@example.org", Port: 70000}, "port"},
		{mail.Config{From: "a@example.org", Port: -1}, "port"},
		{mail.Config{From: "a@example.org", TLS: true, SSL: true}, "exclusive"},
		{mail.Config{From: "a@example.org", Timeout: -time.Second}, "timeout"},
	} {
		_, err := mail.New(tc.cfg)
		if err == nil {
			t.Errorf("New(%+v) succeeded", tc.cfg)
			continue
		}
		contains(t, err.Error(), "invalid SMTP configuration", tc.want)
	}
}

func TestConcurrentSends(t *testing.T) {
	srv := mailtest.NewServer(t, mailtest.WithAuth("alice", "s3cret"))
	s := newSender(t, srv, mail.Config{Login: "alice", Password: "s3cret"})
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			m := resetMessage
			m.To = fmt.Sprintf("user%d@example.org", i)
			errs <- s.Send(context.Background(), m)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if got := srv.Wait(t, n, 5*time.Second); len(got) != n {
		t.Errorf("got %d messages, want %d", len(got), n)
	}
}

func TestSenderFunc(t *testing.T) {
	var got []mail.Message
	var s mail.Sender = mail.SenderFunc(func(_ context.Context, m mail.Message) error {
		got = append(got, m)
		return nil
	})
	if err := s.Send(context.Background(), resetMessage); err != nil || len(got) != 1 || got[0].Subject != resetMessage.Subject {
		t.Errorf("SenderFunc: %v, %v", err, got)
	}
	if err := (mail.Discard{}).Send(context.Background(), resetMessage); err != nil {
		t.Errorf("Discard: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := (mail.Discard{}).Send(ctx, resetMessage); !errors.Is(err, context.Canceled) {
		t.Errorf("Discard with a canceled context: %v", err)
	}
}
