package store_test

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/canaille-go/canaille/store"
)

func TestTokenExpiry(t *testing.T) {
	issued := time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		name                 string
		lifetime, refresh    time.Duration
		wantAccess, wantRefr time.Time
	}{
		{"RefreshDefaultsToLifetime", time.Hour, 0, issued.Add(time.Hour), issued.Add(time.Hour)},
		{"OwnRefreshLifetime", time.Hour, 30 * 24 * time.Hour, issued.Add(time.Hour), issued.Add(30 * 24 * time.Hour)},
		{"ShorterRefreshLifetime", time.Hour, time.Minute, issued.Add(time.Hour), issued.Add(time.Minute)},
		{"ZeroLifetime", 0, 0, issued, issued},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok := store.Token{IssueDate: issued, Lifetime: tc.lifetime, RefreshLifetime: tc.refresh}
			if got := tok.ExpiresAt(); !got.Equal(tc.wantAccess) {
				t.Errorf("ExpiresAt() = %v, want %v", got, tc.wantAccess)
			}
			if got := tok.RefreshExpiresAt(); !got.Equal(tc.wantRefr) {
				t.Errorf("RefreshExpiresAt() = %v, want %v", got, tc.wantRefr)
			}
		})
	}
}

func TestTokenRevoked(t *testing.T) {
	if (&store.Token{}).Revoked() {
		t.Error("Revoked() = true without a revocation date")
	}
	if !(&store.Token{RevocationDate: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}).Revoked() {
		t.Error("Revoked() = false with a revocation date")
	}
}

func TestAuthorizationCodeExpiresAt(t *testing.T) {
	issued := time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)
	c := store.AuthorizationCode{IssueDate: issued, Lifetime: 10 * time.Minute}
	if got, want := c.ExpiresAt(), issued.Add(10*time.Minute); !got.Equal(want) {
		t.Errorf("ExpiresAt() = %v, want %v", got, want)
	}
}

func TestCleanReportTotal(t *testing.T) {
	tests := []struct {
		name string
		r    store.CleanReport
		want int
	}{
		{"Zero", store.CleanReport{}, 0},
		{"EveryKind", store.CleanReport{AuthorizationCodes: 1, Tokens: 2, Sessions: 4, Tickets: 8, JTIs: 16}, 31},
		{"OnlyJTIs", store.CleanReport{JTIs: 3}, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.r.Total(); got != tc.want {
				t.Errorf("Total() = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestOIDCClones(t *testing.T) {
	t.Run("Token", func(t *testing.T) {
		orig := store.Token{Scope: []string{"openid"}, Audience: []string{"api"}, Data: []byte("state")}
		c := orig.Clone()
		c.Scope[0], c.Audience[0], c.Data[0] = "x", "x", 'X'
		if orig.Scope[0] != "openid" || orig.Audience[0] != "api" || !bytes.Equal(orig.Data, []byte("state")) {
			t.Errorf("original changed through the clone: %+v", orig)
		}
	})
	t.Run("AuthorizationCode", func(t *testing.T) {
		orig := store.AuthorizationCode{Scope: []string{"openid"}, AMR: []string{"pwd"}, Data: []byte("state")}
		c := orig.Clone()
		c.Scope[0], c.AMR[0], c.Data[0] = "x", "x", 'X'
		if orig.Scope[0] != "openid" || orig.AMR[0] != "pwd" || !bytes.Equal(orig.Data, []byte("state")) {
			t.Errorf("original changed through the clone: %+v", orig)
		}
	})
	t.Run("Session", func(t *testing.T) {
		orig := store.Session{AMR: []string{"pwd", "otp"}, Data: []byte("flash")}
		c := orig.Clone()
		c.AMR[1], c.Data[0] = "x", 'X'
		if !slices.Equal(orig.AMR, []string{"pwd", "otp"}) || !bytes.Equal(orig.Data, []byte("flash")) {
			t.Errorf("original changed through the clone: %+v", orig)
		}
	})
	t.Run("NilStaysNil", func(t *testing.T) {
		c := store.Token{}.Clone()
		if c.Scope != nil || c.Audience != nil || c.Data != nil {
			t.Errorf("Clone of an empty token = %+v, want nil slices", c)
		}
	})
}

func TestSecretKey(t *testing.T) {
	for _, v := range []string{"plain-signature", "", ".x", "ABC.def", "0123456789abcdefg.x", "a-b.c"} {
		if got := store.SecretKey(v); got != store.Digest(v) {
			t.Errorf("SecretKey(%q) = %q, want the whole value's digest", v, got)
		}
	}
	if got, want := store.SecretKey("0kx9v3a1bc.sig"), "0kx9v3a1bc."+store.Digest("sig"); got != want {
		t.Errorf("SecretKey of a prefixed value = %q, want %q", got, want)
	}
	if a, b := store.SecretKey("0000000001.zzz"), store.SecretKey("0000000002.aaa"); a >= b {
		t.Errorf("keys do not sort by prefix: %q >= %q", a, b)
	}
}
