package mailtest_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/canaille-go/canaille/ui/mail/mailtest"
)

func TestParse(t *testing.T) {
	raw := strings.ReplaceAll(`From: =?utf-8?b?w4lxdWlwZQ==?= <noreply@example.org>
To: bob@example.org
Subject: =?utf-8?q?R=C3=A9initialisation?= du
 =?utf-8?b?bW90IGRlIHBhc3Nl?=
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: multipart/alternative; boundary=inner

--inner
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

VmlzaXQgaHR0cHM6Ly9hdXRoLmV4YW1wbGUub3JnL3Jlc2V0L2FiYy4gVGhlbiBodHRwczovL2F1
dGguZXhhbXBsZS5vcmcvb3RoZXIK
--inner
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: quoted-printable

<p>caf=C3=A9 a long line that is soft=
 broken</p>
--inner--
--outer
Content-Type: application/pdf; name="a.pdf"
Content-Disposition: attachment; filename="a.pdf"
Content-ID: <doc1>
Content-Transfer-Encoding: base64

JVBERi0=
--outer--
`, "\n", "\r\n")
	r, err := mailtest.Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if r.Subject != "Réinitialisation du mot de passe" {
		t.Errorf("subject %q", r.Subject)
	}
	if r.Text != "Visit https://auth.example.org/reset/abc. Then https://auth.example.org/other\n" {
		t.Errorf("text %q", r.Text)
	}
	if r.HTML != "<p>café a long line that is soft broken</p>" {
		t.Errorf("HTML %q", r.HTML)
	}
	p, ok := r.Part("doc1")
	if !ok || p.ContentType != "application/pdf" || p.Disposition != "attachment" || p.Filename != "a.pdf" || !bytes.Equal(p.Data, []byte("%PDF-")) {
		t.Errorf("part %+v, %v", p, ok)
	}
	for prefix, want := range map[string]string{
		"https://auth.example.org/reset/": "https://auth.example.org/reset/abc",
		"https://auth.example.org/":       "https://auth.example.org/reset/abc",
		"https://auth.example.org/o":      "https://auth.example.org/other",
		"http://":                         "",
	} {
		if got := r.Link(prefix); got != want {
			t.Errorf("Link(%q) = %q, want %q", prefix, got, want)
		}
	}
}

func TestParseMalformed(t *testing.T) {
	r, err := mailtest.Parse([]byte("Subject: hi\r\nContent-Type: multipart/alternative\r\n\r\nbody\r\n"))
	if err == nil {
		t.Error("a multipart message without a boundary parsed")
	}
	if r.Subject != "hi" {
		t.Errorf("subject %q", r.Subject)
	}
}
