package password

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// Test vectors produced by real tools on Debian 12 (OpenLDAP 2.5.13+dfsg-5,
// OpenSSL 3.0, apache2-utils 2.4, libxcrypt 4.4.33 through Python 3.11's
// crypt module and mkpasswd from whois 5.5.17, argon2 CLI 0~20171227). The
// command is given next to each. PW stands for vectorPassword. Values that a
// tool prints without a scheme (openssl, crypt(3), mkpasswd) are stored with
// the {CRYPT} prefix, as OpenLDAP expects them.
const vectorPassword = "correct horse battery staple"

type vector struct {
	cmd      string // the command that produced stored
	stored   string
	password string // "" means vectorPassword
	scheme   string // as returned by Scheme
	heavy    bool   // 64 MiB argon2: skipped with -short
	slow     bool   // tried with one wrong password only
	current  bool   // {ARGON2} argon2id with cheapParams: no upgrade
}

var vectors = []vector{
	// OpenLDAP's built-in schemes.
	{cmd: "slappasswd -h {SSHA} -s PW", stored: "{SSHA}IAE7Drf0xmwWIteUtveRMAUx/Y++JSfX", scheme: "SSHA"},
	{cmd: "slappasswd -h {SHA} -s PW", stored: "{SHA}q/eq1kOINtvlJqojGr3i0O73TUI=", scheme: "SHA"},
	{cmd: "slappasswd -h {MD5} -s PW", stored: "{MD5}nMKuihunqT2jm0b8EBnEgQ==", scheme: "MD5"},
	{cmd: "slappasswd -h {SMD5} -s PW", stored: "{SMD5}kKVWk6ljS1zQPPg7FcU8T0KDS1k=", scheme: "SMD5"},
	// OpenLDAP's pw-sha2 module.
	{cmd: "slappasswd -o module-load=pw-sha2 -h {SSHA256} -s PW", stored: "{SSHA256}5fQDw+R49QZV+t/9zauUGt5lvrykyrAm154qbhVtjgz3BFhEsU+PMA==", scheme: "SSHA256"},
	{cmd: "slappasswd -o module-load=pw-sha2 -h {SSHA384} -s PW", stored: "{SSHA384}8EjA57O3uJ1Dzp7lnlaqs+p+ronIh4qqRlhwPK754x65Do4UlHiXyW9FuZFEiaQ6sS5Eg1Bgs1Y=", scheme: "SSHA384"},
	{cmd: "slappasswd -o module-load=pw-sha2 -h {SSHA512} -s PW", stored: "{SSHA512}iCd5ShOmtMf78hw3PySNkqkJlNuvbLv3OH+7vaS/2eoCpJTWfcUa/IZCHmU5nc3py4/LT6oyl1LAQ05uMGziNsxJxPZDYZ/l", scheme: "SSHA512"},
	{cmd: "slappasswd -o module-load=pw-sha2 -h {SHA256} -s PW", stored: "{SHA256}xLvLH77JnWW/WdhcjLYu4tuWPw/hBvSD2a+nO9Tjmoo=", scheme: "SHA256"},
	{cmd: "slappasswd -o module-load=pw-sha2 -h {SHA384} -s PW", stored: "{SHA384}wkuSRJyHHzO7vx/BmJ5eEDfPqaPf2xeUf4FyImGB54Jeu0x1B2ORWDW/ElpZDgWu", scheme: "SHA384"},
	{cmd: "slappasswd -o module-load=pw-sha2 -h {SHA512} -s PW", stored: "{SHA512}vl73Z52Iq5qQRfYmflX15XhLS4zXZLXNhVpSRPkcYmlTzUbEPXZohz/W7707IhJJMVWAAxljRyoHh4H+BG5irg==", scheme: "SHA512"},
	{cmd: "slappasswd -o module-load=pw-sha2 -h {SSHA512} -s 'pässwörd €'", stored: "{SSHA512}EoI5+/+14tnXz420TnaicGmQF1AdKS6xFzAsrm2Dildjd0V1Ira7uZac4DHOtr7GwItis5tFSOd5EHM6hL2yVhBOIc3tmejR", password: "pässwörd €", scheme: "SSHA512"},
	// Scheme names are case-insensitive (same value, lower-case scheme).
	{cmd: "slappasswd -h {SSHA} -s PW, scheme lower-cased", stored: "{ssha}IAE7Drf0xmwWIteUtveRMAUx/Y++JSfX", scheme: "SSHA"},

	// OpenLDAP's argon2 module (it writes argon2i; its default is m=4096,t=3,p=1).
	{cmd: "slappasswd -o module-load=argon2 -h {ARGON2} -s PW", stored: "{ARGON2}$argon2i$v=19$m=4096,t=3,p=1$HP9zcv0g3e7J/kQ5kaegYQ$ZW5DidoGFhNxprsIo2HFoXTaRmlJIUCcycjiDlnNxzc", scheme: "ARGON2"},
	{cmd: "slappasswd -o module-load='argon2 m=65536 t=3 p=4' -h {ARGON2} -s PW", stored: "{ARGON2}$argon2i$v=19$m=65536,t=3,p=4$kaCF/Kan6ZPQ1WiVPG+M+w$T39Vz1LsXnTfpnHbA+hdXrDxd5kIdP1346njGmcdzkU", scheme: "ARGON2", heavy: true, slow: true},
	// The argon2 reference CLI (bare PHC strings).
	{cmd: "echo -n PW | argon2 somesaltsomesalt -id -t 3 -m 16 -p 4 -l 32 -e", stored: "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$mtB7vZKFuEQDVzeZe5lTtf3BPC1e5BL1UKy7IW/SpV0", scheme: "ARGON2", heavy: true, slow: true},
	{cmd: "echo -n PW | argon2 'saltysaltysalty!' -id -t 2 -k 1024 -p 2 -l 24 -e", stored: "$argon2id$v=19$m=1024,t=2,p=2$c2FsdHlzYWx0eXNhbHR5IQ$t6e2FVnMJQH9exosovixdaoIq47ZjXxW", scheme: "ARGON2"},
	{cmd: "printf %s 'pässwörd €' | argon2 saltsaltsaltsalt -id -t 1 -k 64 -p 1 -e", stored: "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$jUbW6e+CGY3vMiNbaU9bVWmhhP7pfpRtJ+gja2vV6PI", password: "pässwörd €", scheme: "ARGON2"},
	// The same with the {ARGON2} prefix OpenLDAP would store: exactly what
	// Hash writes with cheapParams, so no upgrade.
	{cmd: "{ARGON2} + (printf %s 'pässwörd €' | argon2 saltsaltsaltsalt -id -t 1 -k 64 -p 1 -e)", stored: "{ARGON2}$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$jUbW6e+CGY3vMiNbaU9bVWmhhP7pfpRtJ+gja2vV6PI", password: "pässwörd €", scheme: "ARGON2", current: true},

	// sha-crypt and md5-crypt.
	{cmd: "slappasswd -h {CRYPT} -c '$6$%.16s' -s PW", stored: "{CRYPT}$6$d3xIzGKXIUASgcmd$pROHedzI3dYvc21oYloF5ic7L8qUCUn4gllSKpUd4ULr1L/CUWQ1V46gs.zMcQ/49d13nZAaUG.PsRq2vjvuR.", scheme: "CRYPT"},
	{cmd: "slappasswd -h {CRYPT} -c '$5$rounds=10000$%.8s' -s PW", stored: "{CRYPT}$5$rounds=10000$u0mGV1Xo$KYs2BR..zbAboB7qTP4gQn05cz8sNVcRujscUpXZ4X8", scheme: "CRYPT"},
	{cmd: "slappasswd -h {CRYPT} -c '$1$%.8s' -s PW", stored: "{CRYPT}$1$BmRNhWux$iZeZAywcEUr9pgr7Wu.oP/", scheme: "CRYPT"},
	{cmd: "openssl passwd -5 PW", stored: "{CRYPT}$5$6mMckB37wCKKUVaG$7B7iyrM1u/vryDyhcgVlkMLXbpGVxZKenb3RmwoauY0", scheme: "CRYPT"},
	{cmd: "openssl passwd -6 PW", stored: "{CRYPT}$6$ZFTV2sad0PoQ6cjA$PI8LGdGiJ49DO3q2JyE7/RKxtYRycXiUKEycW0FROhnhjrD8w1uBMEZVXiFPIqVvtvjh9PoO1wmKqcTkt9dtG.", scheme: "CRYPT"},
	{cmd: "openssl passwd -6 -salt short PW", stored: "{CRYPT}$6$short$GeCSmvkMrwZRicQcTjuB4/R/DHlxI0JYJcYZrDVTgWik/rcZkQivZae3gQM.I5SzS4Y.lYs6HQcoDeKRNywbs/", scheme: "CRYPT"},
	{cmd: "openssl passwd -1 PW", stored: "{CRYPT}$1$0Bkhtnxz$v0fOZcWHXUJNrF89TIiA3.", scheme: "CRYPT"},
	{cmd: "python3 -c 'crypt.crypt(PW, \"$6$rounds=10000$short\")'", stored: "{CRYPT}$6$rounds=10000$short$I4q.O1NXEOmFsylp6CzT0A8ocKKJVmBM2m6c67U5iNo4gUVlmed39KobWGZnaRrX4rAizSRhaV4Mc0fcfIFnq.", scheme: "CRYPT"},
	{cmd: "python3 -c 'crypt.crypt(PW, \"$5$rounds=1000$abcdefghijklmnop\")'", stored: "{CRYPT}$5$rounds=1000$abcdefghijklmnop$zCl7G1SiQQ2lcZ049EL4.iFtt1OCJ5FKX/mQTZzm1b4", scheme: "CRYPT"},
	{cmd: "python3 -c 'crypt.crypt(PW, \"$6$rounds=5000$saltsaltsalt\")'", stored: "{CRYPT}$6$rounds=5000$saltsaltsalt$ST/mWEmUvGaF8bR7RgZUdh5cwHaiiTTLMzdmz6VYMGgVtDKO8Huz6GcoOtpj0X0zfFtfnn1aYJnZLSFBw4K2p0", scheme: "CRYPT"},
	{cmd: "mkpasswd -m sha512crypt -R 20000 PW", stored: "{crypt}$6$rounds=20000$k4OseWHOPBxay3.x$cg97YY30b26rHAWz19RENx.hXmpTkWSFr7AF/Xf6246XuWb3U/Xm.AAGJjWXeCgVPRIWwHbqz2QSVcv3cCmDt1", scheme: "CRYPT"},

	// bcrypt.
	{cmd: "htpasswd -nbBC 10 user PW", stored: "$2y$10$EUTE7CVXhvTBhnE/8YLk5.Ldq7t.BriQ9HcMG9yEYLKZh3p4rJNEC", scheme: "BCRYPT", slow: true},
	{cmd: "htpasswd -nbBC 4 user PW", stored: "{BCRYPT}$2y$04$lEWhk8pr12DtBASXZAo9xejoajTv5n7DI0xBUIZEGdOMjg2iFOYxu", scheme: "BCRYPT"},
	{cmd: "htpasswd -nbBC 4 user PW", stored: "{CRYPT}$2y$04$lEWhk8pr12DtBASXZAo9xejoajTv5n7DI0xBUIZEGdOMjg2iFOYxu", scheme: "CRYPT"},
	{cmd: "python3 -c 'crypt.crypt(PW, \"$2b$10$abcdefghijklmnopqrstuu\")'", stored: "$2b$10$abcdefghijklmnopqrstuuGGgFFcYeueaAql8Z7U7CnCTRw4DR77W", scheme: "BCRYPT", slow: true},
	{cmd: "python3 -c 'crypt.crypt(PW, \"$2a$10$abcdefghijklmnopqrstuu\")'", stored: "{CRYPT}$2a$10$abcdefghijklmnopqrstuuGGgFFcYeueaAql8Z7U7CnCTRw4DR77W", scheme: "CRYPT", slow: true},
	{cmd: "mkpasswd -m bcrypt -R 5 PW", stored: "{BCRYPT}$2b$05$sxuHT28ARwQFMsq/eKCKduzT9xtCqQjfGmktEBh9ehspcNfNtDujO", scheme: "BCRYPT"},
	{cmd: "htpasswd -nbBC 4 user P72 (72 bytes)", stored: "$2y$04$jSzluNhLnxVsrjcif8iEseol5HVKaUu2bRV/xNekLhl1tkndPRGA2", password: password72, scheme: "BCRYPT"},
}

