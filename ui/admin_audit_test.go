package ui_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/canaille-go/canaille/store"
)

var (
	auditRowRe   = regexp.MustCompile(`<tr id="event-([^"]+)">`)
	auditOlderRe = regexp.MustCompile(`<a href="([^"]+)" rel="next">`)
)

// auditRows returns the IDs of the events on the page, in order.
func auditRows(body string) []string {
	var out []string
	for _, m := range auditRowRe.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// appendAudit stores an event at a time relative to the fixture's clock.
func (f *fixture) appendAudit(e store.AuditEvent) store.AuditEvent {
	f.t.Helper()
	e, err := f.st.AppendAudit(context.Background(), e)
	if err != nil {
		f.t.Fatal(err)
	}
	return e
}

func TestAdminAuditLog(t *testing.T) {
	f := newFixture(t)
	admin, alice, bob := f.users["admin"], f.users["alice"], f.users["bob"]
	now := f.clock.now()
	day := func(d int) time.Time { return now.AddDate(0, 0, d) }
	evs := []store.AuditEvent{
		{Time: day(-10), ActorID: admin.ID, Actor: "admin", Action: "user.create", TargetKind: "user", Target: "alice", TargetUserID: alice.ID,
			Details: map[string]string{"emails": "alice@example.org", "groups": "staff"}, RemoteAddr: "192.0.2.7"},
		{Time: day(-5), ActorID: admin.ID, Actor: "admin", Action: "group.member_add", TargetKind: "group", Target: "staff",
			TargetUserID: bob.ID, Details: map[string]string{"member": "bob"}},
		{Time: day(-3), ActorID: alice.ID, Actor: "alice", Action: "client.secret_renew", TargetKind: "client", Target: "wiki"},
		{Time: day(-1), ActorID: admin.ID, Actor: "admin", Action: "user.lock", TargetKind: "user", Target: "bob", TargetUserID: bob.ID},
		{Time: day(0), ActorID: admin.ID, Actor: "admin", Action: "custom.thing", TargetKind: "gadget", Target: "<b>x</b>"},
	}
	for i := range evs {
		evs[i] = f.appendAudit(evs[i])
	}
	b := f.browser()
	b.login("admin", adminPass)

	// Everything, newest first, each line in words.
	expect(t, b.get("/admin/audit"), http.StatusOK, "")
	rows := auditRows(b.last)
	if want := []string{evs[4].ID, evs[3].ID, evs[2].ID, evs[1].ID, evs[0].ID}; strings.Join(rows, " ") != strings.Join(want, " ") {
		t.Fatalf("rows %v, want %v", rows, want)
	}
	contains(t, b.last, "Audit log", "Events are kept 400 days",
		"Created the user", "Added a member to the group", "Renewed the application&#39;s secret", "Locked the user",
		`title="user.create"`, "<dt>emails</dt><dd>alice@example.org</dd>", "<dt>groups</dt><dd>staff</dd>",
		"from 192.0.2.7", `<span class="chip">application</span> wiki`,
		evs[0].Time.Local().Format("2006-01-02 15:04:05"),
		// Unknown codes and kinds as they are, escaped.
		"custom.thing", `<span class="chip">gadget</span> &lt;b&gt;x&lt;/b&gt;`)
	if strings.Contains(b.last, "<b>x</b>") {
		t.Error("a target is not escaped")
	}
	// Actors and users acted upon lead to their events; an action on a
	// group names the user it concerns.
	contains(t, b.last, `href="/admin/audit?uid=`+alice.ID+`"`, `href="/admin/audit?uid=`+bob.ID+`"`,
		`<span class="chip">group</span> staff<small class="audit-concerns">concerns <a href="/admin/audit?uid=`+bob.ID+`">bob</a></small>`)

	// In French.
	b.getLang("/admin/audit", "fr")
	contains(t, b.last, "Journal d&#39;audit", "A créé l&#39;utilisateur", "A ajouté un membre au groupe", "A verrouillé l&#39;utilisateur",
		`<span class="chip">utilisateur</span>`, "custom.thing")

	// By user name: the events done by alice and those done to her.
	expect(t, b.get("/admin/audit?user=alice"), http.StatusOK, "")
	if rows := auditRows(b.last); strings.Join(rows, " ") != evs[2].ID+" "+evs[0].ID {
		t.Errorf("alice's events %v", rows)
	}
	contains(t, b.last, "Events done by or to Alice Tester (alice)", `href="/profile/alice/permissions"`, `value="alice"`)
	// By ID (the links of the log): the same, and the name is filled in.
	expect(t, b.get("/admin/audit?uid="+bob.ID), http.StatusOK, "")
	if rows := auditRows(b.last); strings.Join(rows, " ") != evs[3].ID+" "+evs[1].ID {
		t.Errorf("bob's events %v", rows)
	}
	contains(t, b.last, `value="bob"`, `href="/profile/bob/permissions"`)
	// A deleted user's events stay reachable by ID.
	gone := f.appendAudit(store.AuditEvent{Time: day(-2), ActorID: admin.ID, Actor: "admin", Action: "user.delete",
		TargetKind: "user", Target: "carol", TargetUserID: "carol-id"})
	expect(t, b.get("/admin/audit?uid=carol-id"), http.StatusOK, "")
	if rows := auditRows(b.last); len(rows) != 1 || rows[0] != gone.ID {
		t.Errorf("carol's events %v", rows)
	}
	contains(t, b.last, "a user who no longer exists", "Deleted the user")
	// An unknown name is an error on the field, not an empty log.
	expect(t, b.get("/admin/audit?user=nobody"), http.StatusUnprocessableEntity, "")
	contains(t, b.last, "There is no user named “nobody”", `aria-invalid="true"`)
	if len(auditRows(b.last)) != 0 {
		t.Error("rows shown for an unknown user")
	}

	// By dates, both days included, in the server's time zone.
	date := func(d int) string { return day(d).Local().Format("2006-01-02") }
	for _, tt := range []struct {
		query string
		want  []store.AuditEvent
	}{
		{"from=" + date(-5) + "&to=" + date(-1), []store.AuditEvent{evs[3], gone, evs[2], evs[1]}},
		{"from=" + date(-3), []store.AuditEvent{evs[4], evs[3], gone, evs[2]}},
		{"to=" + date(-5), []store.AuditEvent{evs[1], evs[0]}},
		{"to=" + date(-5) + "&user=admin", []store.AuditEvent{evs[1], evs[0]}},
		{"from=" + date(-3) + "&to=" + date(-3) + "&user=bob", nil},
		{"from=" + date(-1) + "&to=" + date(-1) + "&user=bob", []store.AuditEvent{evs[3]}},
	} {
		expect(t, b.get("/admin/audit?"+tt.query), http.StatusOK, "")
		var want []string
		for _, e := range tt.want {
			want = append(want, e.ID)
		}
		if got := auditRows(b.last); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s: rows %v, want %v", tt.query, got, want)
		}
		if tt.want == nil {
			contains(t, b.last, "No event matches this filter.")
		}
	}
	for _, bad := range []string{"from=yesterday", "to=2025-13-01", "from=" + date(0) + "&to=" + date(-2)} {
		if r := b.get("/admin/audit?" + bad); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(b.last, `aria-invalid="true"`) {
			t.Errorf("%s: %d", bad, r.StatusCode)
		}
	}
	contains(t, b.last, "This date is before the start date.")

	// An action on a group concerning a deleted user says so.
	f.appendAudit(store.AuditEvent{Time: day(-2), ActorID: admin.ID, Actor: "admin", Action: "group.member_remove",
		TargetKind: "group", Target: "staff", TargetUserID: "carol-id"})
	b.get("/admin/audit?uid=carol-id")
	contains(t, b.last, `concerns <a href="/admin/audit?uid=carol-id">a deleted user</a>`, "Removed a member from the group")
}

