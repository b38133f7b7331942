package ui

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/acl"
)

// uaGroupChoicesMax bounds the groups offered as checkboxes; a directory
// with more has their names typed instead.
const uaGroupChoicesMax = 200

// uaGroupChoice is one group of a picker.
type uaGroupChoice struct {
	ID, Name, Description string
	Checked               bool
}

// uaGroupPicker adds the group picker to the data of a page:
// "GroupChoices" (checkboxes, checked as given by group IDs), or
// "GroupNamesMode" with the form value "group_names" (one name per line).
func (a *App) uaGroupPicker(c *ctx, d map[string]any, f *form, checked []string) error {
	ctx := c.r.Context()
	groups, err := a.st.ListGroups(ctx, store.GroupQuery{Limit: uaGroupChoicesMax + 1})
	if err != nil {
		return err
	}
	if len(groups) > uaGroupChoicesMax {
		d["GroupNamesMode"] = true
		if _, typed := f.Values["group_names"]; !typed {
			var names []string
			for _, id := range checked {
				if g, err := a.st.GetGroup(ctx, id); err == nil {
					names = append(names, g.DisplayName)
				}
			}
			f.Values["group_names"] = strings.Join(names, "\n")
		}
		return nil
	}
	choices := make([]uaGroupChoice, 0, len(groups))
	for _, g := range groups {
		choices = append(choices, uaGroupChoice{ID: g.ID, Name: g.DisplayName, Description: g.Description,
			Checked: containsString(checked, g.ID)})
	}
	d["GroupChoices"] = choices
	return nil
}

