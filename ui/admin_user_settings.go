package ui

import (
	"errors"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/acl"
)

// uaAccess is what the viewer may do on the settings page of an account:
// users with manage_users on any account, others on their own, each
// change within the WRITE lists of the ACL (CANAILLE.md 3.5 and 4).
type uaAccess struct {
	Self, Manage bool
	Rename       bool
	Groups       bool
	POSIX        map[string]bool // writable POSIX attributes
	Lock         bool
	Password     bool
	SendReset    bool // a reset or first-login email can be sent
	Delete       bool
	Impersonate  bool
}

// AnyPOSIX reports whether a POSIX attribute is writable.
func (a uaAccess) AnyPOSIX() bool {
	for _, w := range a.POSIX {
		if w {
			return true
		}
	}
	return false
}

// uaPOSIXFields are the POSIX attributes of the settings and creation
// forms, with their labels.
var uaPOSIXFields = []struct{ Name, Label string }{
	{"uid_number", "field_uid_number"}, {"gid_number", "field_gid_number"},
	{"home_directory", "field_home_directory"}, {"login_shell", "field_login_shell"},
}

// uaTarget loads the account of a /profile/:user/settings page and what
// the viewer may do with it. Another user's settings need manage_users:
// without it the answer is 403, whether the account exists or not.
func (c *ctx) uaTarget() (*store.User, uaAccess, error) {
	var acc uaAccess
	if c.user == nil {
		if err := c.requireUser(); err != nil {
			return nil, acc, err
		}
		return nil, acc, errRedirected
	}
	name := c.p.ByName("user")
	acc.Self = strings.EqualFold(name, c.user.UserName)
	if !acc.Self {
		if err := c.require(acl.ManageUsers); err != nil {
			return nil, acc, err
		}
	}
	var u store.User
	if acc.Self {
		u = *c.user
	} else {
		var err error
		if u, err = c.a.st.GetUserByName(c.r.Context(), name); err != nil {
			return nil, acc, err
		}
	}
	r := c.rights
	acc.Manage = r.Can(acl.ManageUsers)
	edit := acc.Manage || acc.Self && r.Can(acl.EditSelf)
	acc.Rename = edit && r.CanWrite("user_name")
	acc.Groups = edit && r.CanWrite("groups")
	acc.POSIX = map[string]bool{}
	for _, p := range uaPOSIXFields {
		acc.POSIX[p.Name] = edit && r.CanWrite(p.Name)
	}
	acc.Lock = acc.Manage && !acc.Self && r.CanWrite("lock_date")
	acc.Password = acc.Manage && !acc.Self && r.CanWrite("password")
	acc.SendReset = acc.Password && c.a.mailEnabled() && c.a.cfg.EnablePasswordRecovery && len(u.Emails) > 0
	acc.Delete = r.Can(acl.DeleteAccount) && (acc.Self || acc.Manage)
	acc.Impersonate = r.Can(acl.ImpersonateUsers) && !acc.Self && !u.Locked(c.now) &&
		(c.session == nil || c.session.ImpersonatorID == "")
	return &u, acc, nil
}

func (a *App) userSettingsPage(c *ctx) error {
	u, acc, err := c.uaTarget()
	if u == nil {
		return err
	}
	f := uaSettingsForm(u)
	d, err := a.userSettingsData(c, u, acc, f, nil)
	if err != nil {
		return err
	}
	c.renderForm(http.StatusOK, "user-settings", d, f)
	return nil
}

// uaSettingsForm fills the settings form with the stored values.
func uaSettingsForm(u *store.User) *form {
	f := newForm()
	f.Values["user_name"] = u.UserName
	f.Values["uid_number"] = strconv.FormatUint(uint64(u.UIDNumber), 10)
	f.Values["gid_number"] = strconv.FormatUint(uint64(u.GIDNumber), 10)
	f.Values["home_directory"] = u.HomeDirectory
	f.Values["login_shell"] = u.LoginShell
	if !u.LockDate.IsZero() {
		f.Values["lock_at"] = u.LockDate.Local().Format(dateTimeLocal)
	}
	return f
}

// dateTimeLocal is the value format of <input type="datetime-local">.
const dateTimeLocal = "2006-01-02T15:04"