// The log is read a page at a time, through the Before cursor, with the
// filter kept from page to page.
func TestAdminAuditPaging(t *testing.T) {
	f := newFixture(t)
	admin, alice := f.users["admin"], f.users["alice"]
	start := f.clock.now().Add(-200 * time.Hour)
	var aliceEvents []string // newest first
	for i := range 130 {
		e := store.AuditEvent{Time: start.Add(time.Duration(i) * time.Hour), ActorID: admin.ID, Actor: "admin",
			Action: "user.update", TargetKind: "user", Target: "bob", TargetUserID: f.users["bob"].ID,
			Details: map[string]string{"n": fmt.Sprint(i)}}
		if i%2 == 0 {
			e.Target, e.TargetUserID = "alice", alice.ID
		}
		e = f.appendAudit(e)
		if i%2 == 0 {
			aliceEvents = append([]string{e.ID}, aliceEvents...)
		}
	}
	b := f.browser()
	b.login("admin", adminPass)

	var seen []string
	path := "/admin/audit"
	for page := 1; ; page++ {
		expect(t, b.get(path), http.StatusOK, "")
		rows := auditRows(b.last)
		seen = append(seen, rows...)
		if page > 1 {
			contains(t, b.last, "← Newest events")
		} else if strings.Contains(b.last, "Newest events") {
			t.Error("the first page links to itself")
		}
		m := auditOlderRe.FindStringSubmatch(b.last)
		if m == nil {
			if page != 3 || len(rows) != 30 {
				t.Errorf("last page %d has %d rows", page, len(rows))
			}
			break
		}
		if len(rows) != 50 {
			t.Fatalf("page %d has %d rows, want 50", page, len(rows))
		}
		path = html.UnescapeString(m[1])
	}
	all, _ := f.st.ListAudit(context.Background(), store.AuditQuery{})
	if len(seen) != 130 || len(all) != 130 {
		t.Fatalf("saw %d events of %d", len(seen), len(all))
	}
	for i := range all {
		if seen[i] != all[i].ID {
			t.Fatalf("event %d: %s, want %s (newest first, no gap, no repeat)", i, seen[i], all[i].ID)
		}
	}

	// The filter stays on the next pages.
	seen = nil
	path = "/admin/audit?user=alice&from=" + start.Local().Format("2006-01-02")
	for range 5 {
		expect(t, b.get(path), http.StatusOK, "")
		seen = append(seen, auditRows(b.last)...)
		m := auditOlderRe.FindStringSubmatch(b.last)
		if m == nil {
			break
		}
		path = html.UnescapeString(m[1])
		u, _ := url.Parse(path)
		if u.Query().Get("user") != "alice" || u.Query().Get("from") == "" || u.Query().Get("before") == "" {
			t.Fatalf("next page %s loses the filter", path)
		}
	}
	if strings.Join(seen, " ") != strings.Join(aliceEvents, " ") {
		t.Errorf("alice's pages: %d events, want %d", len(seen), len(aliceEvents))
	}
	// A forged cursor is harmless.
	for _, c := range []string{"zzzz", strings.Repeat("f", 500), "%00"} {
		expect(t, b.get("/admin/audit?before="+c), http.StatusOK, "")
	}
}

// The mail page writes its own action to the log, which the audit page
// then shows.
func TestAdminAuditShowsMailTest(t *testing.T) {
	f := newFixture(t)
	b := f.browser()
	b.login("admin", adminPass)
	b.get("/admin/mail")
	b.post("/admin/mail", url.Values{"to": {"ops@example.org"}})
	f.smtp.Wait(t, 1, 5*time.Second)
	b.get("/admin/audit?user=admin")
	if rows := auditRows(b.last); len(rows) != 1 {
		t.Fatalf("rows %v", rows)
	}
	contains(t, b.last, "Sent a test email", `<span class="chip">email</span> ops@example.org`, "<dt>result</dt><dd>sent</dd>", "from 127.0.0.1")
}
