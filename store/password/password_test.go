package password

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// cheapParams keep argon2 fast in tests.
var cheapParams = Params{Time: 1, MemoryKiB: 64, Threads: 1, SaltLen: 16, KeyLen: 32}

func testHasher(t testing.TB, maxConcurrent int) *Hasher {
	t.Helper()
	h, err := NewHasher(cheapParams, maxConcurrent)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// checkNoLeak fails if err's text is not made only of the package's
// constant strings and the scheme name (see leak), or contains password.
func checkNoLeak(t testing.TB, err error, stored, password string) {
	t.Helper()
	if err == nil {
		return
	}
	if strings.Contains(err.Error(), password) {
		t.Errorf("error text %q contains the password", err)
	}
	if msg := leak(err.Error(), stored); msg != "" {
		t.Errorf("error text %q leaks %s", err, msg)
	}
}

// leak reports what an error text may reveal of the stored value or the
// password, or "". An error text must consist of string constants of the
// package's source (sentinels, scheme names, reasons) and separators, so it
// cannot carry hash material or a password; the one exception is an unknown
// scheme, named as it appears in braces. (FuzzVerify also checks that the
// text does not change with the password.)
func leak(msg, stored string) string {
	if name, _, ok := splitScheme(stored); ok && msg == ErrUnsupportedScheme.Error()+": "+strings.ToUpper(name) {
		return ""
	}
	rest := msg
	for _, lit := range sourceStrings() {
		rest = strings.ReplaceAll(rest, lit, "")
	}
	if strings.Trim(rest, ": ()") != "" {
		return fmt.Sprintf("%q, not from a constant", rest)
	}
	return ""
}

// sourceStrings returns the string literals of the package's non-test
// files, longest first.
var sourceStrings = sync.OnceValue(func() []string {
	files, err := filepath.Glob("*.go")
	if err != nil {
		panic(err)
	}
	var lits []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
		if err != nil {
			panic(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if b, ok := n.(*ast.BasicLit); ok && b.Kind == token.STRING {
				if s, err := strconv.Unquote(b.Value); err == nil && s != "" {
					lits = append(lits, s)
				}
			}
			return true
		})
	}
	sort.Slice(lits, func(i, j int) bool { return len(lits[i]) > len(lits[j]) })
	return lits
})

func TestDefaultParams(t *testing.T) {
	p := DefaultParams()
	if p != (Params{Time: 3, MemoryKiB: 65536, Threads: 4, SaltLen: 16, KeyLen: 32}) {
		t.Errorf("DefaultParams = %+v", p)
	}
	if err := p.Validate(); err != nil {
		t.Error(err)
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		field string
		edit  func(*Params)
	}{
		{"Time", func(p *Params) { p.Time = 0 }},
		{"Time", func(p *Params) { p.Time = 1001 }},
		{"Threads", func(p *Params) { p.Threads = 0 }},
		{"MemoryKiB", func(p *Params) { p.Threads = 4; p.MemoryKiB = 31 }},
		{"MemoryKiB", func(p *Params) { p.MemoryKiB = 4<<20 + 1 }},
		{"MemoryKiB×Time", func(p *Params) { p.MemoryKiB = 4 << 20; p.Time = 5 }},
		{"SaltLen", func(p *Params) { p.SaltLen = 7 }},
		{"SaltLen", func(p *Params) { p.SaltLen = 1025 }},
		{"KeyLen", func(p *Params) { p.KeyLen = 15 }},
		{"KeyLen", func(p *Params) { p.KeyLen = 1025 }},
	} {
		p := cheapParams
		tc.edit(&p)
		err := p.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.field) || !strings.HasPrefix(err.Error(), "password: ") {
			t.Errorf("Validate(%+v) = %v; want an error naming %s", p, err, tc.field)
		}
		if _, err := NewHasher(p, 1); err == nil {
			t.Errorf("NewHasher(%+v) succeeded", p)
		}
	}
	if err := (Params{Time: 1, MemoryKiB: 8, Threads: 1, SaltLen: 8, KeyLen: 16}).Validate(); err != nil {
		t.Errorf("minimal params: %v", err)
	}
}

