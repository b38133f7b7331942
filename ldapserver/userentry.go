package ldapserver

import (
	"bytes"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/canaille-go/canaille/schemas"
	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/ldif"
)

// Searches over users evaluate their filter on the store's record and
// build only the attributes they return, in a buffer reused from one user
// to the next: building each user's entry (schemas.UserToEntry, then
// access control and the selection, each a copy) cost more than the rest
// of a listing. userBuilder writes the same attributes, with the same
// values in the same order, as the general path (userEntry, readable,
// project); TestUserBuilderMatchesUserEntry checks it. The few values it
// does not compute itself (a photo, several phone numbers, several
// groups, password failure times) send that user through the general
// path.

// slot is an attribute of the user entries the directory builds.
type slot uint8

// The slots, in the order of schemas.UserToEntry, then addOperational.
const (
	uaObjectClass slot = iota
	uaUID
	uaCN
	uaSN
	uaGivenName
	uaDisplayName
	uaMail
	uaTelephoneNumber
	uaPostalAddress
	uaStreet
	uaPostalCode
	uaL
	uaST
	uaLabeledURI
	uaTitle
	uaO
	uaDepartmentNumber
	uaEmployeeNumber
	uaPreferredLanguage
	uaJPEGPhoto
	uaUIDNumber
	uaGIDNumber
	uaHomeDirectory
	uaLoginShell
	uaUserPassword
	uaMemberOf
	uaEntryUUID
	uaCreateTimestamp
	uaModifyTimestamp
	uaPwdChangedTime
	uaPwdEndTime
	uaPwdFailureTime
	uaStructuralObjectClass
	uaEntryDN
	uaHasSubordinates
	uaSubschemaSubentry
	slotCount
)

// userSlotNames are the slots' attribute names, as the entries name them.
var userSlotNames = [slotCount]string{"objectClass", "uid", "cn", "sn", "givenName", "displayName", "mail",
	"telephoneNumber", "postalAddress", "street", "postalCode", "l", "st", "labeledURI", "title", "o",
	"departmentNumber", "employeeNumber", "preferredLanguage", "jpegPhoto", "uidNumber", "gidNumber",
	"homeDirectory", "loginShell", "userPassword", "memberOf", "entryUUID", "createTimestamp",
	"modifyTimestamp", "pwdChangedTime", "pwdEndTime", "pwdFailureTime", "structuralObjectClass", "entryDN",
	"hasSubordinates", "subschemaSubentry"}

// slotMask is a set of slots.
type slotMask uint64

const allSlots slotMask = 1<<slotCount - 1

func (m slotMask) has(s slot) bool { return m&(1<<s) != 0 }

// slotByLower finds a slot by its lower-case name.
var slotByLower = func() map[string]slot {
	m := make(map[string]slot, slotCount)
	for i, n := range userSlotNames {
		m[strings.ToLower(n)] = slot(i)
	}
	return m
}()

// privateSlots are readable only with passwords (see privateAttrs).
const privateSlots slotMask = 1<<uaUserPassword | 1<<uaPwdFailureTime

// userMask returns the slots of user userID's entry that a may read.
func (a *access) userMask(userID string) slotMask {
	switch {
	case a.passwords && (a.whole || a.users):
		return allSlots
	case a.whole || a.users:
		return allSlots &^ privateSlots
	case userID == a.selfID:
		return a.selfMask
	}
	return 0
}

// selfSlots computes access.selfMask (after selfAttrs and passwords).
func (a *access) selfSlots() slotMask {
	var m slotMask
	for i, n := range userSlotNames {
		lower := strings.ToLower(n)
		ok := a.selfAttrs[lower] || isOperational(lower)
		if privateAttrs[lower] {
			ok = a.passwords
		}
		if ok {
			m |= 1 << i
		}
	}
	return m
}

// Values shared by every entry; nobody writes to them.
var (
	ocPosix           = bytesOf("top", "person", "organizationalPerson", "inetOrgPerson", "posixAccount", "shadowAccount")
	ocPlain           = ocPosix[:4]
	valInetOrgPerson  = bytesOf("inetOrgPerson")
	valFalse          = bytesOf("FALSE")
	valSubschemaEntry = bytesOf(schemas.SubschemaDN)
)

