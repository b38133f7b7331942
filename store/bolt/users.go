package bolt

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/password"
)

// MaxPhotoBytes bounds a stored photo.
const MaxPhotoBytes = 8 << 20

// maxFailures bounds the failure timestamps kept per user, and
// failureWindow their age.
const (
	maxFailures   = 32
	failureWindow = 24 * time.Hour
)

// userRecord is the stored form of a user: the model plus the secret
// fields that the model keeps out of JSON.
type userRecord struct {
	store.User
	PasswordHash    string `json:"password_hash,omitempty"`
	SecretToken     string `json:"secret_token,omitempty"`
	OneTimePassword string `json:"one_time_password,omitempty"`
}

func putUser(w *wtx, u *store.User) error {
	rec := userRecord{User: *u, PasswordHash: u.PasswordHash, SecretToken: u.SecretToken, OneTimePassword: u.OneTimePassword}
	rec.User.Groups = nil
	raw, err := encode(rec)
	if err != nil {
		return fmt.Errorf("bolt: encode user: %w", err)
	}
	return w.put(bUsers, []byte(u.ID), raw)
}

// loadUser reads a user without its groups.
func loadUser(tx *bbolt.Tx, id string) (store.User, error) { return loadUserW(direct(tx), id) }

func loadUserW(w *wtx, id string) (store.User, error) {
	raw := w.get(bUsers, []byte(id))
	if raw == nil {
		return store.User{}, fmt.Errorf("bolt: user %q: %w", id, store.ErrNotFound)
	}
	if w.decoded != nil && w.buf == nil {
		if u, ok := w.decoded.get(id, raw); ok {
			return u, nil
		}
	}
	var rec userRecord
	if err := decode(raw, &rec); err != nil {
		return store.User{}, fmt.Errorf("bolt: user %q: %w", id, err)
	}
	u := rec.User
	u.PasswordHash, u.SecretToken, u.OneTimePassword = rec.PasswordHash, rec.SecretToken, rec.OneTimePassword
	if w.decoded != nil && w.buf == nil {
		w.decoded.put(id, raw, u)
	}
	return u, nil
}

// getUser reads a user with its groups.
func getUser(tx *bbolt.Tx, id string) (store.User, error) {
	return getUserW(direct(tx), id)
}

func getUserW(w *wtx, id string) (store.User, error) {
	u, err := loadUserW(w, id)
	if err != nil {
		return u, err
	}
	u.Groups = refsC(w.cursor(bMemberUG), id)
	return u, nil
}

// refs lists the a\0b -> name entries of an index as Refs sorted by name
// (case-insensitively, then by ID).
func refs(b *bbolt.Bucket, a string) []store.Ref { return refsC(b.Cursor(), a) }

// refsC is refs through a cursor of the index.
func refsC(c *bbolt.Cursor, a string) []store.Ref {
	type keyed struct {
		key string
		ref store.Ref
	}
	var ks []keyed
	scanPrefixC(c, a, func(id string, name []byte) error {
		n := string(name)
		ks = append(ks, keyed{strings.ToLower(n), store.Ref{ID: id, Name: n}})
		return nil
	})
	if len(ks) == 0 {
		return nil
	}
	slices.SortFunc(ks, func(x, y keyed) int {
		return cmp.Or(strings.Compare(x.key, y.key), strings.Compare(x.ref.ID, y.ref.ID))
	})
	out := make([]store.Ref, len(ks))
	for i, k := range ks {
		out[i] = k.ref
	}
	return out
}

func (s *Store) getUserBy(ctx context.Context, index []byte, key []byte, what string) (store.User, error) {
	var u store.User
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		id := tx.Bucket(index).Get(key)
		if id == nil {
			return fmt.Errorf("bolt: user with %s: %w", what, store.ErrNotFound)
		}
		var err error
		u, err = getUserW(s.reader(tx), string(id))
		return err
	})
	return u, err
}

// GetUser implements store.Directory.
func (s *Store) GetUser(ctx context.Context, id string) (store.User, error) {
	var u store.User
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		var err error
		u, err = getUserW(s.reader(tx), id)
		return err
	})
	return u, err
}

