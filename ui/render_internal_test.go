package ui

import (
	"html/template"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Pages are joined with the layout at their first rendering: every
// embedded page must join, concurrently and once, and a page that parses
// alone but cannot be joined is an error of that page, not a panic.
func TestPagesJoinTheLayout(t *testing.T) {
	a := &App{}
	tpl, err := loadTemplates("", a.funcs())
	if err != nil {
		t.Fatal(err)
	}
	if len(tpl.pages) < 30 {
		t.Fatalf("only %d pages loaded", len(tpl.pages))
	}
	for name := range tpl.pages {
		var wg sync.WaitGroup
		got := make([]*template.Template, 4)
		for i := range got {
			wg.Go(func() {
				p, err := tpl.page(name)
				if err != nil {
					t.Errorf("%s: %v", name, err)
				}
				got[i] = p
			})
		}
		wg.Wait()
		for _, p := range got[1:] {
			if p != got[0] {
				t.Fatalf("%s: joined more than once", name)
			}
		}
		if got[0] == nil || got[0].Lookup("content") == nil || got[0].Lookup("layout") == nil {
			t.Fatalf("%s: the joined page lacks its content or the layout", name)
		}
	}
	if _, err := tpl.page("no-such-page"); err == nil {
		t.Error("an unknown page has a template")
	}

	// A theme's page with a syntax error stops the start.
	theme := t.TempDir()
	os.MkdirAll(filepath.Join(theme, "templates", "pages"), 0o755)
	os.WriteFile(filepath.Join(theme, "templates", "pages", "broken.html"), []byte(`{{define "content"}}{{if}}{{end}}`), 0o644)
	if _, err := loadTemplates(theme, a.funcs()); err == nil || !strings.Contains(err.Error(), "broken.html") {
		t.Errorf("a broken theme page: %v", err)
	}
}