const password72 = "012345678901234567890123456789012345678901234567890123456789012345678901"

// Real values of schemes we recognise but do not verify, and the name the
// error must carry.
var unsupportedVectors = []struct{ cmd, stored, name string }{
	{"slappasswd -h {CRYPT} -s PW (bigcrypt)", "{CRYPT}vOqbq/6xGxB1ULFqiw1DZOUEbJvDR9N875Yjfasa28L4qw", "CRYPT (DES)"},
	{"python3 -c 'crypt.crypt(PW, \"ab\")'", "{CRYPT}abhfCpXqd4GrI", "CRYPT (DES)"},
	{"python3 -c 'crypt.crypt(PW, \"_J9..abcd\")'", "{CRYPT}_J9..abcdoVzOERebA4E", "CRYPT (DES)"},
	{"mkpasswd -m yescrypt PW", "{CRYPT}$y$j9T$ccoS7cayBYUwS.claNEdp0$J08rcQzKCMe9FcviU9QF6RJKFGhzNTH7WRSJnt71vZ6", "CRYPT (yescrypt)"},
	{"echo -n PW | argon2 'saltysaltysalty!' -id -v 10 -t 2 -k 1024 -p 1 -e", "$argon2id$v=16$m=1024,t=2,p=1$c2FsdHlzYWx0eXNhbHR5IQ$Hniyqjwhg/WxKTwaa3XFpBHCxnE2rWVKkN8vZXX0mEg", "ARGON2 (v=16)"},
	{"echo -n PW | argon2 'saltysaltysalty!' -d -t 2 -k 1024 -p 1 -e", "{ARGON2}$argon2d$v=19$m=1024,t=2,p=1$c2FsdHlzYWx0eXNhbHR5IQ$j/iYZ5zagYna+eLnLWvOcWLwjWPid2rXW1JziQFY9vc", "ARGON2 (argon2d)"},
	{"slappasswd -h {CLEARTEXT} -s PW", "correct horse battery staple", "CLEARTEXT"},
}

