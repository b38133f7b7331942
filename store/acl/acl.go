// Package acl evaluates the permission model of canaille: the
// [CANAILLE.ACL.<NAME>] sections of the configuration, each with a FILTER
// choosing users, the PERMISSIONS they get, and the user attributes they may
// READ and WRITE. A user gets the union of every section whose filter
// matches. The web interface, the LDAP server, the OIDC provider and the
// command line all call this package, so that one policy applies
// everywhere.
//
// Unlike Python Canaille, filters match exactly (case-insensitively): a
// FILTER of user_name = "admin" matches the user "admin", never
// "superadmin".
package acl

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Permission is one capability a section grants.
type Permission string

// The permissions. The first eight are Python Canaille's; LDAPRead lets an
// LDAP bind read the whole directory.
const (
	EditSelf         Permission = "edit_self"
	UseOIDC          Permission = "use_oidc"
	ManageOIDC       Permission = "manage_oidc"
	ManageUsers      Permission = "manage_users"
	ManageAllGroups  Permission = "manage_all_groups"
	ManageOwnGroups  Permission = "manage_own_groups"
	DeleteAccount    Permission = "delete_account"
	ImpersonateUsers Permission = "impersonate_users"
	LDAPRead         Permission = "ldap_read"
)

// AllPermissions lists every permission.
var AllPermissions = []Permission{EditSelf, UseOIDC, ManageOIDC, ManageUsers,
	ManageAllGroups, ManageOwnGroups, DeleteAccount, ImpersonateUsers, LDAPRead}

// Attributes lists the user attribute names that READ, WRITE and FILTER
// accept (the model names of store.User).
var Attributes = []string{"user_name", "password", "preferred_language",
	"family_name", "given_name", "formatted_name", "display_name", "emails",
	"phone_numbers", "formatted_address", "street", "postal_code", "locality",
	"region", "photo", "profile_url", "title", "organization",
	"employee_number", "department", "groups", "lock_date", "uid_number",
	"gid_number", "home_directory", "login_shell"}

// SectionConfig is one [CANAILLE.ACL.<NAME>] section as decoded from TOML.
//
// FILTER is absent (everybody), a table of attribute = value pairs that
// must all match, or an array of such tables of which one must match. A
// value is a string (or number), or an array of them of which one must
// match. The attribute "groups" matches group names.
type SectionConfig struct {
	Filter      any      `toml:"FILTER"`
	Permissions []string `toml:"PERMISSIONS"`
	Read        []string `toml:"READ"`
	Write       []string `toml:"WRITE"`
}

// Defaults are the sections in force when the configuration has none, as
// DESIGN.md fixes them: everybody may edit themselves, use OIDC, manage the
// groups they own and read the directory over LDAP; members of the
// "admins" group may do everything.
func Defaults() map[string]SectionConfig {
	return map[string]SectionConfig{
		"DEFAULT": {
			Permissions: []string{string(EditSelf), string(UseOIDC), string(ManageOwnGroups), string(LDAPRead)},
			Read:        []string{"user_name", "groups", "lock_date", "uid_number", "gid_number", "home_directory", "login_shell"},
			Write: []string{"photo", "given_name", "family_name", "formatted_name", "display_name",
				"password", "phone_numbers", "emails", "profile_url", "formatted_address",
				"street", "postal_code", "locality", "region", "preferred_language",
				"employee_number", "department", "title", "organization"},
		},
		"ADMIN": {
			Filter:      map[string]any{"groups": AdminGroup},
			Permissions: permissionNames(AllPermissions),
			Write:       []string{"user_name", "groups", "lock_date", "uid_number", "gid_number", "home_directory", "login_shell"},
		},
	}
}

// AdminGroup is the group whose members the built-in ADMIN section
// empowers; `canaille install` creates it.
const AdminGroup = "admins"

func permissionNames(ps []Permission) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = string(p)
	}
	return out
}

// Policy is a compiled set of sections. It is immutable and safe for
// concurrent use.
type Policy struct {
	sections []section
	// rights are the Rights of each combination of matching sections met
	// so far (a bit per section, for policies of up to 64 sections): a
	// directory has few combinations, and an LDAP server evaluates the
	// policy after every bind.
	rights sync.Map // uint64 -> Rights
}

type section struct {
	name   string
	filter [][]condition // OR of ANDs; nil means everybody
	perms  map[Permission]bool
	read   map[string]bool
	write  map[string]bool
}

