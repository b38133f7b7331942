package ui_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/canaille-go/canaille/ui"
)

func TestSignInOutcomes(t *testing.T) {
	var mu sync.Mutex
	got := map[string]int{}
	f := newFixture(t, func(c *ui.Config) {
		c.SignIn = func(outcome string) {
			mu.Lock()
			got[outcome]++
			mu.Unlock()
		}
	})
	b := f.browser()
	b.login("alice", alicePass)
	b = f.browser()
	b.get("/login")
	expect(t, b.post("/login", url.Values{"login": {"bob"}}), http.StatusSeeOther, "/auth/password")
	b.get("/auth/password")
	expect(t, b.post("/auth/password", url.Values{"password": {"wrong-one"}}), http.StatusUnprocessableEntity, "")
	// The failure makes the next attempt wait (intruder lockout).
	expect(t, b.post("/auth/password", url.Values{"password": {bobPass}}), http.StatusTooManyRequests, "")
	mu.Lock()
	defer mu.Unlock()
	if got["success"] != 1 || got["failure"] != 1 || got["locked"] != 1 {
		t.Errorf("sign-in outcomes = %v, want one success, one failure, one locked", got)
	}
}

func TestWithRoute(t *testing.T) {
	f := newFixture(t)
	for path, want := range map[string]string{
		"/login":                  "/login",
		"/profile/alice":          "/profile/:user",
		"/static/css/nothing.css": "/static/*file",
		"/no/such/page":           "",
	} {
		var route string
		r := httptest.NewRequest(http.MethodGet, f.srv.URL+path, nil)
		r = r.WithContext(ui.WithRoute(r.Context(), &route))
		f.app.ServeHTTP(httptest.NewRecorder(), r)
		if route != want {
			t.Errorf("%s: route %q, want %q", path, route, want)
		}
	}
}