func bytesOf(vs ...string) [][]byte {
	out := make([][]byte, len(vs))
	for i, v := range vs {
		out[i] = []byte(v)
	}
	return out
}

// userBuilder builds user entries, reusing its memory: an entry it
// returns is valid until its next call.
type userBuilder struct {
	e     ldif.Entry
	arena []byte
	one   [slotCount][1][]byte // the value of single-valued slots
	mail  [][]byte
}

// builders are the user builders of finished searches.
var builders = sync.Pool{New: func() any {
	return &userBuilder{e: ldif.Entry{Attributes: make([]ldif.Attribute, 0, slotCount)}, arena: make([]byte, 0, 1024)}
}}

// maxPooledArena bounds the memory a pooled builder keeps.
const maxPooledArena = 64 << 10

// release puts b back in builders, without references to the last user.
func (b *userBuilder) release() {
	if cap(b.arena) > maxPooledArena {
		return
	}
	clear(b.e.Attributes[:cap(b.e.Attributes)])
	clear(b.one[:])
	clear(b.mail[:cap(b.mail)])
	b.e = ldif.Entry{Attributes: b.e.Attributes[:0]}
	b.arena, b.mail = b.arena[:0], b.mail[:0]
	builders.Put(b)
}

// slow reports whether the slots of mask need, for u, values the builder
// does not compute.
func slow(u *store.User, mask slotMask) bool {
	if mask.has(uaJPEGPhoto) && u.HasPhoto ||
		mask.has(uaTelephoneNumber) && len(u.PhoneNumbers) > 1 ||
		mask.has(uaPwdFailureTime) && len(u.PasswordFailureTimestamps) > 0 {
		return true
	}
	if mask.has(uaMemberOf) {
		named := 0
		for _, g := range u.Groups {
			if g.Name != "" {
				named++
			}
		}
		return named > 1
	}
	return false
}

// build returns the entry of u with the slots of mask, under dn ("" when
// the caller does not need the DN). The caller checked slow.
func (b *userBuilder) build(d *directory, u *store.User, mask slotMask, dn string) *ldif.Entry {
	b.arena = b.arena[:0]
	b.e.DN = dn
	b.e.Attributes = b.e.Attributes[:0]
	posix := u.UIDNumber != 0
	for s := slot(0); s < slotCount; s++ {
		if !mask.has(s) {
			continue
		}
		switch s {
		case uaObjectClass:
			if posix {
				b.values(s, ocPosix)
			} else {
				b.values(s, ocPlain)
			}
		case uaUID:
			b.str(s, u.UserName)
		case uaCN:
			b.commonName(u)
		case uaSN:
			b.str(s, firstNonEmpty(u.FamilyName, u.UserName))
		case uaGivenName:
			b.str(s, u.GivenName)
		case uaDisplayName:
			b.str(s, u.DisplayName)
		case uaMail:
			b.mails(u.Emails)
		case uaTelephoneNumber:
			if len(u.PhoneNumbers) == 1 {
				b.str(s, u.PhoneNumbers[0])
			}
		case uaPostalAddress:
			b.str(s, schemas.EncodePostalAddress(u.FormattedAddress))
		case uaStreet:
			b.str(s, u.Street)
		case uaPostalCode:
			b.str(s, u.PostalCode)
		case uaL:
			b.str(s, u.Locality)
		case uaST:
			b.str(s, u.Region)
		case uaLabeledURI:
			b.str(s, u.ProfileURL)
		case uaTitle:
			b.str(s, u.Title)
		case uaO:
			b.str(s, u.Organization)
		case uaDepartmentNumber:
			b.str(s, u.Department)
		case uaEmployeeNumber:
			b.str(s, u.EmployeeNumber)
		case uaPreferredLanguage:
			b.str(s, u.PreferredLanguage)
		case uaUIDNumber:
			if posix {
				b.number(s, u.UIDNumber)
			}
		case uaGIDNumber:
			if posix {
				b.number(s, u.GIDNumber)
			}
		case uaHomeDirectory:
			if posix {
				if u.HomeDirectory != "" {
					b.str(s, u.HomeDirectory)
				} else {
					start := len(b.arena)
					b.arena = append(append(b.arena, "/home/"...), u.UserName...)
					b.value(s, b.arena[start:])
				}
			}
		case uaLoginShell:
			if posix {
				b.str(s, u.LoginShell)
			}
		case uaUserPassword:
			b.str(s, u.PasswordHash)
		case uaMemberOf:
			for _, g := range u.Groups {
				if g.Name != "" {
					b.str(s, d.groupDN(g.Name))
				}
			}
		case uaEntryUUID:
			b.str(s, schemas.EntryUUID(u.ID))
		case uaCreateTimestamp:
			b.time(s, u.Created)
		case uaModifyTimestamp:
			b.time(s, u.LastModified)
		case uaPwdChangedTime:
			b.time(s, u.PasswordLastUpdate)
		case uaPwdEndTime:
			b.time(s, u.LockDate)
		case uaStructuralObjectClass:
			b.values(s, valInetOrgPerson)
		case uaEntryDN:
			b.str(s, dn)
		case uaHasSubordinates:
			b.values(s, valFalse)
		case uaSubschemaSubentry:
			b.values(s, valSubschemaEntry)
		}
	}
	return &b.e
}