func TestVectors(t *testing.T) {
	h := testHasher(t, 2)
	ctx := context.Background()
	for _, v := range vectors {
		t.Run(v.cmd, func(t *testing.T) {
			if v.heavy && testing.Short() {
				t.Skip("64 MiB argon2 vector skipped in -short mode")
			}
			pw := v.password
			if pw == "" {
				pw = vectorPassword
			}
			if !IsHashed(v.stored) {
				t.Errorf("IsHashed = false")
			}
			if s, err := Scheme(v.stored); err != nil || s != v.scheme {
				t.Errorf("Scheme = %q, %v; want %q", s, err, v.scheme)
			}
			ok, upgrade, err := h.Verify(ctx, pw, v.stored)
			if err != nil || !ok || upgrade == v.current {
				t.Errorf("right password: ok=%v upgrade=%v err=%v; want true %v nil", ok, upgrade, err, !v.current)
			}
			wrongs := []string{pw + "!", strings.ToUpper(pw[:1]) + pw[1:] + " ", ""}
			if v.slow {
				wrongs = wrongs[:1]
			}
			for _, wrong := range wrongs {
				ok, upgrade, err = h.Verify(ctx, wrong, v.stored)
				if err != nil || ok || upgrade {
					t.Errorf("wrong password %q: ok=%v upgrade=%v err=%v; want false false nil", wrong, ok, upgrade, err)
				}
			}
		})
	}
}