// GetUserByName implements store.Directory.
func (s *Store) GetUserByName(ctx context.Context, name string) (store.User, error) {
	return s.getUserBy(ctx, bUserName, []byte(strings.ToLower(name)), fmt.Sprintf("name %q", name))
}

// GetUserByEmail implements store.Directory.
func (s *Store) GetUserByEmail(ctx context.Context, email string) (store.User, error) {
	return s.getUserBy(ctx, bUserEmail, []byte(strings.ToLower(email)), fmt.Sprintf("email %q", email))
}

// GetUserByUIDNumber implements store.Directory.
func (s *Store) GetUserByUIDNumber(ctx context.Context, uid uint32) (store.User, error) {
	return s.getUserBy(ctx, bUserUID, be32(uid), fmt.Sprintf("uid number %d", uid))
}

// ListUsers implements store.Directory.
func (s *Store) ListUsers(ctx context.Context, q store.UserQuery) ([]store.User, error) {
	var out []store.User
	if q.Limit > 0 {
		// Users are 600 bytes: a slice grown by appends copied each
		// page's users about twice over.
		out = make([]store.User, 0, min(q.Limit, 1024))
	}
	search := strings.ToLower(q.Search)
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		r := s.reader(tx)
		c := tx.Bucket(bUserName).Cursor()
		after := []byte(strings.ToLower(q.After))
		k, id := c.First()
		if q.After != "" {
			k, id = c.Seek(after)
			if k != nil && string(k) == string(after) {
				k, id = c.Next()
			}
		}
		for ; k != nil; k, id = c.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			u, err := getUserW(r, string(id))
			if err != nil {
				return err
			}
			if search != "" && !userMatches(&u, search) {
				continue
			}
			out = append(out, u)
			if q.Limit > 0 && len(out) >= q.Limit {
				break
			}
		}
		return nil
	})
	return out, err
}

func userMatches(u *store.User, search string) bool {
	for _, v := range append([]string{u.UserName, u.FormattedName, u.DisplayName, u.GivenName, u.FamilyName}, u.Emails...) {
		if strings.Contains(strings.ToLower(v), search) {
			return true
		}
	}
	return false
}

// CountUsers implements store.Directory.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	return s.count(ctx, bUserName)
}

func (s *Store) count(ctx context.Context, b []byte) (int, error) {
	var n int
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		n = tx.Bucket(b).Stats().KeyN
		return nil
	})
	return n, err
}

// UserPhoto implements store.Directory.
func (s *Store) UserPhoto(ctx context.Context, userID string) ([]byte, error) {
	var photo []byte
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		raw := tx.Bucket(bPhotos).Get([]byte(userID))
		if raw == nil {
			return fmt.Errorf("bolt: photo of user %q: %w", userID, store.ErrNotFound)
		}
		photo = slices.Clone(raw)
		return nil
	})
	return photo, err
}

// prepareUser normalises, fills POSIX defaults and validates u.
func (s *Store) prepareUser(u *store.User) error {
	u.Normalize()
	if u.HomeDirectory == "" && u.UserName != "" {
		u.HomeDirectory = s.cfg.POSIX.Home(u.UserName)
	}
	if u.LoginShell == "" {
		u.LoginShell = s.cfg.POSIX.LoginShell
	}
	err := u.Validate()
	if u.PasswordHash != "" {
		if _, serr := password.Scheme(u.PasswordHash); serr != nil {
			var es store.ValidationErrors
			errors.As(err, &es)
			err = append(es, &store.ValidationError{Field: "password", Reason: serr.Error()})
		}
	}
	return err
}

// CreateUser implements store.DirectoryWriter.
func (s *Store) CreateUser(ctx context.Context, u store.User) (store.User, error) {
	u = u.Clone()
	now := s.now().UTC()
	if u.ID == "" {
		u.ID = store.NewID()
	}
	if u.Created.IsZero() {
		u.Created = now
	}
	u.LastModified = now
	if u.PasswordHash != "" && u.PasswordLastUpdate.IsZero() {
		u.PasswordLastUpdate = now
	}
	u.Groups, u.HasPhoto = nil, false
	if err := s.prepareUser(&u); err != nil {
		return store.User{}, fmt.Errorf("bolt: create user: %w", err)
	}
	err := s.update(ctx, func(tx *bbolt.Tx) error { return s.insertUser(direct(tx), &u) })
	if err != nil {
		return store.User{}, err
	}
	return u, nil
}

