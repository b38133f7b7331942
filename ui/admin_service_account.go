package ui

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/acl"
)

// LDAP service accounts (/users/service-account, manage_users): an account
// for an application that binds to the built-in LDAP server (a mail
// server, Nextcloud, Gitea…), with a generated password shown once, placed
// in a group whose ACL section grants ldap_read. The page reads the
// policy to tell which groups grant it, and when none does, which section
// to add to the configuration.

// defaultServiceGroup is the group proposed for service accounts.
const defaultServiceGroup = "ldap-services"

// ldapReadSection is a section of the policy that grants ldap_read.
type ldapReadSection struct {
	Name   string
	Filter string // in words, as `canaille` prints it
	// Everybody: the section has no FILTER.
	Everybody bool
	// Groups are the group names that its FILTER accepts on their own.
	Groups []string
	// Extra are the permissions it grants beyond reading (manage_users…):
	// its groups are not for service accounts.
	Extra []string
}

// harmlessPermissions are those a service account may hold.
var harmlessPermissions = []acl.Permission{acl.LDAPRead, acl.UseOIDC, acl.EditSelf, acl.ManageOwnGroups}

// extraPermissions lists the permissions of ps beyond harmlessPermissions.
func extraPermissions(ps []acl.Permission) []string {
	var out []string
	for _, p := range ps {
		if !slices.Contains(harmlessPermissions, p) {
			out = append(out, string(p))
		}
	}
	return out
}

// ldapReadSections lists the sections granting ldap_read.
func (a *App) ldapReadSections() []ldapReadSection {
	var out []ldapReadSection
	for _, s := range a.cfg.Policy.Describe() {
		if !slices.Contains(s.Permissions, acl.LDAPRead) {
			continue
		}
		rs := ldapReadSection{Name: s.Name, Filter: s.FilterString(), Everybody: s.Everybody(),
			Extra: extraPermissions(s.Permissions)}
		for _, and := range s.Filter {
			if len(and) == 1 && and[0].Attribute == "groups" {
				rs.Groups = append(rs.Groups, and[0].Values...)
			}
		}
		out = append(out, rs)
	}
	return out
}

// serviceGroupChoice is a group of the service-account form.
type serviceGroupChoice struct {
	ID, Name string
	Sections []string // the sections granting ldap_read through it
	// Unsafe are sections granting it more than reading (ADMIN).
	Unsafe []string
}

func (a *App) serviceAccountData(c *ctx, f *form) (map[string]any, error) {
	sections := a.ldapReadSections()
	everybody := ""
	for _, s := range sections {
		if s.Everybody {
			everybody = s.Name
		}
	}
	d := map[string]any{"Sections": sections, "Everybody": everybody,
		"NewGroup": c.rights.Can(acl.ManageAllGroups), "CanGroups": c.rights.CanWrite("groups")}
	groups, err := a.st.ListGroups(c.r.Context(), store.GroupQuery{Limit: uaGroupChoicesMax + 1})
	if err != nil {
		return nil, err
	}
	if len(groups) > uaGroupChoicesMax {
		d["GroupNamesMode"] = true
	} else {
		var choices []serviceGroupChoice
		for _, g := range groups {
			gc := serviceGroupChoice{ID: g.ID, Name: g.DisplayName}
			for _, s := range sections {
				switch {
				case !containsFold(s.Groups, g.DisplayName):
				case len(s.Extra) > 0:
					gc.Unsafe = append(gc.Unsafe, s.Name)
				default:
					gc.Sections = append(gc.Sections, s.Name)
				}
			}
			choices = append(choices, gc)
		}
		// Groups granting ldap_read first.
		slices.SortStableFunc(choices, func(x, y serviceGroupChoice) int {
			return boolOrder(len(x.Sections) == 0) - boolOrder(len(y.Sections) == 0)
		})
		d["GroupChoices"] = choices
		if f.Values["group"] == "" && f.Values["group_mode"] == "" {
			for _, gc := range choices {
				if len(gc.Sections) > 0 && len(gc.Unsafe) == 0 {
					f.Values["group"], f.Values["group_mode"] = gc.ID, "existing"
					break
				}
			}
		}
	}
	if f.Values["group_mode"] == "" {
		f.Values["group_mode"] = "new"
		if !c.rights.Can(acl.ManageAllGroups) {
			f.Values["group_mode"] = "existing"
		}
	}
	if f.Values["new_group"] == "" {
		f.Values["new_group"] = defaultServiceGroup
		for _, s := range sections {
			if len(s.Groups) > 0 && len(s.Extra) == 0 {
				f.Values["new_group"] = s.Groups[0]
				break
			}
		}
	}
	return d, nil
}

