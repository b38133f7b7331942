package ui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	texttemplate "text/template"
	"time"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/acl"
)

//go:embed templates static
var assets embed.FS

// overlay reads a file from the theme directory when it has one, else
// from the embedded assets.
type overlay struct {
	theme string // "" for none
}

func (o overlay) Open(name string) (fs.File, error) {
	if o.theme != "" && fs.ValidPath(name) {
		if f, err := os.DirFS(o.theme).Open(name); err == nil {
			return f, nil
		}
	}
	return assets.Open(name)
}

// templates are the parsed pages: each page is the layout, the partials
// and the page's own file, which defines "title" and "content".
type templates struct {
	base  *template.Template // layout and partials, never executed itself
	pages map[string]*pageTemplate
	mails map[string]*mailTemplate
}

// pageTemplate is a page, checked when the templates load and put
// together with the layout at its first rendering. A page joined with the
// layout holds its own copy of the layout's trees (html/template copies
// them so that escaping can rewrite them): built eagerly, the 42 pages
// kept about 5 MB alive that a server used only over LDAP never needs, and
// that the collector would scan at every cycle.
type pageTemplate struct {
	file string // for errors
	src  string
	once sync.Once
	t    *template.Template
	err  error
}

// page returns the page named name joined with the layout, or nil.
func (t *templates) page(name string) (*template.Template, error) {
	p := t.pages[name]
	if p == nil {
		return nil, fmt.Errorf("ui: no template %q", name)
	}
	p.once.Do(func() {
		c, err := t.base.Clone()
		if err == nil {
			c, err = c.Parse(p.src)
		}
		if err != nil {
			p.err = fmt.Errorf("ui: template %s: %w", p.file, err)
			return
		}
		p.t = c
	})
	return p.t, p.err
}

type mailTemplate struct {
	subject string // message ID of the subject
	text    *texttemplate.Template
	html    *template.Template
}

func loadTemplates(theme string, funcs template.FuncMap) (*templates, error) {
	o := overlay{theme: theme}
	t := &templates{pages: map[string]*pageTemplate{}, mails: map[string]*mailTemplate{}}
	base := template.New("layout").Funcs(funcs)
	t.base = base
	for _, f := range []string{"templates/layout.html", "templates/partials.html"} {
		b, err := fs.ReadFile(o, f)
		if err != nil {
			return nil, err
		}
		if _, err := base.Parse(string(b)); err != nil {
			return nil, fmt.Errorf("ui: template %s: %w", f, err)
		}
	}
	names, err := fs.Glob(assets, "templates/pages/*.html")
	if err != nil {
		return nil, err
	}
	if theme != "" {
		extra, _ := fs.Glob(os.DirFS(theme), "templates/pages/*.html")
		names = append(names, extra...)
	}
	for _, f := range names {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if _, done := t.pages[name]; done {
			continue
		}
		b, err := fs.ReadFile(o, f)
		if err != nil {
			return nil, err
		}
		// Parsed alone now, so that a broken page (a theme's, say) stops
		// the start with the same error as before; joined at first use.
		if _, err := template.New(name).Funcs(funcs).Parse(string(b)); err != nil {
			return nil, fmt.Errorf("ui: template %s: %w", f, err)
		}
		t.pages[name] = &pageTemplate{file: f, src: string(b)}
	}
	mailLayout, err := fs.ReadFile(o, "templates/mail/layout.html")
	if err != nil {
		return nil, err
	}
	for _, m := range mailKinds {
		mt := &mailTemplate{subject: "mail_" + m + "_subject"}
		tb, err := fs.ReadFile(o, "templates/mail/"+m+".txt")
		if err != nil {
			return nil, err
		}
		if mt.text, err = texttemplate.New(m).Funcs(texttemplate.FuncMap(funcs)).Parse(string(tb)); err != nil {
			return nil, fmt.Errorf("ui: template mail/%s.txt: %w", m, err)
		}
		hb, err := fs.ReadFile(o, "templates/mail/"+m+".html")
		if err != nil {
			return nil, err
		}
		h := template.New("mail").Funcs(funcs)
		if _, err := h.Parse(string(mailLayout)); err != nil {
			return nil, fmt.Errorf("ui: template mail/layout.html: %w", err)
		}
		if mt.html, err = h.Parse(string(hb)); err != nil {
			return nil, fmt.Errorf("ui: template mail/%s.html: %w", m, err)
		}
		t.mails[m] = mt
	}
	return t, nil
}

