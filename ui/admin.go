package ui

import (
	"log/slog"
	"net/http"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/acl"
)

// The administration pages (users, invitations, groups, OIDC clients,
// tokens, mail, audit) live in files of their own; each registers its
// routes by appending to adminSections from an init function, so that
// they are added without editing a shared list.
var adminSections []func(*App)

func (a *App) adminRoutes() {
	for _, register := range adminSections {
		register(a)
	}
}

// require returns nil when the signed-in user has one of perms; it sends
// an anonymous visitor to the sign-in page (GET) and answers 403 to a
// user without them.
func (c *ctx) require(perms ...acl.Permission) error {
	if c.user == nil {
		if err := c.requireUser(); err != nil {
			return err
		}
		return errRedirected
	}
	for _, p := range perms {
		if c.rights.Can(p) {
			return nil
		}
	}
	c.security("forbidden", "path", c.r.URL.Path, "method", c.r.Method)
	return errForbidden
}

// errRedirected tells a handler that require has answered with a
// redirect: serve treats it as done.
var errRedirected = &httpError{status: http.StatusSeeOther}

// auditEvent describes an administrative action for audit.
type auditEvent struct {
	Action       string // "user.create", "group.member_add", …
	TargetKind   string // "user", "group", "client", "token"
	Target       string // user name, group name, client_id, token ID
	TargetUserID string // the store ID of the user concerned, if any
	Details      map[string]string
}

// audit records an administrative action in the audit log (the audit
// page) and the security log. A failure to record is logged, not shown:
// the action itself is done.
func (c *ctx) audit(e auditEvent) {
	ev := store.AuditEvent{Time: c.now, Action: e.Action, TargetKind: e.TargetKind, Target: e.Target,
		TargetUserID: e.TargetUserID, Details: e.Details, RemoteAddr: c.client.ip}
	if c.user != nil {
		ev.ActorID, ev.Actor = c.user.ID, c.user.UserName
		if c.session != nil && c.session.ImpersonatorID != "" {
			// Under impersonation the administrator is the actor.
			if admin, err := c.a.st.GetUser(c.r.Context(), c.session.ImpersonatorID); err == nil {
				ev.ActorID, ev.Actor = admin.ID, admin.UserName
				if ev.Details == nil {
					ev.Details = map[string]string{}
				}
				ev.Details["impersonating"] = c.user.UserName
			}
		}
	}
	args := []any{"action", e.Action, "target_kind", e.TargetKind, "target", e.Target}
	for k, v := range e.Details {
		args = append(args, "detail_"+k, v)
	}
	c.security("admin", args...)
	if _, err := c.a.st.AppendAudit(c.r.Context(), ev); err != nil {
		c.a.log.LogAttrs(c.r.Context(), slog.LevelError, "audit log", slog.String("action", e.Action), slog.Any("error", err))
	}
}
