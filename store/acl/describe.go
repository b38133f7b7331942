package acl

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/canaille-go/canaille/store"
)

// Condition is one test of a FILTER: the attribute has one of Values
// (compared case-insensitively).
type Condition struct {
	Attribute string
	Values    []string
}

// Matches reports whether u passes the test.
func (c Condition) Matches(u *store.User) bool {
	return condition{attr: c.Attribute, values: c.Values}.matches(u)
}

// String writes the test as `groups = "admins"`, or
// `groups in ("admins", "staff")` when several values are accepted.
func (c Condition) String() string {
	if len(c.Values) == 1 {
		return c.Attribute + " = " + strconv.Quote(c.Values[0])
	}
	q := make([]string, len(c.Values))
	for i, v := range c.Values {
		q[i] = strconv.Quote(v)
	}
	return c.Attribute + " in (" + strings.Join(q, ", ") + ")"
}

// SectionInfo describes one compiled section, for the pages and commands
// that explain the policy.
type SectionInfo struct {
	Name string
	// Filter is an OR of ANDs: a user matches when every condition of one
	// of the inner lists matches. Nil means everybody.
	Filter [][]Condition
	// Permissions are in the order of AllPermissions; Read and Write are
	// sorted.
	Permissions []Permission
	Read, Write []string
}

// Everybody reports whether the section has no FILTER.
func (s SectionInfo) Everybody() bool { return s.Filter == nil }

// Matches reports whether the section applies to u (whose Groups must be
// filled), as For decides.
func (s SectionInfo) Matches(u *store.User) bool {
	if s.Filter == nil {
		return true
	}
	return slices.ContainsFunc(s.Filter, func(and []Condition) bool {
		for _, c := range and {
			if !c.Matches(u) {
				return false
			}
		}
		return true
	})
}

// FilterString writes the filter on one line: "everybody", or the
// conditions joined by "and", alternatives joined by "or" (parenthesised
// when they hold several conditions).
func (s SectionInfo) FilterString() string {
	if s.Filter == nil {
		return "everybody"
	}
	alts := make([]string, len(s.Filter))
	for i, and := range s.Filter {
		parts := make([]string, len(and))
		for j, c := range and {
			parts[j] = c.String()
		}
		alts[i] = strings.Join(parts, " and ")
		if len(s.Filter) > 1 && len(and) > 1 {
			alts[i] = "(" + alts[i] + ")"
		}
	}
	return strings.Join(alts, " or ")
}

// Describe lists the sections of the policy, sorted by name.
func (p *Policy) Describe() []SectionInfo {
	out := make([]SectionInfo, len(p.sections))
	for i, s := range p.sections {
		out[i] = s.info()
	}
	return out
}

// Matching lists the sections that apply to u, sorted by name: the
// sections whose union For(u) is.
func (p *Policy) Matching(u *store.User) []SectionInfo {
	var out []SectionInfo
	for _, s := range p.sections {
		if s.matches(u) {
			out = append(out, s.info())
		}
	}
	return out
}

func (s *section) info() SectionInfo {
	si := SectionInfo{Name: s.name,
		Read: slices.Sorted(maps.Keys(s.read)), Write: slices.Sorted(maps.Keys(s.write))}
	for _, p := range AllPermissions {
		if s.perms[p] {
			si.Permissions = append(si.Permissions, p)
		}
	}
	if s.filter != nil {
		si.Filter = make([][]Condition, len(s.filter))
		for i, and := range s.filter {
			si.Filter[i] = make([]Condition, len(and))
			for j, c := range and {
				si.Filter[i][j] = Condition{Attribute: c.attr, Values: slices.Clone(c.values)}
			}
		}
	}
	return si
}
