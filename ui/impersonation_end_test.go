package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/canaille-go/canaille/store"
)

// TestImpersonationEndsWithTheAdministrator: an impersonation session
// stops working as soon as the administrator behind it is locked.
func TestImpersonationEndsWithTheAdministrator(t *testing.T) {
	f := newFixture(t)
	b := uaAdmin(t, f)
	expect(t, b.post("/profile/alice/impersonate", url.Values{"confirm": {"yes"}}), http.StatusSeeOther, "/profile/alice")
	expect(t, b.get("/profile/alice"), http.StatusOK, "")
	contains(t, b.last, "admin, you are acting as alice.")
	if _, err := f.st.UpdateUser(context.Background(), f.users["admin"].ID, func(u *store.User) error {
		u.LockDate = f.clock.now().Add(-time.Second)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	expect(t, b.get("/profile/alice"), http.StatusSeeOther, "/login?next=%2Fprofile%2Falice")
	if s, _ := f.st.ListSessions(context.Background(), f.users["alice"].ID); len(s) != 0 {
		t.Errorf("the impersonation session survived its administrator's lock: %+v", s)
	}
}