// insertUser checks uniqueness, allocates numbers and writes a new user
// with its indexes.
func (s *Store) insertUser(w *wtx, u *store.User) error {
	if w.get(bUsers, []byte(u.ID)) != nil {
		return fmt.Errorf("bolt: user id %q: %w", u.ID, store.ErrExists)
	}
	name := []byte(strings.ToLower(u.UserName))
	if w.get(bUserName, name) != nil {
		return fmt.Errorf("bolt: user name %q: %w", u.UserName, store.ErrExists)
	}
	for _, e := range u.Emails {
		if w.get(bUserEmail, []byte(strings.ToLower(e))) != nil {
			return fmt.Errorf("bolt: email %q: %w", e, store.ErrExists)
		}
	}
	if err := s.setUID(w, u, 0); err != nil {
		return err
	}
	if u.GIDNumber == 0 {
		u.GIDNumber = cmp.Or(s.cfg.POSIX.PrimaryGID, u.UIDNumber)
	}
	if err := w.put(bUserName, name, []byte(u.ID)); err != nil {
		return err
	}
	for _, e := range u.Emails {
		if err := w.put(bUserEmail, []byte(strings.ToLower(e)), []byte(u.ID)); err != nil {
			return err
		}
	}
	return putUser(w, u)
}

// setUID allocates u's uid number when zero, or checks that it is free,
// and indexes it; old is the previous number (0 for a new user).
func (s *Store) setUID(w *wtx, u *store.User, old uint32) error {
	if u.UIDNumber == 0 {
		n, err := s.allocate(w, keyNextUID, s.cfg.POSIX.UIDMin, s.cfg.POSIX.UIDMax)
		if err != nil {
			return err
		}
		u.UIDNumber = n
	} else if u.UIDNumber != old && w.get(bUserUID, be32(u.UIDNumber)) != nil {
		return fmt.Errorf("bolt: uid number %d: %w", u.UIDNumber, store.ErrExists)
	}
	if old != 0 && old != u.UIDNumber {
		if err := w.del(bUserUID, be32(old)); err != nil {
			return err
		}
	}
	return w.put(bUserUID, be32(u.UIDNumber), []byte(u.ID))
}

// allocate returns the next number of [lo, hi] used neither as a uid nor
// as a group gid, starting after the last one allocated.
func (s *Store) allocate(w *wtx, counter []byte, lo, hi uint32) (uint32, error) {
	next := lo
	if raw := w.get(bMeta, counter); len(raw) == 4 {
		next = binary.BigEndian.Uint32(raw)
	}
	if next < lo || next > hi {
		next = lo
	}
	span := uint64(hi-lo) + 1
	for i := range span {
		n := lo + uint32((uint64(next-lo)+i)%span)
		k := be32(n)
		if w.get(bUserUID, k) == nil && w.get(bGroupGID, k) == nil {
			return n, w.put(bMeta, counter, be32(n+1))
		}
	}
	return 0, fmt.Errorf("bolt: no free number in %d-%d: %w", lo, hi, store.ErrExhausted)
}

// UpdateUser implements store.DirectoryWriter. fn runs inside the write
// transaction and must not call the store.
func (s *Store) UpdateUser(ctx context.Context, id string, fn func(*store.User) error) (store.User, error) {
	return s.updateUser(ctx, id, fn, false)
}

