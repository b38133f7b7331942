package bolt

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/canaille-go/canaille/store"
)

// fillUser sets every field of a user to a value that differs from its
// zero value and from the other fields, by reflection, so that a field
// added to store.User and forgotten by packUser fails TestPackUser.
func fillUser(t *testing.T, seed int) store.User {
	var u store.User
	v := reflect.ValueOf(&u).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		name := v.Type().Field(i).Name
		n := seed*100 + i + 1
		switch f.Interface().(type) {
		case string:
			f.SetString(fmt.Sprintf("%s-%d-é", name, n))
		case []string:
			f.Set(reflect.ValueOf([]string{fmt.Sprintf("%s-a-%d", name, n), "", fmt.Sprintf("%s-b", name)}))
		case bool:
			f.SetBool(true)
		case uint32, uint64:
			f.SetUint(uint64(n) << 20)
		case time.Time:
			f.Set(reflect.ValueOf(time.Unix(int64(1_700_000_000+n*3600), int64(n)).UTC()))
		case []time.Time:
			f.Set(reflect.ValueOf([]time.Time{time.Unix(int64(n), 0).UTC(), time.Unix(int64(2*n), 999).In(time.FixedZone("", 5*3600+30*60))}))
		case []store.Ref:
			f.Set(reflect.ValueOf([]store.Ref{{ID: "g1", Name: "Group one"}, {ID: "g2"}}))
		default:
			t.Fatalf("store.User.%s: type %s unknown to this test and maybe to packUser", name, f.Type())
		}
	}
	return u
}

func roundTrip(t *testing.T, u store.User) store.User {
	t.Helper()
	b, ok := packUser(nil, &u)
	if !ok {
		t.Fatalf("packUser refused %+v", u)
	}
	got, ok := unpackUser(b)
	if !ok {
		t.Fatalf("unpackUser refused its own block for %+v", u)
	}
	return got
}

func TestPackUser(t *testing.T) {
	full := fillUser(t, 1)
	if got := roundTrip(t, full); !reflect.DeepEqual(got, full) {
		t.Errorf("round trip of a full user:\n got %+v\nwant %+v", got, full)
	}
	// Empty and nil lists stay what they were; zero times stay zero.
	for _, u := range []store.User{{}, {ID: "x", Emails: []string{}, Groups: []store.Ref{}, PasswordFailureTimestamps: []time.Time{}}} {
		if got := roundTrip(t, u); !reflect.DeepEqual(got, u) {
			t.Errorf("round trip:\n got %#v\nwant %#v", got, u)
		}
	}
	// Times keep their instant and their offset.
	paris := time.FixedZone("", 3600)
	u := store.User{Created: time.Date(2026, 11, 29, 6, 0, 0, 123, paris), LockDate: time.Date(1, 1, 1, 0, 0, 0, 0, paris)}
	got := roundTrip(t, u)
	for i, pair := range [][2]time.Time{{got.Created, u.Created}, {got.LockDate, u.LockDate}} {
		_, off1 := pair[0].Zone()
		_, off2 := pair[1].Zone()
		if !pair[0].Equal(pair[1]) || off1 != off2 {
			t.Errorf("time %d: got %v, want %v", i, pair[0], pair[1])
		}
	}
	// The user a cache hit returns is what decoding the record gives.
	raw, err := json.Marshal(userRecord{User: full, PasswordHash: full.PasswordHash, SecretToken: full.SecretToken, OneTimePassword: full.OneTimePassword})
	if err != nil {
		t.Fatal(err)
	}
	var rec userRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		t.Fatal(err)
	}
	dec := rec.User
	dec.PasswordHash, dec.SecretToken, dec.OneTimePassword = rec.PasswordHash, rec.SecretToken, rec.OneTimePassword
	if got := roundTrip(t, dec); !reflect.DeepEqual(got, dec) {
		t.Errorf("round trip of a decoded record:\n got %+v\nwant %+v", got, dec)
	}
}

// Each hit returns a user of its own: changing its lists does not change
// the cache, and the block is shared by nobody.
func TestDecodeCacheHitsAreCopies(t *testing.T) {
	c := newDecodeCache()
	u := fillUser(t, 2)
	raw := []byte(`{"stored":"bytes"}`)
	c.put(u.ID, raw, u)
	a, ok := c.get(u.ID, raw)
	if !ok || !reflect.DeepEqual(a, u) {
		t.Fatalf("hit: %v %+v", ok, a)
	}
	a.Emails[0] = "changed"
	a.Groups[0].Name = "changed"
	a.PasswordFailureTimestamps[0] = time.Time{}
	b, _ := c.get(u.ID, raw)
	if !reflect.DeepEqual(b, u) {
		t.Errorf("a change to a hit reached the cache: %+v", b)
	}
	if _, ok := c.get(u.ID, []byte(`{"stored":"other"}`)); ok {
		t.Error("a hit for other stored bytes")
	}
}

func TestUnpackUserRejectsBadBlocks(t *testing.T) {
	u := fillUser(t, 3)
	b, _ := packUser(nil, &u)
	for n := range len(b) {
		if _, ok := unpackUser(b[:n]); ok {
			t.Fatalf("a block cut at %d of %d unpacked", n, len(b))
		}
	}
	if _, ok := unpackUser(append(b, 0)); ok {
		t.Error("a block with a trailing byte unpacked")
	}
}

func FuzzUnpackUser(f *testing.F) {
	for i := range 3 {
		u := fillUser(&testing.T{}, i)
		b, _ := packUser(nil, &u)
		f.Add(b)
	}
	empty, _ := packUser(nil, &store.User{})
	f.Add(empty)
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		u, ok := unpackUser(b) // must not panic nor allocate beyond the block
		if !ok {
			return
		}
		// Whatever unpacks packs back to a block that gives the same user.
		again, ok := packUser(nil, &u)
		if !ok {
			return
		}
		u2, ok := unpackUser(again)
		if !ok || !reflect.DeepEqual(normalizeTimes(u), normalizeTimes(u2)) {
			t.Fatalf("repack differs:\n%+v\n%+v", u, u2)
		}
	})
}

// normalizeTimes makes times comparable with DeepEqual whatever their
// Location pointer (a fixed zone unpacks into a new one each time).
func normalizeTimes(u store.User) store.User {
	for _, t := range packedTimes(&u) {
		*t = time.Unix(0, t.UnixNano()).UTC()
	}
	for i, t := range u.PasswordFailureTimestamps {
		u.PasswordFailureTimestamps[i] = time.Unix(0, t.UnixNano()).UTC()
	}
	return u
}
