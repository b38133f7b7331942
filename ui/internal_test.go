package ui

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestSealOpen(t *testing.T) {
	k := deriveKeys([]byte(strings.Repeat("s", 32)))
	now := time.Unix(1_800_000_000, 0)
	v, err := seal(k.login, loginState{Login: "alice", Done: []string{"pwd"}}, now.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	var st loginState
	if !open(k.login, v, now, &st) || st.Login != "alice" || st.Done[0] != "pwd" {
		t.Fatalf("open: %+v", st)
	}
	if open(k.flash, v, now, &st) {
		t.Error("a value sealed for one purpose opens for another")
	}
	if open(k.login, v, now.Add(2*time.Minute), &st) {
		t.Error("an expired value opens")
	}
	tampered := []byte(v)
	tampered[3] ^= 1
	if open(k.login, string(tampered), now, &st) {
		t.Error("a tampered value opens")
	}
}

func FuzzOpen(f *testing.F) {
	k := deriveKeys([]byte(strings.Repeat("s", 32)))
	now := time.Unix(1_800_000_000, 0)
	good, _ := seal(k.login, loginState{Login: "alice"}, now.Add(time.Minute))
	for _, s := range []string{good, "", ".", "a.b", good + "x", strings.Repeat("A", 9000)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var st loginState
		if open(k.login, s, now, &st) && s != good {
			// Only a value we sealed may open; the fuzzer cannot forge
			// an HMAC, so any other success is a bug.
			if resealed, _ := seal(k.login, st, now.Add(time.Minute)); resealed != s {
				t.Fatalf("forged value opened: %q", s)
			}
		}
	})
}

func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/profile/alice", "//evil", "/\\evil", "https://x", "/a?b=c#d", "/%2F%2Fevil", "\x00", "/ok/../../x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := safeNext(s)
		if n == "" {
			return
		}
		if n != s || !strings.HasPrefix(n, "/") || strings.HasPrefix(n, "//") || strings.ContainsAny(n, "\\\r\n\t") {
			t.Fatalf("safeNext(%q) = %q", s, n)
		}
		// Resolved against our origin, it must stay on our origin, as a
		// browser would resolve the Location header.
		base, _ := url.Parse("https://auth.example.org/login")
		ref, err := url.Parse(n)
		if err != nil {
			t.Fatalf("%q does not parse: %v", n, err)
		}
		if got := base.ResolveReference(ref); got.Host != "auth.example.org" || got.Scheme != "https" {
			t.Fatalf("safeNext(%q) leaves the site: %s", s, got)
		}
	})
}

func TestMuxPattern(t *testing.T) {
	for in, want := range map[string]string{
		"/oauth/token":               "/oauth/token",
		"/oauth/register/:client_id": "/oauth/register/{client_id}",
		"/static/*file":              "/static/{file...}",
	} {
		if got := muxPattern(in); got != want {
			t.Errorf("muxPattern(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRateLimiterAndTrackerBounded(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	l := newRateLimiter(3, time.Minute)
	for _, k := range []string{"a", "b", "c"} {
		if !l.allow(k, now) {
			t.Fatal("first event refused")
		}
	}
	if l.allow("a", now) || l.allow("d", now) {
		t.Error("a repeated event or an event beyond capacity was allowed")
	}
	if !l.allow("d", now.Add(2*time.Minute)) {
		t.Error("expired entries were not dropped")
	}
	tr := newFailureTracker(2)
	for _, k := range []string{"a", "b", "c", "d"} {
		tr.add(k, now)
	}
	if len(tr.m) > 2 {
		t.Errorf("tracker holds %d entries, capacity 2", len(tr.m))
	}
}