// An argon2id value from the reference CLI with RFC 9106's second profile,
// stored with the {ARGON2} prefix, needs no upgrade under DefaultParams.
func TestVectorDefaultParamsNoUpgrade(t *testing.T) {
	if testing.Short() {
		t.Skip("64 MiB argon2 vector skipped in -short mode")
	}
	h, err := NewHasher(DefaultParams(), 1)
	if err != nil {
		t.Fatal(err)
	}
	// {ARGON2} + (echo -n PW | argon2 somesaltsomesalt -id -t 3 -m 16 -p 4 -l 32 -e)
	const stored = "{ARGON2}$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$mtB7vZKFuEQDVzeZe5lTtf3BPC1e5BL1UKy7IW/SpV0"
	ok, upgrade, err := h.Verify(context.Background(), vectorPassword, stored)
	if err != nil || !ok || upgrade {
		t.Errorf("ok=%v upgrade=%v err=%v; want true false nil", ok, upgrade, err)
	}
	// Without the prefix the value is rewritten in the canonical form.
	ok, upgrade, err = h.Verify(context.Background(), vectorPassword, stored[len("{ARGON2}"):])
	if err != nil || !ok || !upgrade {
		t.Errorf("bare: ok=%v upgrade=%v err=%v; want true true nil", ok, upgrade, err)
	}
}

