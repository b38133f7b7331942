package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/canaille-go/canaille/store"
)

// RunAudit tests store.AuditLog: events come back newest first, filtered
// by user (who acted or was acted upon) and time, paged with Before, and
// DeleteAuditBefore removes exactly the older ones.
func RunAudit(t *testing.T, s Suite) {
	s.requireFull(t)
	s.subtests(t, []subtest{
		{"AppendAudit/RequiresAction", func(t *testing.T, st store.Store) {
			_, err := st.AppendAudit(t.Context(), store.AuditEvent{Actor: "admin"})
			var ves store.ValidationErrors
			if !errors.As(err, &ves) {
				t.Errorf("AppendAudit without action = %v, want ValidationErrors", err)
			}
		}},
		{"ListAudit/OrderFiltersPages", testListAudit},
		{"DeleteAuditBefore", testDeleteAudit},
	})
}

func appendEvents(t *testing.T, st store.Store, T time.Time) []store.AuditEvent {
	t.Helper()
	var out []store.AuditEvent
	for i := range 10 {
		e := store.AuditEvent{Time: T.Add(time.Duration(i) * time.Minute), ActorID: "admin-id", Actor: "admin",
			Action: "user.update", TargetKind: "user", Target: fmt.Sprintf("user%d", i),
			Details: map[string]string{"field": "given_name"}}
		if i%2 == 0 {
			e.TargetUserID = "alice-id"
		} else {
			e.TargetUserID = "bob-id"
		}
		if i == 9 {
			e.ActorID, e.Actor = "alice-id", "alice"
			e.TargetUserID = ""
		}
		got, err := st.AppendAudit(t.Context(), e)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID == "" || !got.Time.Equal(e.Time) {
			t.Fatalf("AppendAudit = %+v", got)
		}
		out = append(out, got)
	}
	return out
}

func targets(es []store.AuditEvent) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Target)
	}
	return out
}

func testListAudit(t *testing.T, st store.Store) {
	T := now().Add(-time.Hour)
	appendEvents(t, st, T)
	ctx := t.Context()
	all, err := st.ListAudit(ctx, store.AuditQuery{})
	if err != nil || len(all) != 10 || all[0].Target != "user9" || all[9].Target != "user0" {
		t.Fatalf("ListAudit(all) = %v, %v; want 10, newest first", targets(all), err)
	}
	if all[0].Details["field"] != "given_name" {
		t.Errorf("details lost: %+v", all[0])
	}
	alice, _ := st.ListAudit(ctx, store.AuditQuery{UserID: "alice-id"})
	if got := fmt.Sprint(targets(alice)); got != "[user9 user8 user6 user4 user2 user0]" {
		t.Errorf("ListAudit(alice) = %s", got)
	}
	page1, _ := st.ListAudit(ctx, store.AuditQuery{Limit: 4})
	page2, _ := st.ListAudit(ctx, store.AuditQuery{Limit: 4, Before: page1[3].ID})
	if got := fmt.Sprint(targets(page1), targets(page2)); got != "[user9 user8 user7 user6] [user5 user4 user3 user2]" {
		t.Errorf("pages = %s", got)
	}
	bobPage, _ := st.ListAudit(ctx, store.AuditQuery{UserID: "bob-id", Limit: 2, Before: all[2].ID})
	if got := fmt.Sprint(targets(bobPage)); got != "[user5 user3]" {
		t.Errorf("bob's page before user7 = %s", got)
	}
	window, _ := st.ListAudit(ctx, store.AuditQuery{Since: T.Add(3 * time.Minute), Until: T.Add(6 * time.Minute)})
	if got := fmt.Sprint(targets(window)); got != "[user5 user4 user3]" {
		t.Errorf("window [3 min, 6 min) = %s", got)
	}
}

func testDeleteAudit(t *testing.T, st store.Store) {
	T := now().Add(-time.Hour)
	appendEvents(t, st, T)
	ctx := t.Context()
	n, err := st.DeleteAuditBefore(ctx, T.Add(5*time.Minute))
	if err != nil || n != 5 {
		t.Fatalf("DeleteAuditBefore = %d, %v; want 5", n, err)
	}
	left, _ := st.ListAudit(ctx, store.AuditQuery{})
	if got := fmt.Sprint(targets(left)); got != "[user9 user8 user7 user6 user5]" {
		t.Errorf("left = %s", got)
	}
	alice, _ := st.ListAudit(ctx, store.AuditQuery{UserID: "alice-id"})
	if got := fmt.Sprint(targets(alice)); got != "[user9 user8 user6]" {
		t.Errorf("alice's events left = %s", got)
	}
}
