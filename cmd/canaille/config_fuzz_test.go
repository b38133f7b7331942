package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/BurntSushi/toml"
)

// FuzzLoadConfig feeds arbitrary files to LoadConfig, then Validate,
// ACLPolicy and the encoder: none may panic, and a loaded configuration
// must encode. The seed corpus is in testdata/fuzz/FuzzLoadConfig (the
// sample configuration and broken files).
func FuzzLoadConfig(f *testing.F) {
	if b, err := os.ReadFile(samplePath); err == nil {
		f.Add(b)
	}
	f.Add([]byte("[CANAILLE.ACL.X]\nFILTER = [{ groups = [\"a\", 1] }, \"x\"]\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "config.toml")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		c, _, err := LoadConfig(path, []string{"CANAILLE__NAME=fuzz"})
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		_ = c.Validate()
		_ = c.RequireSecretKey()
		_, _ = c.ACLPolicy()
		_ = c.Issuer()
		if err := toml.NewEncoder(discard{}).Encode(c); err != nil {
			t.Fatalf("a loaded configuration does not encode: %v", err)
		}
	})
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// FuzzEnv feeds arbitrary environment variables to LoadConfig: no panic,
// and a loaded configuration validates without panicking.
func FuzzEnv(f *testing.F) {
	for _, kv := range [][2]string{
		{"CANAILLE__NAME", "x"}, {"CANAILLE__NAME__X", "1"}, {"CANAILLE_OIDC__JWT__EXP", "PT1M"},
		{"CANAILLE_HTTP__TRUSTED_PROXIES", `["a", 1]`}, {"CANAILLE__ACL__A__FILTER", "{}"},
		{"CANAILLE__SMTP__PORT", "-1"}, {"SECRET_KEY", "k"}, {"CANAILLE_SQL__X", ""}, {"CANAILLE____", "x"},
		{"CANAILLE_POSIX__UID_MIN", "99999999999"}, {"CANAILLE_OIDC__USERINFO_MAPPING", "x"},
	} {
		f.Add(kv[0], kv[1])
	}
	f.Fuzz(func(t *testing.T, name, value string) {
		c, _, err := LoadConfig("", []string{name + "=" + value})
		if err != nil {
			return
		}
		_ = c.Validate()
		_ = c.RequireSecretKey()
	})
}