// updateUser is UpdateUser; rehash tells that a password hash change is a
// scheme upgrade, not a new password, so PasswordLastUpdate is kept.
func (s *Store) updateUser(ctx context.Context, id string, fn func(*store.User) error, rehash bool) (store.User, error) {
	var out store.User
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		old, err := getUser(tx, id)
		if err != nil {
			return err
		}
		nu := old.Clone()
		if err := fn(&nu); err != nil {
			return err
		}
		nu.ID, nu.Created, nu.Groups, nu.HasPhoto = old.ID, old.Created, old.Groups, old.HasPhoto
		if err := s.prepareUser(&nu); err != nil {
			return fmt.Errorf("bolt: update user %q: %w", old.UserName, err)
		}
		now := s.now().UTC()
		if nu.PasswordHash != old.PasswordHash && !rehash {
			nu.PasswordLastUpdate = now
		}
		nu.LastModified = now
		if err := s.reindexUser(tx, &old, &nu); err != nil {
			return err
		}
		if err := putUser(direct(tx), &nu); err != nil {
			return err
		}
		out = nu
		return nil
	})
	return out, err
}

// reindexUser moves the name, email and uid index entries of a changed
// user, checking uniqueness first so that a refused change writes nothing.
func (s *Store) reindexUser(tx *bbolt.Tx, old, nu *store.User) error {
	names, emails := tx.Bucket(bUserName), tx.Bucket(bUserEmail)
	oldName, newName := strings.ToLower(old.UserName), strings.ToLower(nu.UserName)
	if oldName != newName {
		if names.Get([]byte(newName)) != nil {
			return fmt.Errorf("bolt: user name %q: %w", nu.UserName, store.ErrExists)
		}
	}
	for _, e := range nu.Emails {
		if owner := emails.Get([]byte(strings.ToLower(e))); owner != nil && string(owner) != nu.ID {
			return fmt.Errorf("bolt: email %q: %w", e, store.ErrExists)
		}
	}
	if err := s.setUID(direct(tx), nu, old.UIDNumber); err != nil {
		return err
	}
	if oldName != newName {
		if err := names.Delete([]byte(oldName)); err != nil {
			return err
		}
		if err := names.Put([]byte(newName), []byte(nu.ID)); err != nil {
			return err
		}
	}
	if old.UserName != nu.UserName {
		// Membership indexes carry the user name for cheap listings.
		for _, idx := range [][2][]byte{{bMemberUG, bMemberGU}, {bOwnerUG, bOwnerGU}} {
			for _, gid := range seconds(tx.Bucket(idx[0]), nu.ID) {
				if err := tx.Bucket(idx[1]).Put(pair(gid, nu.ID), []byte(nu.UserName)); err != nil {
					return err
				}
			}
		}
	}
	for _, e := range old.Emails {
		if err := emails.Delete([]byte(strings.ToLower(e))); err != nil {
			return err
		}
	}
	for _, e := range nu.Emails {
		if err := emails.Put([]byte(strings.ToLower(e)), []byte(nu.ID)); err != nil {
			return err
		}
	}
	return nil
}

// DeleteUser implements store.DirectoryWriter.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	return s.update(ctx, func(tx *bbolt.Tx) error {
		u, err := loadUser(tx, id)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bUserName).Delete([]byte(strings.ToLower(u.UserName))); err != nil {
			return err
		}
		for _, e := range u.Emails {
			if err := tx.Bucket(bUserEmail).Delete([]byte(strings.ToLower(e))); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bUserUID).Delete(be32(u.UIDNumber)); err != nil {
			return err
		}
		for _, p := range [][2][]byte{{bMemberUG, bMemberGU}, {bOwnerUG, bOwnerGU}} {
			for _, gid := range seconds(tx.Bucket(p[0]), id) {
				if err := deletePair(direct(tx), p[0], p[1], id, gid); err != nil {
					return err
				}
			}
		}
		if err := tx.Bucket(bPhotos).Delete([]byte(id)); err != nil {
			return err
		}
		if err := deleteUserState(tx, id); err != nil {
			return err
		}
		return tx.Bucket(bUsers).Delete([]byte(id))
	})
}

// deletePair removes a membership from both directions.
func deletePair(w *wtx, ug, gu []byte, userID, groupID string) error {
	if err := w.del(ug, pair(userID, groupID)); err != nil {
		return err
	}
	return w.del(gu, pair(groupID, userID))
}