func (a *App) userSettingsData(c *ctx, u *store.User, acc uaAccess, f *form, checked []string) (map[string]any, error) {
	if checked == nil {
		for _, g := range u.Groups {
			checked = append(checked, g.ID)
		}
	}
	d := map[string]any{
		"Target": u, "Access": acc, "POSIXFields": uaPOSIXFields,
		"ProfileURL":  "/profile/" + pathEscapeSegment(u.UserName),
		"SettingsURL": "/profile/" + pathEscapeSegment(u.UserName) + "/settings",
		"Locked":      u.Locked(c.now), "LockLater": !u.LockDate.IsZero() && !u.Locked(c.now),
		"HasPassword": u.HasPassword(), "Min": a.cfg.PasswordPolicy.MinLength,
		"GroupNames": store.RefNames(u.Groups), "MinDate": c.now.Local().Format(dateTimeLocal),
		"MailOff": !a.mailEnabled() || !a.cfg.EnablePasswordRecovery,
	}
	if acc.Groups {
		if err := a.uaGroupPicker(c, d, f, checked); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func (a *App) userSettingsSubmit(c *ctx) error {
	u, acc, err := c.uaTarget()
	if u == nil {
		return err
	}
	switch c.form("action") {
	case "save":
		return a.userSettingsSave(c, u, acc)
	case "lock_now", "lock_at":
		if !acc.Lock {
			return errForbidden
		}
		at := c.now
		if c.form("action") == "lock_at" {
			t, err := time.ParseInLocation(dateTimeLocal, c.form("lock_at"), time.Local)
			if err != nil {
				f := uaSettingsForm(u)
				f.Values["lock_at"] = c.form("lock_at")
				c.fieldError(f, "lock_at", "users_error_date")
				return a.userSettingsFail(c, u, acc, f, nil)
			}
			if t.After(at) {
				at = t
			}
		}
		if err := a.lockUser(c, u, at, nil); err != nil {
			return err
		}
		if at.After(c.now) {
			c.flash("success", "users_lock_scheduled")
		} else {
			c.flash("success", "users_locked")
		}
	case "unlock":
		if !acc.Lock {
			return errForbidden
		}
		if err := a.unlockUser(c, u, nil); err != nil {
			return err
		}
		c.flash("success", "users_unlocked")
	case "password":
		if !acc.Password {
			return errForbidden
		}
		f := uaSettingsForm(u)
		pw := c.rawForm("password")
		c.checkNewPassword(f, pw, c.rawForm("password_confirm"), u)
		if f.HasErrors() {
			return a.userSettingsFail(c, u, acc, f, nil)
		}
		ctx := c.r.Context()
		if err := a.st.SetPassword(ctx, u.ID, pw); err != nil {
			return err
		}
		n, err := a.st.DeleteUserSessions(ctx, u.ID, "")
		if err != nil {
			return err
		}
		c.audit(auditEvent{Action: "user.password_set", TargetKind: "user", Target: u.UserName, TargetUserID: u.ID,
			Details: map[string]string{"sessions_ended": strconv.Itoa(n)}})
		c.flash("success", "users_password_set_done")
	case "send_reset":
		if !acc.SendReset {
			return errForbidden
		}
		if err := a.sendPasswordLink(c, u); err != nil {
			if errors.Is(err, errTooSoon) {
				c.flash("error", "users_mail_too_soon")
			} else {
				c.flash("error", "mail_failed")
			}
		} else {
			c.flash("success", "users_reset_sent")
		}
	case "delete":
		if !acc.Delete {
			return errForbidden
		}
		if c.form("confirm") != "yes" {
			c.render(http.StatusOK, "user-confirm", map[string]any{"Target": u, "Kind": "delete", "Self": acc.Self,
				"Action": "/profile/" + pathEscapeSegment(u.UserName) + "/settings",
				"Back":   "/profile/" + pathEscapeSegment(u.UserName) + "/settings"})
			return nil
		}
		if err := a.deleteUser(c, u, nil); err != nil {
			return err
		}
		if acc.Self {
			c.clearCookie(cookieSession)
			c.flash("success", "users_deleted_self")
			return c.redirect("/login")
		}
		c.flash("success", "users_deleted")
		return c.redirect("/users")
	default:
		return &httpError{status: http.StatusBadRequest, msg: "users_bulk_no_action"}
	}
	return c.redirect("/profile/" + pathEscapeSegment(u.UserName) + "/settings")
}

// userSettingsFail shows the settings page again with the form's errors.
func (a *App) userSettingsFail(c *ctx, u *store.User, acc uaAccess, f *form, checked []string) error {
	d, err := a.userSettingsData(c, u, acc, f, checked)
	if err != nil {
		return err
	}
	c.renderForm(http.StatusUnprocessableEntity, "user-settings", d, f)
	return nil
}

// userSettingsSave renames the account and changes its groups and POSIX
// data, as far as the viewer may.
func (a *App) userSettingsSave(c *ctx, u *store.User, acc uaAccess) error {
	if !acc.Rename && !acc.Groups && !acc.AnyPOSIX() {
		return errForbidden
	}
	ctx := c.r.Context()
	f := uaSettingsForm(u)
	if acc.Rename {
		f.Values["user_name"] = c.form("user_name")
		if name := f.Values["user_name"]; store.ValidUserName(name) != "" {
			c.fieldError(f, "user_name", "error_user_name")
		} else if !strings.EqualFold(name, u.UserName) {
			if _, err := a.st.GetUserByName(ctx, name); err == nil {
				c.fieldError(f, "user_name", "error_user_name_taken")
			} else if !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
	}
	uid, gid := u.UIDNumber, u.GIDNumber
	for _, p := range uaPOSIXFields {
		if acc.POSIX[p.Name] {
			f.Values[p.Name] = c.form(p.Name)
		}
	}
	if acc.POSIX["uid_number"] {
		uid = c.uaNumber(f, "uid_number", uid)
		if uid != u.UIDNumber && f.Error("uid_number") == "" {
			if o, err := a.st.GetUserByUIDNumber(ctx, uid); err == nil && o.ID != u.ID {
				c.fieldError(f, "uid_number", "users_error_uid_taken", "User", o.UserName)
			} else if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
	}
	if acc.POSIX["gid_number"] {
		gid = c.uaNumber(f, "gid_number", gid)
	}
	var chosen []store.Group
	var checked []string
	if acc.Groups {
		var err error
		if chosen, checked, err = c.uaChosenGroups(f); err != nil {
			return err
		}
	}
	if f.HasErrors() {
		return a.userSettingsFail(c, u, acc, f, checked)
	}
	details := map[string]string{}
	nu, err := a.st.UpdateUser(ctx, u.ID, func(nu *store.User) error {
		if acc.Rename && nu.UserName != f.Values["user_name"] {
			details["user_name"] = nu.UserName + " → " + f.Values["user_name"]
			nu.UserName = f.Values["user_name"]
		}
		if acc.POSIX["uid_number"] && nu.UIDNumber != uid {
			details["uid_number"] = strconv.FormatUint(uint64(uid), 10)
			nu.UIDNumber = uid
		}
		if acc.POSIX["gid_number"] && nu.GIDNumber != gid {
			details["gid_number"] = strconv.FormatUint(uint64(gid), 10)
			nu.GIDNumber = gid
		}
		if acc.POSIX["home_directory"] && nu.HomeDirectory != f.Values["home_directory"] {
			details["home_directory"] = f.Values["home_directory"]
			nu.HomeDirectory = f.Values["home_directory"]
		}
		if acc.POSIX["login_shell"] && nu.LoginShell != f.Values["login_shell"] {
			details["login_shell"] = f.Values["login_shell"]
			nu.LoginShell = f.Values["login_shell"]
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, store.ErrExists) {
			c.fieldError(f, "user_name", "error_user_name_taken")
			return a.userSettingsFail(c, u, acc, f, checked)
		}
		if c.storeErrors(f, err) {
			return a.userSettingsFail(c, u, acc, f, checked)
		}
		return err
	}
	if acc.Groups {
		added, removed, err := a.uaSetGroups(c, &nu, chosen)
		if err != nil {
			return err
		}
		if len(added) > 0 {
			details["groups_added"] = strings.Join(added, ", ")
		}
		if len(removed) > 0 {
			details["groups_removed"] = strings.Join(removed, ", ")
		}
	}
	if len(details) > 0 {
		c.audit(auditEvent{Action: "user.update", TargetKind: "user", Target: nu.UserName, TargetUserID: nu.ID, Details: details})
	}
	c.flash("success", "users_settings_saved")
	return c.redirect("/profile/" + pathEscapeSegment(nu.UserName) + "/settings")
}

// uaNumber reads a uid or gid number field; empty keeps old.
func (c *ctx) uaNumber(f *form, name string, old uint32) uint32 {
	v := f.Values[name]
	if v == "" {
		f.Values[name] = strconv.FormatUint(uint64(old), 10)
		return old
	}
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil || n == 0 {
		c.fieldError(f, name, "users_error_number")
		return old
	}
	return uint32(n)
}

// uaSetGroups makes u a member of exactly the chosen groups and returns
// the names of the groups joined and left.
func (a *App) uaSetGroups(c *ctx, u *store.User, chosen []store.Group) (added, removed []string, err error) {
	ctx := c.r.Context()
	for _, g := range chosen {
		if !slices.ContainsFunc(u.Groups, func(r store.Ref) bool { return r.ID == g.ID }) {
			if err := a.st.AddMember(ctx, g.ID, u.ID); err != nil {
				return nil, nil, err
			}
			added = append(added, g.DisplayName)
		}
	}
	for _, r := range u.Groups {
		if !slices.ContainsFunc(chosen, func(g store.Group) bool { return g.ID == r.ID }) {
			if err := a.st.RemoveMember(ctx, r.ID, u.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
				return nil, nil, err
			}
			removed = append(removed, r.Name)
		}
	}
	return added, removed, nil
}

// lockUser sets the lock date of u. A lock in force now also ends the
// user's sessions and revokes their tokens.
func (a *App) lockUser(c *ctx, u *store.User, at time.Time, details map[string]string) error {
	ctx := c.r.Context()
	if _, err := a.st.UpdateUser(ctx, u.ID, func(nu *store.User) error {
		nu.LockDate = at.UTC()
		return nil
	}); err != nil {
		return err
	}
	d := maps.Clone(details)
	if d == nil {
		d = map[string]string{}
	}
	d["lock_date"] = at.UTC().Format(time.RFC3339)
	if !at.After(c.now) {
		n, err := a.st.DeleteUserSessions(ctx, u.ID, "")
		if err != nil {
			return err
		}
		m, err := a.st.RevokeTokens(ctx, store.TokenQuery{Subject: u.ID}, c.now)
		if err != nil {
			return err
		}
		d["sessions_ended"], d["tokens_revoked"] = strconv.Itoa(n), strconv.Itoa(m)
	}
	c.audit(auditEvent{Action: "user.lock", TargetKind: "user", Target: u.UserName, TargetUserID: u.ID, Details: d})
	return nil
}

// unlockUser clears the lock date of u.
func (a *App) unlockUser(c *ctx, u *store.User, details map[string]string) error {
	if _, err := a.st.UpdateUser(c.r.Context(), u.ID, func(nu *store.User) error {
		nu.LockDate = time.Time{}
		return nil
	}); err != nil {
		return err
	}
	c.audit(auditEvent{Action: "user.unlock", TargetKind: "user", Target: u.UserName, TargetUserID: u.ID, Details: maps.Clone(details)})
	return nil
}

// deleteUser deletes u with everything attached to the account.
func (a *App) deleteUser(c *ctx, u *store.User, details map[string]string) error {
	d := maps.Clone(details)
	if d == nil {
		d = map[string]string{}
	}
	if e := u.PreferredEmail(); e != "" {
		d["email"] = e
	}
	if err := a.st.DeleteUser(c.r.Context(), u.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	c.audit(auditEvent{Action: "user.delete", TargetKind: "user", Target: u.UserName, TargetUserID: u.ID, Details: d})
	return nil
}

// errTooSoon: an email of the same kind left for this user a moment ago.
var errTooSoon = errors.New("ui: an email was sent a moment ago")

// sendPasswordLink emails u a single-use link to choose a password: a
// reset for an account with a password, a first-login link for one
// without (valid as long as an invitation).
func (a *App) sendPasswordLink(c *ctx, u *store.User) error {
	if !a.sent.allow("reset:"+u.ID, c.now) {
		return errTooSoon
	}
	life := a.cfg.ResetExpiration
	kind := "reset"
	if !u.HasPassword() {
		life, kind = a.cfg.InvitationExpiration, "init"
	}
	token := store.NewSecret()
	to := u.PreferredEmail()
	if _, err := a.st.CreateTicket(c.r.Context(), store.Ticket{Kind: store.TicketPasswordReset, Token: token,
		UserID: u.ID, Email: to, Created: c.now, Expires: c.now.Add(life)}); err != nil {
		return err
	}
	if err := a.sendMail(c.r.Context(), mailRequest{kind: "reset", to: to, lang: a.userLanguage(u, c.lang), user: u,
		link: a.link("/reset/" + token), expires: life}); err != nil {
		return err
	}
	c.audit(auditEvent{Action: "user.password_reset_sent", TargetKind: "user", Target: u.UserName, TargetUserID: u.ID,
		Details: map[string]string{"email": to, "kind": kind}})
	return nil
}
