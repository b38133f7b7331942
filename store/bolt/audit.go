package bolt

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/canaille-go/canaille/store"
)

// Audit events are keyed by their ID, which starts with the hex of their
// time in unix nanoseconds: the bucket is in time order, and listing the
// newest first is a backward walk. audit_user indexes them by the user who
// acted and the user acted upon.

func auditID(t time.Time) string {
	return fmt.Sprintf("%016x-%s", uint64(max(t.UnixNano(), 0)), store.NewID()[:8])
}

// AppendAudit implements store.AuditLog.
func (s *Store) AppendAudit(ctx context.Context, e store.AuditEvent) (store.AuditEvent, error) {
	if e.Action == "" {
		return e, fmt.Errorf("bolt: append audit: %w", store.ValidationErrors{{Field: "action", Reason: "is required"}})
	}
	if e.Time.IsZero() {
		e.Time = s.now()
	}
	e.Time = e.Time.UTC()
	if e.ID == "" {
		e.ID = auditID(e.Time)
	}
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		if err := putJSON(tx, bAudit, e.ID, e); err != nil {
			return err
		}
		idx := tx.Bucket(bAuditUser)
		for _, u := range []string{e.ActorID, e.TargetUserID} {
			if u != "" {
				if err := idx.Put([]byte(u+"\x00"+e.ID), nil); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return e, err
}

// ListAudit implements store.AuditLog.
func (s *Store) ListAudit(ctx context.Context, q store.AuditQuery) ([]store.AuditEvent, error) {
	var out []store.AuditEvent
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		events := tx.Bucket(bAudit)
		if events == nil { // an older file opened read-only
			return nil
		}
		upper := "\xff"
		if !q.Until.IsZero() {
			upper = fmt.Sprintf("%016x", uint64(max(q.Until.UnixNano(), 0)))
		}
		if q.Before != "" && q.Before < upper {
			upper = q.Before
		}
		lower := ""
		if !q.Since.IsZero() {
			lower = fmt.Sprintf("%016x", uint64(max(q.Since.UnixNano(), 0)))
		}
		var c *bbolt.Cursor
		prefix := []byte{}
		if q.UserID != "" {
			c = tx.Bucket(bAuditUser).Cursor()
			prefix = []byte(q.UserID + "\x00")
		} else {
			c = events.Cursor()
		}
		k, _ := c.Seek(append(bytes.Clone(prefix), upper...))
		if k == nil {
			k, _ = c.Last()
		} else {
			k, _ = c.Prev() // Seek lands on the first key >= upper
		}
		for ; k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Prev() {
			if err := ctx.Err(); err != nil {
				return err
			}
			id := string(k[len(prefix):])
			if id >= upper {
				continue
			}
			if id < lower {
				break
			}
			var e store.AuditEvent
			if err := getJSON(tx, bAudit, id, &e); err != nil {
				return err
			}
			out = append(out, e)
			if q.Limit > 0 && len(out) >= q.Limit {
				break
			}
		}
		return nil
	})
	return out, err
}

// DeleteAuditBefore implements store.AuditLog.
func (s *Store) DeleteAuditBefore(ctx context.Context, t time.Time) (int, error) {
	limit := fmt.Sprintf("%016x", uint64(max(t.UnixNano(), 0)))
	total := 0
	for {
		n := 0
		err := s.update(ctx, func(tx *bbolt.Tx) error {
			events, idx := tx.Bucket(bAudit), tx.Bucket(bAuditUser)
			var ids []string
			c := events.Cursor()
			for k, _ := c.First(); k != nil && string(k) < limit && len(ids) < cleanBatch; k, _ = c.Next() {
				ids = append(ids, string(k))
			}
			for _, id := range ids {
				var e store.AuditEvent
				if err := getJSON(tx, bAudit, id, &e); err == nil {
					for _, u := range []string{e.ActorID, e.TargetUserID} {
						if u != "" {
							if err := idx.Delete([]byte(u + "\x00" + id)); err != nil {
								return err
							}
						}
					}
				}
				if err := events.Delete([]byte(id)); err != nil {
					return err
				}
			}
			n = len(ids)
			return nil
		})
		total += n
		if err != nil || n < cleanBatch {
			return total, err
		}
	}
}