// values adds slot s with shared values.
func (b *userBuilder) values(s slot, vs [][]byte) {
	b.e.Attributes = append(b.e.Attributes, ldif.Attribute{Name: userSlotNames[s], Values: vs})
}

// value adds slot s with one value.
func (b *userBuilder) value(s slot, v []byte) {
	b.one[s][0] = v
	b.values(s, b.one[s][:])
}

// str adds slot s with value v, unless v is empty.
func (b *userBuilder) str(s slot, v string) {
	if v == "" {
		return
	}
	start := len(b.arena)
	b.arena = append(b.arena, v...)
	b.value(s, b.arena[start:len(b.arena):len(b.arena)])
}

func (b *userBuilder) number(s slot, n uint32) {
	start := len(b.arena)
	b.arena = strconv.AppendUint(b.arena, uint64(n), 10)
	b.value(s, b.arena[start:len(b.arena):len(b.arena)])
}

func (b *userBuilder) time(s slot, t time.Time) {
	if !t.IsZero() {
		b.str(s, schemas.FormatTime(t))
	}
}

// commonName adds cn as schemas.UserToEntry writes it: the formatted
// name, else the display name, else the given and family names, else the
// user name.
func (b *userBuilder) commonName(u *store.User) {
	switch {
	case u.FormattedName != "":
		b.str(uaCN, u.FormattedName)
	case u.DisplayName != "":
		b.str(uaCN, u.DisplayName)
	default:
		start := len(b.arena)
		b.arena = append(append(append(b.arena, u.GivenName...), ' '), u.FamilyName...)
		if names := bytes.TrimSpace(b.arena[start:]); len(names) > 0 {
			b.value(uaCN, names[:len(names):len(names)])
			return
		}
		b.arena = b.arena[:start]
		b.str(uaCN, u.UserName)
	}
}

// mails adds mail: the addresses without empty ones and without repeats
// (compared trimmed and lower-cased).
func (b *userBuilder) mails(emails []string) {
	b.mail = b.mail[:0]
	for i, v := range emails {
		if v == "" {
			continue
		}
		dup := false
		if i > 0 {
			key := strings.ToLower(strings.TrimSpace(v))
			for _, w := range emails[:i] {
				if w != "" && strings.ToLower(strings.TrimSpace(w)) == key {
					dup = true
					break
				}
			}
		}
		if !dup {
			start := len(b.arena)
			b.arena = append(b.arena, v...)
			b.mail = append(b.mail, b.arena[start:len(b.arena):len(b.arena)])
		}
	}
	if len(b.mail) > 0 {
		b.values(uaMail, b.mail)
	}
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
