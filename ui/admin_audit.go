package ui

import (
	"errors"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/acl"
)

// auditPageSize is the number of events on one page of the audit log.
const auditPageSize = 50

// auditActions are the action codes the pages write, each with a message
// "admin_audit_action_<code with _ for .>"; other codes show as they are.
var auditActions = []string{
	"user.create", "user.update", "user.delete", "user.lock", "user.unlock",
	"user.password_set", "user.password_reset_sent", "user.impersonate", "user.impersonate_stop",
	"invitation.create",
	"group.create", "group.update", "group.delete", "group.member_add", "group.member_remove",
	"client.create", "client.update", "client.delete", "client.secret_renew",
	"token.revoke", "mail.test",
}

// auditTargetKinds are the target kinds with a message
// "admin_audit_kind_<kind>".
var auditTargetKinds = []string{"user", "group", "client", "token", "invitation", "email"}

// auditMessageID returns the message of an action code, "" for an
// unknown code.
func auditMessageID(action string) string {
	if !slices.Contains(auditActions, action) {
		return ""
	}
	return "admin_audit_action_" + strings.ReplaceAll(action, ".", "_")
}

// auditRow is one event as the audit page shows it.
type auditRow struct {
	ID       string
	Time     string // local time, to the second
	ISOTime  string // RFC 3339, for <time datetime>
	Actor    string
	ActorURL string // the log filtered on the actor, "" without an actor ID
	Code     string // the action code
	Action   string // the action in words (the code when unknown)
	Kind     string // target kind in words
	Target   string
	// TargetURL filters the log on the user acted upon, when the target
	// is that user.
	TargetURL string
	// Concerns names the user concerned by an action on something else
	// (the member added to a group), "" when that user no longer exists;
	// ConcernsURL filters the log on them.
	Concerns, ConcernsURL string
	Details               []auditDetail
	Address               string
}

type auditDetail struct{ Key, Value string }

// auditFilter is the query of the audit page, as typed.
type auditFilter struct {
	User, UID, From, To, Before string
}

// url returns the audit page with this filter, before the given event
// ("" for the newest events).
func (f auditFilter) url(before string) string {
	q := url.Values{}
	for k, v := range map[string]string{"user": f.User, "uid": f.UID, "from": f.From, "to": f.To, "before": before} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if len(q) == 0 {
		return "/admin/audit"
	}
	return "/admin/audit?" + q.Encode()
}

