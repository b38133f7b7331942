package ui

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// TestCatalogues checks that every message the code and the templates use
// exists in every catalogue, and that the catalogues hold the same keys, so
// that a page never shows a message ID.
func TestCatalogues(t *testing.T) {
	// A language's messages may be split over several files
	// (users.fr.toml, fr.toml): the catalogue is their union, named as
	// the language's main file.
	cats := map[string]map[string]any{}
	files, _ := filepath.Glob("locales/*.toml")
	for _, f := range files {
		var m map[string]any
		if _, err := toml.DecodeFile(f, &m); err != nil {
			t.Fatal(err)
		}
		parts := strings.Split(strings.TrimSuffix(filepath.Base(f), ".toml"), ".")
		name := parts[len(parts)-1] + ".toml"
		if cats[name] == nil {
			cats[name] = map[string]any{}
		}
		for k, v := range m {
			if _, dup := cats[name][k]; dup {
				t.Errorf("%s: %s is defined twice for this language", f, k)
			}
			cats[name][k] = v
		}
	}
	if len(cats) < 2 {
		t.Fatalf("catalogues: %v", files)
	}
	used := map[string]string{} // id → where
	patterns := []*regexp.Regexp{
		regexp.MustCompile(`\.T "([a-z0-9_]+)"`),
		regexp.MustCompile(`fieldError\(f, "[^"]+", "([a-z0-9_]+)"`),
		regexp.MustCompile(`valueError\(f, "[^"]+", [a-z]+, "([a-z0-9_]+)"`),
		regexp.MustCompile(`flash\("[a-z]+", "([a-z0-9_]+)"\)`),
		regexp.MustCompile(`msg: "([a-z0-9_]+)"`),
		regexp.MustCompile(`"Message": "([a-z0-9_]+)"`),
		regexp.MustCompile(`return "(login_identifier_[a-z]+)"`),
	}
	scan := func(path string) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, re := range patterns {
			for _, m := range re.FindAllStringSubmatch(string(b), -1) {
				used[m[1]] = path
			}
		}
	}
	goFiles, _ := filepath.Glob("*.go")
	for _, f := range goFiles {
		if filepath.Ext(f) == ".go" && !regexp.MustCompile(`_test\.go$`).MatchString(f) {
			scan(f)
		}
	}
	fs.WalkDir(os.DirFS("."), "templates", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			scan(p)
		}
		return nil
	})
	for _, s := range profileSections {
		used[s.Title] = "profileSections"
		for _, f := range s.Fields {
			used[f.Label] = "profileSections"
		}
	}
	for _, k := range mailKinds {
		used["mail_"+k+"_subject"] = "mailKinds"
	}
	if len(used) < 100 {
		t.Fatalf("found only %d message IDs: the scan is broken", len(used))
	}
	for name, cat := range cats {
		var missing []string
		for id, where := range used {
			if _, ok := cat[id]; !ok {
				missing = append(missing, id+" (used in "+where+")")
			}
		}
		sort.Strings(missing)
		for _, m := range missing {
			t.Errorf("%s lacks %s", name, m)
		}
	}
	en := cats["en.toml"]
	for name, cat := range cats {
		for id := range en {
			if _, ok := cat[id]; !ok {
				t.Errorf("%s lacks %s, which en.toml has", name, id)
			}
		}
		for id := range cat {
			if _, ok := en[id]; !ok {
				t.Errorf("%s has %s, which en.toml lacks", name, id)
			}
		}
	}
}

func TestDevice(t *testing.T) {
	for ua, want := range map[string]string{
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36":         "Chrome · Linux",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0":                          "Firefox · Windows",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 Version/17.1 Safari/604.1":     "Safari · iOS",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36 Edg/120.0.2210.91": "Edge · Windows",
		"curl/8.4.0": "curl",
		"":           "",
	} {
		if got := device(ua); got != want {
			t.Errorf("device(%q) = %q, want %q", ua, got, want)
		}
	}
}