func boolOrder(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (a *App) serviceAccountPage(c *ctx) error {
	if err := c.require(acl.ManageUsers); err != nil {
		return err
	}
	f := newForm()
	d, err := a.serviceAccountData(c, f)
	if err != nil {
		return err
	}
	c.renderForm(http.StatusOK, "service-account", d, f)
	return nil
}

func (a *App) serviceAccountSubmit(c *ctx) error {
	if err := c.require(acl.ManageUsers); err != nil {
		return err
	}
	ctx := c.r.Context()
	f := newForm()
	for _, k := range []string{"user_name", "description", "group_mode", "group", "group_name", "new_group"} {
		f.Values[k] = c.form(k)
	}
	name := f.Values["user_name"]
	if store.ValidUserName(name) != "" {
		c.fieldError(f, "user_name", "error_user_name")
	} else if err := a.uaFree(ctx, func(ctx context.Context) error { _, err := a.st.GetUserByName(ctx, name); return err }); err != nil {
		if !errors.Is(err, store.ErrExists) {
			return err
		}
		c.fieldError(f, "user_name", "error_user_name_taken")
	}
	var group *store.Group
	newGroup := ""
	switch {
	case !c.rights.CanWrite("groups"):
		c.fieldError(f, "group", "users_error_no_group_right")
	case f.Values["group_mode"] == "new":
		if !c.rights.Can(acl.ManageAllGroups) {
			return errForbidden
		}
		newGroup = f.Values["new_group"]
		if newGroup == "" {
			c.fieldError(f, "new_group", "error_required")
		} else if g, err := a.st.GetGroupByName(ctx, newGroup); err == nil {
			group, newGroup = &g, "" // it exists: reuse it
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
	case f.Values["group_mode"] == "existing":
		g, err := c.uaGroupFromForm()
		switch {
		case errors.Is(err, store.ErrNotFound):
			c.fieldError(f, "group", "users_error_group_unknown", "Name", f.Values["group"]+f.Values["group_name"])
		case err != nil:
			return err
		case g == nil:
			c.fieldError(f, "group", "error_required")
		default:
			group = g
		}
	default:
		c.fieldError(f, "group", "error_required")
	}
	if f.HasErrors() {
		d, err := a.serviceAccountData(c, f)
		if err != nil {
			return err
		}
		c.renderForm(http.StatusUnprocessableEntity, "service-account", d, f)
		return nil
	}
	description := f.Values["description"]
	if description == "" {
		description = c.a.i18n.text(c.lang, "service_default_description")
	}
	u, err := a.st.CreateUser(ctx, store.User{UserName: name, DisplayName: description})
	if err != nil {
		if errors.Is(err, store.ErrExists) {
			c.fieldError(f, "user_name", "error_user_name_taken")
		} else if !c.storeErrors(f, err) {
			return err
		}
		d, derr := a.serviceAccountData(c, f)
		if derr != nil {
			return derr
		}
		c.renderForm(http.StatusUnprocessableEntity, "service-account", d, f)
		return nil
	}
	pw := a.servicePassword()
	if err := a.st.SetPassword(ctx, u.ID, pw); err != nil {
		return err
	}
	if newGroup != "" {
		g, err := a.st.CreateGroup(ctx, store.Group{DisplayName: newGroup, Description: c.a.i18n.text(c.lang, "service_group_description")})
		if err != nil {
			return err
		}
		group = &g
		c.audit(auditEvent{Action: "group.create", TargetKind: "group", Target: g.DisplayName,
			Details: map[string]string{"for": "ldap service accounts"}})
	}
	if err := a.st.AddMember(ctx, group.ID, u.ID); err != nil {
		return err
	}
	c.audit(auditEvent{Action: "user.create", TargetKind: "user", Target: u.UserName, TargetUserID: u.ID,
		Details: map[string]string{"kind": "ldap service account", "groups": group.DisplayName, "password": "generated"}})
	fresh, err := a.st.GetUser(ctx, u.ID)
	if err != nil {
		return err
	}
	c.render(http.StatusOK, "service-account-created", a.serviceAccountResult(&fresh, group, pw))
	return nil
}

// servicePassword generates a password the policy accepts: 130 random
// bits in base32, longer if the policy asks.
func (a *App) servicePassword() string {
	pw := rand.Text()
	for len(pw) < a.cfg.PasswordPolicy.MinLength {
		pw += rand.Text()
	}
	if max := a.cfg.PasswordPolicy.MaxLength; max > 0 && len(pw) > max && max >= a.cfg.PasswordPolicy.MinLength {
		pw = pw[:max]
	}
	return pw
}

// serviceAccountResult is what the page shows once: the credentials, how
// to use them, and whether the ACL grants ldap_read.
func (a *App) serviceAccountResult(u *store.User, g *store.Group, pw string) map[string]any {
	rights := a.cfg.Policy.For(u)
	var granting []string
	for _, s := range a.cfg.Policy.Matching(u) {
		if slices.Contains(s.Permissions, acl.LDAPRead) {
			granting = append(granting, s.Name+" ("+s.FilterString()+")")
		}
	}
	var extra []string
	for _, p := range acl.AllPermissions {
		if rights.Can(p) && !slices.Contains(harmlessPermissions, p) {
			extra = append(extra, string(p))
		}
	}
	d := map[string]any{"Target": u, "Group": g, "Password": pw, "Granted": rights.Can(acl.LDAPRead), "Extra": extra,
		"Granting": granting, "RootDN": a.cfg.LDAPRootDN,
		"SettingsURL": "/profile/" + pathEscapeSegment(u.UserName) + "/settings"}
	if root, host := a.cfg.LDAPRootDN, a.cfg.LDAPURL; root != "" && host != "" {
		bind := "uid=" + u.UserName + ",ou=users," + root
		d["BindDN"] = bind
		d["LDAPURL"] = host
		d["Search"] = "ldapsearch -x -H " + host + " -D " + uaShellQuote(bind) + " -W -b " + uaShellQuote(root) +
			" '(objectClass=inetOrgPerson)' uid cn mail"
	}
	if !rights.Can(acl.LDAPRead) {
		d["Snippet"] = "[CANAILLE.ACL." + aclSectionName(g.DisplayName) + "]\nFILTER = { groups = " +
			strconv.Quote(g.DisplayName) + " }\nPERMISSIONS = [\"ldap_read\"]\n"
	}
	return d
}

// aclSectionName turns a group name into a section name: LDAP_SERVICES.
func aclSectionName(group string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(group) {
		if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "LDAP_SERVICES"
	}
	return b.String()
}

// uaShellQuote quotes s for a POSIX shell when it needs it.
func uaShellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`!*?[]{}()<>|&;#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
