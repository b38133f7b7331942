package password

import (
	"context"
	"errors"
	"testing"
)

// FuzzVerify checks that no stored value or password makes Verify panic,
// report an upgrade without a match, return an error outside the two
// sentinels, or put the password or the hash in an error. Seeds are the
// test vectors, the malformed cases below and testdata/fuzz/FuzzVerify.
func FuzzVerify(f *testing.F) {
	for _, v := range vectors {
		f.Add(v.stored, vectorPassword)
	}
	for _, v := range unsupportedVectors {
		f.Add(v.stored, vectorPassword)
	}
	for _, s := range []string{
		"", "{", "{}", "{SSHA}", "{ARGON2}$", "{CRYPT}$", "{CRYPT}$5$rounds=$",
		"$argon2id$v=19$m=8,t=1,p=1$AAAAAAAAAAA$AAAAAA",
		"{ARGON2}$argon2i$v=19$m=64,t=1,p=1$YWJjZGVmZ2g$YWJjZA",
		"{CRYPT}$1$$v0fOZcWHXUJNrF89TIiA3.",
		"{CRYPT}$6$rounds=1000$$" + "PI8LGdGiJ49DO3q2JyE7/RKxtYRycXiUKEycW0FROhnhjrD8w1uBMEZVXiFPIqVvtvjh9PoO1wmKqcTkt9dtG.",
	} {
		f.Add(s, "")
	}

	h := testHasher(f, 2)
	// Small limits keep each input fast; the code paths are the same.
	h.limits = limits{argon2MemoryKiB: 1024, argon2Time: 4, argon2Work: 2048, cryptRounds: 20000, bcryptCost: 6}
	ctx := context.Background()

	f.Fuzz(func(t *testing.T, stored, password string) {
		ok, upgrade, err := h.Verify(ctx, password, stored)
		if upgrade && !ok {
			t.Fatal("upgrade without a match")
		}
		if err == nil {
			if !IsHashed(stored) {
				t.Fatal("verified a value that IsHashed calls cleartext")
			}
			if _, serr := Scheme(stored); serr != nil {
				t.Fatalf("Verify accepted a value Scheme rejects: %v", serr)
			}
			return
		}
		if ok || upgrade {
			t.Fatal("match reported with an error")
		}
		if !errors.Is(err, ErrMalformedHash) && !errors.Is(err, ErrUnsupportedScheme) {
			t.Fatalf("unexpected error %v", err)
		}
		if msg := leak(err.Error(), stored); msg != "" {
			t.Fatalf("error text %q leaks %s", err, msg)
		}
		// Errors depend on the stored value only, never on the password.
		if _, _, err2 := h.Verify(ctx, password+"\x00other", stored); err2 == nil || err2.Error() != err.Error() {
			t.Fatalf("error depends on the password: %v vs %v", err, err2)
		}
	})
}