func TestHashRoundTrip(t *testing.T) {
	ctx := context.Background()
	h := testHasher(t, 0)
	if h.Params() != cheapParams {
		t.Errorf("Params = %+v", h.Params())
	}
	for _, pw := range []string{"correct horse battery staple", "", "pässwörd €", strings.Repeat("long", 100)} {
		stored, err := h.Hash(ctx, pw)
		if err != nil {
			t.Fatal(err)
		}
		// {ARGON2}$argon2id$v=19$m=64,t=1,p=1$ + 22 + $ + 43 characters.
		if !strings.HasPrefix(stored, "{ARGON2}$argon2id$v=19$m=64,t=1,p=1$") || len(stored) != 36+22+1+43 || strings.Count(stored, "=") != 4 {
			t.Errorf("Hash = %q: not in OpenLDAP's format", stored)
		}
		if !IsHashed(stored) {
			t.Error("IsHashed(Hash()) = false")
		}
		if s, err := Scheme(stored); s != "ARGON2" || err != nil {
			t.Errorf("Scheme = %q, %v", s, err)
		}
		ok, upgrade, err := h.Verify(ctx, pw, stored)
		if !ok || upgrade || err != nil {
			t.Errorf("Verify(right) = %v, %v, %v; want true false nil", ok, upgrade, err)
		}
		ok, upgrade, err = h.Verify(ctx, pw+"x", stored)
		if ok || upgrade || err != nil {
			t.Errorf("Verify(wrong) = %v, %v, %v; want false false nil", ok, upgrade, err)
		}
		again, _ := h.Hash(ctx, pw)
		if again == stored {
			t.Error("two hashes of the same password are equal: salt not random")
		}
	}
}

func TestUpgradeOnParamChange(t *testing.T) {
	ctx := context.Background()
	old := testHasher(t, 1)
	stored, err := old.Hash(ctx, "secret")
	if err != nil {
		t.Fatal(err)
	}
	for _, edit := range []func(*Params){
		func(p *Params) { p.Time = 2 },
		func(p *Params) { p.MemoryKiB = 128 },
		func(p *Params) { p.Threads = 2 },
		func(p *Params) { p.SaltLen = 32 },
		func(p *Params) { p.KeyLen = 64 },
	} {
		p := cheapParams
		edit(&p)
		h, err := NewHasher(p, 1)
		if err != nil {
			t.Fatal(err)
		}
		ok, upgrade, err := h.Verify(ctx, "secret", stored)
		if !ok || !upgrade || err != nil {
			t.Errorf("%+v: Verify = %v, %v, %v; want true true nil", p, ok, upgrade, err)
		}
		// The upgraded value needs no further upgrade.
		newStored, err := h.Hash(ctx, "secret")
		if err != nil {
			t.Fatal(err)
		}
		if ok, upgrade, err := h.Verify(ctx, "secret", newStored); !ok || upgrade || err != nil {
			t.Errorf("%+v: Verify(new) = %v, %v, %v; want true false nil", p, ok, upgrade, err)
		}
	}
}

