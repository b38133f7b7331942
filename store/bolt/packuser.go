package bolt

import (
	"encoding/binary"
	"time"

	"github.com/canaille-go/canaille/store"
)

// A packed user is a decoded user in one pointer-free block of bytes, the
// form the user cache keeps. A decoded store.User holds some forty
// pointers (its strings, slices and the locations of its times) that the
// collector follows at every cycle; 10,000 cached users were about 9 MB of
// the live heap of an LDAP server, and most of its marking work. A block
// is a single object without pointers, which the collector marks without
// looking inside, and it is unpacked into a fresh user (one copy of the
// block for every string, one slice per list) at each cache hit.
//
// The block is private to the process and never stored: its layout may
// change freely. Fields go in the order of packedStrings, packedTimes,
// then the numbers, the flag and the lists, each string and time with a
// uvarint length in front.

// packedStrings lists the user's single-valued strings in block order.
func packedStrings(u *store.User) [22]*string {
	return [22]*string{&u.ID, &u.UserName, &u.FormattedName, &u.DisplayName, &u.GivenName,
		&u.FamilyName, &u.FormattedAddress, &u.Street, &u.PostalCode, &u.Locality, &u.Region,
		&u.ProfileURL, &u.Title, &u.Organization, &u.EmployeeNumber, &u.Department,
		&u.PreferredLanguage, &u.HomeDirectory, &u.LoginShell, &u.PasswordHash,
		&u.SecretToken, &u.OneTimePassword}
}

// packedTimes lists the user's single-valued times in block order.
func packedTimes(u *store.User) [6]*time.Time {
	return [6]*time.Time{&u.Created, &u.LastModified, &u.PasswordLastUpdate, &u.LockDate,
		&u.LastOTPLogin, &u.OneTimePasswordEmissionDate}
}

// packUser appends the block of u to dst. It fails only for a time that
// time.Time cannot encode (a zone offset that is not a whole minute),
// which the caller then does not cache.
func packUser(dst []byte, u *store.User) ([]byte, bool) {
	for _, s := range packedStrings(u) {
		dst = packString(dst, *s)
	}
	var ok bool
	for _, t := range packedTimes(u) {
		if dst, ok = packTime(dst, *t); !ok {
			return nil, false
		}
	}
	dst = binary.AppendUvarint(dst, uint64(u.UIDNumber))
	dst = binary.AppendUvarint(dst, uint64(u.GIDNumber))
	dst = binary.AppendUvarint(dst, u.HOTPCounter)
	if u.HasPhoto {
		dst = append(dst, 1)
	} else {
		dst = append(dst, 0)
	}
	dst = packStrings(dst, u.Emails)
	dst = packStrings(dst, u.PhoneNumbers)
	dst = packList(dst, u.Groups == nil, len(u.Groups))
	for _, r := range u.Groups {
		dst = packString(packString(dst, r.ID), r.Name)
	}
	dst = packList(dst, u.PasswordFailureTimestamps == nil, len(u.PasswordFailureTimestamps))
	for _, t := range u.PasswordFailureTimestamps {
		if dst, ok = packTime(dst, t); !ok {
			return nil, false
		}
	}
	return dst, true
}

func packString(dst []byte, s string) []byte {
	return append(binary.AppendUvarint(dst, uint64(len(s))), s...)
}

func packTime(dst []byte, t time.Time) ([]byte, bool) {
	if t.IsZero() && t.Location() == time.UTC {
		return append(dst, 0), true
	}
	at := len(dst)
	dst = append(dst, 0)
	dst, err := t.AppendBinary(dst)
	if err != nil || len(dst)-at-1 > 127 {
		return nil, false
	}
	dst[at] = byte(len(dst) - at - 1)
	return dst, true
}

// packList writes a list's length, 0 for nil and n+1 otherwise, so that
// an empty list and no list come back as they were.
func packList(dst []byte, isNil bool, n int) []byte {
	if isNil {
		return append(dst, 0)
	}
	return binary.AppendUvarint(dst, uint64(n)+1)
}

func packStrings(dst []byte, l []string) []byte {
	dst = packList(dst, l == nil, len(l))
	for _, s := range l {
		dst = packString(dst, s)
	}
	return dst
}

// unpacker reads a block; any inconsistency sets bad and yields zero
// values from then on.
type unpacker struct {
	b   []byte
	all string // the block as one string, which every string field shares
	at  int
	bad bool
}

func (p *unpacker) uvarint() uint64 {
	if p.bad {
		return 0
	}
	v, n := binary.Uvarint(p.b[p.at:])
	if n <= 0 {
		p.bad = true
		return 0
	}
	p.at += n
	return v
}

func (p *unpacker) string() string {
	n := p.uvarint()
	if p.bad || n > uint64(len(p.b)-p.at) {
		p.bad = true
		return ""
	}
	s := p.all[p.at : p.at+int(n)]
	p.at += int(n)
	return s
}

func (p *unpacker) time() time.Time {
	n := int(p.uvarint())
	if p.bad || n > len(p.b)-p.at {
		p.bad = true
		return time.Time{}
	}
	var t time.Time
	if n > 0 {
		if err := t.UnmarshalBinary(p.b[p.at : p.at+n]); err != nil {
			p.bad = true
		}
	}
	p.at += n
	return t
}

// list reads a list's length: -1 for nil. A length beyond what the rest
// of the block could hold is an error, so that a bad block allocates
// nothing large.
func (p *unpacker) list() int {
	n := p.uvarint()
	if p.bad || n == 0 {
		return -1
	}
	if n-1 > uint64(len(p.b)-p.at) {
		p.bad = true
		return -1
	}
	return int(n - 1)
}

func (p *unpacker) strings() []string {
	n := p.list()
	if n < 0 {
		return nil
	}
	l := make([]string, n)
	for i := range l {
		l[i] = p.string()
	}
	return l
}

// unpackUser returns the user of a block made by packUser, with strings
// and slices of its own.
func unpackUser(b []byte) (store.User, bool) {
	p := &unpacker{b: b, all: string(b)}
	var u store.User
	for _, s := range packedStrings(&u) {
		*s = p.string()
	}
	for _, t := range packedTimes(&u) {
		*t = p.time()
	}
	u.UIDNumber = uint32(p.uvarint())
	u.GIDNumber = uint32(p.uvarint())
	u.HOTPCounter = p.uvarint()
	if !p.bad && p.at < len(b) {
		u.HasPhoto = b[p.at] == 1
		p.at++
	} else {
		p.bad = true
	}
	u.Emails = p.strings()
	u.PhoneNumbers = p.strings()
	if n := p.list(); n >= 0 {
		u.Groups = make([]store.Ref, n)
		for i := range u.Groups {
			u.Groups[i] = store.Ref{ID: p.string(), Name: p.string()}
		}
	}
	if n := p.list(); n >= 0 {
		u.PasswordFailureTimestamps = make([]time.Time, n)
		for i := range u.PasswordFailureTimestamps {
			u.PasswordFailureTimestamps[i] = p.time()
		}
	}
	if p.bad || p.at != len(b) {
		return store.User{}, false
	}
	return u, true
}
