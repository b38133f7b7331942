package ldap

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/canaille-go/canaille/schemas"
	"github.com/canaille-go/canaille/store"
)

// Audit events are canailleAuditEvent entries under ou=audit,ou=oauth.
// Their canailleID starts with the event time in hex nanoseconds, so that
// IDs sort like times: ListAudit's filters (user, time, Before) are all
// server-side, and only the ordering and the limit are applied here.
var auditKind = &kind[store.AuditEvent]{
	name:    "audit event",
	branch:  schemas.AuditBranch,
	rdn:     "canailleID",
	classes: []string{"canailleAuditEvent"},
	id:      func(e *store.AuditEvent) *string { return &e.ID },
	fields: []field[store.AuditEvent]{
		fString("canailleID", func(e *store.AuditEvent) *string { return &e.ID }),
		fTime("oauthIssueDate", func(e *store.AuditEvent) *time.Time { return &e.Time }),
		fString("canailleActorID", func(e *store.AuditEvent) *string { return &e.ActorID }),
		fString("canailleActorName", func(e *store.AuditEvent) *string { return &e.Actor }),
		fString("canailleAction", func(e *store.AuditEvent) *string { return &e.Action }),
		fString("canailleTargetKind", func(e *store.AuditEvent) *string { return &e.TargetKind }),
		fString("canailleTarget", func(e *store.AuditEvent) *string { return &e.Target }),
		fString("canailleTargetUserID", func(e *store.AuditEvent) *string { return &e.TargetUserID }),
		fParams("canailleParameter", func(e *store.AuditEvent) *map[string]string { return &e.Details }),
		fString("canailleRemoteAddress", func(e *store.AuditEvent) *string { return &e.RemoteAddr }),
	},
}

func auditID(t time.Time) string {
	return fmt.Sprintf("%016x-%s", uint64(max(t.UnixNano(), 0)), store.NewID()[:8])
}

// AppendAudit implements store.AuditLog.
func (d *Directory) AppendAudit(ctx context.Context, e store.AuditEvent) (store.AuditEvent, error) {
	if e.Action == "" {
		return e, fmt.Errorf("ldap: append audit: %w", errRequired("action"))
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	e.Time = e.Time.UTC()
	if e.ID == "" {
		e.ID = auditID(e.Time)
	}
	e.Details = cloneMap(e.Details)
	return e, auditKind.add(ctx, d, &e)
}

// ListAudit implements store.AuditLog: newest first.
func (d *Directory) ListAudit(ctx context.Context, q store.AuditQuery) ([]store.AuditEvent, error) {
	var fs []string
	if q.UserID != "" {
		fs = append(fs, "(|"+eq("canailleActorID", q.UserID)+eq("canailleTargetUserID", q.UserID)+")")
	}
	if !q.Since.IsZero() {
		fs = append(fs, "(canailleID>="+ldap.EscapeFilter(fmt.Sprintf("%016x", uint64(max(q.Since.UnixNano(), 0))))+")")
	}
	if !q.Until.IsZero() {
		fs = append(fs, "(!(canailleID>="+ldap.EscapeFilter(fmt.Sprintf("%016x", uint64(max(q.Until.UnixNano(), 0))))+"))")
	}
	if q.Before != "" {
		fs = append(fs, "(!(canailleID>="+ldap.EscapeFilter(q.Before)+"))")
	}
	filter := ""
	if len(fs) > 0 {
		filter = and(fs...)
	}
	out, err := auditKind.list(ctx, d, filter)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b store.AuditEvent) int { return strings.Compare(b.ID, a.ID) })
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out, nil
}

// DeleteAuditBefore implements store.AuditLog.
func (d *Directory) DeleteAuditBefore(ctx context.Context, t time.Time) (int, error) {
	limit := fmt.Sprintf("%016x", uint64(max(t.UnixNano(), 0)))
	es, err := auditKind.find(ctx, d, "(!(canailleID>="+ldap.EscapeFilter(limit)+"))")
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range es {
		err := d.del(ctx, e.DN, e.DN)
		if errorsIsNotFound(err) {
			continue
		}
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
