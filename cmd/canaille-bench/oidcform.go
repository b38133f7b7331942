package main

import (
	"html"
	"regexp"
	"strings"
)

// The sign-in and consent pages of a provider are read with a few regular
// expressions: enough for the forms that providers render (no scripts),
// without an HTML parser dependency.

// htmlForm is one <form> of a page.
type htmlForm struct {
	action, method string
	inputs         []formInput
	buttons        []formInput
	hasSelect      bool
	// button is the submit button chooseForm picked (nil: none named).
	button *formInput
}

// formInput is an <input>, or a <button> (kind "submit", text in label).
type formInput struct {
	kind, name, value, label string
	checked                  bool
}

var (
	formRe   = regexp.MustCompile(`(?is)<form\b([^>]*)>(.*?)</form\s*>`)
	inputRe  = regexp.MustCompile(`(?is)<input\b([^>]*)>`)
	buttonRe = regexp.MustCompile(`(?is)<button\b([^>]*)>(.*?)</button\s*>`)
	selectRe = regexp.MustCompile(`(?is)<select\b`)
	attrRe   = regexp.MustCompile(`(?is)([a-z_:][-a-z0-9_:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?`)
	tagRe    = regexp.MustCompile(`(?s)<[^>]*>`)
	titleRe  = regexp.MustCompile(`(?is)<title\b[^>]*>(.*?)</title\s*>`)
	h1Re     = regexp.MustCompile(`(?is)<h1\b[^>]*>(.*?)</h1\s*>`)
)

// attrs parses the attributes of a tag (names lower-cased, values
// unescaped; a bare attribute has the value "").
func attrs(s string) map[string]string {
	out := map[string]string{}
	for _, m := range attrRe.FindAllStringSubmatch(s, -1) {
		name := strings.ToLower(m[1])
		if _, seen := out[name]; seen {
			continue
		}
		out[name] = html.UnescapeString(m[2] + m[3] + m[4])
	}
	return out
}

// parseForms returns the forms of a page.
func parseForms(page string) []*htmlForm {
	var forms []*htmlForm
	for _, m := range formRe.FindAllStringSubmatch(page, -1) {
		a := attrs(m[1])
		f := &htmlForm{action: a["action"], method: strings.ToLower(a["method"])}
		if f.method == "" {
			f.method = "get"
		}
		body := m[2]
		for _, im := range inputRe.FindAllStringSubmatch(body, -1) {
			ia := attrs(im[1])
			in := formInput{kind: strings.ToLower(ia["type"]), name: ia["name"], value: ia["value"]}
			_, in.checked = ia["checked"]
			if in.kind == "" {
				in.kind = "text"
			}
			switch {
			case in.kind == "submit" || in.kind == "image":
				in.label = in.value
				f.buttons = append(f.buttons, in)
			case in.kind == "button" || in.kind == "reset" || in.kind == "file":
			case in.name != "":
				f.inputs = append(f.inputs, in)
			}
		}
		for _, bm := range buttonRe.FindAllStringSubmatch(body, -1) {
			ba := attrs(bm[1])
			kind := strings.ToLower(ba["type"])
			if kind != "" && kind != "submit" {
				continue
			}
			label := strings.TrimSpace(html.UnescapeString(tagRe.ReplaceAllString(bm[2], " ")))
			f.buttons = append(f.buttons, formInput{kind: "submit", name: ba["name"], value: ba["value"], label: label})
		}
		f.hasSelect = selectRe.MatchString(body)
		forms = append(forms, f)
	}
	return forms
}

// loginNames are the names of the field that takes a user name.
var loginNames = []string{"login", "username", "user", "user_name", "email", "identifier", "uid"}

func isLoginName(name string) bool {
	for _, n := range loginNames {
		if strings.EqualFold(name, n) {
			return true
		}
	}
	return false
}

// acceptWords mark a consent form's accepting button.
var acceptWords = []string{"accept", "allow", "authorize", "authorise", "continue", "confirm", "consent", "approve", "yes", "grant"}

// refuseWords mark buttons never pressed: deny, cancel, switch account…
var refuseWords = []string{"deny", "reject", "refuse", "cancel", "abort", "decline", "other", "another", "switch", "logout", "sign out", "no"}

func hasWord(s string, words []string) bool {
	s = strings.ToLower(s)
	for _, w := range words {
		if s == w || strings.HasPrefix(s, w+" ") || strings.HasSuffix(s, " "+w) || strings.Contains(s, " "+w+" ") ||
			(len(w) > 3 && strings.Contains(s, w)) {
			return true
		}
	}
	return false
}

// chooseForm picks the form to submit on a sign-in or consent page: a
// form with a password or user-name field first; else a form with an
// accepting button (and no language or account menu). It also picks the
// button; nil when no form fits.
func chooseForm(forms []*htmlForm) *htmlForm {
	for _, f := range forms {
		for _, in := range f.inputs {
			if in.kind == "password" || (in.kind != "hidden" && isLoginName(in.name)) {
				f.button = acceptingButton(f, true)
				return f
			}
		}
	}
	for _, f := range forms {
		if f.hasSelect {
			continue
		}
		if b := acceptingButton(f, false); b != nil {
			f.button = b
			return f
		}
	}
	return nil
}

// acceptingButton returns the button of f that accepts; with anyButton,
// the first button that does not refuse when none says it accepts.
func acceptingButton(f *htmlForm, anyButton bool) *formInput {
	for i := range f.buttons {
		b := &f.buttons[i]
		if hasWord(b.value, acceptWords) || hasWord(b.label, acceptWords) || hasWord(b.name, acceptWords) {
			if !hasWord(b.value, refuseWords) || hasWord(b.value, acceptWords) {
				return b
			}
		}
	}
	if anyButton {
		for i := range f.buttons {
			b := &f.buttons[i]
			if !hasWord(b.value, refuseWords) && !hasWord(b.label, refuseWords) {
				return b
			}
		}
	}
	return nil
}

// pageTitle returns the title (or first heading) of a page, for error
// messages.
func pageTitle(body []byte) string {
	for _, re := range []*regexp.Regexp{titleRe, h1Re} {
		if m := re.FindSubmatch(body); m != nil {
			return shorten(html.UnescapeString(tagRe.ReplaceAllString(string(m[1]), " ")), 80)
		}
	}
	return ""
}
