package oidc

import (
	"fmt"
	"github.com/canaille-go/canaille/store/acl"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/canaille-go/canaille/store"
)

// Claim templates use the subset of Jinja that Python Canaille's
// USERINFO_MAPPING defaults and documentation use:
//
//	{{ user.ATTR }}  {{ user.ATTR[N] }}  {{ user.ATTR|FILTER }}
//	{% if user.ATTR %}…{% endif %}
//
// with the filters lower, upper, trim and timestamp, plus the photo URL
// expression of Canaille's default PICTURE template (any url_for call naming
// the photo endpoint). Text outside the tags is kept as is. Anything else
// is refused when the configuration is loaded, naming the claim.

// Template is a compiled claim template.
type Template struct {
	parts []tmplPart
}

type tmplPart struct {
	text    string
	expr    *tmplExpr
	cond    *tmplExpr // {% if cond %} … {% endif %}
	body    []tmplPart
	isCond  bool
	isPhoto bool
}

type tmplExpr struct {
	attr    string
	index   int // -1: none
	filters []string
}

var (
	tagRE   = regexp.MustCompile(`\{\{.*?\}\}|\{%.*?%\}`)
	exprRE  = regexp.MustCompile(`^user\.([a-z_]+)(?:\[(\d+)\])?((?:\s*\|\s*[a-z_]+)*)$`)
	photoRE = regexp.MustCompile(`^url_for\(\s*'[a-z_.]*photo'.*\)$`)
)

var knownFilters = []string{"lower", "upper", "trim", "timestamp", "int", "string"}

// ParseTemplate compiles src.
func ParseTemplate(src string) (*Template, error) {
	parts, rest, err := parseParts(src, false)
	if err != nil {
		return nil, err
	}
	if rest != "" {
		return nil, fmt.Errorf("unexpected %q", rest)
	}
	return &Template{parts: parts}, nil
}

func parseParts(src string, inIf bool) ([]tmplPart, string, error) {
	var parts []tmplPart
	for src != "" {
		loc := tagRE.FindStringIndex(src)
		if loc == nil {
			if strings.Contains(src, "{{") || strings.Contains(src, "{%") {
				return nil, "", fmt.Errorf("unclosed tag in %q", src)
			}
			parts = append(parts, tmplPart{text: src})
			break
		}
		if loc[0] > 0 {
			parts = append(parts, tmplPart{text: src[:loc[0]]})
		}
		tag := src[loc[0]:loc[1]]
		src = src[loc[1]:]
		inner := strings.TrimSpace(tag[2 : len(tag)-2])
		if strings.HasPrefix(tag, "{{") {
			if photoRE.MatchString(inner) {
				parts = append(parts, tmplPart{isPhoto: true})
				continue
			}
			e, err := parseExpr(inner)
			if err != nil {
				return nil, "", err
			}
			parts = append(parts, tmplPart{expr: e})
			continue
		}
		switch {
		case strings.HasPrefix(inner, "if "):
			e, err := parseExpr(strings.TrimSpace(inner[3:]))
			if err != nil {
				return nil, "", err
			}
			body, rest, err := parseParts(src, true)
			if err != nil {
				return nil, "", err
			}
			if !strings.HasPrefix(rest, "\x00endif") {
				return nil, "", fmt.Errorf("{%% if %%} without {%% endif %%}")
			}
			src = rest[len("\x00endif"):]
			parts = append(parts, tmplPart{isCond: true, cond: e, body: body})
		case inner == "endif":
			if !inIf {
				return nil, "", fmt.Errorf("{%% endif %%} without {%% if %%}")
			}
			return parts, "\x00endif" + src, nil
		default:
			return nil, "", fmt.Errorf("unsupported tag %q", tag)
		}
	}
	if inIf {
		return nil, "", fmt.Errorf("{%% if %%} without {%% endif %%}")
	}
	return parts, "", nil
}

func parseExpr(s string) (*tmplExpr, error) {
	m := exprRE.FindStringSubmatch(s)
	if m == nil {
		return nil, fmt.Errorf("unsupported expression %q (use user.ATTRIBUTE, optionally [N] and |filter)", s)
	}
	if _, ok := userAttr(&store.User{}, m[1]); !ok {
		return nil, fmt.Errorf("unknown user attribute %q", m[1])
	}
	e := &tmplExpr{attr: m[1], index: -1}
	if m[2] != "" {
		e.index, _ = strconv.Atoi(m[2])
	}
	for _, f := range strings.Split(m[3], "|") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if !slices.Contains(knownFilters, f) {
			return nil, fmt.Errorf("unknown filter %q", f)
		}
		e.filters = append(e.filters, f)
	}
	return e, nil
}

// userAttr returns the values of a user attribute by its model name: the
// attributes of the ACL sections (acl.AttributeValues), and for templates
// also id, preferred_email, photo (set when there is one), created and
// last_modified. The password is not an attribute of templates.
func userAttr(u *store.User, name string) ([]string, bool) {
	one := func(s string) []string {
		if s == "" {
			return nil
		}
		return []string{s}
	}
	stamp := func(t time.Time) []string {
		if t.IsZero() {
			return nil
		}
		return []string{t.UTC().Format("2006-01-02T15:04:05Z")}
	}
	switch name {
	case "password":
		return nil, false
	case "id":
		return one(u.ID), true
	case "preferred_email":
		if len(u.Emails) > 0 {
			return u.Emails[:1], true
		}
		return nil, true
	case "photo":
		if u.HasPhoto {
			return []string{"1"}, true
		}
		return nil, true
	case "last_modified":
		return stamp(u.LastModified), true
	case "created":
		return stamp(u.Created), true
	}
	if !slices.Contains(acl.Attributes, name) {
		return nil, false
	}
	return acl.AttributeValues(u, name), true
}

func (e *tmplExpr) eval(u *store.User) string {
	vals, _ := userAttr(u, e.attr)
	var v string
	switch {
	case e.index >= 0:
		if e.index < len(vals) {
			v = vals[e.index]
		}
	case len(vals) > 0:
		v = vals[0]
	}
	for _, f := range e.filters {
		switch f {
		case "lower":
			v = strings.ToLower(v)
		case "upper":
			v = strings.ToUpper(v)
		case "trim":
			v = strings.TrimSpace(v)
		case "timestamp", "int":
			if e.attr == "last_modified" || e.attr == "created" {
				t := u.LastModified
				if e.attr == "created" {
					t = u.Created
				}
				if !t.IsZero() {
					v = strconv.FormatInt(t.Unix(), 10)
				}
			}
		}
	}
	return v
}

// Execute renders the template for u; photoURL gives the photo address.
func (t *Template) Execute(u *store.User, photoURL func(*store.User) string) string {
	var b strings.Builder
	execParts(&b, t.parts, u, photoURL)
	return b.String()
}

func execParts(b *strings.Builder, parts []tmplPart, u *store.User, photoURL func(*store.User) string) {
	for _, p := range parts {
		switch {
		case p.isCond:
			if p.cond.eval(u) != "" {
				execParts(b, p.body, u, photoURL)
			}
		case p.isPhoto:
			if u.HasPhoto && photoURL != nil {
				b.WriteString(photoURL(u))
			}
		case p.expr != nil:
			b.WriteString(p.expr.eval(u))
		default:
			b.WriteString(p.text)
		}
	}
}