// funcs are the template functions; per-request values (translations,
// the user) are methods of the page data instead.
func (a *App) funcs() template.FuncMap {
	return template.FuncMap{
		"static":     a.staticURL,
		"pathEscape": url.PathEscape,
		"join":       strings.Join,
		"dict":       dict,
		"date": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.Local().Format("2006-01-02 15:04 MST")
		},
		"device": device,
	}
}

// page is the data of every rendered page.
type page struct {
	c         *ctx
	Name      string // organisation name
	Logo      string
	Favicon   string
	Lang      string
	Languages []languageOption
	User      *store.User
	CSRF      string
	Flash     *flash
	Path      string
	// Data is the page's own data.
	Data map[string]any
	// Form holds what the user typed and the errors of each field.
	Form *form
}

// T translates a message ID with name/value arguments.
func (p *page) T(id string, args ...any) string { return p.c.a.i18n.text(p.Lang, id, args...) }

// Can reports whether the signed-in user has a permission.
func (p *page) Can(perm string) bool {
	return p.User != nil && p.c.rights.Can(acl.Permission(perm))
}

// Admin reports whether the user may see at least one administration
// page (the menu is shown only then).
func (p *page) Admin() bool {
	if p.User == nil {
		return false
	}
	for _, perm := range []acl.Permission{acl.ManageUsers, acl.ManageAllGroups, acl.ManageOwnGroups, acl.ManageOIDC} {
		if p.c.rights.Can(perm) {
			return true
		}
	}
	return false
}

// OIDCEnabled reports whether the OpenID Connect provider is served.
func (p *page) OIDCEnabled() bool { return p.c.a.cfg.OIDC != nil }

// OIDC reports whether the OpenID Connect pages are served to this user.
func (p *page) OIDC() bool {
	return p.c.a.cfg.OIDC != nil && p.User != nil && p.c.rights.Can(acl.UseOIDC)
}

// ProfileURL is the signed-in user's profile.
func (p *page) ProfileURL() string {
	if p.User == nil {
		return ""
	}
	return "/profile/" + pathEscapeSegment(p.User.UserName)
}

// render writes a page with status.
func (c *ctx) render(status int, name string, data map[string]any) {
	c.renderForm(status, name, data, nil)
}

// renderForm writes a page with a form's values and errors.
func (c *ctx) renderForm(status int, name string, data map[string]any, f *form) {
	a := c.a
	t, err := a.tpl.page(name)
	if err != nil {
		a.log.Error("loading a page template", "template", name, "error", err)
		http.Error(c.w, "Internal server error", http.StatusInternalServerError)
		return
	}
	if f == nil {
		f = newForm()
	}
	p := &page{c: c, Name: a.cfg.Name, Logo: a.logoURL(), Favicon: a.faviconURL(), Lang: c.lang,
		Languages: a.i18n.options(c.lang), User: c.user, CSRF: c.csrf, Flash: c.takeFlash(),
		Path: c.r.URL.Path, Data: data, Form: f}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		a.log.Error("rendering a page", "template", name, "error", err)
		http.Error(c.w, "Internal server error", http.StatusInternalServerError)
		return
	}
	h := c.w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Language", c.lang)
	c.w.WriteHeader(status)
	c.w.Write(buf.Bytes())
}

// form is what the user typed into a form and what is wrong with it.
type form struct {
	Values map[string]string
	Lists  map[string][]string
	Errors map[string]string // field → translated message
	// bad holds the wrong values of multi-valued fields ("field\x00value").
	bad   map[string]string
	first string // the first field in error, which gets the focus
}

func newForm() *form {
	return &form{Values: map[string]string{}, Lists: map[string][]string{}, Errors: map[string]string{},
		bad: map[string]string{}}
}

// BadValue returns the error of one value of a multi-valued field.
func (f *form) BadValue(name, value string) string { return f.bad[name+"\x00"+value] }