func TestMalformed(t *testing.T) {
	const ssha = "{SSHA}IAE7Drf0xmwWIteUtveRMAUx/Y++JSfX" // slappasswd -h {SSHA}
	const phc = "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$jUbW6e+CGY3vMiNbaU9bVWmhhP7pfpRtJ+gja2vV6PI"
	const crypt6 = "{CRYPT}$6$ZFTV2sad0PoQ6cjA$PI8LGdGiJ49DO3q2JyE7/RKxtYRycXiUKEycW0FROhnhjrD8w1uBMEZVXiFPIqVvtvjh9PoO1wmKqcTkt9dtG."
	const bcrypt10 = "$2y$10$EUTE7CVXhvTBhnE/8YLk5.Ldq7t.BriQ9HcMG9yEYLKZh3p4rJNEC"
	argon := func(params string) string {
		return "{ARGON2}$argon2id$v=19$" + params + "$c2FsdHNhbHRzYWx0c2FsdA$jUbW6e+CGY3vMiNbaU9bVWmhhP7pfpRtJ+gja2vV6PI"
	}
	for _, tc := range []struct {
		stored string
		want   error
	}{
		{"", ErrUnsupportedScheme},
		{"secret", ErrUnsupportedScheme},
		{"{CLEARTEXT}secret", ErrUnsupportedScheme},
		{"{FOO}bar", ErrUnsupportedScheme},
		{"{PBKDF2-SHA256}10000$abc$def", ErrUnsupportedScheme},
		{"{BCRYPT}$2x$10$EUTE7CVXhvTBhnE/8YLk5.Ldq7t.BriQ9HcMG9yEYLKZh3p4rJNEC", ErrUnsupportedScheme},
		{"{CRYPT}$9$abc$def", ErrUnsupportedScheme},

		{ssha[:len(ssha)-2], ErrMalformedHash},                   // truncated base64
		{"{SSHA}q/eq1kOINtvlJqojGr3i0O73TUI=", ErrMalformedHash}, // 20 bytes: no salt
		{"{SHA}" + ssha[6:], ErrMalformedHash},                   // wrong length
		{"{SSHA}!!!!" + ssha[10:], ErrMalformedHash},
		{"{SSHA}", ErrMalformedHash},
		{"{SSHA}" + strings.Repeat("A", 5000), ErrMalformedHash},

		{"{ARGON2}", ErrMalformedHash},
		{"{ARGON2}argon2id", ErrMalformedHash},
		{"{ARGON2}$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E", ErrMalformedHash},
		{phc[:len(phc)-43], ErrMalformedHash}, // hash missing
		{phc[:len(phc)-44], ErrMalformedHash}, // hash field missing
		{phc[:len(phc)-42], ErrMalformedHash}, // truncated: 1 character
		{phc[:len(phc)-1], ErrMalformedHash},  // truncated: non-zero trailing bits
		{phc + "$extra", ErrMalformedHash},    // too many fields
		{strings.Replace(phc, "v=19", "v=20", 1), ErrMalformedHash},
		{strings.Replace(phc, "c2FsdHNhbHRzYWx0c2FsdA", "c2FsdA", 1), ErrMalformedHash}, // 4-byte salt
		{argon("m=64,t=1"), ErrMalformedHash},
		{argon("t=1,m=64,p=1"), ErrMalformedHash},
		{argon("m=64,t=1,p=1,keyid=x"), ErrMalformedHash},
		{argon("m=-64,t=1,p=1"), ErrMalformedHash},
		{argon("m=+64,t=1,p=1"), ErrMalformedHash},
		{argon("m=64,t=,p=1"), ErrMalformedHash},
		{argon("m=4194305,t=1,p=1"), ErrMalformedHash}, // > 4 GiB
		{argon("m=4194304,t=5,p=1"), ErrMalformedHash}, // 20 GiB of passes
		{argon("m=64,t=1001,p=1"), ErrMalformedHash},   // t > 1000
		{argon("m=64,t=0,p=1"), ErrMalformedHash},
		{argon("m=64,t=1,p=0"), ErrMalformedHash},
		{argon("m=4096,t=1,p=256"), ErrMalformedHash},
		{argon("m=7,t=1,p=1"), ErrMalformedHash},           // m < 8p
		{argon("m=99999999999,t=1,p=1"), ErrMalformedHash}, // overflows uint32

		{"{CRYPT}", ErrMalformedHash},
		{crypt6[:len(crypt6)-1], ErrMalformedHash},
		{strings.Replace(crypt6, "$6$", "$6$rounds=999999999$", 1), ErrMalformedHash},
		{strings.Replace(crypt6, "$6$", "$6$rounds=999$", 1), ErrMalformedHash},
		{strings.Replace(crypt6, "$6$", "$6$rounds=many$", 1), ErrMalformedHash},
		{strings.Replace(crypt6, "$6$", "$6$rounds=5000", 1), ErrMalformedHash},
		{strings.Replace(crypt6, "ZFTV2sad0PoQ6cjA", "ZFTV2sad0PoQ6cjAX", 1), ErrMalformedHash}, // 17-char salt
		{"{CRYPT}$1$toolongsalt$v0fOZcWHXUJNrF89TIiA3.", ErrMalformedHash},
		{"{CRYPT}$1$rounds=1$v0fOZcWHXUJNrF89TIiA3.", ErrMalformedHash},
		{"{CRYPT}$5$", ErrMalformedHash},

		{bcrypt10[:59], ErrMalformedHash},
		{"{BCRYPT}" + bcrypt10[:59], ErrMalformedHash},
		{"{BCRYPT}", ErrMalformedHash},
		{"{BCRYPT}secret", ErrMalformedHash},
		{strings.Replace(bcrypt10, "$10$", "$31$", 1), ErrMalformedHash}, // cost too high
		{strings.Replace(bcrypt10, "$10$", "$03$", 1), ErrMalformedHash},
		{strings.Replace(bcrypt10, "$10$", "$+9$", 1), ErrMalformedHash},
		{strings.Replace(bcrypt10, "$10$", "$1a$", 1), ErrMalformedHash},
		{bcrypt10[:40] + "!" + bcrypt10[41:], ErrMalformedHash},
	} {
		h := testHasher(t, 1)
		const pw = "correct horse battery staple"
		ok, upgrade, err := h.Verify(context.Background(), pw, tc.stored)
		if !errors.Is(err, tc.want) || ok || upgrade {
			t.Errorf("Verify(%q) = %v, %v, %v; want %v", tc.stored, ok, upgrade, err, tc.want)
			continue
		}
		checkNoLeak(t, err, tc.stored, pw)
		if _, serr := Scheme(tc.stored); !errors.Is(serr, tc.want) {
			t.Errorf("Scheme(%q) error = %v, want %v", tc.stored, serr, tc.want)
		}
	}
}

