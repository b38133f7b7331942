package store

import (
	"context"
	"time"
)

// AuditEvent is one administrative action (a user created, a group
// renamed, a client deleted, a token revoked, an impersonation…), kept so
// that administrators can see who did what to whom.
type AuditEvent struct {
	ID   string    `json:"id"`
	Time time.Time `json:"time"`
	// ActorID and Actor are the store ID and user name of who acted.
	ActorID string `json:"actor_id,omitempty"`
	Actor   string `json:"actor,omitempty"`
	// Action names what was done, as "kind.verb": "user.create",
	// "user.lock", "group.member_add", "client.delete", "token.revoke".
	Action string `json:"action"`
	// TargetKind ("user", "group", "client", "token") and Target (its
	// natural name: user name, group name, client_id, token ID) name what
	// the action was done to; TargetUserID is the store ID of the user it
	// concerns, if any, for the per-user view.
	TargetKind   string `json:"target_kind,omitempty"`
	Target       string `json:"target,omitempty"`
	TargetUserID string `json:"target_user_id,omitempty"`
	// Details are what changed, by field (never secrets).
	Details    map[string]string `json:"details,omitempty"`
	RemoteAddr string            `json:"remote_addr,omitempty"`
}

// AuditQuery selects audit events; empty fields match everything.
type AuditQuery struct {
	// UserID keeps the events done by or to this user.
	UserID string
	// Since and Until bound the time (Until excluded).
	Since, Until time.Time
	// Before continues a listing: only events older than the event with
	// this ID.
	Before string
	Limit  int
}

// AuditLog keeps audit events.
type AuditLog interface {
	// AppendAudit stores e; e.Action is required, e.ID and e.Time are set
	// when empty.
	AppendAudit(ctx context.Context, e AuditEvent) (AuditEvent, error)
	// ListAudit returns matching events, newest first.
	ListAudit(ctx context.Context, q AuditQuery) ([]AuditEvent, error)
	// DeleteAuditBefore removes the events older than t and returns how
	// many it removed.
	DeleteAuditBefore(ctx context.Context, t time.Time) (int, error)
}