// Focus reports whether a field should take the focus: the first field in
// error, else the one the page focuses by default.
func (f *form) Focus(name string, byDefault bool) bool {
	if f.first != "" {
		return f.first == name
	}
	return byDefault
}

// Value returns what was typed in a field.
func (f *form) Value(name string) string { return f.Values[name] }

// List returns the values of a multi-valued field.
func (f *form) List(name string) []string { return f.Lists[name] }

// Error returns the error of a field, "" when it is fine.
func (f *form) Error(name string) string { return f.Errors[name] }

// Invalid reports whether a field has an error (for aria-invalid).
func (f *form) Invalid(name string) string {
	if _, ok := f.Errors[name]; ok {
		return "true"
	}
	return ""
}

// HasErrors reports whether any field has an error.
func (f *form) HasErrors() bool { return len(f.Errors) > 0 || len(f.bad) > 0 }

// fieldError records a translated error on a field.
func (c *ctx) fieldError(f *form, field, id string, args ...any) {
	if _, ok := f.Errors[field]; !ok {
		f.Errors[field] = c.a.i18n.text(c.lang, id, args...)
	}
	if f.first == "" {
		f.first = field
	}
}

// valueError records a translated error on one value of a multi-valued
// field, shown beside that value.
func (c *ctx) valueError(f *form, field, value, id string, args ...any) {
	f.bad[field+"\x00"+value] = c.a.i18n.text(c.lang, id, args...)
	if f.first == "" {
		f.first = field
	}
}

// staticFiles serves the embedded static files, overridden by the
// theme's, with long-lived caching for versioned URLs.
type staticFiles struct {
	files map[string]*staticFile
}

type staticFile struct {
	data  []byte
	hash  string
	ctype string
}

var startTime = time.Now()

func loadStatic(theme string) (*staticFiles, error) {
	s := &staticFiles{files: map[string]*staticFile{}}
	add := func(fsys fs.FS) error {
		return fs.WalkDir(fsys, "static", func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) && p == "static" {
					return fs.SkipDir
				}
				return err
			}
			if d.IsDir() {
				return nil
			}
			data, err := fs.ReadFile(fsys, p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(data)
			ct := mime.TypeByExtension(path.Ext(p))
			if ct == "" {
				ct = http.DetectContentType(data)
			}
			s.files[strings.TrimPrefix(p, "static/")] = &staticFile{data: data, hash: hex.EncodeToString(sum[:6]), ctype: ct}
			return nil
		})
	}
	if err := add(assets); err != nil {
		return nil, err
	}
	if theme != "" {
		if err := add(os.DirFS(theme)); err != nil {
			return nil, fmt.Errorf("ui: theme %s: %w", filepath.Join(theme, "static"), err)
		}
	}
	return s, nil
}

func (s *staticFiles) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/static/")
	f := s.files[name]
	if f == nil {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.ctype)
	h.Set("ETag", `"`+f.hash+`"`)
	if r.URL.Query().Get("v") == f.hash {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "public, max-age=3600")
	}
	http.ServeContent(w, r, "", startTime, bytes.NewReader(f.data))
}

// staticURL returns the versioned URL of a static file.
func (a *App) staticURL(name string) string {
	if f := a.static.files[name]; f != nil {
		return "/static/" + name + "?v=" + f.hash
	}
	return "/static/" + name
}

func (a *App) logoURL() string {
	if a.cfg.Logo != "" {
		return a.cfg.Logo
	}
	return a.staticURL("img/logo.svg")
}

func (a *App) faviconURL() string {
	if a.cfg.Favicon != "" {
		return a.cfg.Favicon
	}
	return a.staticURL("img/favicon.svg")
}

// pathEscapeSegment escapes one path segment.
func pathEscapeSegment(s string) string { return url.PathEscape(s) }

// dict builds a map from name/value pairs, to pass several values to a
// template.
func dict(pairs ...any) (map[string]any, error) {
	if len(pairs)%2 != 0 {
		return nil, errors.New("dict needs name/value pairs")
	}
	m := make(map[string]any, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		k, ok := pairs[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: name %v is not a string", pairs[i])
		}
		m[k] = pairs[i+1]
	}
	return m, nil
}
