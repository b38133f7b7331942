package main

import (
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// workload is one kind of operation that run repeats.
type workload struct {
	name string
	// bindFirst binds each connection as the service account once, when it
	// is opened (searches need an identity allowed to read).
	bindFirst bool
	// op performs one counted operation on the worker's connection.
	op func(w *worker) error
}

// workloads are the workloads of run, in the order its help lists them.
var workloads = []*workload{
	{"bind", false, opBind},
	{"search-eq", true, opSearchEq},
	{"search-sub", true, opSearchSub},
	{"bind-search", false, opBindSearch},
	{"search-all", true, opSearchAll},
}

func findWorkload(name string) *workload {
	for _, w := range workloads {
		if w.name == name {
			return w
		}
	}
	return nil
}

func workloadNames() string {
	names := make([]string, len(workloads))
	for i, w := range workloads {
		names[i] = w.name
	}
	return strings.Join(names, "|")
}

// passwdAttributes are the attributes nslcd asks for a passwd look-up
// (without userPassword, which a well-configured nslcd does not request).
var passwdAttributes = []string{"uid", "uidNumber", "gidNumber", "cn", "gecos", "homeDirectory", "loginShell"}

// requestTimeout bounds one LDAP request, so that a stalled server shows
// up as errors instead of a hang.
const requestTimeout = 10 * time.Second

// subSizeLimit is the size limit of search-sub requests: each filter
// matches at most 100 users, so the limit is not reached.
const subSizeLimit = 100

// searchAllPageSize is the page size of search-all.
const searchAllPageSize = 500

// worker is one connection and its measurements; one goroutine owns it.
type worker struct {
	cfg  *runConfig
	id   int
	conn *client
	rng  *rand.Rand
	hist histogram
	// reqHist holds the round trip of each request of the successful
	// operations (a bind-search is three requests, a search-all page one).
	reqHist histogram
	// errors counts failed operations in the measured window; errSamples
	// keeps the first few distinct messages with their counts.
	errors     int64
	errSamples map[string]int64
}

// maxErrSamples bounds the distinct error messages kept per worker.
const maxErrSamples = 5

func newDialer() *net.Dialer { return &net.Dialer{Timeout: dialTimeout} }

// connect opens the worker's connection and, for workloads that need it,
// binds as the service account.
func (w *worker) connect() error {
	w.close()
	c, err := dialClient(w.cfg.url, requestTimeout)
	if err != nil {
		return err
	}
	w.conn = c
	if w.cfg.workload.bindFirst {
		if err := w.bindService(); err != nil {
			w.close()
			return err
		}
	}
	return nil
}

// close closes the worker's connection.
func (w *worker) close() {
	if w.conn != nil {
		w.conn.close()
		w.conn = nil
	}
}

// bindService binds as the service account.
func (w *worker) bindService() error {
	return w.conn.bind(w.cfg.serviceDN, w.cfg.servicePassword)
}

// randomUser draws a user number.
func (w *worker) randomUser() int { return w.rng.IntN(w.cfg.users) }

func opBind(w *worker) error {
	i := w.randomUser()
	return w.conn.bind(userDN(w.cfg.base, i), userPassword(i))
}

// searchUser looks up user i by uid with attrs, checks that exactly that
// user came back, and returns its DN and the value of attribute check.
func (w *worker) searchUser(i int, attrs []string, check string) (dn, value string, err error) {
	name := userName(i)
	var entryErr error
	req := &searchRequest{
		base: "ou=users," + w.cfg.base,
		filter: func(e *encoder) {
			filterAnd(e,
				func(e *encoder) { filterEq(e, "objectClass", "posixAccount") },
				func(e *encoder) { filterEq(e, "uid", name) })
		},
		attrs: attrs,
		desc:  "uid=" + name,
		onEntry: func(body []byte) error {
			dn, value, entryErr = entryValue(body, check)
			return entryErr
		},
	}
	n, err := w.conn.search(req)
	switch {
	case err != nil:
		return "", "", err
	case n != 1:
		return "", "", fmt.Errorf("search uid=%s: %d entries instead of 1", name, n)
	case value == "":
		return "", "", fmt.Errorf("search uid=%s: entry %s has no %s", name, dn, check)
	}
	return dn, value, nil
}

func opSearchEq(w *worker) error {
	_, _, err := w.searchUser(w.randomUser(), passwdAttributes, "uidNumber")
	return err
}

func opSearchSub(w *worker) error {
	// cn is "GivenNNNNNN FamilyNNNNNN": *FamilyKKKK* matches the (up to) 100
	// users whose number starts with KKKK.
	k := w.rng.IntN((w.cfg.users + 99) / 100)
	value := fmt.Sprintf("Family%04d", k)
	req := &searchRequest{
		base: "ou=users," + w.cfg.base,
		filter: func(e *encoder) {
			filterAnd(e,
				func(e *encoder) { filterEq(e, "objectClass", "posixAccount") },
				func(e *encoder) { filterAny(e, "cn", value) })
		},
		attrs:     passwdAttributes,
		sizeLimit: subSizeLimit,
		desc:      "cn=*" + value + "*",
	}
	n, err := w.conn.search(req)
	if err != nil && !(resultCode(err) == ldap.LDAPResultSizeLimitExceeded && n > 0) {
		return err
	}
	if n == 0 {
		return fmt.Errorf("search cn=*%s*: no entry", value)
	}
	return nil
}

func opBindSearch(w *worker) error {
	if err := w.bindService(); err != nil {
		return err
	}
	i := w.randomUser()
	dn, _, err := w.searchUser(i, []string{"uid", "mail", "cn"}, "uid")
	if err != nil {
		return err
	}
	return w.conn.bind(dn, userPassword(i))
}

func opSearchAll(w *worker) error {
	req := &searchRequest{
		base:     "ou=users," + w.cfg.base,
		filter:   func(e *encoder) { filterEq(e, "objectClass", "posixAccount") },
		attrs:    passwdAttributes,
		pageSize: searchAllPageSize,
		desc:     "of all users",
	}
	total := 0
	for {
		n, err := w.conn.search(req)
		total += n
		if err != nil {
			return err
		}
		if req.nextCookie == nil {
			break
		}
		req.cookie = req.nextCookie
	}
	if total < w.cfg.users {
		return fmt.Errorf("search of all users: %d entries, expected at least %d", total, w.cfg.users)
	}
	return nil
}

// attempt performs one operation, first reconnecting when the previous
// one broke the connection. A failed reconnection is the operation's
// error, after a pause so that a vanished server is not hammered.
func (w *worker) attempt() error {
	if w.conn == nil {
		if err := w.connect(); err != nil {
			time.Sleep(50 * time.Millisecond)
			return err
		}
	}
	err := w.cfg.workload.op(w)
	if err != nil && isConnError(err) {
		w.close()
	}
	return err
}

// requests records the request round trips of a successful measured
// operation, and starts the next operation's list.
func (w *worker) requests(record bool) {
	if w.conn == nil {
		return
	}
	if record {
		for _, d := range w.conn.lat {
			w.reqHist.record(d)
		}
	}
	w.conn.lat = w.conn.lat[:0]
}

// fail records a failed operation of the measured window.
func (w *worker) fail(err error) {
	w.errors++
	msg := err.Error()
	if _, ok := w.errSamples[msg]; ok || len(w.errSamples) < maxErrSamples {
		w.errSamples[msg]++
	}
}
