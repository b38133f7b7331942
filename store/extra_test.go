package store

import (
	"strings"
	"testing"
	"time"
)

func TestValidURIRefusesScriptSchemes(t *testing.T) {
	for _, uri := range []string{"javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,x", "vbscript:x", "file:///etc/passwd", "blob:https://x/1"} {
		if r := ValidURI(uri); !strings.Contains(r, "scheme") {
			t.Errorf("ValidURI(%q) = %q, want a refusal naming the scheme", uri, r)
		}
	}
	if r := ValidURI("com.example.app:/callback"); r != "" {
		t.Errorf("a native app's custom scheme was refused: %s", r)
	}
}

func TestResponseTypesAreSets(t *testing.T) {
	for _, rt := range []string{"id_token code", "token code", "token id_token code", "code  id_token"} {
		c := Client{ID: "c", ResponseTypes: []string{rt}}
		if err := c.Validate(); err != nil {
			t.Errorf("response type %q refused: %v", rt, err)
		}
	}
	c := Client{ID: "c", ResponseTypes: []string{"code code"}}
	if c.Validate() == nil {
		t.Error(`"code code" accepted`)
	}
}

func TestBidiOverridesRefused(t *testing.T) {
	u := User{UserName: "alice", DisplayName: "admin\u202Egnp.exe"}
	if err := u.Validate(); err == nil || !strings.Contains(err.Error(), "bidirectional") {
		t.Errorf("Validate = %v", err)
	}
	u.DisplayName = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645" // Persian with a ZWNJ
	if err := u.Validate(); err != nil {
		t.Errorf("a zero-width non-joiner was refused: %v", err)
	}
}

func TestLockoutWait(t *testing.T) {
	p := DefaultLockout()
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	cases := []struct {
		name     string
		failures []time.Time
		want     time.Duration
	}{
		{"none", nil, 0},
		{"one just now", []time.Time{now}, 2 * time.Second},
		{"one 1s ago", []time.Time{ago(time.Second)}, time.Second},
		{"one 3s ago", []time.Time{ago(3 * time.Second)}, 0},
		{"three", []time.Time{ago(5 * time.Second), ago(4 * time.Second), now}, 8 * time.Second},
		{"capped", make11(now), 10 * time.Minute},
		{"outside the window", []time.Time{ago(11 * time.Minute), ago(11 * time.Minute)}, 0},
	}
	for _, c := range cases {
		if got := p.Wait(c.failures, now); got != c.want {
			t.Errorf("%s: Wait = %v, want %v", c.name, got, c.want)
		}
	}
}

func make11(now time.Time) []time.Time {
	out := make([]time.Time, 11)
	for i := range out {
		out[i] = now
	}
	return out
}
