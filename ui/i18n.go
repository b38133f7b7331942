package ui

import (
	"embed"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/canaille-go/canaille/store"
)

// The message catalogues are TOML files, one per language, named by the
// language tag (locales/fr.toml): a translator edits them without
// touching Go code, and a theme adds or overrides messages with files of
// the same names in its locales/ directory.
//
//go:embed locales/*.toml
var localeFS embed.FS

// defaultLanguage is the language of the built-in texts, used when no
// other matches.
var defaultLanguage = language.English

// catalog holds the messages of every language.
type catalog struct {
	bundle  *i18n.Bundle
	tags    []language.Tag // available, default first
	matcher language.Matcher
	locs    map[string]*i18n.Localizer
}

func loadCatalog(theme string) (*catalog, error) {
	b := i18n.NewBundle(defaultLanguage)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	load := func(fsys fs.FS, dir, where string) error {
		files, err := fs.Glob(fsys, dir+"/*.toml")
		if err != nil {
			return err
		}
		sort.Strings(files)
		for _, f := range files {
			data, err := fs.ReadFile(fsys, f)
			if err != nil {
				return err
			}
			if _, err := b.ParseMessageFileBytes(data, path.Base(f)); err != nil {
				return fmt.Errorf("ui: message catalogue %s: %w", filepath.Join(where, f), err)
			}
		}
		return nil
	}
	if err := load(localeFS, "locales", "(built in)"); err != nil {
		return nil, err
	}
	if theme != "" {
		if fi, err := os.Stat(filepath.Join(theme, "locales")); err == nil && fi.IsDir() {
			if err := load(os.DirFS(theme), "locales", theme); err != nil {
				return nil, err
			}
		}
	}
	c := &catalog{bundle: b, locs: map[string]*i18n.Localizer{}}
	c.tags = []language.Tag{defaultLanguage}
	for _, t := range b.LanguageTags() {
		if t != defaultLanguage {
			c.tags = append(c.tags, t)
		}
	}
	c.matcher = language.NewMatcher(c.tags)
	for _, t := range c.tags {
		c.locs[t.String()] = i18n.NewLocalizer(b, t.String(), defaultLanguage.String())
	}
	return c, nil
}

// match returns the available language closest to the wanted tags, and
// whether the match is meaningful.
func (c *catalog) match(wanted ...language.Tag) (string, bool) {
	if len(wanted) == 0 {
		return defaultLanguage.String(), false
	}
	_, i, conf := c.matcher.Match(wanted...)
	if conf == language.No {
		return defaultLanguage.String(), false
	}
	return c.tags[i].String(), true
}

// supported returns the available tag for lang ("fr", "fr-CA" → "fr"),
// or "" when none matches.
func (c *catalog) supported(lang string) string {
	t, err := language.Parse(lang)
	if err != nil {
		return ""
	}
	if m, ok := c.match(t); ok {
		return m
	}
	return ""
}

// text translates message id into lang; args are name/value pairs for
// the message's {{.Name}} fields. A missing message gives its ID, so that
// a gap in a catalogue shows rather than breaking the page.
func (c *catalog) text(lang, id string, args ...any) string {
	loc := c.locs[lang]
	if loc == nil {
		loc = c.locs[defaultLanguage.String()]
	}
	var data map[string]any
	if len(args) > 0 {
		data = make(map[string]any, len(args)/2)
		for i := 0; i+1 < len(args); i += 2 {
			k, _ := args[i].(string)
			data[k] = args[i+1]
		}
	}
	lc := &i18n.LocalizeConfig{MessageID: id, TemplateData: data}
	if n, ok := data["Count"]; ok {
		lc.PluralCount = n
	}
	s, err := loc.Localize(lc)
	if err != nil || s == "" {
		return id
	}
	return s
}

// languageOption is one entry of the language menu.
type languageOption struct {
	Tag, Name string
	Current   bool
}

// options lists the languages in their own names.
func (c *catalog) options(current string) []languageOption {
	var out []languageOption
	for _, t := range c.tags {
		name := display.Self.Name(t)
		if name == "" {
			name = t.String()
		}
		out = append(out, languageOption{Tag: t.String(), Name: upperFirst(name), Current: t.String() == current})
	}
	slices.SortFunc(out, func(a, b languageOption) int { return strings.Compare(a.Tag, b.Tag) })
	return out
}

func upperFirst(s string) string {
	for i, r := range s {
		return strings.ToUpper(string(r)) + s[i+len(string(r)):]
	}
	return s
}

// language chooses the language of a request: the user's preferred
// language, then the choice made with the language menu, then LANGUAGE,
// then the browser's Accept-Language, then English.
func (a *App) language(c *ctx) string {
	if c.user != nil && c.user.PreferredLanguage != "" {
		if l := a.i18n.supported(c.user.PreferredLanguage); l != "" {
			return l
		}
	}
	if l := a.i18n.supported(c.cookie(cookieLang)); l != "" {
		return l
	}
	if l := a.uiLocales(c); l != "" {
		return l
	}
	if a.cfg.Language != "" {
		if l := a.i18n.supported(a.cfg.Language); l != "" {
			return l
		}
	}
	if al := c.r.Header.Get("Accept-Language"); al != "" && len(al) < 1024 {
		if tags, _, err := language.ParseAcceptLanguage(al); err == nil {
			l, _ := a.i18n.match(tags...)
			return l
		}
	}
	return defaultLanguage.String()
}

// uiLocales returns the first supported language of the ui_locales of
// the authorization request the user is signing in for (OpenID Connect
// Core 3.1.2.1), or "".
func (a *App) uiLocales(c *ctx) string {
	next := c.r.URL.Query().Get("next")
	if next == "" && c.r.URL.Path == "/auth/password" {
		if st, ok := c.loginState(); ok {
			next = st.Next
		}
	}
	if !strings.HasPrefix(next, "/oauth/authorize?") {
		return ""
	}
	q, err := url.ParseQuery(strings.TrimPrefix(next, "/oauth/authorize?"))
	if err != nil {
		return ""
	}
	for _, l := range strings.Fields(q.Get("ui_locales")) {
		if m := a.i18n.supported(l); m != "" {
			return m
		}
	}
	return ""
}

// setLanguage is the language menu: it remembers the choice in a cookie
// and, for a signed-in user who may edit it, in the profile.
func (a *App) setLanguage(c *ctx) error {
	lang := a.i18n.supported(c.form("lang"))
	if lang == "" {
		return &httpError{status: http.StatusBadRequest, msg: "error_language"}
	}
	c.setCookie(cookieLang, lang, 365*24*3600)
	if c.user != nil && c.user.PreferredLanguage != "" && c.rights.CanWrite("preferred_language") {
		if _, err := a.st.UpdateUser(c.r.Context(), c.user.ID, func(u *store.User) error {
			u.PreferredLanguage = lang
			return nil
		}); err != nil {
			return err
		}
	}
	next := safeNext(c.form("next"))
	if next == "" {
		next = "/"
	}
	return c.redirect(next)
}