func TestSchemeNames(t *testing.T) {
	for stored, want := range map[string]string{
		"{FOO}bar":          "password: unsupported hash scheme: FOO",
		"{foo.bar}x":        "password: unsupported hash scheme: FOO.BAR",
		"plain":             "password: unsupported hash scheme: CLEARTEXT",
		"{cleartext}plain":  "password: unsupported hash scheme: CLEARTEXT",
		"{SSHA}abc":         "password: malformed hash: SSHA: bad base64",
		"{crypt}$6$x$short": "password: malformed hash: CRYPT (sha512-crypt): bad format",
	} {
		if _, err := Scheme(stored); err == nil || err.Error() != want {
			t.Errorf("Scheme(%q) = %v, want %q", stored, err, want)
		}
	}
}

func TestIsHashed(t *testing.T) {
	for v, want := range map[string]bool{
		"{SSHA}abc":                          true,
		"{ssha512}abc":                       true,
		"{FOO}bar":                           true, // a scheme, although an unsupported one
		"{CRYPT}abhfCpXqd4GrI":               true,
		"$2y$10$abc":                         true,
		"$2b$10$abc":                         true,
		"$2a$10$abc":                         true,
		"$argon2id$v=19$":                    true,
		"$argon2i$v=19$":                     true,
		"$argon2d$v=19$":                     true, // rejected by Scheme, not hashed again
		"{CLEARTEXT}secret":                  false,
		"{cleartext}secret":                  false,
		"secret":                             false,
		"":                                   false,
		"{}secret":                           false,
		"{not a scheme}secret":               false,
		"{SSHA":                              false,
		"{" + strings.Repeat("A", 33) + "}x": false,
		"$6$salt$hash":                       false, // OpenLDAP needs {CRYPT}
		"$2x$10$abc":                         false,
	} {
		if got := IsHashed(v); got != want {
			t.Errorf("IsHashed(%q) = %v, want %v", v, got, want)
		}
	}
}

