package acl

import (
	"slices"
	"strconv"
	"strings"

	"github.com/canaille-go/canaille/store"
)

// Rights is what one user may do: the union of the matching sections.
// The zero value grants nothing.
type Rights struct {
	// Sections names the matching sections, sorted.
	Sections    []string
	Permissions map[Permission]bool
	Read        map[string]bool // attributes readable (WRITE implies READ)
	Write       map[string]bool
}

// Can reports whether the permission is granted.
func (r Rights) Can(p Permission) bool { return r.Permissions[p] }

// CanRead reports whether the user may read attribute attr of a profile
// they may see.
func (r Rights) CanRead(attr string) bool { return r.Read[attr] || r.Write[attr] }

// CanWrite reports whether the user may change attribute attr.
func (r Rights) CanWrite(attr string) bool { return r.Write[attr] }

// For evaluates the policy for u, whose Groups must be filled (backends do
// so on every read). The Rights are shared by every user with the same
// matching sections: callers read them and never change them.
func (p *Policy) For(u *store.User) Rights {
	if len(p.sections) > 64 {
		return p.build(func(i int) bool { return p.sections[i].matches(u) })
	}
	var set uint64
	for i := range p.sections {
		if p.sections[i].matches(u) {
			set |= 1 << i
		}
	}
	if r, ok := p.rights.Load(set); ok {
		return r.(Rights)
	}
	r := p.build(func(i int) bool { return set&(1<<i) != 0 })
	p.rights.Store(set, r)
	return r
}

// build merges the sections for which in is true.
func (p *Policy) build(in func(int) bool) Rights {
	r := Rights{Permissions: map[Permission]bool{}, Read: map[string]bool{}, Write: map[string]bool{}}
	for i, s := range p.sections {
		if !in(i) {
			continue
		}
		r.Sections = append(r.Sections, s.name)
		for k := range s.perms {
			r.Permissions[k] = true
		}
		for k := range s.read {
			r.Read[k] = true
		}
		for k := range s.write {
			r.Write[k] = true
		}
	}
	// Shared: an append by a caller must copy, never write into it.
	r.Sections = slices.Clip(r.Sections)
	return r
}

// Sections returns the names of the compiled sections, sorted.
func (p *Policy) Sections() []string {
	out := make([]string, len(p.sections))
	for i, s := range p.sections {
		out[i] = s.name
	}
	return out
}

func (s *section) matches(u *store.User) bool {
	if s.filter == nil {
		return true
	}
	return slices.ContainsFunc(s.filter, func(and []condition) bool {
		for _, c := range and {
			if !c.matches(u) {
				return false
			}
		}
		return true
	})
}

func (c condition) matches(u *store.User) bool {
	have := AttributeValues(u, c.attr)
	for _, want := range c.values {
		for _, v := range have {
			if strings.EqualFold(v, want) {
				return true
			}
		}
	}
	return false
}

// AttributeValues returns the values of a user attribute by its model name
// as strings (group names for "groups", decimal numbers, RFC 3339 dates);
// nil for an empty or unknown attribute and for password and photo.
func AttributeValues(u *store.User, attr string) []string {
	one := func(s string) []string {
		if s == "" {
			return nil
		}
		return []string{s}
	}
	num := func(n uint32) []string {
		if n == 0 {
			return nil
		}
		return []string{strconv.FormatUint(uint64(n), 10)}
	}
	switch attr {
	case "user_name":
		return one(u.UserName)
	case "preferred_language":
		return one(u.PreferredLanguage)
	case "family_name":
		return one(u.FamilyName)
	case "given_name":
		return one(u.GivenName)
	case "formatted_name":
		return one(u.FormattedName)
	case "display_name":
		return one(u.DisplayName)
	case "emails":
		return u.Emails
	case "phone_numbers":
		return u.PhoneNumbers
	case "formatted_address":
		return one(u.FormattedAddress)
	case "street":
		return one(u.Street)
	case "postal_code":
		return one(u.PostalCode)
	case "locality":
		return one(u.Locality)
	case "region":
		return one(u.Region)
	case "profile_url":
		return one(u.ProfileURL)
	case "title":
		return one(u.Title)
	case "organization":
		return one(u.Organization)
	case "employee_number":
		return one(u.EmployeeNumber)
	case "department":
		return one(u.Department)
	case "groups":
		return store.RefNames(u.Groups)
	case "lock_date":
		if u.LockDate.IsZero() {
			return nil
		}
		return []string{u.LockDate.UTC().Format("2006-01-02T15:04:05Z")}
	case "uid_number":
		return num(u.UIDNumber)
	case "gid_number":
		return num(u.GIDNumber)
	case "home_directory":
		return one(u.HomeDirectory)
	case "login_shell":
		return one(u.LoginShell)
	}
	return nil
}