// SetPassword implements store.DirectoryWriter.
func (s *Store) SetPassword(ctx context.Context, userID, pw string) error {
	hash, err := s.hasher.Hash(ctx, pw)
	if err != nil {
		return fmt.Errorf("bolt: hash password: %w", err)
	}
	_, err = s.UpdateUser(ctx, userID, func(u *store.User) error {
		u.PasswordHash = hash
		u.PasswordFailureTimestamps = nil
		return nil
	})
	return err
}

// SetUserPhoto implements store.DirectoryWriter.
func (s *Store) SetUserPhoto(ctx context.Context, userID string, photo []byte) error {
	if len(photo) > MaxPhotoBytes {
		return fmt.Errorf("bolt: set photo: %w", store.ValidationErrors{{Field: "photo", Reason: fmt.Sprintf("is larger than %d bytes", MaxPhotoBytes)}})
	}
	return s.update(ctx, func(tx *bbolt.Tx) error {
		u, err := loadUser(tx, userID)
		if err != nil {
			return err
		}
		photos := tx.Bucket(bPhotos)
		if photo == nil {
			err = photos.Delete([]byte(userID))
		} else {
			err = photos.Put([]byte(userID), slices.Clone(photo))
		}
		if err != nil {
			return err
		}
		u.HasPhoto = photo != nil
		u.LastModified = s.now().UTC()
		return putUser(direct(tx), &u)
	})
}

// Authenticate implements store.Directory.
func (s *Store) Authenticate(ctx context.Context, userName, pw string) (store.User, error) {
	u, err := s.GetUserByName(ctx, userName)
	if errors.Is(err, store.ErrNotFound) || (err == nil && u.PasswordHash == "") {
		s.hasher.Waste(ctx, pw)
		return store.User{}, fmt.Errorf("bolt: authenticate: %w", store.ErrInvalidCredentials)
	}
	if err != nil {
		return store.User{}, err
	}
	ok, upgrade, err := s.hasher.Verify(ctx, pw, u.PasswordHash)
	if err != nil {
		if ctx.Err() != nil {
			return store.User{}, ctx.Err()
		}
		s.log.Warn("stored password hash cannot be verified", "user", u.UserName, "error", err)
		return store.User{}, fmt.Errorf("bolt: authenticate: %w", store.ErrInvalidCredentials)
	}
	now := s.now().UTC()
	if !ok {
		_, uerr := s.UpdateUser(ctx, u.ID, func(nu *store.User) error {
			nu.PasswordFailureTimestamps = recentFailures(append(nu.PasswordFailureTimestamps, now), now)
			return nil
		})
		if uerr != nil && !errors.Is(uerr, store.ErrNotFound) {
			s.log.Warn("cannot record a password failure", "user", u.UserName, "error", uerr)
		}
		return store.User{}, fmt.Errorf("bolt: authenticate: %w", store.ErrInvalidCredentials)
	}
	if u.Locked(now) {
		return store.User{}, fmt.Errorf("bolt: authenticate %q: %w", u.UserName, store.ErrLocked)
	}
	var newHash string
	if upgrade && s.cfg.UpgradeHashes {
		if newHash, err = s.hasher.Hash(ctx, pw); err != nil {
			return store.User{}, err
		}
	}
	if newHash == "" && len(u.PasswordFailureTimestamps) == 0 {
		return u, nil
	}
	oldHash := u.PasswordHash
	nu, err := s.updateUser(ctx, u.ID, func(nu *store.User) error {
		nu.PasswordFailureTimestamps = nil
		if newHash != "" && nu.PasswordHash == oldHash { // not changed meanwhile
			nu.PasswordHash = newHash
		}
		return nil
	}, true)
	if err != nil {
		s.log.Warn("cannot update the password record after a login", "user", u.UserName, "error", err)
		return u, nil
	}
	return nu, nil
}

// recentFailures keeps the failures of the last failureWindow, at most
// maxFailures of them.
func recentFailures(ts []time.Time, now time.Time) []time.Time {
	out := ts[:0:0]
	for _, t := range ts {
		if now.Sub(t) < failureWindow {
			out = append(out, t)
		}
	}
	if len(out) > maxFailures {
		out = out[len(out)-maxFailures:]
	}
	return out
}