// auditPage lists the audit log, newest first, filtered by user and
// dates, a page at a time.
func (a *App) auditPage(c *ctx) error {
	if err := c.require(acl.ManageUsers); err != nil {
		return err
	}
	ctx := c.r.Context()
	q := c.r.URL.Query()
	flt := auditFilter{User: strings.TrimSpace(q.Get("user")), UID: strings.TrimSpace(q.Get("uid")),
		From: strings.TrimSpace(q.Get("from")), To: strings.TrimSpace(q.Get("to")), Before: q.Get("before")}
	f := newForm()
	f.Values["user"], f.Values["from"], f.Values["to"] = flt.User, flt.From, flt.To
	query := store.AuditQuery{Limit: auditPageSize + 1}
	data := map[string]any{}

	// The user: typed by name, or chosen by ID from a line of the log
	// (which also finds the events of a deleted user).
	var subject *store.User
	switch {
	case flt.UID != "" && flt.User == "":
		query.UserID = flt.UID
		if u, err := a.st.GetUser(ctx, flt.UID); err == nil {
			subject = &u
			f.Values["user"] = u.UserName
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		} else {
			data["SubjectID"] = flt.UID
		}
	case flt.User != "":
		flt.UID = ""
		u, err := a.st.GetUserByName(ctx, flt.User)
		switch {
		case err == nil:
			subject, query.UserID = &u, u.ID
		case errors.Is(err, store.ErrNotFound):
			c.fieldError(f, "user", "admin_audit_no_user", "User", flt.User)
		default:
			return err
		}
	}
	if subject != nil {
		data["Subject"] = subject
		data["SubjectPermissions"] = "/profile/" + url.PathEscape(subject.UserName) + "/permissions"
		data["SubjectProfile"] = "/profile/" + url.PathEscape(subject.UserName)
	}

	// Dates are whole days of the server's time zone, both included.
	day := func(field, v string) time.Time {
		if v == "" {
			return time.Time{}
		}
		t, err := time.ParseInLocation("2006-01-02", v, time.Local)
		if err != nil {
			c.fieldError(f, field, "admin_audit_bad_date", "Value", v)
		}
		return t
	}
	query.Since = day("from", flt.From)
	if until := day("to", flt.To); !until.IsZero() {
		query.Until = until.AddDate(0, 0, 1)
	}
	if !query.Since.IsZero() && !query.Until.IsZero() && !query.Since.Before(query.Until) {
		c.fieldError(f, "to", "admin_audit_bad_range")
	}
	if len(flt.Before) <= 64 && !strings.ContainsAny(flt.Before, "\x00\xff") {
		query.Before = flt.Before
	}

	var rows []auditRow
	status := http.StatusOK
	if f.HasErrors() {
		status = http.StatusUnprocessableEntity
	} else {
		events, err := a.st.ListAudit(ctx, query)
		if err != nil {
			return err
		}
		if len(events) > auditPageSize {
			events = events[:auditPageSize]
			data["Older"] = flt.url(events[len(events)-1].ID)
		}
		names := map[string]string{} // user ID → name, for this page
		for _, e := range events {
			rows = append(rows, a.auditRow(c, e, names))
		}
	}
	if query.Before != "" {
		data["Newest"] = flt.url("")
	}
	data["Rows"] = rows
	data["Filtered"] = flt.User != "" || flt.UID != "" || flt.From != "" || flt.To != ""
	data["Retention"] = AuditRetentionDays
	c.renderForm(status, "audit", data, f)
	return nil
}

// auditRow puts an event into words, in the page's language; names
// caches the user names it looks up.
func (a *App) auditRow(c *ctx, e store.AuditEvent, names map[string]string) auditRow {
	t := e.Time.Local()
	r := auditRow{ID: e.ID, Time: t.Format("2006-01-02 15:04:05 MST"), ISOTime: e.Time.UTC().Format(time.RFC3339),
		Actor: e.Actor, Code: e.Action, Action: e.Action, Target: e.Target, Kind: e.TargetKind, Address: e.RemoteAddr}
	if id := auditMessageID(e.Action); id != "" {
		r.Action = a.i18n.text(c.lang, id)
	}
	if slices.Contains(auditTargetKinds, e.TargetKind) {
		r.Kind = a.i18n.text(c.lang, "admin_audit_kind_"+e.TargetKind)
	}
	if e.ActorID != "" {
		if r.Actor == "" {
			r.Actor = e.ActorID
		}
		r.ActorURL = auditFilter{UID: e.ActorID}.url("")
	}
	switch {
	case e.TargetUserID == "":
	case e.TargetKind == "user" || e.TargetKind == "":
		r.TargetURL = auditFilter{UID: e.TargetUserID}.url("")
	default:
		r.ConcernsURL = auditFilter{UID: e.TargetUserID}.url("")
		name, ok := names[e.TargetUserID]
		if !ok {
			if e.TargetUserID == e.ActorID {
				name = e.Actor
			} else if u, err := a.st.GetUser(c.r.Context(), e.TargetUserID); err == nil {
				name = u.UserName
			}
			names[e.TargetUserID] = name
		}
		r.Concerns = name
	}
	for _, k := range slices.Sorted(maps.Keys(e.Details)) {
		r.Details = append(r.Details, auditDetail{Key: k, Value: e.Details[k]})
	}
	return r
}

// AuditRetentionDays is how long the audit log keeps an event: canaille
// run deletes older events periodically, and so does canaille clean.
const AuditRetentionDays = 400

// AuditRetention is AuditRetentionDays as a duration.
const AuditRetention = AuditRetentionDays * 24 * time.Hour