// The semaphore: with one slot, computations never overlap.
func TestSemaphoreSerialises(t *testing.T) {
	for _, slots := range []int32{1, 2} {
		h := testHasher(t, int(slots))
		var active, peak atomic.Int32
		h.testHook = func() {
			n := active.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			// Wait a little for others to join, if they can.
			deadline := time.Now().Add(200 * time.Millisecond)
			for active.Load() < slots && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			time.Sleep(5 * time.Millisecond)
			active.Add(-1)
		}
		stored, err := h.Hash(context.Background(), "x")
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for i := range 6 {
			wg.Go(func() {
				switch i % 3 {
				case 0:
					_, err := h.Hash(context.Background(), "x")
					if err != nil {
						t.Error(err)
					}
				case 1:
					if ok, _, err := h.Verify(context.Background(), "x", stored); !ok || err != nil {
						t.Error("Verify", ok, err)
					}
				case 2:
					h.Waste(context.Background(), "x")
				}
			})
		}
		wg.Wait()
		if got := peak.Load(); got != slots {
			t.Errorf("%d slots: peak concurrency %d", slots, got)
		}
	}
}

// A hash needing more memory than the Hasher's own takes more slots.
func TestSemaphoreWeight(t *testing.T) {
	h := testHasher(t, 4) // 64 KiB per slot
	var full atomic.Bool
	h.testHook = func() {
		if h.sem.TryAcquire(1) {
			h.sem.Release(1)
			full.Store(false)
		} else {
			full.Store(true)
		}
	}
	// argon2 CLI, m=1024 KiB: 16 slots' worth, capped at all 4.
	const big = "$argon2id$v=19$m=1024,t=2,p=2$c2FsdHlzYWx0eXNhbHR5IQ$t6e2FVnMJQH9exosovixdaoIq47ZjXxW"
	if ok, _, err := h.Verify(context.Background(), vectorPassword, big); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if !full.Load() {
		t.Error("a 1 MiB verification left slots free")
	}
	if _, err := h.Hash(context.Background(), "x"); err != nil {
		t.Fatal(err)
	}
	if full.Load() {
		t.Error("an own-parameter hash took every slot")
	}
}

func TestContextCancel(t *testing.T) {
	h := testHasher(t, 1)
	stored, err := h.Hash(context.Background(), "x")
	if err != nil {
		t.Fatal(err)
	}

	// Already cancelled: nothing runs.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Hash(ctx, "x"); !errors.Is(err, context.Canceled) {
		t.Errorf("Hash: %v", err)
	}
	if ok, up, err := h.Verify(ctx, "x", stored); ok || up || !errors.Is(err, context.Canceled) {
		t.Errorf("Verify: %v %v %v", ok, up, err)
	}
	h.Waste(ctx, "x")

	// Cancelled while waiting for the only slot, held by another call.
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	h.testHook = func() {
		once.Do(func() { close(entered); <-release })
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := h.Hash(context.Background(), "holder"); err != nil {
			t.Error(err)
		}
	}()
	<-entered
	for name, call := range map[string]func(context.Context) error{
		"Hash": func(ctx context.Context) error { _, err := h.Hash(ctx, "x"); return err },
		"Verify": func(ctx context.Context) error {
			_, _, err := h.Verify(ctx, "x", stored)
			return err
		},
		"Waste": func(ctx context.Context) error { h.Waste(ctx, "x"); return ctx.Err() },
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		start := time.Now()
		err := call(ctx)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: %v, want context.DeadlineExceeded", name, err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%s returned after %v", name, d)
		}
	}
	close(release)
	<-done
}

// The leak checker itself catches hash material and passwords.
func TestLeakChecker(t *testing.T) {
	const stored = "{SSHA}IAE7Drf0xmwWIteUtveRMAUx/Y++JSfX"
	for _, msg := range []string{
		"password: malformed hash: SSHA: IAE7Drf0",
		"password: malformed hash: SSHA: bad base64 Y++JSfX",
		"password: malformed hash: SSHA: hunter22",
	} {
		if leak(msg, stored) == "" {
			t.Errorf("leak(%q) not detected", msg)
		}
	}
	for _, msg := range []string{
		"password: malformed hash: SSHA: bad base64",
		"password: unsupported hash scheme: FOO",
	} {
		if got := leak(msg, map[bool]string{true: stored, false: "{foo}x"}[strings.HasSuffix(msg, "base64")]); got != "" {
			t.Errorf("leak(%q) = %s", msg, got)
		}
	}
}