func TestUnsupportedVectors(t *testing.T) {
	h := testHasher(t, 1)
	for _, v := range unsupportedVectors {
		t.Run(v.cmd, func(t *testing.T) {
			ok, upgrade, err := h.Verify(context.Background(), vectorPassword, v.stored)
			if !errors.Is(err, ErrUnsupportedScheme) || ok || upgrade {
				t.Fatalf("Verify = %v, %v, %v; want ErrUnsupportedScheme", ok, upgrade, err)
			}
			if want := ErrUnsupportedScheme.Error() + ": " + v.name; err.Error() != want {
				t.Errorf("error %q, want %q", err, want)
			}
			checkNoLeak(t, err, v.stored, vectorPassword)
			if _, serr := Scheme(v.stored); serr == nil || serr.Error() != err.Error() {
				t.Errorf("Scheme error %v, want %v", serr, err)
			}
		})
	}
}

// bcrypt reads 72 bytes at most: a longer password must not match a hash of
// its first 72 bytes.
func TestBcryptLongPassword(t *testing.T) {
	h := testHasher(t, 1)
	const stored = "$2y$04$jSzluNhLnxVsrjcif8iEseol5HVKaUu2bRV/xNekLhl1tkndPRGA2" // htpasswd -nbBC 4 user P72
	for _, pw := range []string{password72 + "x", password72 + password72} {
		ok, upgrade, err := h.Verify(context.Background(), pw, stored)
		if ok || upgrade || err != nil {
			t.Errorf("%d bytes: ok=%v upgrade=%v err=%v; want false false nil", len(pw), ok, upgrade, err)
		}
	}
}

// sha-crypt's work grows with the square of the password length: like
// libxcrypt, passwords over 512 bytes never match a crypt(3) hash.
func TestCryptLongPassword(t *testing.T) {
	h := testHasher(t, 1)
	// openssl passwd -6 PW
	const stored = "{CRYPT}$6$ZFTV2sad0PoQ6cjA$PI8LGdGiJ49DO3q2JyE7/RKxtYRycXiUKEycW0FROhnhjrD8w1uBMEZVXiFPIqVvtvjh9PoO1wmKqcTkt9dtG."
	start := time.Now()
	ok, upgrade, err := h.Verify(context.Background(), strings.Repeat("x", 1<<20), stored)
	if ok || upgrade || err != nil {
		t.Errorf("ok=%v upgrade=%v err=%v; want false false nil", ok, upgrade, err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("a 1 MiB password took %v", d)
	}
}
