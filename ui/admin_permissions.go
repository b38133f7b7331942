package ui

import (
	"net/http"
	"slices"
	"strings"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/acl"
)

// The permissions page (/profile/:user/permissions) explains the ACL
// evaluation of one user: the sections whose FILTER matches, and the
// permissions and attributes their union gives, as
// `canaille get user NAME --permissions` prints them.

// rightsSection is one ACL section as the page shows it.
type rightsSection struct {
	Name      string
	Everybody bool
	Filter    string // the whole filter on one line
	// Alternatives are the OR branches, each an AND of conditions marked
	// with whether the user passes them.
	Alternatives [][]rightsCondition
	Permissions  []acl.Permission
	Read, Write  []string
}

type rightsCondition struct {
	Text string
	Met  bool
}

// rightsLine is one permission or attribute with the sections granting it.
type rightsLine struct {
	Code  string
	Label string // message ID
	// Granted (permissions) or readable and writable (attributes).
	Granted, Read, Write bool
	// By names the matching sections that grant it.
	By []string
}

// permissionsPage is open to the user themself and to users with
// manage_users.
func (a *App) permissionsPage(c *ctx) error {
	if c.user == nil {
		if err := c.requireUser(); err != nil {
			return err
		}
		return nil
	}
	name := c.p.ByName("user")
	var u store.User
	self := strings.EqualFold(name, c.user.UserName)
	if self {
		u = *c.user
	} else {
		if err := c.require(acl.ManageUsers); err != nil {
			return err
		}
		var err error
		if u, err = a.st.GetUserByName(c.r.Context(), name); err != nil {
			return err
		}
	}
	policy := a.cfg.Policy
	r := policy.For(&u)
	var matching, others []rightsSection
	for _, s := range policy.Describe() {
		rs := rightsSection{Name: s.Name, Everybody: s.Everybody(), Filter: s.FilterString(),
			Permissions: s.Permissions, Read: s.Read, Write: s.Write}
		for _, and := range s.Filter {
			var alt []rightsCondition
			for _, cond := range and {
				alt = append(alt, rightsCondition{Text: cond.String(), Met: cond.Matches(&u)})
			}
			rs.Alternatives = append(rs.Alternatives, alt)
		}
		if s.Matches(&u) {
			matching = append(matching, rs)
		} else {
			others = append(others, rs)
		}
	}
	var perms []rightsLine
	for _, p := range acl.AllPermissions {
		l := rightsLine{Code: string(p), Label: "admin_rights_perm_" + string(p), Granted: r.Can(p)}
		for _, s := range matching {
			if slices.Contains(s.Permissions, p) {
				l.By = append(l.By, s.Name)
			}
		}
		perms = append(perms, l)
	}
	var attrs []rightsLine
	for _, at := range acl.Attributes {
		l := rightsLine{Code: at, Label: "admin_rights_attr_" + at, Read: r.CanRead(at), Write: r.CanWrite(at)}
		for _, s := range matching {
			if slices.Contains(s.Read, at) || slices.Contains(s.Write, at) {
				l.By = append(l.By, s.Name)
			}
		}
		attrs = append(attrs, l)
	}
	data := map[string]any{
		"Target":      &u,
		"Self":        self,
		"Matching":    matching,
		"Permissions": perms,
		"Attributes":  attrs,
		"Command":     "canaille get user " + u.UserName + " --permissions",
	}
	// Only administrators see the sections that do not apply: a user
	// learns what they may do, not the whole policy.
	if c.rights.Can(acl.ManageUsers) {
		data["Others"] = others
		data["AuditURL"] = auditFilter{UID: u.ID}.url("")
	}
	c.render(http.StatusOK, "permissions", data)
	return nil
}
