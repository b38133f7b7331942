package password

import (
	"context"
	"testing"
)

func benchVerify(b *testing.B, h *Hasher, stored string) {
	b.Helper()
	ctx := context.Background()
	if ok, _, err := h.Verify(ctx, vectorPassword, stored); !ok || err != nil {
		b.Fatal(ok, err)
	}
	b.ResetTimer()
	for b.Loop() {
		h.Verify(ctx, vectorPassword, stored)
	}
}

func defaultHasher(b *testing.B) *Hasher {
	h, err := NewHasher(DefaultParams(), 0)
	if err != nil {
		b.Fatal(err)
	}
	return h
}

func BenchmarkHashDefault(b *testing.B) {
	h := defaultHasher(b)
	ctx := context.Background()
	for b.Loop() {
		if _, err := h.Hash(ctx, vectorPassword); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyDefault(b *testing.B) {
	h := defaultHasher(b)
	stored, err := h.Hash(context.Background(), vectorPassword)
	if err != nil {
		b.Fatal(err)
	}
	benchVerify(b, h, stored)
}

func BenchmarkVerifySSHA(b *testing.B) {
	benchVerify(b, defaultHasher(b), "{SSHA}IAE7Drf0xmwWIteUtveRMAUx/Y++JSfX") // slappasswd -h {SSHA}
}

func BenchmarkVerifySHA512Crypt(b *testing.B) {
	// openssl passwd -6 (5000 rounds)
	benchVerify(b, defaultHasher(b), "{CRYPT}$6$ZFTV2sad0PoQ6cjA$PI8LGdGiJ49DO3q2JyE7/RKxtYRycXiUKEycW0FROhnhjrD8w1uBMEZVXiFPIqVvtvjh9PoO1wmKqcTkt9dtG.")
}

func BenchmarkVerifyBcrypt10(b *testing.B) {
	benchVerify(b, defaultHasher(b), "$2y$10$EUTE7CVXhvTBhnE/8YLk5.Ldq7t.BriQ9HcMG9yEYLKZh3p4rJNEC") // htpasswd -nbBC 10
}