func containsString(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// uaChosenGroups reads the group picker of a form: the groups, and their
// IDs to check them again when the form is shown back. Unknown groups are
// field errors.
func (c *ctx) uaChosenGroups(f *form) ([]store.Group, []string, error) {
	ctx := c.r.Context()
	var out []store.Group
	var ids []string
	add := func(g store.Group) {
		if !containsString(ids, g.ID) {
			out, ids = append(out, g), append(ids, g.ID)
		}
	}
	switch c.form("groups_mode") {
	case "names":
		f.Values["group_names"] = c.form("group_names")
		for _, name := range strings.FieldsFunc(f.Values["group_names"], func(r rune) bool { return r == '\n' || r == ',' }) {
			name = strings.TrimSpace(name)
			if name == "" {
				continue
			}
			g, err := c.a.st.GetGroupByName(ctx, name)
			if errors.Is(err, store.ErrNotFound) {
				c.fieldError(f, "groups", "users_error_group_unknown", "Name", name)
				continue
			}
			if err != nil {
				return nil, nil, err
			}
			add(g)
		}
	case "list":
		for _, id := range formList(c.r.PostForm["groups"]) {
			g, err := c.a.st.GetGroup(ctx, id)
			if errors.Is(err, store.ErrNotFound) {
				c.fieldError(f, "groups", "users_error_group_unknown", "Name", id)
				continue
			}
			if err != nil {
				return nil, nil, err
			}
			add(g)
		}
	default:
		return nil, nil, &httpError{status: http.StatusBadRequest, msg: "users_bulk_no_action"}
	}
	return out, ids, nil
}

// uaCreateFields are the single-valued profile fields of the creation
// form, beyond the user name: those of the profile page.
func uaCreateFields() []profileField {
	var out []profileField
	for _, s := range profileSections {
		out = append(out, s.Fields...)
	}
	return out
}

func (a *App) userCreateData(c *ctx, f *form, checked []string) (map[string]any, error) {
	var fields []profileField
	for _, fl := range uaCreateFields() {
		if c.rights.CanWrite(fl.Name) {
			fields = append(fields, fl)
		}
	}
	posix := map[string]bool{}
	for _, p := range uaPOSIXFields {
		posix[p.Name] = c.rights.CanWrite(p.Name)
	}
	d := map[string]any{
		"Fields": fields, "POSIXFields": uaPOSIXFields, "POSIX": posix,
		"Emails": c.rights.CanWrite("emails"), "Phones": c.rights.CanWrite("phone_numbers"),
		"Language": c.rights.CanWrite("preferred_language"), "Languages": a.i18n.options(f.Values["preferred_language"]),
		"Groups": c.rights.CanWrite("groups"), "Min": a.cfg.PasswordPolicy.MinLength,
		"MailOK": a.mailEnabled() && a.cfg.EnablePasswordRecovery,
	}
	if c.rights.CanWrite("groups") {
		if err := a.uaGroupPicker(c, d, f, checked); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func (a *App) userCreatePage(c *ctx) error {
	if err := c.require(acl.ManageUsers); err != nil {
		return err
	}
	f := newForm()
	f.Values["password_mode"] = "set"
	d, err := a.userCreateData(c, f, nil)
	if err != nil {
		return err
	}
	c.renderForm(http.StatusOK, "user-create", d, f)
	return nil
}

// userCreateSubmit creates an account with every attribute the
// administrator may write, its groups, and a password: typed now, sent as
// a first-login link, or none (an invitation or a reset can follow).
func (a *App) userCreateSubmit(c *ctx) error {
	if err := c.require(acl.ManageUsers); err != nil {
		return err
	}
	ctx := c.r.Context()
	f := newForm()
	u := store.User{}
	f.Values["user_name"] = c.form("user_name")
	u.UserName = f.Values["user_name"]
	for _, fl := range uaCreateFields() {
		if c.rights.CanWrite(fl.Name) {
			f.Values[fl.Name] = c.form(fl.Name)
			*fl.get(&u) = f.Values[fl.Name]
		}
	}
	if r := store.ValidUserName(u.UserName); r != "" {
		c.fieldError(f, "user_name", "error_user_name")
	} else if err := a.uaFree(ctx, func(ctx context.Context) error { _, err := a.st.GetUserByName(ctx, u.UserName); return err }); err != nil {
		if !errors.Is(err, store.ErrExists) {
			return err
		}
		c.fieldError(f, "user_name", "error_user_name_taken")
	}
	if c.rights.CanWrite("emails") {
		f.Values["email"] = c.form("email")
		if e := f.Values["email"]; e != "" {
			if !validEmail(e) {
				c.fieldError(f, "email", "error_email", "Value", e)
			} else if err := a.uaFree(ctx, func(ctx context.Context) error { _, err := a.st.GetUserByEmail(ctx, e); return err }); err != nil {
				if !errors.Is(err, store.ErrExists) {
					return err
				}
				c.fieldError(f, "email", "error_email_taken")
			}
			u.Emails = []string{e}
		}
	}
	if c.rights.CanWrite("phone_numbers") {
		f.Values["phone_number"] = c.form("phone_number")
		if p := f.Values["phone_number"]; p != "" {
			if !validPhone(p) {
				c.fieldError(f, "phone_number", "error_phone", "Value", p)
			}
			u.PhoneNumbers = []string{p}
		}
	}
	if v := f.Values["profile_url"]; v != "" && !validURL(v) {
		c.fieldError(f, "profile_url", "error_url")
	}
	if c.rights.CanWrite("preferred_language") {
		f.Values["preferred_language"] = c.form("preferred_language")
		if l := f.Values["preferred_language"]; l != "" {
			if a.i18n.supported(l) == "" {
				c.fieldError(f, "preferred_language", "error_language")
			}
			u.PreferredLanguage = l
		}
	}
	for _, p := range uaPOSIXFields {
		if c.rights.CanWrite(p.Name) {
			f.Values[p.Name] = c.form(p.Name)
		}
	}
	if f.Values["uid_number"] != "" {
		u.UIDNumber = c.uaNumber(f, "uid_number", 0)
		if u.UIDNumber != 0 {
			if o, err := a.st.GetUserByUIDNumber(ctx, u.UIDNumber); err == nil {
				c.fieldError(f, "uid_number", "users_error_uid_taken", "User", o.UserName)
			} else if !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
	}
	if f.Values["gid_number"] != "" {
		u.GIDNumber = c.uaNumber(f, "gid_number", 0)
	}
	u.HomeDirectory, u.LoginShell = f.Values["home_directory"], f.Values["login_shell"]
	var groups []store.Group
	var checked []string
	if c.rights.CanWrite("groups") {
		var err error
		if groups, checked, err = c.uaChosenGroups(f); err != nil {
			return err
		}
	}
	mode := c.form("password_mode")
	f.Values["password_mode"] = mode
	pw := c.rawForm("password")
	switch mode {
	case "set":
		c.checkNewPassword(f, pw, c.rawForm("password_confirm"), &u)
	case "email":
		switch {
		case !a.mailEnabled() || !a.cfg.EnablePasswordRecovery:
			c.fieldError(f, "password_mode", "users_error_no_mail")
		case len(u.Emails) == 0:
			c.fieldError(f, "email", "users_error_email_needed")
		}
	case "none":
	default:
		c.fieldError(f, "password_mode", "error_required")
	}
	fail := func() error {
		d, err := a.userCreateData(c, f, checked)
		if err != nil {
			return err
		}
		c.renderForm(http.StatusUnprocessableEntity, "user-create", d, f)
		return nil
	}
	if f.HasErrors() {
		return fail()
	}
	created, err := a.st.CreateUser(ctx, u)
	if err != nil {
		if errors.Is(err, store.ErrExists) {
			c.fieldError(f, "user_name", "error_user_name_taken")
			return fail()
		}
		if c.storeErrors(f, err) {
			return fail()
		}
		return err
	}
	if mode == "set" {
		if err := a.st.SetPassword(ctx, created.ID, pw); err != nil {
			return err
		}
	}
	var names []string
	for _, g := range groups {
		if err := a.st.AddMember(ctx, g.ID, created.ID); err != nil {
			return err
		}
		names = append(names, g.DisplayName)
	}
	details := map[string]string{"password": mode}
	if len(names) > 0 {
		details["groups"] = strings.Join(names, ", ")
	}
	details["uid_number"] = strconv.FormatUint(uint64(created.UIDNumber), 10)
	c.audit(auditEvent{Action: "user.create", TargetKind: "user", Target: created.UserName, TargetUserID: created.ID, Details: details})
	c.flash("success", "users_created")
	if mode == "email" {
		fresh, err := a.st.GetUser(ctx, created.ID)
		if err != nil {
			return err
		}
		if err := a.sendPasswordLink(c, &fresh); err != nil {
			c.flash("error", "users_created_mail_failed")
		} else {
			c.flash("success", "users_created_mail_sent")
		}
	}
	return c.redirect("/profile/" + pathEscapeSegment(created.UserName) + "/settings")
}

// uaFree runs a look-up and returns store.ErrExists when it finds
// something, nil when not found, or its other error.
func (a *App) uaFree(ctx context.Context, lookup func(context.Context) error) error {
	err := lookup(ctx)
	switch {
	case err == nil:
		return store.ErrExists
	case errors.Is(err, store.ErrNotFound):
		return nil
	}
	return err
}
