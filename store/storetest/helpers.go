package storetest

import (
	"crypto/sha1"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/canaille-go/canaille/store"
)

// uuidRE matches the form of generated object IDs (store.NewID).
var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// errFn is returned by update closures to test that it passes through.
var errFn = errors.New("storetest: closure refused the change")

// now returns the current time in UTC, truncated to the second so that
// backends storing coarser timestamps compare equal.
func now() time.Time { return time.Now().UTC().Truncate(time.Second) }

// newUser returns a valid user named name, with the email name@example.org.
func newUser(name string) store.User {
	return store.User{
		UserName:   name,
		GivenName:  "Given " + name,
		FamilyName: "Family " + name,
		Emails:     []string{name + "@example.org"},
	}
}

// mustCreateUser creates a valid user named name.
func mustCreateUser(t *testing.T, st store.Store, name string) store.User {
	t.Helper()
	return mustCreateUserWith(t, st, newUser(name))
}

// mustCreateUserWith creates u.
func mustCreateUserWith(t *testing.T, st store.Store, u store.User) store.User {
	t.Helper()
	got, err := st.CreateUser(t.Context(), u)
	if err != nil {
		t.Fatalf("CreateUser(%q): %v", u.UserName, err)
	}
	return got
}

// mustGetUser reads the user with this ID.
func mustGetUser(t *testing.T, st store.Store, id string) store.User {
	t.Helper()
	u, err := st.GetUser(t.Context(), id)
	if err != nil {
		t.Fatalf("GetUser(%q): %v", id, err)
	}
	return u
}

// mustUpdateUser runs fn on the user with this ID.
func mustUpdateUser(t *testing.T, st store.Store, id string, fn func(*store.User) error) store.User {
	t.Helper()
	u, err := st.UpdateUser(t.Context(), id, fn)
	if err != nil {
		t.Fatalf("UpdateUser(%q): %v", id, err)
	}
	return u
}

// mustSetPassword sets the password of the user with this ID.
func mustSetPassword(t *testing.T, st store.Store, id, password string) {
	t.Helper()
	if err := st.SetPassword(t.Context(), id, password); err != nil {
		t.Fatalf("SetPassword(%q): %v", id, err)
	}
}

// mustCreateGroup creates a group named name with these member IDs.
func mustCreateGroup(t *testing.T, st store.Store, name string, memberIDs ...string) store.Group {
	t.Helper()
	return mustCreateGroupWith(t, st, store.Group{DisplayName: name, Members: refs(memberIDs...)})
}

// mustCreateGroupWith creates g.
func mustCreateGroupWith(t *testing.T, st store.Store, g store.Group) store.Group {
	t.Helper()
	got, err := st.CreateGroup(t.Context(), g)
	if err != nil {
		t.Fatalf("CreateGroup(%q): %v", g.DisplayName, err)
	}
	return got
}

// mustGetGroup reads the group with this ID.
func mustGetGroup(t *testing.T, st store.Store, id string) store.Group {
	t.Helper()
	g, err := st.GetGroup(t.Context(), id)
	if err != nil {
		t.Fatalf("GetGroup(%q): %v", id, err)
	}
	return g
}

// mustAddMember adds the user to the group.
func mustAddMember(t *testing.T, st store.Store, groupID, userID string) {
	t.Helper()
	if err := st.AddMember(t.Context(), groupID, userID); err != nil {
		t.Fatalf("AddMember(%q, %q): %v", groupID, userID, err)
	}
}

// refs returns Refs holding these IDs.
func refs(ids ...string) []store.Ref {
	var out []store.Ref
	for _, id := range ids {
		out = append(out, store.Ref{ID: id})
	}
	return out
}

// wantErr fails unless errors.Is(err, target).
func wantErr(t *testing.T, err, target error, what string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: got error %v, want one wrapping %q", what, err, target)
	}
}

// wantNotFound fails unless err wraps store.ErrNotFound.
func wantNotFound(t *testing.T, err error, what string) {
	t.Helper()
	wantErr(t, err, store.ErrNotFound, what)
}

// wantOK fails on a non-nil error.
func wantOK(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// wantValidation fails unless err holds a store.ValidationErrors naming
// exactly these fields (in any order) and errors.As finds a
// *store.ValidationError.
func wantValidation(t *testing.T, err error, fields ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("got no error, want a validation error on %v", fields)
		return
	}
	var one *store.ValidationError
	if !errors.As(err, &one) {
		t.Errorf("errors.As(%v, *store.ValidationError) = false", err)
	}
	var all store.ValidationErrors
	if !errors.As(err, &all) {
		t.Errorf("errors.As(%v, store.ValidationErrors) = false", err)
		return
	}
	var got []string
	for _, e := range all {
		got = append(got, e.Field)
	}
	slices.Sort(got)
	want := slices.Clone(fields)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("validation error fields = %v, want %v (error: %v)", got, want, err)
	}
}

// wantMissingRef accepts the two readings of "members and owners must
// exist": an error wrapping store.ErrNotFound, or a validation error.
func wantMissingRef(t *testing.T, err error, what string) {
	t.Helper()
	var ve *store.ValidationError
	if !errors.Is(err, store.ErrNotFound) && !errors.As(err, &ve) {
		t.Errorf("%s: got error %v, want one wrapping %q or a *store.ValidationError", what, err, store.ErrNotFound)
	}
}

// userNames returns the user names of us.
func userNames(us []store.User) []string {
	var out []string
	for _, u := range us {
		out = append(out, u.UserName)
	}
	return out
}

// groupNames returns the display names of gs.
func groupNames(gs []store.Group) []string {
	var out []string
	for _, g := range gs {
		out = append(out, g.DisplayName)
	}
	return out
}

// sortedFold sorts names case-insensitively, as listings do.
func sortedFold(names []string) []string {
	out := slices.Clone(names)
	slices.SortFunc(out, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	return out
}

// wantNames fails unless got equals want.
func wantNames(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}

// wantRecent fails unless ts lies between from (truncated to the second)
// and one second after to.
func wantRecent(t *testing.T, what string, ts, from, to time.Time) {
	t.Helper()
	if ts.Before(from.Truncate(time.Second)) || ts.After(to.Add(time.Second)) {
		t.Errorf("%s = %v, want between %v and %v", what, ts, from, to)
	}
}

// sshaHash returns the {SSHA} userPassword value of password with salt, as
// slappasswd -h {SSHA} writes it: base64(sha1(password+salt)+salt).
func sshaHash(password string, salt []byte) string {
	h := sha1.New()
	h.Write([]byte(password))
	h.Write(salt)
	return "{SSHA}" + base64.StdEncoding.EncodeToString(append(h.Sum(nil), salt...))
}

// ssha512Hash returns the {SSHA512} value of password with salt.
func ssha512Hash(password string, salt []byte) string {
	h := sha512.New()
	h.Write([]byte(password))
	h.Write(salt)
	return "{SSHA512}" + base64.StdEncoding.EncodeToString(append(h.Sum(nil), salt...))
}

// slappasswdSSHA is `slappasswd -h {SSHA} -s secret` output, a hash made by
// OpenLDAP itself so that the suite does not only check its own encoder.
const slappasswdSSHA = "{SSHA}p8wFeeuNiuG2tqNNHG5CKVcKCIRW3P/1"
