package ui

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/acl"
)

// The invitation page (/invite, manage_users): an administrator prepares
// an account (user name, address, groups) and gets a single-use link that
// expires (INVITATION_EXPIRATION), shown to copy or sent by email. The
// link opens /register/:token (register.go), which works even when
// registration is closed.

func (a *App) inviteData(c *ctx, f *form, checked []string, result map[string]any) (map[string]any, error) {
	d := map[string]any{"Mail": a.mailEnabled(), "Groups": c.rights.CanWrite("groups"),
		"Hours": int(a.cfg.InvitationExpiration.Hours()), "Result": result}
	if c.rights.CanWrite("groups") {
		if err := a.uaGroupPicker(c, d, f, checked); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func (a *App) invitePage(c *ctx) error {
	if err := c.require(acl.ManageUsers); err != nil {
		return err
	}
	f := newForm()
	f.Values["editable"] = "no"
	d, err := a.inviteData(c, f, nil, nil)
	if err != nil {
		return err
	}
	c.renderForm(http.StatusOK, "invite", d, f)
	return nil
}

func (a *App) inviteSubmit(c *ctx) error {
	if err := c.require(acl.ManageUsers); err != nil {
		return err
	}
	ctx := c.r.Context()
	f := newForm()
	for _, k := range []string{"user_name", "email"} {
		f.Values[k] = c.form(k)
	}
	f.Values["editable"] = "no"
	if c.form("editable") != "" {
		f.Values["editable"] = "yes"
	}
	send := c.form("action") == "send"
	name, email := f.Values["user_name"], f.Values["email"]
	if name != "" {
		if store.ValidUserName(name) != "" {
			c.fieldError(f, "user_name", "error_user_name")
		} else if err := a.uaFree(ctx, func(ctx context.Context) error { _, err := a.st.GetUserByName(ctx, name); return err }); err != nil {
			if !errors.Is(err, store.ErrExists) {
				return err
			}
			c.fieldError(f, "user_name", "error_user_name_taken")
		}
	}
	switch {
	case email != "" && !validEmail(email):
		c.fieldError(f, "email", "error_email", "Value", email)
	case email != "":
		if err := a.uaFree(ctx, func(ctx context.Context) error { _, err := a.st.GetUserByEmail(ctx, email); return err }); err != nil {
			if !errors.Is(err, store.ErrExists) {
				return err
			}
			c.fieldError(f, "email", "error_email_taken")
		}
	case send:
		c.fieldError(f, "email", "users_error_email_needed")
	}
	if send && !a.mailEnabled() {
		c.fieldError(f, "email", "users_error_no_mail")
	}
	var groups []store.Group
	var checked []string
	if c.rights.CanWrite("groups") {
		var err error
		if groups, checked, err = c.uaChosenGroups(f); err != nil {
			return err
		}
	}
	if f.HasErrors() {
		d, err := a.inviteData(c, f, checked, nil)
		if err != nil {
			return err
		}
		c.renderForm(http.StatusUnprocessableEntity, "invite", d, f)
		return nil
	}
	inv := Invitation{UserName: name, Editable: f.Values["editable"] == "yes", Email: email, InvitedBy: c.user.UserName}
	var names []string
	for _, g := range groups {
		inv.GroupIDs = append(inv.GroupIDs, g.ID)
		names = append(names, g.DisplayName)
	}
	link, expires, err := a.CreateInvitation(ctx, inv)
	if err != nil {
		var ve *store.ValidationError
		if errors.As(err, &ve) {
			c.fieldError(f, ve.Field, "error_invalid", "Reason", ve.Reason)
			d, derr := a.inviteData(c, f, checked, nil)
			if derr != nil {
				return derr
			}
			c.renderForm(http.StatusUnprocessableEntity, "invite", d, f)
			return nil
		}
		return err
	}
	result := map[string]any{"Link": link, "Expires": expires, "Email": email, "Sent": false, "Failed": false}
	if send {
		if err := a.SendInvitation(ctx, inv, link, c.lang); err != nil {
			result["Failed"] = true
		} else {
			result["Sent"] = true
		}
	}
	details := map[string]string{"user_name": name, "email": email, "editable": f.Values["editable"],
		"sent": map[bool]string{true: "yes", false: "no"}[result["Sent"] == true]}
	if len(names) > 0 {
		details["groups"] = strings.Join(names, ", ")
	}
	target := name
	if target == "" {
		target = email
	}
	c.audit(auditEvent{Action: "invitation.create", TargetKind: "invitation", Target: target, Details: details})
	nf := newForm()
	nf.Values["editable"] = "no"
	d, err := a.inviteData(c, nf, nil, result)
	if err != nil {
		return err
	}
	c.renderForm(http.StatusOK, "invite", d, nf)
	return nil
}
