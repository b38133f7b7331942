package schemas

import (
	"errors"
	"fmt"
	"strings"
)

// ParseAttributeType parses an RFC 4512 AttributeTypeDescription, as
// subschema entries publish them and as OpenLDAP's schema files write them
// (after "attributetype" or "olcAttributeTypes:"). The rules and syntax
// are those the definition declares (nothing is inherited from Sup); a
// syntax length such as {64} is dropped; OBSOLETE, COLLECTIVE and the X-
// extensions are ignored. Definition gives the definition back in
// canonical form.
func ParseAttributeType(def string) (*AttributeType, error) {
	p, err := newDefParser(def)
	if err != nil {
		return nil, err
	}
	a := &AttributeType{OID: p.oid, Usage: UsageUserApplications}
	for p.more() {
		kw := p.next()
		switch kw {
		case "NAME":
			a.Names, err = p.qdescrs()
		case "DESC":
			a.Desc, err = p.qdstring()
		case "SUP":
			a.Sup, err = p.word()
		case "EQUALITY":
			a.Equality, err = p.word()
		case "ORDERING":
			a.Ordering, err = p.word()
		case "SUBSTR":
			a.Substr, err = p.word()
		case "SYNTAX":
			a.Syntax, err = p.word()
			if i := strings.IndexByte(a.Syntax, '{'); i >= 0 {
				a.Syntax = a.Syntax[:i]
			}
		case "SINGLE-VALUE":
			a.SingleValue = true
		case "NO-USER-MODIFICATION":
			a.NoUserModification = true
		case "USAGE":
			a.Usage, err = p.word()
		case "OBSOLETE", "COLLECTIVE":
		default:
			err = p.extension(kw)
		}
		if err != nil {
			return nil, fmt.Errorf("attribute type %s: %w", p.oid, err)
		}
	}
	a.declared = declaredRules{a.Equality, a.Ordering, a.Substr, a.Syntax}
	return a, nil
}

// ParseObjectClass parses an RFC 4512 ObjectClassDescription. A class
// without kind is STRUCTURAL, as RFC 4512 says; OBSOLETE and the X-
// extensions are ignored.
func ParseObjectClass(def string) (*ObjectClass, error) {
	p, err := newDefParser(def)
	if err != nil {
		return nil, err
	}
	o := &ObjectClass{OID: p.oid, Kind: Structural}
	for p.more() {
		kw := p.next()
		switch kw {
		case "NAME":
			o.Names, err = p.qdescrs()
		case "DESC":
			o.Desc, err = p.qdstring()
		case "SUP":
			o.Sup, err = p.oids()
		case Structural, Auxiliary, Abstract:
			o.Kind = kw
		case "MUST":
			o.Must, err = p.oids()
		case "MAY":
			o.May, err = p.oids()
		case "OBSOLETE":
		default:
			err = p.extension(kw)
		}
		if err != nil {
			return nil, fmt.Errorf("object class %s: %w", p.oid, err)
		}
	}
	return o, nil
}

// defParser walks the tokens of a definition: "(", ")", quoted strings
// (kept with their quotes) and words.
type defParser struct {
	toks []string
	i    int
	oid  string
}

func newDefParser(def string) (*defParser, error) {
	toks, err := tokenize(def)
	if err != nil {
		return nil, err
	}
	if len(toks) < 3 || toks[0] != "(" || toks[len(toks)-1] != ")" || toks[1] == "(" || toks[1] == ")" || toks[1][0] == '\'' {
		return nil, fmt.Errorf("%q is not a parenthesised definition starting with an OID", shorten(def))
	}
	return &defParser{toks: toks[:len(toks)-1], i: 2, oid: toks[1]}, nil
}

func shorten(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

func tokenize(s string) ([]string, error) {
	var toks []string
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')' || c == '$':
			toks = append(toks, s[i:i+1])
			i++
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("unterminated quoted string")
			}
			toks = append(toks, s[i:i+j+2])
			i += j + 2
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\r\n()$'", rune(s[j])) {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		}
	}
	return toks, nil
}

func (p *defParser) more() bool { return p.i < len(p.toks) }

func (p *defParser) next() string {
	t := p.toks[p.i]
	p.i++
	return t
}

func (p *defParser) word() (string, error) {
	if !p.more() {
		return "", errors.New("definition ends too early")
	}
	t := p.next()
	if t == "(" || t == ")" || t == "$" || t[0] == '\'' {
		return "", fmt.Errorf("unexpected %q", t)
	}
	return t, nil
}

func (p *defParser) qdstring() (string, error) {
	if !p.more() {
		return "", errors.New("definition ends too early")
	}
	t := p.next()
	if len(t) < 2 || t[0] != '\'' {
		return "", fmt.Errorf("%q is not a quoted string", t)
	}
	t = t[1 : len(t)-1]
	t = strings.ReplaceAll(t, `\27`, `'`)
	return strings.ReplaceAll(t, `\5C`, `\`), nil
}

// qdescrs reads one quoted name or a parenthesised list of them.
func (p *defParser) qdescrs() ([]string, error) {
	if p.more() && p.toks[p.i] == "(" {
		p.i++
		var names []string
		for p.more() && p.toks[p.i] != ")" {
			n, err := p.qdstring()
			if err != nil {
				return nil, err
			}
			names = append(names, n)
		}
		if !p.more() {
			return nil, errors.New("unclosed name list")
		}
		p.i++
		return names, nil
	}
	n, err := p.qdstring()
	return []string{n}, err
}

// oids reads one OID or name, or a parenthesised list separated by "$".
func (p *defParser) oids() ([]string, error) {
	if p.more() && p.toks[p.i] == "(" {
		p.i++
		var out []string
		for {
			w, err := p.word()
			if err != nil {
				return nil, err
			}
			out = append(out, w)
			if !p.more() {
				return nil, errors.New("unclosed list")
			}
			switch p.next() {
			case "$":
			case ")":
				return out, nil
			default:
				return nil, errors.New("list items must be separated by $")
			}
		}
	}
	w, err := p.word()
	return []string{w}, err
}

// extension skips an X- extension and its value (one quoted string or a
// parenthesised list of them).
func (p *defParser) extension(kw string) error {
	if !strings.HasPrefix(kw, "X-") {
		return fmt.Errorf("unknown keyword %q", kw)
	}
	_, err := p.qdescrs()
	return err
}