type condition struct {
	attr   string
	values []string // any of
}

// Compile checks and compiles sections. An empty or nil map gives the
// built-in Defaults. Every problem is reported at once, each naming its
// section and key.
func Compile(sections map[string]SectionConfig) (*Policy, error) {
	if len(sections) == 0 {
		sections = Defaults()
	}
	var problems []string
	p := &Policy{}
	for _, name := range slices.Sorted(maps.Keys(sections)) {
		sc := sections[name]
		s := section{name: name, perms: map[Permission]bool{}, read: map[string]bool{}, write: map[string]bool{}}
		where := "CANAILLE.ACL." + name
		for _, perm := range sc.Permissions {
			if !slices.Contains(AllPermissions, Permission(perm)) {
				problems = append(problems, fmt.Sprintf("%s.PERMISSIONS: unknown permission %q (known: %s)",
					where, perm, strings.Join(permissionNames(AllPermissions), ", ")))
				continue
			}
			s.perms[Permission(perm)] = true
		}
		for key, list := range map[string][]string{"READ": sc.Read, "WRITE": sc.Write} {
			for _, a := range list {
				if !slices.Contains(Attributes, a) {
					problems = append(problems, fmt.Sprintf("%s.%s: unknown user attribute %q", where, key, a))
				} else if key == "READ" {
					s.read[a] = true
				} else {
					s.write[a] = true
				}
			}
		}
		filter, errs := compileFilter(sc.Filter, where+".FILTER")
		problems = append(problems, errs...)
		s.filter = filter
		p.sections = append(p.sections, s)
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return nil, fmt.Errorf("acl: %s", strings.Join(problems, "; "))
	}
	return p, nil
}

func compileFilter(f any, where string) ([][]condition, []string) {
	switch f := f.(type) {
	case nil:
		return nil, nil
	case map[string]any:
		and, errs := compileAnd(f, where)
		return [][]condition{and}, errs
	case []map[string]any:
		if len(f) == 0 {
			return nil, []string{where + ": an empty array matches nobody; remove FILTER to match everybody"}
		}
		var or [][]condition
		var errs []string
		for i, m := range f {
			and, e := compileAnd(m, fmt.Sprintf("%s[%d]", where, i))
			or, errs = append(or, and), append(errs, e...)
		}
		return or, errs
	case []any:
		if len(f) == 0 {
			return nil, []string{where + ": an empty array matches nobody; remove FILTER to match everybody"}
		}
		var or [][]condition
		var errs []string
		for i, item := range f {
			m, ok := item.(map[string]any)
			if !ok {
				errs = append(errs, fmt.Sprintf("%s[%d]: must be a table of attribute = value", where, i))
				continue
			}
			and, e := compileAnd(m, fmt.Sprintf("%s[%d]", where, i))
			or, errs = append(or, and), append(errs, e...)
		}
		return or, errs
	}
	return nil, []string{where + ": must be a table of attribute = value, or an array of such tables"}
}

func compileAnd(m map[string]any, where string) ([]condition, []string) {
	var and []condition
	var errs []string
	for _, attr := range slices.Sorted(maps.Keys(m)) {
		if !slices.Contains(Attributes, attr) || attr == "password" || attr == "photo" {
			errs = append(errs, fmt.Sprintf("%s: unknown or unusable user attribute %q", where, attr))
			continue
		}
		vals, ok := filterValues(m[attr])
		if !ok {
			errs = append(errs, fmt.Sprintf("%s.%s: must be a string or an array of strings", where, attr))
			continue
		}
		and = append(and, condition{attr: attr, values: vals})
	}
	if len(m) == 0 {
		errs = append(errs, where+": an empty table matches nobody; remove FILTER to match everybody")
	}
	return and, errs
}

func filterValues(v any) ([]string, bool) {
	switch v := v.(type) {
	case string:
		return []string{v}, true
	case int64:
		return []string{strconv.FormatInt(v, 10)}, true
	case bool:
		return []string{strconv.FormatBool(v)}, true
	case []any:
		var out []string
		for _, x := range v {
			s, ok := filterValues(x)
			if !ok || len(s) != 1 {
				return nil, false
			}
			out = append(out, s...)
		}
		return out, len(out) > 0
	case []string:
		return v, len(v) > 0
	}
	return nil, false
}
